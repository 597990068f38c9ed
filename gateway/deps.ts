// The composition root: the one place that opens connections and wires the real implementations
// (PostgreSQL, Redis, upstream HTTP, Polar) into the routes, and the one place that closes them.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type pg from 'pg';
import { JwtVerifier } from './auth/jwt.ts';
import { createAccounting } from './chat/accounting-wiring.ts';
import { ConfigError, type GatewayConfig } from './config.ts';
import { KeyRing } from './crypto/key-ring.ts';
import { findActiveKeyByHash, touchLastUsed } from './db/api-keys.ts';
import { createPool } from './db/pool.ts';
import { getEncryptedProviderKey } from './db/provider-keys.ts';
import { scrubError } from './db/redact.ts';
import { databaseStore } from './db/store.ts';
import { closeBuffers } from './close-order.ts';
import { createMemory } from './memory/memory-wiring.ts';
import { startRetention } from './usage/retention.ts';
import { keyLookupFailure } from './keys/database-unavailable.ts';
import { TtlCache } from './keys/ttl-cache.ts';
import { LastUsedTracker } from './keys/last-used.ts';
import { Revocations } from './keys/revocations.ts';
import { requireAdmin, requireApiKey, requireUserJwt, type ApiKeyRecord, type Principal } from './middleware/authenticate.ts';
import { labelledChildren, modelLabel, type GatewayMetrics } from './observability/metrics.ts';
import { tokenClocks } from './observability/token-latency.ts';
import { createProviderFor } from './providers/provider-for.ts';
import { createUpstreamHttp } from './providers/transport/upstream-http.ts';
import { rateLimitError } from './ratelimit/rate-limit-error.ts';
import { rateLimitHeaders } from './ratelimit/headers.ts';
import { RateLimiter } from './ratelimit/rate-limiter.ts';
import { PendingReservations } from './ratelimit/reservations.ts';
import { limitRequest, type LimitedCall } from './ratelimit/token-reservation.ts';
import { budgetExceededError } from './budget/budget-error.ts';
import { createBudgetSpend, spendFromDatabase } from './budget/budget-wiring.ts';
import type { PendingSpend } from './budget/pending-spend.ts';
import { limitedCallRequest, withBudgets } from './budget/reserved-cost.ts';
import { PriceTable } from './usage/pricing.ts';
import { dependencyChecks } from './routes/health-checks.ts';
import { createRouting } from './routing/routing-wiring.ts';
import type { AppDeps } from './server.ts';

export interface Gateway {
  deps: AppDeps;
  /** Work before serving: creating the memory collection (rejects when it cannot be used). */
  start(): Promise<void>;
  /**
   * Shutdown began: requests held for a ModelServer replica get a 503 with Retry-After at once (a
   * retry lands on another gateway replica) instead of waiting out the grace period and being cut off.
   */
  stopHolding(): void;
  /** Flushes what is buffered (usage, billing, last-used) and closes every connection. */
  close(timeoutMs: number): Promise<void>;
}

/** Logs a recurring degradation at most once per interval, so an outage cannot flood the logs. */
function throttled(log: Logger, intervalMs: number): (fields: object, message: string) => void {
  let last = 0;
  return (fields, message) => {
    const now = Date.now();
    if (now - last < intervalMs) return;
    last = now;
    log.warn(fields, message);
  };
}

/**
 * `memoryTokens`: what the memory block may add to a prompt, reserved against token limits too.
 * Money budgets (the principal's, when it has any) are checked in the same round trip, against a
 * reservation priced from the same tokens (budget/reserved-cost.ts).
 */
function rateLimitFor(
  limits: {
    limiter: RateLimiter;
    reservations: PendingReservations;
    memoryTokens: number;
    spend: PendingSpend<Principal>;
    prices: PriceTable;
  },
  metrics: GatewayMetrics,
  log: Logger,
) {
  const { limiter, reservations, memoryTokens, spend, prices } = limits;
  const warn = throttled(log, 10_000);
  return async (principal: Principal, call?: LimitedCall): Promise<Record<string, string>> => {
    // Token limits and money budgets reserve from one estimate of the prompt.
    const result = await limiter.check(limitedCallRequest(prices, principal, call, memoryTokens));
    if (result.reservation) reservations.hold(principal, result.reservation);
    if (result.budgetReservation) spend.hold(principal, result.budgetReservation);
    if (result.degraded) {
      metrics.dependencyDegraded.inc({ dependency: 'redis' });
      warn(
        { reason: result.degradedReason, allowed: result.allowed },
        'Rate limiter cannot reach Redis; applying RATE_LIMIT_ON_REDIS_DOWN',
      );
    }
    if (!result.allowed && result.exceededBudget) {
      metrics.rateLimited.inc({ window: 'budget' });
      metrics.budgetEvents.inc({ event: 'exceeded', window: result.exceededBudget.window });
      throw budgetExceededError(result.exceededBudget);
    }
    if (!result.allowed) {
      metrics.rateLimited.inc({ window: result.limitedBy ?? 'unavailable' });
      throw rateLimitError(result, principal.tier);
    }
    return rateLimitHeaders(result);
  };
}

