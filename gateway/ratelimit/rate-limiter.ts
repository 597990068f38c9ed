// Per-API-key request limits per minute and per day, shared by every gateway replica through
// Redis. Each check is one EVALSHA of one Lua script (see script.ts), so replicas cannot
// over-admit between them and the hot path pays one round trip.
//
// Redis trouble must not become gateway trouble: every check is bounded by a short timeout, and
// when Redis errors or is slow the check returns `degraded: true` and lets the request through
// (`onRedisDown: 'allow'`, the default: an outage of the limiter should not be an outage of the
// API) or refuses it (`'deny'`, for operators who prefer that). The caller counts the metric and
// logs; this module has no logger so that it never decides what is safe to log.
import { budgetCounterKey, softFlagKey, type BudgetCounter } from '../budget/keys.ts';
import { budgetCounters, decide, degradedResult, hasTokenLimits } from './result.ts';
import type { BudgetCounterLimit, BudgetReservation, RateLimitRequest, RateLimitResult, TokenReservation } from './result.ts';
import {
  BUDGET_SETTLE_SCRIPT,
  BUDGET_SETTLE_SCRIPT_SHA,
  parseScriptReply,
  RATE_LIMIT_SCRIPT,
  RATE_LIMIT_SCRIPT_SHA,
  REBUILD_SCRIPT,
  REBUILD_SCRIPT_SHA,
  SETTLE_SCRIPT,
  SETTLE_SCRIPT_SHA,
} from './script.ts';
import type { ScriptReply } from './script.ts';
import { counterKey, tokenCounterKey, WINDOW_SECONDS, windowAt } from './windows.ts';
import type { WindowSpan } from './windows.ts';

