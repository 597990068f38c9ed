// Rate-limit response headers. The minute window uses OpenAI's header names and OpenAI's value
// formats (reset as a duration such as "37s" or "6m0s", not a timestamp), so clients and tools
// that already read OpenAI's headers read ours correctly; the day window, which OpenAI does not
// have, gets the same names with a "-Day" suffix. Token limits, when a tier has them, follow the
// same pattern with OpenAI's "-Tokens" names.
import type { RateLimitResult, WindowState } from './result.ts';

/** Go-style duration as OpenAI prints it: "0s", "37s", "1m0s", "23h59m59s". */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.ceil(totalSeconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

function windowHeaders(
  state: WindowState | undefined,
  suffix: string,
  resource: 'Requests' | 'Tokens' = 'Requests',
): Record<string, string> {
  if (!state) return {};
  return {
    [`X-RateLimit-Limit-${resource}${suffix}`]: String(state.limit),
    [`X-RateLimit-Remaining-${resource}${suffix}`]: String(state.remaining),
    [`X-RateLimit-Reset-${resource}${suffix}`]: formatDuration(state.resetAfterSeconds),
  };
}

/**
 * Headers for any response that went through the limiter. While degraded the counts are
 * unknown, so no X-RateLimit-* headers are sent rather than made-up ones.
 */
export function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  const headers = result.degraded
    ? {}
    : {
        ...windowHeaders(result.minute, ''),
        ...windowHeaders(result.day, '-Day'),
        // Only the token windows that have a limit (OpenAI's X-RateLimit-*-Tokens for the minute).
        ...windowHeaders(result.tokens?.minute, '', 'Tokens'),
        ...windowHeaders(result.tokens?.day, '-Day', 'Tokens'),
      };
  return result.allowed || result.retryAfterSeconds === undefined
    ? headers
    : { ...headers, 'Retry-After': String(result.retryAfterSeconds) };
}
