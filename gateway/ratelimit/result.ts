// What a rate-limit check tells the caller, computed purely from the script's counts and the
// clock so that window, remaining and retry arithmetic is unit-tested without Redis.
import type { BudgetCounter } from '../budget/keys.ts';
import type { BudgetLimit, BudgetOwner } from '../budget/limits.ts';
import { budgetSpanAt, fromMicros, toMicros, type BudgetWindow } from '../budget/windows.ts';
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
  /** The key's user: the hash tag of every counter, so that the user's budgets fit in the same script. */
  userId?: string;
  /** Money budgets in force (budget/limits.ts), checked in the same round trip; absent or empty: none. */
  budgets?: BudgetLimit[];
  /** Micro-dollars this request reserves against every budget when admitted (settled to the real cost afterwards). */
  reserveMicros?: number;
}

/** One budget counter of a request: what it is, its limit and soft threshold in micro-dollars. */
export interface BudgetCounterLimit {
  counter: BudgetCounter;
  limitMicros: number;
  softMicros: number;
}

/** What a budget-limited check reserved, so the real cost can be settled in the same windows. */
export interface BudgetReservation {
  micros: number;
  counters: BudgetCounterLimit[];
}

/** A budget's state as a check saw it. */
export interface BudgetState {
  owner: BudgetOwner;
  window: BudgetWindow;
  limitUsd: number;
  /** Spent so far in the window, reservations of requests in flight (this one's too, when admitted) included. */
  spentUsd: number;
  /** When the window ends (epoch seconds); null for the lifetime budget, which never resets. */
  reset: number | null;
  /** Whole seconds until `reset`; absent for the lifetime budget. */
  resetAfterSeconds?: number;
}

