import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, backoffMs, delayBeforeRetry, isRetryableStatus, parseRetryAfterMs } from './retry-policy.ts';

describe('retry policy', () => {
  it.each([
    [429, true],
    [502, true],
    [503, true],
    [504, true],
    [529, true],
    [400, false],
    [401, false],
    [404, false],
    [500, false],
  ])('status %i retryable: %s', (status, retryable) => {
    expect(isRetryableStatus(status)).toBe(retryable);
  });

  it('backs off with full jitter under a doubling, capped ceiling', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseMs: 100, capMs: 1_000 };
    expect([0, 1, 2, 3, 4].map((n) => backoffMs(n, policy, () => 0.999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffMs(3, policy, () => 0)).toBe(0);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfterMs('2', 0)).toBe(2_000);
    expect(parseRetryAfterMs('Thu, 01 Jan 1970 00:00:05 GMT', 1_000)).toBe(4_000);
    expect(parseRetryAfterMs(undefined, 0)).toBeUndefined();
    expect(parseRetryAfterMs('soon', 0)).toBeUndefined();
  });

  it('stops after maxRetries and when the upstream asks for a long pause', () => {
    const policy = { maxRetries: 2, baseMs: 100, capMs: 1_000, maxRetryAfterMs: 2_000 };
    expect(delayBeforeRetry(0, undefined, policy, () => 0.5)).toBe(50);
    expect(delayBeforeRetry(1, 1_500, policy, () => 0.5)).toBe(1_500);
    expect(delayBeforeRetry(2, undefined, policy, () => 0.5)).toBeUndefined();
    expect(delayBeforeRetry(0, 30_000, policy, () => 0.5)).toBeUndefined();
  });
});