/** The two commands the limiter uses; an ioredis `Redis` (or `Cluster`) satisfies it. */
export interface ScriptRedis {
  evalsha(sha: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
}

export interface RateLimiterOptions {
  /**
   * The client. Create it with `enableOfflineQueue: false` so that while Redis is disconnected a
   * command fails at once instead of waiting in ioredis' queue until the timeout below.
   */
  redis: ScriptRedis;
  /** Prefix for every key, e.g. "perpetual:" (tests give each file its own). Default "perpetual:". */
  keyPrefix?: string;
  /** What to do when Redis cannot answer. Default 'allow'. */
  onRedisDown?: 'allow' | 'deny';
  /** Longest a check may wait for Redis before it counts as down. Default 100 ms. */
  timeoutMs?: number;
  /** Milliseconds since the epoch. Default Date.now. */
  clock?: () => number;
  /**
   * The spend so far in a budget's window, in micro-dollars, from the durable record (usage_logs),
   * for a counter Redis does not have: a new window, or a Redis that lost its data. Required when
   * requests carry budgets.
   */
  spentSince?: (counter: BudgetCounter) => Promise<number>;
  /** Longest a rebuild from the database may take before the check counts as degraded. Default 2000 ms. */
  rebuildTimeoutMs?: number;
}

/** A budget whose settle took its spend past the soft threshold first, across every replica. */
export interface SoftCrossing {
  budget: BudgetCounterLimit;
  spentMicros: number;
}

/**
 * Counters live past their window by this much so that a replica whose clock lags a little still
 * finds the previous window's counter instead of a fresh zero. Window keys are distinct, so the
 * extra lifetime never merges windows.
 */
const SKEW_GRACE_MS = 10_000;

class RedisTimeout extends Error {
  constructor(ms: number) {
    super(`Rate-limit check took longer than ${ms} ms`);
    this.name = 'RedisTimeout';
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new RedisTimeout(ms));
    }, ms);
  });
  try {
    // A late reply or error after the timeout is absorbed by race's own handlers.
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

function checkRequest(request: RateLimitRequest): void {
  if (request.keyId === '') throw new TypeError('Rate-limit keyId is empty');
  for (const limit of [
    request.perMinute,
    request.perDay,
    request.tokensPerMinute ?? 0,
    request.tokensPerDay ?? 0,
    request.reserveTokens ?? 0,
    request.reserveMicros ?? 0,
  ]) {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError('Rate limits must be non-negative integers');
  }
  for (const budget of request.budgets ?? []) {
    if (!Number.isFinite(budget.limitUsd) || budget.limitUsd < 0) throw new TypeError('Budgets must be non-negative amounts');
  }
}

function ttlMs(span: WindowSpan, nowMs: number): number {
  return Math.max(1, span.reset * 1000 - nowMs) + SKEW_GRACE_MS;
}

/** A budget counter's TTL in ms; 0 (none) for the lifetime window. */
function budgetTtlMs(counter: BudgetCounter, nowMs: number): number {
  const { reset } = counter.span;
  return reset === null ? 0 : ttlMs({ start: counter.span.start, reset }, nowMs);
}

class RebuildFailed extends Error {
  constructor(cause: unknown) {
    super('Could not rebuild a budget counter from the database', { cause });
    this.name = 'RebuildFailed';
  }
}

export class RateLimiter {
  readonly #redis: ScriptRedis;
  readonly #prefix: string;
  readonly #allowWhenDown: boolean;
  readonly #timeoutMs: number;
  readonly #clock: () => number;
  readonly #spentSince: RateLimiterOptions['spentSince'];
  readonly #rebuildTimeoutMs: number;
  /** Rebuilds in progress on this replica, by counter key: concurrent checks share one database query. */
  readonly #rebuilding = new Map<string, Promise<unknown>>();

  constructor(options: RateLimiterOptions) {
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix ?? 'perpetual:';
    this.#allowWhenDown = (options.onRedisDown ?? 'allow') === 'allow';
    this.#timeoutMs = options.timeoutMs ?? 100;
    this.#clock = options.clock ?? Date.now;
    this.#spentSince = options.spentSince;
    this.#rebuildTimeoutMs = options.rebuildTimeoutMs ?? 2000;
  }

  /** Counts one request if both windows have room. Never throws for Redis trouble (see `degraded`). */
  async check(request: RateLimitRequest, now?: number): Promise<RateLimitResult> {
    return this.run(request, now ?? this.#clock(), true);
  }

  /** The current state without counting anything, e.g. for a "my remaining quota" endpoint. */
  async peek(request: RateLimitRequest, now?: number): Promise<RateLimitResult> {
    return this.run(request, now ?? this.#clock(), false);
  }

  private async run(request: RateLimitRequest, nowMs: number, consume: boolean): Promise<RateLimitResult> {
    checkRequest(request);
    const owner = { keyId: request.keyId, userId: request.userId };
    const minute = windowAt(nowMs, WINDOW_SECONDS.minute);
    const day = windowAt(nowMs, WINDOW_SECONDS.day);
    const keys = [counterKey(this.#prefix, owner, 'minute', minute), counterKey(this.#prefix, owner, 'day', day)];
    const args: (string | number)[] = [request.perMinute, request.perDay, ttlMs(minute, nowMs), ttlMs(day, nowMs), consume ? '1' : '0'];
    // A requests-only check sends exactly what it always did; token limits add their two keys
    // (same hash tag, same Cluster slot) and three arguments to the same round trip, and money
    // budgets their counters after those.
    const budgets = budgetCounters(request, nowMs);
    if (hasTokenLimits(request) || budgets.length > 0) {
      keys.push(tokenCounterKey(this.#prefix, owner, 'minute', minute), tokenCounterKey(this.#prefix, owner, 'day', day));
      args.push(request.tokensPerMinute ?? 0, request.tokensPerDay ?? 0, request.reserveTokens ?? 0);
    }
    if (budgets.length > 0) {
      keys.push(...budgets.map((b) => budgetCounterKey(this.#prefix, b.counter)));
      args.push(budgets.length, request.reserveMicros ?? 0, ...budgets.map((b) => b.limitMicros));
    }
    try {
      return decide(request, await this.ask(keys, args, budgets, nowMs), nowMs, budgets);
    } catch (err) {
      const reason = err instanceof RedisTimeout ? 'timeout' : err instanceof RebuildFailed ? 'rebuild_failed' : 'redis_error';
      return degradedResult(request, nowMs, this.#allowWhenDown, reason);
    }
  }

  /** The script's reply; when a budget counter is missing, rebuilt first and asked once more. */
  private async ask(keys: string[], args: (string | number)[], budgets: BudgetCounterLimit[], nowMs: number): Promise<ScriptReply> {
    const once = async (): Promise<ScriptReply> =>
      parseScriptReply(await withTimeout(this.evaluate(RATE_LIMIT_SCRIPT, RATE_LIMIT_SCRIPT_SHA, keys, args), this.#timeoutMs));
    const reply = await once();
    if (!reply.rebuild) return reply;
    await this.rebuild(budgets, reply.budgetSpent ?? [], nowMs);
    const again = await once();
    // Rebuilt counters vanish only if Redis evicts or loses them again at once.
    if (again.rebuild) throw new Error('Budget counters missing right after their rebuild');
    return again;
  }

  /**
   * Creates the missing budget counters from the database's record of spend, each with SET NX:
   * when several replicas rebuild the same counter at once the first one wins and the others
   * change nothing, so a rebuild happens once per counter, not once per request. On this replica
   * concurrent checks wait for the same query.
   */
  private async rebuild(budgets: BudgetCounterLimit[], spent: number[], nowMs: number): Promise<void> {
    const spentSince = this.#spentSince;
    if (!spentSince) throw new RebuildFailed(new Error('No spentSince: budgets cannot be rebuilt'));
    const missing = budgets.filter((_b, i) => spent[i] === -1);
    await Promise.all(
      missing.map((budget) => {
        const key = budgetCounterKey(this.#prefix, budget.counter);
        const running = this.#rebuilding.get(key);
        if (running) return running;
        const work = (async () => {
          const micros = await withTimeout(spentSince(budget.counter), this.#rebuildTimeoutMs).catch((err: unknown) => {
            throw new RebuildFailed(err);
          });
          await withTimeout(
            this.evaluate(REBUILD_SCRIPT, REBUILD_SCRIPT_SHA, [key], [Math.max(0, Math.round(micros)), budgetTtlMs(budget.counter, nowMs)]),
            this.#timeoutMs,
          );
        })().finally(() => this.#rebuilding.delete(key));
        this.#rebuilding.set(key, work);
        return work;
      }),
    );
  }

  /**
   * Replaces a money reservation by the real cost in the windows it was taken in, and returns the
   * budgets whose soft threshold this settle crossed first (each once per window and limit, across
   * replicas). Undefined when Redis could not be told: the reservation then stays counted until
   * its window ends, which errs on the side of the budget.
   */
  async settleBudgets(reservation: BudgetReservation, costMicros: number, now?: number): Promise<SoftCrossing[] | undefined> {
    const nowMs = now ?? this.#clock();
    const { counters } = reservation;
    const keys = [
      ...counters.map((b) => budgetCounterKey(this.#prefix, b.counter)),
      ...counters.map((b) => softFlagKey(this.#prefix, b.counter, b.limitMicros)),
    ];
    const args = [
      Math.max(0, Math.round(costMicros)) - reservation.micros,
      ...counters.map((b) => b.softMicros),
      ...counters.map((b) => budgetTtlMs(b.counter, nowMs)),
    ];
    try {
      const reply = await withTimeout(this.evaluate(BUDGET_SETTLE_SCRIPT, BUDGET_SETTLE_SCRIPT_SHA, keys, args), this.#timeoutMs);
      if (!Array.isArray(reply) || reply.length !== counters.length * 2) return undefined;
      const values = reply as number[];
      return counters.flatMap((budget, i) => (values[2 * i + 1] === 1 ? [{ budget, spentMicros: values[2 * i] ?? 0 }] : []));
    } catch {
      return undefined;
    }
  }

  /**
   * Replaces a reservation by the tokens really used (prompt + completion), in the windows it was
   * taken in. Returns false when Redis could not be told: the reservation then stays counted
   * until its window ends, which errs on the side of the limit.
   */
  async settle(reservation: TokenReservation, usedTokens: number): Promise<boolean> {
    const delta = Math.max(0, Math.round(usedTokens)) - reservation.tokens;
    if (delta === 0) return true;
    const owner = { keyId: reservation.keyId, userId: reservation.userId };
    const keys = [
      tokenCounterKey(this.#prefix, owner, 'minute', {
        start: reservation.minuteStart,
        reset: reservation.minuteStart + WINDOW_SECONDS.minute,
      }),
      tokenCounterKey(this.#prefix, owner, 'day', { start: reservation.dayStart, reset: reservation.dayStart + WINDOW_SECONDS.day }),
    ];
    try {
      await withTimeout(this.evaluate(SETTLE_SCRIPT, SETTLE_SCRIPT_SHA, keys, [delta]), this.#timeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  /** EVALSHA; on a server that has not cached the script yet (first use, restart, failover), EVAL. */
  private async evaluate(script: string, sha: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await this.#redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return await this.#redis.eval(script, keys.length, ...keys, ...args);
    }
  }
}
