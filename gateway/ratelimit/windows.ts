// Fixed rate-limit windows, aligned to the epoch: minute windows start at :00 seconds, day
// windows at 00:00 UTC. Alignment means every replica derives the same window (and the same
// Redis key) from its own clock with no coordination, the reset time is one number a client can
// show, and a window-aligned TTL cleans the counter up. A fixed window lets a client burst up to
// 2× the limit across a boundary; the guide's "N per minute / per day" quotas are accounting
// limits rather than smoothing, so that trade is taken for an O(1), one-key-per-window counter
// that is easy to explain in a 429 message.

export type WindowName = 'minute' | 'day';

export const WINDOW_SECONDS: Readonly<Record<WindowName, number>> = { minute: 60, day: 86_400 };

/** One window instance: [start, reset) in epoch seconds. */
export interface WindowSpan {
  start: number;
  reset: number;
}

/** The window of the given length that contains `nowMs` (milliseconds since the epoch). */
export function windowAt(nowMs: number, lengthSeconds: number): WindowSpan {
  const start = Math.floor(nowMs / 1000 / lengthSeconds) * lengthSeconds;
  return { start, reset: start + lengthSeconds };
}

/** Whole seconds until `reset`, rounded up so "Retry after N s" is never early; at least 1. */
export function secondsUntil(reset: number, nowMs: number): number {
  return Math.max(1, Math.ceil((reset * 1000 - nowMs) / 1000));
}

/** Whose counters: an API key (or a user without one), and the user it belongs to when known. */
export type CounterOwner = string | { keyId: string; userId?: string | undefined };

/**
 * `{keyId}`, or `{userId}:keyId` when the key's user is known. The part in braces is the Redis
 * Cluster hash tag, and a multi-key script needs all its keys in one slot: the user's, so that a
 * key's counters and its user's money budgets (budget/keys.ts) are checked in the same script.
 */
function tagged(owner: CounterOwner): string {
  const { keyId, userId } = typeof owner === 'string' ? { keyId: owner, userId: undefined } : owner;
  return userId === undefined || userId === keyId ? `{${keyId}}` : `{${userId}}:${keyId}`;
}

/** The Redis key of one key's request counter in one window. */
export function counterKey(prefix: string, owner: CounterOwner, window: WindowName, span: WindowSpan): string {
  return `${prefix}ratelimit:${tagged(owner)}:${window}:${span.start}`;
}

/** The Redis key of one key's token counter in one window; same hash tag as its request counters. */
export function tokenCounterKey(prefix: string, owner: CounterOwner, window: WindowName, span: WindowSpan): string {
  return `${prefix}ratelimit:${tagged(owner)}:tokens-${window}:${span.start}`;
}