function activeKeyLoader(pool: pg.Pool, defaults: GatewayConfig['defaultLimits']) {
  return async (hash: string): Promise<ApiKeyRecord | undefined> => {
    const row = await findActiveKeyByHash(pool, hash);
    if (!row) return undefined;
    return {
      id: row.id,
      userId: row.userId,
      tier: row.tier,
      rateLimitPerMinute: row.rateLimitPerMinute ?? defaults.requestsPerMinute,
      rateLimitPerDay: row.rateLimitPerDay ?? defaults.requestsPerDay,
      expiresAt: row.expiresAt?.getTime() ?? null,
      graceUntil: row.graceUntil?.getTime() ?? null,
      scopes: row.scopes,
      userOverrides: row.userOverrides,
      keyOverrides: row.keyOverrides,
    };
  };
}

/** Maintains perpetual_inflight_requests; model names outside the configuration count as "other". */
function inFlightCounter(config: GatewayConfig, metrics: GatewayMetrics): (model: string) => () => void {
  const known = new Set(config.models.map((m) => m.name));
  const gauges = labelledChildren((model) => metrics.inFlight.labels({ model }));
  return (model) => {
    const gauge = gauges(modelLabel(known, model));
    gauge.inc();
    return () => {
      gauge.dec();
    };
  };
}

/** QUIT when connected; when Redis is away, QUIT would wait for it forever, so just drop the socket. */
async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'ready') await client.quit();
  else client.disconnect();
}

/** Provider-key cache entries are keyed "pk:<user>:<provider>"; the value is the Fernet token. */
export function providerCacheKey(userId: string, provider: string): string {
  return `pk:${userId}:${provider}`;
}

