// Token limits in the rate-limit script against a real Redis: a request is admitted while its
// window has tokens left and takes its whole reservation; settling replaces the reservation by the
// real usage; 200 concurrent reservations from two clients (two replicas) overshoot by at most
// one; refused requests reserve nothing and count no request; windows roll with the injected clock.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { freshKeyPrefix } from '../support/database.ts';
import { RateLimiter } from '../../gateway/ratelimit/rate-limiter.ts';
import { tokenCounterKey, windowAt } from '../../gateway/ratelimit/windows.ts';

const T = Date.parse('2030-03-04T05:06:10Z');
const MINUTE = 60_000;

const clients: Redis[] = [];
function client(): Redis {
  const redis = new Redis(inject('redisUrl'), { lazyConnect: true, enableOfflineQueue: false });
  clients.push(redis);
  return redis;
}

describe('token limits on Redis', () => {
  const prefix = freshKeyPrefix();
  let replicaA: Redis;
  let replicaB: Redis;
  const limiter = (redis: Redis): RateLimiter => new RateLimiter({ redis, keyPrefix: prefix, timeoutMs: 5_000 });
  const minuteTokens = async (keyId: string, at = T): Promise<number> =>
    Number(await replicaA.get(tokenCounterKey(prefix, keyId, 'minute', windowAt(at, 60)))) || 0;

  beforeAll(async () => {
    replicaA = client();
    replicaB = client();
    await Promise.all([replicaA.connect(), replicaB.connect()]);
  });

  afterAll(() => {
    for (const redis of clients) redis.disconnect();
  });

  it('admits while tokens are left, takes the whole reservation, and refuses once spent without counting the request', async () => {
    const a = limiter(replicaA);
    const request = { keyId: 'spend', perMinute: 100, perDay: 1000, tokensPerMinute: 1000, tokensPerDay: 5000, reserveTokens: 600 };
    const first = await a.check(request, T);
    expect(first).toMatchObject({
      allowed: true,
      tokens: { minute: { limit: 1000, remaining: 400 }, day: { limit: 5000, remaining: 4400 } },
    });
    expect(first.reservation).toEqual({
      keyId: 'spend',
      tokens: 600,
      minuteStart: windowAt(T, 60).start,
      dayStart: windowAt(T, 86_400).start,
    });
    // 600 < 1000: still room, so the second is admitted and overshoots by (less than) one reservation.
    expect((await a.check(request, T)).tokens?.minute?.remaining).toBe(0);
    const refused = await a.check(request, T);
    expect(refused).toMatchObject({ allowed: false, limitedBy: 'minute', limitedResource: 'tokens', retryAfterSeconds: 50 });
    expect(await minuteTokens('spend')).toBe(1200);
    expect((await a.peek(request, T)).minute.remaining).toBe(98);
  });

  it('settles a reservation to the real usage, which frees the window for the next request', async () => {
    const a = limiter(replicaA);
    const request = { keyId: 'settle', perMinute: 100, perDay: 1000, tokensPerMinute: 1000, reserveTokens: 900 };
    const first = await a.check(request, T);
    expect((await a.check(request, T)).allowed).toBe(true);
    expect((await a.check(request, T)).allowed).toBe(false);
    if (!first.reservation) throw new Error('no reservation');
    expect(await a.settle(first.reservation, 150)).toBe(true);
    expect(await minuteTokens('settle')).toBe(150 + 900);
    expect((await a.check(request, T)).allowed).toBe(false);
    const second = { ...first.reservation };
    expect(await a.settle(second, 0)).toBe(true);
    expect(await minuteTokens('settle')).toBe(150);
    // 150 used, so the next is admitted and reserves its 900 (one reservation over, at most).
    expect((await a.check(request, T)).tokens?.minute?.remaining).toBe(0);
    expect(await minuteTokens('settle')).toBe(150 + 900);
  });

  it('overshoots by at most one reservation under 200 concurrent checks from two replicas', async () => {
    const a = limiter(replicaA);
    const b = limiter(replicaB);
    const request = { keyId: 'race', perMinute: 10_000, perDay: 100_000, tokensPerMinute: 10_000, reserveTokens: 700 };
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).check(request, T)));
    expect(results.filter((r) => r.degraded)).toEqual([]);
    const admitted = results.filter((r) => r.allowed).length;
    expect(admitted).toBe(Math.ceil(10_000 / 700));
    const counted = await minuteTokens('race');
    expect(counted).toBe(admitted * 700);
    expect(counted - 10_000).toBeLessThan(700);
  });

  it('counts tokens per window: a new minute starts from zero while the day keeps its count', async () => {
    const a = limiter(replicaA);
    const request = { keyId: 'roll', perMinute: 100, perDay: 1000, tokensPerMinute: 500, tokensPerDay: 800, reserveTokens: 500 };
    expect((await a.check(request, T)).allowed).toBe(true);
    expect((await a.check(request, T)).allowed).toBe(false);
    const nextMinute = await a.check(request, T + MINUTE);
    expect(nextMinute).toMatchObject({ allowed: true, tokens: { minute: { remaining: 0 }, day: { remaining: 0 } } });
    const dayRefused = await a.check(request, T + 2 * MINUTE);
    expect(dayRefused).toMatchObject({ allowed: false, limitedBy: 'day', limitedResource: 'tokens' });
    const tomorrow = Date.parse('2030-03-05T00:00:01Z');
    expect((await a.check(request, tomorrow)).allowed).toBe(true);
  });

  it('leaves the token keys alone for a tier without token limits', async () => {
    const a = limiter(replicaA);
    const result = await a.check({ keyId: 'requests-only', perMinute: 5, perDay: 10 }, T);
    expect(result.allowed).toBe(true);
    expect(result.tokens).toBeUndefined();
    expect(result.reservation).toBeUndefined();
    expect(await replicaA.keys(`${prefix}ratelimit:{requests-only}:tokens-*`)).toEqual([]);
  });
});
