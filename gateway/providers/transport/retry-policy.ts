// When and how long to wait before retrying an upstream call. Retries happen only before the first
// byte of a successful response: once a body is streaming to the client, a retry could duplicate
// output (and cost), so the HTTP layer never calls these functions after that point.
//
// One retry, not more: the client's SDK retries too (the OpenAI and Anthropic SDKs twice by
// default), and retries multiply. With two gateway retries one SDK call against a failing upstream
// made 9 upstream requests. Now the gateway retries once and, having retried, tells the SDK not to
// (`x-should-retry: false`, which both SDKs obey): at most 2 upstream requests per SDK call.

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First backoff ceiling; doubles per attempt. */
  baseMs: number;
  /** Largest backoff ceiling. */
  capMs: number;
  /** A Retry-After longer than this is not waited for: the error goes to the client instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 1, baseMs: 100, capMs: 1_000, maxRetryAfterMs: 2_000 };

/** 429 (rate limited), 502/503/504 (gateway trouble) and Anthropic's 529 (overloaded). */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504, 529]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** "Full jitter" backoff: uniform in [0, min(cap, base·2^attempt)), so retries from many clients spread out. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** Retry-After as milliseconds from now: delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/**
 * How long to wait before retry number `attempt + 1` after a retryable status, or undefined when
 * the response should go to the client as it is (retries used up, or the upstream asked for a
 * longer pause than is worth holding the client for).
 */
export function delayBeforeRetry(
  attempt: number,
  retryAfterMs: number | undefined,
  policy: RetryPolicy,
  random: () => number,
): number | undefined {
  if (attempt >= policy.maxRetries) return undefined;
  if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) return undefined;
  return Math.max(retryAfterMs ?? 0, backoffMs(attempt, policy, random));
}

/**
 * The header that tells OpenAI's and Anthropic's SDKs whether to retry a failed response. The
 * gateway sends `false` once it has retried itself, or when the upstream said not to retry.
 */
export const SHOULD_RETRY_HEADER = 'x-should-retry';
