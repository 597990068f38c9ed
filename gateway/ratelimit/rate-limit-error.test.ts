import { describe, expect, it } from 'vitest';
import { rateLimitError } from './rate-limit-error.ts';
import { decide, degradedResult } from './result.ts';

const T = Date.parse('2030-03-04T05:06:23.250Z');
const request = { keyId: 'k', perMinute: 10, perDay: 1000 };

describe('rateLimitError', () => {
  it('is a 429 naming the limit, the tier and the wait, with the headers', () => {
    const err = rateLimitError(decide(request, { allowed: false, minuteCount: 10, dayCount: 40 }, T), 'free');
    expect(err.status).toBe(429);
    expect(err.toJSON()).toEqual({
      error: {
        message: 'Rate limit exceeded: 10 requests per minute for the free tier. Retry after 37 s, or upgrade your tier.',
        type: 'rate_limit_error',
        param: null,
        code: 'rate_limit_exceeded',
      },
    });
    expect(err.headers).toMatchObject({ 'Retry-After': '37', 'X-RateLimit-Limit-Requests': '10', 'X-RateLimit-Remaining-Requests': '0' });
  });

  it('names the day limit when that is the one spent', () => {
    const err = rateLimitError(decide(request, { allowed: false, minuteCount: 1, dayCount: 1000 }, T), 'pro');
    expect(err.message).toBe('Rate limit exceeded: 1000 requests per day for the pro tier. Retry after 68017 s, or upgrade your tier.');
    expect(err.headers['Retry-After']).toBe('68017');
  });

  it('is a 503 when Redis is down and the policy is deny', () => {
    const err = rateLimitError(degradedResult(request, T, false, 'redis_error'), 'free');
    expect(err.status).toBe(503);
    expect(err.type).toBe('service_unavailable_error');
    expect(err.code).toBe('rate_limiter_unavailable');
    expect(err.headers).toEqual({ 'Retry-After': '1' });
  });

  it('refuses to build an error for an allowed request', () => {
    expect(() => rateLimitError(decide(request, { allowed: true, minuteCount: 1, dayCount: 1 }, T), 'free')).toThrow(TypeError);
  });

  it('names the token limit when tokens ran out', () => {
    const now = Date.parse('2030-03-04T05:06:23Z');
    const result = decide(
      { keyId: 'k', perMinute: 10, perDay: 100, tokensPerDay: 5000 },
      { allowed: false, minuteCount: 1, dayCount: 1, minuteTokens: 0, dayTokens: 5000 },
      now,
    );
    const err = rateLimitError(result, 'free');
    expect(err.status).toBe(429);
    expect(err.message).toMatch(/^Rate limit exceeded: 5000 tokens per day for the free tier\. Retry after \d+ s/);
    expect(err.headers).toMatchObject({ 'X-RateLimit-Remaining-Tokens-Day': '0' });
  });
});
