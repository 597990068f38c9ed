// The rate limiter against a real Redis: exact limits under concurrency from two clients (two
// gateway replicas), minute and day windows independent, refused requests free, windows reset
// with the (injected) clock, and one round trip per check as seen by the server itself.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { freshKeyPrefix } from '../support/database.ts';
import { RateLimiter } from '../../gateway/ratelimit/rate-limiter.ts';
import type { RateLimitResult } from '../../gateway/ratelimit/result.ts';

const T = Date.parse('2030-03-04T05:06:10Z');
const MINUTE = 60_000;
const DAY = 86_400_000;

const clients: Redis[] = [];
function client(): Redis {
  const redis = new Redis(inject('redisUrl'), { lazyConnect: true, enableOfflineQueue: false });
  clients.push(redis);
  return redis;
}

// Generous timeout: these tests are about counting, and a degraded answer would hide a miscount.
function limiter(redis: Redis, keyPrefix: string): RateLimiter {
  return new RateLimiter({ redis, keyPrefix, timeoutMs: 5_000 });
}

const allowedCount = (results: RateLimitResult[]): number => results.filter((r) => r.allowed).length;

describe('RateLimiter on Redis', () => {
  const prefix = freshKeyPrefix();
  let replicaA: Redis;
  let replicaB: Redis;

  beforeAll(async () => {
    replicaA = client();
    replicaB = client();
    await Promise.all([replicaA.connect(), replicaB.connect()]);
  });

  afterAll(() => {
    for (const redis of clients) redis.disconnect();
  });

  it('admits exactly the limit under 200 concurrent checks from two replicas', async () => {
    const request = { keyId: 'concurrent', perMinute: 50, perDay: 1000 };
    const a = limiter(replicaA, prefix);
    const b = limiter(replicaB, prefix);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).check(request, T)));

    expect(results.filter((r) => r.degraded)).toEqual([]);
    expect(allowedCount(results)).toBe(50);
    // Every admitted request saw a distinct count: the script serialised them all.
    const remaining = results
      .filter((r) => r.allowed)
      .map((r) => r.minute.remaining)
      .sort((x, y) => x - y);
    expect(remaining).toEqual(Array.from({ length: 50 }, (_, i) => i));
    for (const r of results.filter((x) => !x.allowed)) expect(r).toMatchObject({ limitedBy: 'minute', retryAfterSeconds: 50 });
    // Refused requests did not count against the day either.
    expect((await a.peek(request, T)).day.remaining).toBe(950);
  });

  it('keeps the day limit independent of the minute limit', async () => {
    const request = { keyId: 'daily', perMinute: 100, perDay: 5 };
    const rl = limiter(replicaA, prefix);
    const first = [];
    for (let i = 0; i < 7; i++) first.push(await rl.check(request, T));
    expect(first.map((r) => r.allowed)).toEqual([true, true, true, true, true, false, false]);
    expect(first[6]).toMatchObject({ limitedBy: 'day', minute: { remaining: 95 }, day: { remaining: 0 } });

    // A new minute does not help: the day is spent.
    expect(await rl.check(request, T + MINUTE)).toMatchObject({ allowed: false, limitedBy: 'day' });
    // A new day does.
    const tomorrow = await rl.check(request, T + DAY);
    expect(tomorrow).toMatchObject({ allowed: true, day: { remaining: 4 }, minute: { remaining: 99 } });
  });

  it('does not let refused requests consume quota', async () => {
    const request = { keyId: 'hammer', perMinute: 3, perDay: 10 };
    const rl = limiter(replicaB, prefix);
    const results = [];
    for (let i = 0; i < 25; i++) results.push(await rl.check(request, T));
    expect(allowedCount(results)).toBe(3);

    const state = await rl.peek(request, T);
    expect(state).toMatchObject({ allowed: false, minute: { remaining: 0 }, day: { remaining: 7 } });
    // Next minute: the 22 refusals left the day budget at 7, so 3 more pass.
    const next = [];
    for (let i = 0; i < 5; i++) next.push(await rl.check(request, T + MINUTE));
    expect(allowedCount(next)).toBe(3);
    expect((await rl.peek(request, T + MINUTE)).day.remaining).toBe(4);
  });

  it('resets the minute window at the boundary of the injected clock', async () => {
    const request = { keyId: 'clock', perMinute: 2, perDay: 100 };
    let now = Date.parse('2030-03-04T05:06:58.500Z');
    const rl = new RateLimiter({ redis: replicaA, keyPrefix: prefix, timeoutMs: 5_000, clock: () => now });
    expect((await rl.check(request)).allowed).toBe(true);
    expect((await rl.check(request)).allowed).toBe(true);
    const refused = await rl.check(request);
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 2, minute: { reset: Date.parse('2030-03-04T05:07:00Z') / 1000 } });

    now = Date.parse('2030-03-04T05:06:59.999Z');
    expect((await rl.check(request)).allowed).toBe(false);
    now = Date.parse('2030-03-04T05:07:00Z');
    const fresh = await rl.check(request);
    expect(fresh).toMatchObject({ allowed: true, minute: { remaining: 1 }, day: { remaining: 97 } });
  });

  it('gives each key its own counters', async () => {
    const rl = limiter(replicaA, prefix);
    expect((await rl.check({ keyId: 'k-one', perMinute: 1, perDay: 10 }, T)).allowed).toBe(true);
    expect((await rl.check({ keyId: 'k-one', perMinute: 1, perDay: 10 }, T)).allowed).toBe(false);
    expect((await rl.check({ keyId: 'k-two', perMinute: 1, perDay: 10 }, T)).allowed).toBe(true);
  });

  it('sets window-aligned TTLs so counters clean themselves up', async () => {
    const now = Date.now();
    const rl = limiter(replicaA, prefix);
    await rl.check({ keyId: 'ttl', perMinute: 5, perDay: 5 }, now);
    const keys = (await replicaA.keys(`${prefix}ratelimit:{ttl}:*`)).sort();
    expect(keys).toHaveLength(2);
    const [dayKey, minuteKey] = keys as [string, string];
    const minuteTtl = await replicaA.pttl(minuteKey);
    const dayTtl = await replicaA.pttl(dayKey);
    const toMinuteEnd = 60_000 - (now % 60_000);
    const toDayEnd = DAY - (now % DAY);
    expect(minuteTtl).toBeGreaterThan(toMinuteEnd); // plus the skew grace
    expect(minuteTtl).toBeLessThanOrEqual(toMinuteEnd + 10_000);
    expect(dayTtl).toBeGreaterThan(toDayEnd - 5_000);
    expect(dayTtl).toBeLessThanOrEqual(toDayEnd + 10_000);
  });

  it('costs one round trip per check, as the server sees it', async () => {
    const roundTripPrefix = freshKeyPrefix();
    const rl = limiter(replicaA, roundTripPrefix);
    const request = { keyId: 'rtt', perMinute: 5, perDay: 100 };
    await rl.check(request, T); // the first use may need EVAL to load the script into Redis

    const monitor = await client().monitor();
    const seen: { source: string; command: string }[] = [];
    const sentinel = `${roundTripPrefix}sentinel`;
    const done = new Promise<void>((resolve) => {
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (args.includes(sentinel)) resolve();
        else if (args.some((arg) => arg.startsWith(roundTripPrefix))) seen.push({ source, command: (args[0] ?? '').toUpperCase() });
      });
    });

    const checks = 10; // 4 allowed, 6 refused: both paths
    for (let i = 0; i < checks; i++) await rl.check(request, T);
    await replicaA.exists(sentinel);
    await done;
    monitor.disconnect();

    const fromClient = seen.filter((s) => s.source !== 'lua');
    expect(fromClient.map((s) => s.command)).toEqual(Array.from({ length: checks }, () => 'EVALSHA'));
    // Everything else (GET, INCR, PEXPIRE) ran inside the script, on the server.
    expect(new Set(seen.filter((s) => s.source === 'lua').map((s) => s.command))).toEqual(new Set(['GET', 'INCR']));
  });

  it('reloads the script by itself after SCRIPT FLUSH (a restarted or failed-over Redis)', async () => {
    const rl = limiter(replicaB, prefix);
    await replicaB.script('FLUSH');
    expect(await rl.check({ keyId: 'flushed', perMinute: 1, perDay: 1 }, T)).toMatchObject({ allowed: true, degraded: false });
    expect(await rl.check({ keyId: 'flushed', perMinute: 1, perDay: 1 }, T)).toMatchObject({ allowed: false, degraded: false });
  });
});
