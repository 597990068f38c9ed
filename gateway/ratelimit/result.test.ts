import { describe, expect, it } from 'vitest';
import { decide, degradedResult } from './result.ts';

const T = Date.parse('2030-03-04T05:06:23.250Z');
const minuteReset = Date.parse('2030-03-04T05:07:00Z') / 1000;
const dayReset = Date.parse('2030-03-05T00:00:00Z') / 1000;
const request = { keyId: 'k', perMinute: 10, perDay: 1000 };

describe('decide', () => {
  it('reports remaining after this request when allowed', () => {
    expect(decide(request, { allowed: true, minuteCount: 3, dayCount: 40 }, T)).toEqual({
      allowed: true,
      degraded: false,
      minute: { limit: 10, remaining: 7, reset: minuteReset, resetAfterSeconds: 37 },
      day: { limit: 1000, remaining: 960, reset: dayReset, resetAfterSeconds: dayReset - Math.floor(T / 1000) },
    });
  });

  it('blames the minute window when only it is spent', () => {
    const result = decide(request, { allowed: false, minuteCount: 10, dayCount: 500 }, T);
    expect(result).toMatchObject({ allowed: false, limitedBy: 'minute', retryAfterSeconds: 37 });
    expect(result.minute.remaining).toBe(0);
    expect(result.day.remaining).toBe(500);
  });

  it('blames the day window when it is spent, even if the minute is too', () => {
    const onlyDay = decide(request, { allowed: false, minuteCount: 2, dayCount: 1000 }, T);
    const both = decide(request, { allowed: false, minuteCount: 10, dayCount: 1000 }, T);
    for (const result of [onlyDay, both]) {
      expect(result).toMatchObject({ limitedBy: 'day', retryAfterSeconds: dayReset - Math.floor(T / 1000) });
    }
  });

  it('handles a zero limit as "always refused"', () => {
    expect(decide({ keyId: 'k', perMinute: 0, perDay: 5 }, { allowed: false, minuteCount: 0, dayCount: 0 }, T)).toMatchObject({
      limitedBy: 'minute',
      minute: { remaining: 0 },
    });
  });
});

describe('decide with money budgets', () => {
  const monthStart = Date.parse('2030-03-01T00:00:00Z') / 1000;
  const monthReset = Date.parse('2030-04-01T00:00:00Z') / 1000;
  const budgeted = {
    ...request,
    userId: 'u',
    budgets: [
      { owner: 'user' as const, window: 'month' as const, limitUsd: 10, softUsd: 8 },
      { owner: 'key' as const, window: 'day' as const, limitUsd: 1, softUsd: 0.8 },
    ],
    reserveMicros: 2500,
  };

  it('reports each budget and holds the reservation against the windows it was taken in', () => {
    const result = decide(budgeted, { allowed: true, minuteCount: 1, dayCount: 1, budgetSpent: [2_000_000, 500_000] }, T);
    expect(result.budgets).toEqual([
      {
        owner: 'user',
        window: 'month',
        limitUsd: 10,
        spentUsd: 2,
        reset: monthReset,
        resetAfterSeconds: monthReset - Math.floor(T / 1000),
      },
      { owner: 'key', window: 'day', limitUsd: 1, spentUsd: 0.5, reset: dayReset, resetAfterSeconds: dayReset - Math.floor(T / 1000) },
    ]);
    expect(result.budgetReservation).toEqual({
      micros: 2500,
      counters: [
        {
          counter: { userId: 'u', owner: 'user', window: 'month', span: { start: monthStart, reset: monthReset } },
          limitMicros: 10_000_000,
          softMicros: 8_000_000,
        },
        {
          counter: { userId: 'u', owner: 'key', keyId: 'k', window: 'day', span: { start: dayReset - 86_400, reset: dayReset } },
          limitMicros: 1_000_000,
          softMicros: 800_000,
        },
      ],
    });
  });

  it('names the spent budget that frees up last, over any request window, and waits for its reset', () => {
    const result = decide(budgeted, { allowed: false, minuteCount: 10, dayCount: 1, budgetSpent: [10_000_001, 1_000_000] }, T);
    expect(result).toMatchObject({
      allowed: false,
      limitedResource: 'budget',
      exceededBudget: { owner: 'user', window: 'month', spentUsd: 10.000001 },
      retryAfterSeconds: monthReset - Math.floor(T / 1000),
    });
    expect(result.limitedBy).toBeUndefined();
    expect(result.budgetReservation).toBeUndefined();
  });

  it('blames the request window when no budget is spent', () => {
    const result = decide(budgeted, { allowed: false, minuteCount: 10, dayCount: 1, budgetSpent: [0, 0] }, T);
    expect(result).toMatchObject({ limitedBy: 'minute', retryAfterSeconds: 37 });
    expect(result.exceededBudget).toBeUndefined();
  });
});

describe('degradedResult', () => {
  it('allows or refuses by policy and says why', () => {
    expect(degradedResult(request, T, true, 'timeout')).toMatchObject({ allowed: true, degraded: true, degradedReason: 'timeout' });
    const denied = degradedResult(request, T, false, 'redis_error');
    expect(denied).toMatchObject({ allowed: false, degraded: true, degradedReason: 'redis_error', retryAfterSeconds: 1 });
    expect(denied.limitedBy).toBeUndefined();
  });
});
