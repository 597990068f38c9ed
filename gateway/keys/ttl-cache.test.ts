import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache.ts';

function counting(values: Record<string, string>) {
  const calls: string[] = [];
  return {
    calls,
    load: (key: string) => {
      calls.push(key);
      return Promise.resolve(values[key]);
    },
  };
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
    const cache = new TtlCache({
      load: () => {
        loads++;
        return new Promise<string>((r) => (release = r));
      },
      ttlMs: 60_000,
    });
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

describe('TtlCache when the source fails', () => {
  const outage = (): Promise<never> =>
    Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));

  /** A cache over a source that answers from `values` until `down` is set. */
  function flaky(values: Record<string, string>, options: { ttlMs: number; staleMs: number }) {
    const clock = { now: 0 };
    const source = { down: false, loads: 0 };
    const served: unknown[] = [];
    const cache = new TtlCache({
      load: (key: string) => {
        source.loads++;
        return source.down ? outage() : Promise.resolve(values[key]);
      },
      ...options,
      now: () => clock.now,
      onStaleServed: (_key, err) => {
        served.push(err);
      },
    });
    return { cache, clock, source, served };
  }

  it('serves an expired entry while the source fails, until the stale window ends', async () => {
    const { cache, clock, source, served } = flaky({ a: 'A' }, { ttlMs: 1000, staleMs: 10_000 });
    expect(await cache.get('a')).toBe('A');
    source.down = true;
    clock.now = 1500;
    expect(await cache.get('a')).toBe('A');
    expect(served).toHaveLength(1);
    expect(served[0]).toMatchObject({ code: 'ECONNREFUSED' });
    clock.now = 10_999;
    expect(await cache.get('a')).toBe('A');
    // The window follows the last successful load (at 0: fresh until 1000, stale until 11 000), not the failures since.
    clock.now = 11_000;
    await expect(cache.get('a')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    clock.now = 11_001;
    await expect(cache.get('a')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('asks a failing source again at most once per TTL, answering from the stale entry in between', async () => {
    const { cache, clock, source } = flaky({ a: 'A' }, { ttlMs: 1000, staleMs: 60_000 });
    await cache.get('a');
    source.down = true;
    clock.now = 2000;
    await cache.get('a');
    expect(source.loads).toBe(2);
    clock.now = 2999;
    expect(await cache.get('a')).toBe('A');
    expect(source.loads).toBe(2);
    clock.now = 3000;
    expect(await cache.get('a')).toBe('A');
    expect(source.loads).toBe(3);
  });

  it('takes the source\'s answer again once it is back, including "not found" for a revoked key', async () => {
    const values: Record<string, string> = { a: 'A' };
    const { cache, clock, source } = flaky(values, { ttlMs: 1000, staleMs: 60_000 });
    await cache.get('a');
    source.down = true;
    clock.now = 1500;
    expect(await cache.get('a')).toBe('A');
    source.down = false;
    delete values.a;
    clock.now = 2500;
    expect(await cache.get('a')).toBeUndefined();
    // Revoked means gone: a later failure has nothing stale to fall back on.
    source.down = true;
    clock.now = 2600;
    await expect(cache.get('a')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('never serves an invalidated entry, even while the source fails', async () => {
    const { cache, clock, source } = flaky({ a: 'A', b: 'B' }, { ttlMs: 1000, staleMs: 60_000 });
    await cache.get('a');
    await cache.get('b');
    source.down = true;
    clock.now = 1500;
    cache.invalidate('a');
    await expect(cache.get('a')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // Invalidating one key leaves the others' stale entries usable.
    expect(await cache.get('b')).toBe('B');
    cache.clear();
    await expect(cache.get('b')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('does not fall back on an entry invalidated while the failing load was in flight', async () => {
    let fail: (err: Error) => void = () => undefined;
    let now = 0;
    let loads = 0;
    const cache = new TtlCache({
      load: () => (++loads === 1 ? Promise.resolve('A') : new Promise<string>((_resolve, reject) => (fail = reject))),
      ttlMs: 1000,
      staleMs: 60_000,
      now: () => now,
    });
    await cache.get('k');
    now = 1500;
    const inFlight = cache.get('k');
    cache.invalidate('k');
    fail(new Error('Connection terminated unexpectedly'));
    await expect(inFlight).rejects.toThrow('Connection terminated unexpectedly');
  });

  it('has nothing to fall back on for a key it never loaded', async () => {
    const { cache, source } = flaky({ a: 'A' }, { ttlMs: 1000, staleMs: 60_000 });
    source.down = true;
    await expect(cache.get('a')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('without a stale window, fails as soon as the TTL has passed', async () => {
    const { cache, clock, source } = flaky({ a: 'A' }, { ttlMs: 1000, staleMs: 0 });
    await cache.get('a');
    source.down = true;
    clock.now = 1000;
    await expect(cache.get('a')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('shares one failing load between concurrent lookups, all answered from the stale entry', async () => {
    const { cache, clock, source, served } = flaky({ a: 'A' }, { ttlMs: 1000, staleMs: 60_000 });
    await cache.get('a');
    source.down = true;
    clock.now = 1500;
    expect(await Promise.all([cache.get('a'), cache.get('a'), cache.get('a')])).toEqual(['A', 'A', 'A']);
    expect(source.loads).toBe(2);
    expect(served).toHaveLength(1);
  });
});