export function buildGateway(config: GatewayConfig, log: Logger, metrics: GatewayMetrics, draining: () => boolean): Gateway {
  if (!config.databaseUrl)
    throw new ConfigError('DATABASE_URL is required: a PostgreSQL connection string (the operator sets it from spec.database.secretRef).');
  const keyRing = KeyRing.fromEnv(config.encryptionKeys);
  const pool = createPool({
    connectionString: config.databaseUrl,
    applicationName: 'perpetual-gateway',
    onError: (err) => {
      log.warn({ err: err.message }, 'PostgreSQL connection error');
    },
  });
  // Fail fast when Redis is away: the limiter's own timeout and fail-open policy take over.
  // Both connect in the background and reconnect forever; startup never waits for Redis.
  const redis = new Redis(config.redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const subscriber = new Redis(config.redis.url);
  for (const client of [redis, subscriber]) client.on('error', () => undefined); // reported by health and the limiter

  // While PostgreSQL is down, keys used recently keep working (API_KEY_STALE_MS); counted and logged like Redis's fail-open.
  const warnStale = throttled(log, 10_000);
  const keyCaching = {
    ttlMs: config.limits.keyCacheMs,
    staleMs: config.limits.keyStaleMs,
    onStaleServed: (_key: string, err: unknown) => {
      metrics.dependencyDegraded.inc({ dependency: 'database' });
      warnStale(
        { err: scrubError(err, { dsn: config.databaseUrl }).message },
        'Cannot reach PostgreSQL; serving recently used keys from the cache (API_KEY_STALE_MS)',
      );
    },
  };
  const keyCache = new TtlCache<ApiKeyRecord>({ load: activeKeyLoader(pool, config.defaultLimits), ...keyCaching });
  const providerKeyCache = new TtlCache<string>({
    load: async (key) => {
      const [, userId = '', provider = ''] = key.split(':');
      return (await getEncryptedProviderKey(pool, userId, provider)) ?? undefined;
    },
    ...keyCaching,
  });
  const revocations = new Revocations({
    publisher: redis,
    subscriber,
    caches: [keyCache, providerKeyCache],
    log,
    keyPrefix: config.redis.keyPrefix,
  });
  revocations.start();
  const lastUsed = new LastUsedTracker({
    touch: async (hashes, at) => {
      await touchLastUsed(pool, hashes, at);
    },
    log,
  });
  const limiter = new RateLimiter({
    redis,
    keyPrefix: config.redis.keyPrefix,
    onRedisDown: config.redis.onDown,
    spentSince: spendFromDatabase(pool),
  });
  const spend = createBudgetSpend({ limiter, pool, metrics, log });
  const http = createUpstreamHttp({
    connectTimeoutMs: config.limits.connectTimeoutMs,
    headersTimeoutMs: config.limits.upstreamTimeoutMs,
    bodyTimeoutMs: config.limits.upstreamTimeoutMs,
  });
  const reservations = new PendingReservations(limiter, () => {
    metrics.dependencyDegraded.inc({ dependency: 'redis' });
  });
  const accounting = createAccounting({
    config,
    pool,
    metrics,
    log,
    settleTokens: (principal, used) => {
      reservations.settle(principal, used);
    },
    settleCost: (principal, costUsd) => {
      spend.settle(principal, costUsd);
    },
    chargeCost: (row) => {
      spend.charge(row);
    },
  });
  const providerFor = createProviderFor(http);
  const providerKey = async (userId: string, provider: string): Promise<string | undefined> => {
    const token = await providerKeyCache.get(providerCacheKey(userId, provider)).catch((err: unknown) => {
      throw keyLookupFailure(err, `Cannot load your ${provider} provider key right now`);
    });
    return token === undefined ? undefined : keyRing.decrypt(token);
  };
  const memory = createMemory({
    config,
    providerFor,
    providerKey,
    metrics,
    log,
    recordUsage: (row) => {
      accounting.record(row);
    },
  });
  const routing = createRouting({ config, metrics, log });
  const store = databaseStore(pool, config);
  const stopRetention = config.usage.retentionDays
    ? startRetention({ pool, days: config.usage.retentionDays, log })
    : (): void => undefined;

  const deps: AppDeps = {
    config,
    log,
    metrics,
    startedAt: Date.now(),
    draining,
    healthChecks: dependencyChecks({
      config,
      pool,
      redis,
      ...(memory ? { vectorStore: memory.store } : {}),
      ...(routing ? { modelServers: () => routing.router.snapshots() } : {}),
    }),
    auth: {
      apiKey: requireApiKey({ cache: keyCache, lastUsed, config }),
      userJwt: requireUserJwt(config.jwtSecret ? new JwtVerifier({ secret: config.jwtSecret, audience: config.jwtAudience }) : undefined),
      admin: requireAdmin(config.adminToken),
    },
    // The budgets the check enforces, read without counting (GET /v1/budget).
    budgetStatus: async (principal) => {
      if (!principal.budgets) return [];
      const result = await limiter.peek(withBudgets(limitRequest(principal), principal.budgets, 0));
      return result.degraded ? undefined : (result.budgets ?? []);
    },
    rateLimit: rateLimitFor(
      {
        limiter,
        reservations,
        memoryTokens: config.memory.enabled ? config.memory.tokenBudget : 0,
        spend,
        prices: new PriceTable(config.models),
      },
      metrics,
      log,
    ),
    chat: {
      config,
      providerFor,
      providerKey,
      ...(memory ? { memory: memory.service } : {}),
      accounting: accounting.accounting,
      log,
      inFlight: inFlightCounter(config, metrics),
      holdKeepAliveMs: config.routing.scaleFromZero.keepAliveMs,
      tokenClocks: tokenClocks(metrics, new Set(config.models.map((m) => m.name))),
      ...(routing ? { router: routing.router } : {}),
    },
    store,
    keyRing,
    providerKeyChanged: (userId, provider) => void revocations.invalidate(providerCacheKey(userId, provider)),
    revoked: (hash) => revocations.invalidate(hash),
    ...(memory ? { memory, forgetUser: async (userId: string) => ({ memories: await memory.store.deleteUser(userId) }) } : {}),
  };

  return {
    deps,
    start: async () => {
      await Promise.all([memory?.start(), routing?.start()]);
    },
    stopHolding: () => {
      routing?.stopHolding();
    },
    close: async (timeoutMs) => {
      stopRetention();
      routing?.close();
      memory?.stop();
      // Memory (its fact extraction records usage rows) before the accounting: close-order.ts.
      await closeBuffers({ ...(memory ? { memory: memory.service } : {}), accounting, independent: [() => lastUsed.close()] }, timeoutMs);
      await Promise.allSettled([http.close(), closeRedis(redis), closeRedis(subscriber)]);
      await pool.end();
    },
  };
}