/** What a token-limited check reserved, so the real usage can be settled in the same windows. */
export interface TokenReservation {
  keyId: string;
  /** The hash tag of the counters, when the check had one (RateLimitRequest.userId). */
  userId?: string;
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
  degradedReason?: 'timeout' | 'redis_error' | 'rebuild_failed';
  minute: WindowState;
  day: WindowState;
  /** Token windows, when the request has token limits; `remaining` is after this reservation. */
  tokens?: TokenWindows;
  /** What was reserved, when the request was admitted with token limits. */
  reservation?: TokenReservation;
  /** The exhausted window that is the binding constraint (the later reset if both are). */
  limitedBy?: WindowName;
  /** Set when tokens or a money budget, not requests, ran out (absent: requests). */
  limitedResource?: 'tokens' | 'budget';
  /** Per budget in force, in the request's order. */
  budgets?: BudgetState[];
  /** What was reserved against the budgets, when admitted with any. */
  budgetReservation?: BudgetReservation;
  /** The exhausted budget when `limitedResource` is 'budget'. */
  exceededBudget?: BudgetState;
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

/** The counters a request's budgets use at `nowMs`, in the request's order; none without budgets. */
export function budgetCounters(request: RateLimitRequest, nowMs: number): BudgetCounterLimit[] {
  const userId = request.userId ?? request.keyId;
  return (request.budgets ?? []).map((budget) => ({
    counter: {
      userId,
      owner: budget.owner,
      ...(budget.owner === 'key' ? { keyId: request.keyId } : {}),
      window: budget.window,
      span: budgetSpanAt(nowMs, budget.window),
    },
    limitMicros: toMicros(budget.limitUsd),
    softMicros: toMicros(budget.softUsd),
  }));
}

function budgetStates(request: RateLimitRequest, counters: BudgetCounterLimit[], reply: ScriptReply, nowMs: number): BudgetState[] {
  return counters.map(({ counter }, i) => {
    const { reset } = counter.span;
    return {
      owner: counter.owner,
      window: counter.window,
      limitUsd: request.budgets?.[i]?.limitUsd ?? 0,
      spentUsd: fromMicros(Math.max(0, reply.budgetSpent?.[i] ?? 0)),
      reset,
      ...(reset === null ? {} : { resetAfterSeconds: secondsUntil(reset, nowMs) }),
    };
  });
}

/** The exhausted budget that frees up last: a lifetime one (never), else the latest reset. */
function bindingBudget(states: BudgetState[]): BudgetState | undefined {
  const over = states.filter((b) => b.spentUsd >= b.limitUsd);
  return over.sort((a, b) => (b.reset ?? Infinity) - (a.reset ?? Infinity))[0];
}

/** What an admitted request reserved: tokens and money, each when it has limits of that kind. */
function reservations(
  request: RateLimitRequest,
  counters: BudgetCounterLimit[],
  nowMs: number,
): Pick<RateLimitResult, 'reservation' | 'budgetReservation'> {
  const tokens = request.reserveTokens ?? 0;
  const micros = request.reserveMicros ?? 0;
  return {
    ...(hasTokenLimits(request) && tokens > 0
      ? {
          reservation: {
            keyId: request.keyId,
            ...(request.userId === undefined ? {} : { userId: request.userId }),
            tokens,
            minuteStart: windowAt(nowMs, WINDOW_SECONDS.minute).start,
            dayStart: windowAt(nowMs, WINDOW_SECONDS.day).start,
          },
        }
      : {}),
    ...(counters.length > 0 && micros > 0 ? { budgetReservation: { micros, counters } } : {}),
  };
}

/** Why a request was refused: the window to wait for and what ran out in it. */
function refusal(
  request: RateLimitRequest,
  reply: ScriptReply,
  windows: { minute: WindowState; day: WindowState; budgets: BudgetState[] | undefined },
): Pick<RateLimitResult, 'limitedBy' | 'limitedResource' | 'exceededBudget' | 'retryAfterSeconds'> {
  // A spent budget outlasts any request or token window (a day at least), so it is the one to name.
  const exceeded = windows.budgets ? bindingBudget(windows.budgets) : undefined;
  if (exceeded) {
    return {
      limitedResource: 'budget',
      exceededBudget: exceeded,
      ...(exceeded.resetAfterSeconds === undefined ? {} : { retryAfterSeconds: exceeded.resetAfterSeconds }),
    };
  }
  const requestsDay = reply.dayCount >= request.perDay;
  const tokensDay = (request.tokensPerDay ?? 0) > 0 && (reply.dayTokens ?? 0) >= (request.tokensPerDay ?? 0);
  const requestsMinute = reply.minuteCount >= request.perMinute;
  // The day window always resets no earlier than the minute window, so if a day is spent it is
  // the one to wait for, even when a minute is spent too.
  const limitedBy: WindowName = requestsDay || tokensDay ? 'day' : 'minute';
  const byTokens = !(limitedBy === 'day' ? requestsDay : requestsMinute);
  const binding = limitedBy === 'day' ? windows.day : windows.minute;
  return { limitedBy, ...(byTokens ? { limitedResource: 'tokens' as const } : {}), retryAfterSeconds: binding.resetAfterSeconds };
}

/**
 * The result for a script reply. `counters`: the request's budget counters at `nowMs`, as the
 * check already built them for the script's keys (computed here when not given).
 */
export function decide(
  request: RateLimitRequest,
  reply: ScriptReply,
  nowMs: number,
  counters: BudgetCounterLimit[] = budgetCounters(request, nowMs),
): RateLimitResult {
  const minute = windowState(request.perMinute, reply.minuteCount, nowMs, 'minute');
  const day = windowState(request.perDay, reply.dayCount, nowMs, 'day');
  const tokens = hasTokenLimits(request) ? { tokens: tokenStates(request, reply, nowMs) } : {};
  const budgets = counters.length > 0 ? budgetStates(request, counters, reply, nowMs) : undefined;
  const seen = { minute, day, ...tokens, ...(budgets ? { budgets } : {}) };
  if (reply.allowed) return { allowed: true, degraded: false, ...seen, ...reservations(request, counters, nowMs) };
  return { allowed: false, degraded: false, ...seen, ...refusal(request, reply, { minute, day, budgets }) };
}

/** The result when Redis could not answer: counts unknown, decision by policy. */
export function degradedResult(
  request: RateLimitRequest,
  nowMs: number,
  allowed: boolean,
  reason: 'timeout' | 'redis_error' | 'rebuild_failed',
): RateLimitResult {
  const minute = windowState(request.perMinute, 0, nowMs, 'minute');
  const day = windowState(request.perDay, 0, nowMs, 'day');
  return { allowed, degraded: true, degradedReason: reason, minute, day, ...(allowed ? {} : { retryAfterSeconds: 1 }) };
}
