import { describe, expect, it } from 'vitest';
import { formatDuration, rateLimitHeaders } from './headers.ts';
import { decide, degradedResult } from './result.ts';

const T = Date.parse('2030-03-04T05:06:23.250Z');
const request = { keyId: 'k', perMinute: 10, perDay: 1000 };

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [1, '1s'],
    [37, '37s'],
    [60, '1m0s'],
    [360, '6m0s'],
    [3661, '1h1m1s'],
    [86_399, '23h59m59s'],
    [0.2, '1s'],
  ])('%d s → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('rateLimitHeaders', () => {
  it('uses OpenAI names for the minute window and -Day names for the day window', () => {
    const headers = rateLimitHeaders(decide(request, { allowed: true, minuteCount: 3, dayCount: 40 }, T));
    expect(headers).toEqual({
      'X-RateLimit-Limit-Requests': '10',
      'X-RateLimit-Remaining-Requests': '7',
      'X-RateLimit-Reset-Requests': '37s',
      'X-RateLimit-Limit-Requests-Day': '1000',
      'X-RateLimit-Remaining-Requests-Day': '960',
      'X-RateLimit-Reset-Requests-Day': '18h53m37s',
    });
  });

  it('adds Retry-After (whole seconds) when refused', () => {
    const headers = rateLimitHeaders(decide(request, { allowed: false, minuteCount: 10, dayCount: 40 }, T));
    expect(headers['Retry-After']).toBe('37');
    expect(headers['X-RateLimit-Remaining-Requests']).toBe('0');
  });

  it('sends no made-up counts while degraded', () => {
    expect(rateLimitHeaders(degradedResult(request, T, true, 'timeout'))).toEqual({});
    expect(rateLimitHeaders(degradedResult(request, T, false, 'timeout'))).toEqual({ 'Retry-After': '1' });
  });

  it("adds OpenAI's -Tokens headers for the token windows that have a limit, and only those", () => {
    const now = Date.parse('2030-03-04T05:06:23Z');
    const result = decide(
      { keyId: 'k', perMinute: 10, perDay: 100, tokensPerMinute: 1000, reserveTokens: 300 },
      { allowed: true, minuteCount: 1, dayCount: 1, minuteTokens: 300, dayTokens: 0 },
      now,
    );
    const headers = rateLimitHeaders(result);
    expect(headers).toMatchObject({
      'X-RateLimit-Limit-Tokens': '1000',
      'X-RateLimit-Remaining-Tokens': '700',
      'X-RateLimit-Reset-Tokens': '37s',
    });
    expect(Object.keys(headers).filter((h) => h.endsWith('Tokens-Day'))).toEqual([]);
  });
});
