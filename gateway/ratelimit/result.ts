// What a rate-limit check tells the caller, computed purely from the script's counts and the
// clock so that window, remaining and retry arithmetic is unit-tested without Redis.
import type { ScriptReply } from './script.ts';
import { secondsUntil, WINDOW_SECONDS, windowAt } from './windows.ts';
import type { WindowName } from './windows.ts';

export interface RateLimitRequest {
  /** Which counter: the api_keys row id or key hash. Never the raw API key (it ends up in Redis). */
  keyId: string;
  perMinute: number;
  perDay: number;
}

export interface WindowState {
  limit: number;
  /** Requests left in this window after this one. Not known while degraded (reported as `limit`). */
  remaining: number;
  /** When this window ends and its count starts from zero, in epoch seconds. */
  reset: number;
  /** Whole seconds from the check until `reset` (at least 1). */
  resetAfterSeconds: number;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Redis could not be asked (error or timeout); `allowed` then follows `onRedisDown`. */
  degraded: boolean;
  degradedReason?: 'timeout' | 'redis_error';
  minute: WindowState;
  day: WindowState;
  /** The exhausted window that is the binding constraint (the later reset if both are). */
  limitedBy?: WindowName;
  /** Set when refused: when a retry can succeed. */
  retryAfterSeconds?: number;
}

function windowState(limit: number, count: number, nowMs: number, name: WindowName): WindowState {
  const { reset } = windowAt(nowMs, WINDOW_SECONDS[name]);
  return { limit, remaining: Math.max(0, limit - count), reset, resetAfterSeconds: secondsUntil(reset, nowMs) };
}

/** The result for a script reply. */
export function decide(request: RateLimitRequest, reply: ScriptReply, nowMs: number): RateLimitResult {
  const minute = windowState(request.perMinute, reply.minuteCount, nowMs, 'minute');
  const day = windowState(request.perDay, reply.dayCount, nowMs, 'day');
  if (reply.allowed) return { allowed: true, degraded: false, minute, day };
  // The day window always resets no earlier than the minute window, so if the day is spent it
  // is the one to wait for, even when the minute is spent too.
  const limitedBy: WindowName = reply.dayCount >= request.perDay ? 'day' : 'minute';
  const binding = limitedBy === 'day' ? day : minute;
  return { allowed: false, degraded: false, minute, day, limitedBy, retryAfterSeconds: binding.resetAfterSeconds };
}

/** The result when Redis could not answer: counts unknown, decision by policy. */
export function degradedResult(
  request: RateLimitRequest,
  nowMs: number,
  allowed: boolean,
  reason: 'timeout' | 'redis_error',
): RateLimitResult {
  const minute = windowState(request.perMinute, 0, nowMs, 'minute');
  const day = windowState(request.perDay, 0, nowMs, 'day');
  return { allowed, degraded: true, degradedReason: reason, minute, day, ...(allowed ? {} : { retryAfterSeconds: 1 }) };
}
