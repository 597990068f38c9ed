// Per-API-key request limits per minute and per day, shared by every gateway replica through
// Redis. Each check is one EVALSHA of one Lua script (see script.ts), so replicas cannot
// over-admit between them and the hot path pays one round trip.
//
// Redis trouble must not become gateway trouble: every check is bounded by a short timeout, and
// when Redis errors or is slow the check returns `degraded: true` and lets the request through
// (`onRedisDown: 'allow'`, the default: an outage of the limiter should not be an outage of the
// API) or refuses it (`'deny'`, for operators who prefer that). The caller counts the metric and
// logs; this module has no logger so that it never decides what is safe to log.
import { decide, degradedResult, hasTokenLimits } from './result.ts';
import type { RateLimitRequest, RateLimitResult, TokenReservation } from './result.ts';
import { parseScriptReply, RATE_LIMIT_SCRIPT, RATE_LIMIT_SCRIPT_SHA, SETTLE_SCRIPT, SETTLE_SCRIPT_SHA } from './script.ts';
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
  ]) {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError('Rate limits must be non-negative integers');
  }
}

function ttlMs(span: WindowSpan, nowMs: number): number {
  return Math.max(1, span.reset * 1000 - nowMs) + SKEW_GRACE_MS;
}

export class RateLimiter {
  readonly #redis: ScriptRedis;
  readonly #prefix: string;
  readonly #allowWhenDown: boolean;
  readonly #timeoutMs: number;
  readonly #clock: () => number;

  constructor(options: RateLimiterOptions) {
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix ?? 'perpetual:';
    this.#allowWhenDown = (options.onRedisDown ?? 'allow') === 'allow';
    this.#timeoutMs = options.timeoutMs ?? 100;
    this.#clock = options.clock ?? Date.now;
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
    const minute = windowAt(nowMs, WINDOW_SECONDS.minute);
    const day = windowAt(nowMs, WINDOW_SECONDS.day);
    const keys = [counterKey(this.#prefix, request.keyId, 'minute', minute), counterKey(this.#prefix, request.keyId, 'day', day)];
    const args: (string | number)[] = [request.perMinute, request.perDay, ttlMs(minute, nowMs), ttlMs(day, nowMs), consume ? '1' : '0'];
    // A requests-only check sends exactly what it always did; token limits add their two keys
    // (same hash tag, same Cluster slot) and three arguments to the same round trip.
    if (hasTokenLimits(request)) {
      keys.push(tokenCounterKey(this.#prefix, request.keyId, 'minute', minute), tokenCounterKey(this.#prefix, request.keyId, 'day', day));
      args.push(request.tokensPerMinute ?? 0, request.tokensPerDay ?? 0, request.reserveTokens ?? 0);
    }
    try {
      const reply = await withTimeout(this.evaluate(RATE_LIMIT_SCRIPT, RATE_LIMIT_SCRIPT_SHA, keys, args), this.#timeoutMs);
      return decide(request, parseScriptReply(reply), nowMs);
    } catch (err) {
      return degradedResult(request, nowMs, this.#allowWhenDown, err instanceof RedisTimeout ? 'timeout' : 'redis_error');
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
    const keys = [
      tokenCounterKey(this.#prefix, reservation.keyId, 'minute', {
        start: reservation.minuteStart,
        reset: reservation.minuteStart + WINDOW_SECONDS.minute,
      }),
      tokenCounterKey(this.#prefix, reservation.keyId, 'day', {
        start: reservation.dayStart,
        reset: reservation.dayStart + WINDOW_SECONDS.day,
      }),
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
