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

describe('degradedResult', () => {
  it('allows or refuses by policy and says why', () => {
    expect(degradedResult(request, T, true, 'timeout')).toMatchObject({ allowed: true, degraded: true, degradedReason: 'timeout' });
    const denied = degradedResult(request, T, false, 'redis_error');
    expect(denied).toMatchObject({ allowed: false, degraded: true, degradedReason: 'redis_error', retryAfterSeconds: 1 });
    expect(denied.limitedBy).toBeUndefined();
  });
});
