// The limiter's Redis handling with a scripted fake client; the real-Redis behaviour (atomicity,
// replicas, round trips) is tested in test/gateway/ratelimit-*.test.ts.
import { describe, expect, it, vi } from 'vitest';
import { RateLimiter } from './rate-limiter.ts';
import type { ScriptRedis } from './rate-limiter.ts';
import { RATE_LIMIT_SCRIPT, RATE_LIMIT_SCRIPT_SHA } from './script.ts';

const T = Date.parse('2030-03-04T05:06:23.250Z');
const request = { keyId: 'k1', perMinute: 10, perDay: 1000 };

interface Call {
  command: 'evalsha' | 'eval';
  first: string;
  args: (string | number)[];
}

function fakeRedis(reply: (call: Call) => Promise<unknown>): ScriptRedis & { calls: Call[] } {
  const calls: Call[] = [];
  const record = async (command: Call['command'], first: string, args: (string | number)[]): Promise<unknown> => {
    const call = { command, first, args };
    calls.push(call);
    return reply(call);
  };
  return {
    calls,
    evalsha: (sha, _numkeys, ...args) => record('evalsha', sha, args),
    eval: (script, _numkeys, ...args) => record('eval', script, args),
  };
}

describe('RateLimiter with a fake Redis', () => {
  it('sends one EVALSHA with both window keys, limits, window-aligned TTLs and the consume flag', async () => {
    const redis = fakeRedis(() => Promise.resolve([1, 1, 1]));
    const result = await new RateLimiter({ redis, keyPrefix: 'p:' }).check(request, T);
    expect(result).toMatchObject({ allowed: true, degraded: false, minute: { remaining: 9 } });
    expect(redis.calls).toEqual([
      {
        command: 'evalsha',
        first: RATE_LIMIT_SCRIPT_SHA,
        args: [
          `p:ratelimit:{k1}:minute:${Date.parse('2030-03-04T05:06:00Z') / 1000}`,
          `p:ratelimit:{k1}:day:${Date.parse('2030-03-04T00:00:00Z') / 1000}`,
          10,
          1000,
          36_750 + 10_000, // to the end of the minute, plus the skew grace
          Date.parse('2030-03-05T00:00:00Z') - T + 10_000,
          '1',
        ],
      },
    ]);
  });

  it('peek() does not ask the script to count', async () => {
    const redis = fakeRedis(() => Promise.resolve([1, 4, 4]));
    const result = await new RateLimiter({ redis }).peek(request, T);
    expect(redis.calls[0]?.args.at(-1)).toBe('0');
    expect(result.minute.remaining).toBe(6);
  });

  it('falls back to EVAL when Redis has not cached the script', async () => {
    const redis = fakeRedis((call) =>
      call.command === 'evalsha' ? Promise.reject(new Error('NOSCRIPT No matching script. Please use EVAL.')) : Promise.resolve([1, 1, 1]),
    );
    const result = await new RateLimiter({ redis }).check(request, T);
    expect(result.allowed).toBe(true);
    expect(redis.calls.map((c) => c.command)).toEqual(['evalsha', 'eval']);
    expect(redis.calls[1]?.first).toBe(RATE_LIMIT_SCRIPT);
  });

  it('sends budget counters after the token arguments, rebuilds a missing one from the record, and asks again', async () => {
    const replies = [
      [2, 0, 0, 0, 0, -1, 7],
      [1, 1, 1, 0, 0, 500_001, 7],
    ];
    const redis = fakeRedis((call) => Promise.resolve(call.first === RATE_LIMIT_SCRIPT_SHA ? replies.shift() : 1));
    const spentSince = vi.fn(() => Promise.resolve(500_000));
    const budgets = [
      { owner: 'user' as const, window: 'month' as const, limitUsd: 10, softUsd: 8 },
      { owner: 'key' as const, window: 'day' as const, limitUsd: 1, softUsd: 0.8 },
    ];
    const result = await new RateLimiter({ redis, keyPrefix: 'p:', spentSince }).check(
      { ...request, userId: 'u1', budgets, reserveMicros: 1 },
      T,
    );
    expect(result).toMatchObject({ allowed: true, budgets: [{ spentUsd: 0.500001 }, { spentUsd: 0.000007 }] });
    const month = Date.parse('2030-03-01T00:00:00Z') / 1000;
    const day = Date.parse('2030-03-04T00:00:00Z') / 1000;
    // Only the missing counter (the month's) is rebuilt, from the start of its window.
    expect(spentSince).toHaveBeenCalledTimes(1);
    expect(spentSince).toHaveBeenCalledWith({
      userId: 'u1',
      owner: 'user',
      window: 'month',
      span: { start: month, reset: Date.parse('2030-04-01T00:00:00Z') / 1000 },
    });
    const [check, rebuild, again] = redis.calls;
    expect(check?.args.slice(0, 6)).toEqual([
      `p:ratelimit:{u1}:k1:minute:${Date.parse('2030-03-04T05:06:00Z') / 1000}`,
      `p:ratelimit:{u1}:k1:day:${day}`,
      `p:ratelimit:{u1}:k1:tokens-minute:${Date.parse('2030-03-04T05:06:00Z') / 1000}`,
      `p:ratelimit:{u1}:k1:tokens-day:${day}`,
      `p:budget:{u1}:user:month:${month}`,
      `p:budget:{u1}:key:k1:day:${day}`,
    ]);
    // No token limits (0, 0, 0), two budgets, 1 micro-dollar to reserve, their limits in micro-dollars.
    expect(check?.args.slice(11)).toEqual([0, 0, 0, 2, 1, 10_000_000, 1_000_000]);
    expect(rebuild?.args).toEqual([`p:budget:{u1}:user:month:${month}`, 500_000, Date.parse('2030-04-01T00:00:00Z') - T + 10_000]);
    expect(again?.args).toEqual(check?.args);
  });

  it('uses the injected clock when no time is passed', async () => {
    const redis = fakeRedis(() => Promise.resolve([1, 1, 1]));
    const result = await new RateLimiter({ redis, clock: () => T }).check(request);
    expect(result.minute.resetAfterSeconds).toBe(37);
  });

  it.each([
    ['an error', () => Promise.reject(new Error('ECONNREFUSED')), 'redis_error'],
    ['a malformed reply', () => Promise.resolve('OK'), 'redis_error'],
    ['no reply', () => new Promise<never>(() => undefined), 'timeout'],
  ] as const)('degrades on %s: allow by default, deny on request', async (_label, reply, reason) => {
    const allow = await new RateLimiter({ redis: fakeRedis(reply), timeoutMs: 20 }).check(request, T);
    expect(allow).toMatchObject({ allowed: true, degraded: true, degradedReason: reason });
    const deny = await new RateLimiter({ redis: fakeRedis(reply), timeoutMs: 20, onRedisDown: 'deny' }).check(request, T);
    expect(deny).toMatchObject({ allowed: false, degraded: true, degradedReason: reason });
  });

  it('bounds a hung Redis by the timeout', async () => {
    const limiter = new RateLimiter({ redis: fakeRedis(() => new Promise<never>(() => undefined)), timeoutMs: 30 });
    const started = performance.now();
    await limiter.check(request, T);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('absorbs a Redis error that arrives after the timeout', async () => {
    const limiter = new RateLimiter({
      redis: fakeRedis(
        () =>
          new Promise((_resolve, reject) =>
            setTimeout(() => {
              reject(new Error('late'));
            }, 30),
          ),
      ),
      timeoutMs: 5,
    });
    expect((await limiter.check(request, T)).degradedReason).toBe('timeout');
    await new Promise((resolve) => setTimeout(resolve, 50)); // an unhandled rejection would fail the run
  });

  it.each([
    [{ ...request, keyId: '' }],
    [{ ...request, perMinute: -1 }],
    [{ ...request, perDay: 1.5 }],
    [{ ...request, perDay: Number.POSITIVE_INFINITY }],
    [{ ...request, reserveMicros: -5 }],
    [{ ...request, budgets: [{ owner: 'user' as const, window: 'day' as const, limitUsd: -1, softUsd: 0 }] }],
  ])('rejects a malformed request as a programming error: %o', async (bad) => {
    const limiter = new RateLimiter({ redis: fakeRedis(() => Promise.resolve([1, 1, 1])) });
    await expect(limiter.check(bad, T)).rejects.toThrow(TypeError);
  });
});
