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
  /** Token limits (prompt + completion); absent: tokens are not limited. */
  tokensPerMinute?: number;
  tokensPerDay?: number;
  /** Tokens this request reserves when admitted (settled to the real usage afterwards). */
  reserveTokens?: number;
}

/** What a token-limited check reserved, so the real usage can be settled in the same windows. */
export interface TokenReservation {
  keyId: string;
  tokens: number;
  minuteStart: number;
  dayStart: number;
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

export interface TokenWindows {
  minute?: WindowState;
  day?: WindowState;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Redis could not be asked (error or timeout); `allowed` then follows `onRedisDown`. */
  degraded: boolean;
  degradedReason?: 'timeout' | 'redis_error';
  minute: WindowState;
  day: WindowState;
  /** Token windows, when the request has token limits; `remaining` is after this reservation. */
  tokens?: TokenWindows;
  /** What was reserved, when the request was admitted with token limits. */
  reservation?: TokenReservation;
  /** The exhausted window that is the binding constraint (the later reset if both are). */
  limitedBy?: WindowName;
  /** Set when tokens, not requests, ran out in `limitedBy` (absent: requests). */
  limitedResource?: 'tokens';
  /** Set when refused: when a retry can succeed. */
  retryAfterSeconds?: number;
}

function windowState(limit: number, count: number, nowMs: number, name: WindowName): WindowState {
  const { reset } = windowAt(nowMs, WINDOW_SECONDS[name]);
  return { limit, remaining: Math.max(0, limit - count), reset, resetAfterSeconds: secondsUntil(reset, nowMs) };
}

/** Tokens are limited in a window when the request names a positive limit for it. */
export function hasTokenLimits(request: RateLimitRequest): boolean {
  return (request.tokensPerMinute ?? 0) > 0 || (request.tokensPerDay ?? 0) > 0;
}

/** The token windows that have a limit; an unlimited one is left out rather than made up. */
function tokenStates(request: RateLimitRequest, reply: ScriptReply, nowMs: number): TokenWindows {
  const { tokensPerMinute, tokensPerDay } = request;
  return {
    ...(tokensPerMinute ? { minute: windowState(tokensPerMinute, reply.minuteTokens ?? 0, nowMs, 'minute') } : {}),
    ...(tokensPerDay ? { day: windowState(tokensPerDay, reply.dayTokens ?? 0, nowMs, 'day') } : {}),
  };
}

/** The result for a script reply. */
export function decide(request: RateLimitRequest, reply: ScriptReply, nowMs: number): RateLimitResult {
  const minute = windowState(request.perMinute, reply.minuteCount, nowMs, 'minute');
  const day = windowState(request.perDay, reply.dayCount, nowMs, 'day');
  const tokens = hasTokenLimits(request) ? { tokens: tokenStates(request, reply, nowMs) } : {};
  if (reply.allowed) {
    const reserved = request.reserveTokens ?? 0;
    const reservation =
      hasTokenLimits(request) && reserved > 0
        ? {
            reservation: {
              keyId: request.keyId,
              tokens: reserved,
              minuteStart: windowAt(nowMs, WINDOW_SECONDS.minute).start,
              dayStart: windowAt(nowMs, WINDOW_SECONDS.day).start,
            },
          }
        : {};
    return { allowed: true, degraded: false, minute, day, ...tokens, ...reservation };
  }
  const requestsDay = reply.dayCount >= request.perDay;
  const tokensDay = (request.tokensPerDay ?? 0) > 0 && (reply.dayTokens ?? 0) >= (request.tokensPerDay ?? 0);
  const requestsMinute = reply.minuteCount >= request.perMinute;
  // The day window always resets no earlier than the minute window, so if a day is spent it is
  // the one to wait for, even when a minute is spent too.
  const limitedBy: WindowName = requestsDay || tokensDay ? 'day' : 'minute';
  const byTokens = !(limitedBy === 'day' ? requestsDay : requestsMinute);
  const binding = limitedBy === 'day' ? day : minute;
  return {
    allowed: false,
    degraded: false,
    minute,
    day,
    ...tokens,
    limitedBy,
    ...(byTokens ? { limitedResource: 'tokens' as const } : {}),
    retryAfterSeconds: binding.resetAfterSeconds,
  };
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
