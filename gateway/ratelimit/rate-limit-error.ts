// The client-facing errors for a refused check: a 429 that says which limit, for which tier, and
// when to retry; or, when Redis is down and the gateway runs with onRedisDown: 'deny', a 503.
import { GatewayError, unavailable } from '../errors.ts';
import { rateLimitHeaders } from './headers.ts';
import type { RateLimitResult } from './result.ts';

export function rateLimitError(result: RateLimitResult, tier: string): GatewayError {
  if (result.allowed) throw new TypeError('rateLimitError() called for an allowed request');
  const headers = rateLimitHeaders(result);
  if (result.degraded) {
    return unavailable(
      'Rate limiting is unavailable (the gateway cannot reach Redis) and this gateway refuses requests it cannot count. Retry in a few seconds.',
      'rate_limiter_unavailable',
      headers,
    );
  }
  const window = result.limitedBy ?? 'minute';
  const byTokens = result.limitedResource === 'tokens';
  const state = (byTokens ? result.tokens?.[window] : undefined) ?? result[window];
  const retry = result.retryAfterSeconds ?? state.resetAfterSeconds;
  return new GatewayError(
    `Rate limit exceeded: ${state.limit} ${byTokens ? 'tokens' : 'requests'} per ${window} for the ${tier} tier. Retry after ${retry} s, or upgrade your tier.`,
    { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded', headers },
  );
}
