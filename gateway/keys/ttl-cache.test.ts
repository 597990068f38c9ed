import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache.ts';

function counting(values: Record<string, string>) {
  const calls: string[] = [];
  return { calls, load: (key: string) => { calls.push(key); return Promise.resolve(values[key]); } };
}

describe('TtlCache', () => {
  it('serves repeated lookups from memory until the TTL passes', async () => {
    let now = 0;
    const source = counting({ a: 'A' });
    const cache = new TtlCache({ load: source.load, ttlMs: 1000, now: () => now });
    expect(await cache.get('a')).toBe('A');
    now = 999;
    expect(await cache.get('a')).toBe('A');
    expect(source.calls).toEqual(['a']);
    now = 1001;
    await cache.get('a');
    expect(source.calls).toEqual(['a', 'a']);
  });

  it('shares one load between concurrent lookups', async () => {
    const source = counting({ a: 'A' });
    const cache = new TtlCache({ load: source.load, ttlMs: 1000 });
    expect(await Promise.all([cache.get('a'), cache.get('a'), cache.get('a')])).toEqual(['A', 'A', 'A']);
    expect(source.calls).toEqual(['a']);
  });

  it('never caches a miss', async () => {
    const values: Record<string, string> = {};
    const cache = new TtlCache({ load: (k: string) => Promise.resolve(values[k]), ttlMs: 60_000 });
    expect(await cache.get('new')).toBeUndefined();
    values.new = 'created elsewhere';
    expect(await cache.get('new')).toBe('created elsewhere');
  });

  it('lets an invalidation win over a lookup already in flight', async () => {
    let release: (v: string) => void = () => undefined;
    let loads = 0;
    const cache = new TtlCache({ load: () => { loads++; return new Promise<string>((r) => (release = r)); }, ttlMs: 60_000 });
    const inFlight = cache.get('k');
    cache.invalidate('k');
    release('stale');
    expect(await inFlight).toBe('stale');
    const next = cache.get('k');
    release('fresh');
    expect(await next).toBe('fresh');
    expect(loads).toBe(2);
  });

  it('evicts the oldest entry when full', async () => {
    const source = counting({ a: 'A', b: 'B', c: 'C' });
    const cache = new TtlCache({ load: source.load, ttlMs: 60_000, maxEntries: 2 });
    await cache.get('a');
    await cache.get('b');
    await cache.get('c');
    await cache.get('a');
    expect(source.calls).toEqual(['a', 'b', 'c', 'a']);
  });
});
