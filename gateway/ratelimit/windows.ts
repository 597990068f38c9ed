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

/**
 * The Redis key of one key's counter in one window. The `{keyId}` hash tag puts the minute and
 * day counters of a key in the same Redis Cluster slot, which a multi-key script requires.
 */
export function counterKey(prefix: string, keyId: string, window: WindowName, span: WindowSpan): string {
  return `${prefix}ratelimit:{${keyId}}:${window}:${span.start}`;
}

/** The Redis key of one key's token counter in one window; same hash tag as its request counters. */
export function tokenCounterKey(prefix: string, keyId: string, window: WindowName, span: WindowSpan): string {
  return `${prefix}ratelimit:{${keyId}}:tokens-${window}:${span.start}`;
}
