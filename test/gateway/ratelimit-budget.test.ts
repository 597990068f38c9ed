// Money budgets in the rate-limit script against a real Redis, with an injected clock and an
// injected record of spend: a missing counter is rebuilt once (not once per request, and not once
// per replica: SET NX) before anything is decided; a budget admits while money is left and takes
// the whole reservation, so concurrent requests overshoot by at most one; settling replaces the
// reservation by the real cost; the soft threshold fires exactly once per window across replicas;
// windows roll at UTC midnight and at the end of the month.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { freshKeyPrefix } from '../support/database.ts';
import { until } from '../support/eventually.ts';
import { budgetCounterKey, type BudgetCounter } from '../../gateway/budget/keys.ts';
import type { BudgetOwner } from '../../gateway/budget/limits.ts';
import { PendingSpend } from '../../gateway/budget/pending-spend.ts';
import { budgetSpanAt, type BudgetWindow } from '../../gateway/budget/windows.ts';
import { makeAccounting } from '../../gateway/chat/accounting.ts';
import { makeMetrics } from '../../gateway/observability/metrics.ts';
import { RateLimiter } from '../../gateway/ratelimit/rate-limiter.ts';
import type { RateLimitRequest } from '../../gateway/ratelimit/result.ts';
import type { UsageRecord } from '../../gateway/usage/usage-record.ts';

const T = Date.parse('2030-01-31T23:59:50Z');

const clients: Redis[] = [];
function client(): Redis {
  const redis = new Redis(inject('redisUrl'), { lazyConnect: true, enableOfflineQueue: false });
  clients.push(redis);
  return redis;
}

afterAll(() => {
  for (const redis of clients) redis.disconnect();
});

describe('money budgets on Redis', () => {
  const prefix = freshKeyPrefix();
  let replicaA: Redis;
  let replicaB: Redis;
  /** What the database says was spent before Redis knew, in micro-dollars, by counter key. */
  const recorded = new Map<string, number>();
  const rebuilds: BudgetCounter[] = [];
  const spentSince = async (counter: BudgetCounter): Promise<number> => {
    rebuilds.push(counter);
    await new Promise((r) => setTimeout(r, 20)); // a database query takes a while: concurrent checks pile up behind it
    return recorded.get(budgetCounterKey(prefix, counter)) ?? 0;
  };
  const limiter = (redis: Redis): RateLimiter => new RateLimiter({ redis, keyPrefix: prefix, timeoutMs: 5_000, spentSince });
  const request = (userId: string, monthlyUsd: number, reserveMicros: number, dailyUsd?: number): RateLimitRequest => ({
    keyId: `${userId}-key`,
    userId,
    perMinute: 100_000,
    perDay: 100_000,
    budgets: [
      ...(dailyUsd === undefined ? [] : [{ owner: 'user' as const, window: 'day' as const, limitUsd: dailyUsd, softUsd: dailyUsd * 0.8 }]),
      { owner: 'user' as const, window: 'month' as const, limitUsd: monthlyUsd, softUsd: monthlyUsd * 0.8 },
    ],
    reserveMicros,
  });
  const monthKey = (userId: string, at = T): string =>
    budgetCounterKey(prefix, { userId, owner: 'user', window: 'month', span: budgetSpanAt(at, 'month') });

  beforeAll(async () => {
    replicaA = client();
    replicaB = client();
    await Promise.all([replicaA.connect(), replicaB.connect()]);
  });

  it('rebuilds a missing counter from the record once, however many checks and replicas ask at once, before deciding', async () => {
    recorded.set(monthKey('rebuild'), 9_999_000); // $9.999 of a $10 month already spent
    rebuilds.length = 0;
    const [a, b] = [limiter(replicaA), limiter(replicaB)];
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).check(request('rebuild', 10, 2000), T)));
    // One query per replica at most (concurrent checks on a replica share one), and SET NX keeps the first.
    expect(rebuilds.length).toBeLessThanOrEqual(2);
    expect(rebuilds[0]).toMatchObject({ userId: 'rebuild', owner: 'user', window: 'month', span: budgetSpanAt(T, 'month') });
    // $0.001 was left: exactly one request (the one whose check still saw room) was admitted.
    expect(results.filter((r) => r.allowed)).toHaveLength(1);
    expect(results.filter((r) => r.degraded)).toHaveLength(0);
    expect(Number(await replicaA.get(monthKey('rebuild')))).toBe(9_999_000 + 2000);
    // The counter exists now: later checks do not ask the database again.
    await a.check(request('rebuild', 10, 2000), T);
    expect(rebuilds.length).toBeLessThanOrEqual(2);
  });

  it('holds 200 concurrent reservations from two replicas within the budget plus one reservation, then settles to the real cost', async () => {
    const [a, b] = [limiter(replicaA), limiter(replicaB)];
    const reserve = 30_000; // $0.03 each against a $1 month
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? a : b).check(request('race', 1, reserve), T)));
    const admitted = results.filter((r) => r.allowed);
    expect(admitted.length).toBe(Math.ceil(1_000_000 / reserve));
    const counted = Number(await replicaA.get(monthKey('race')));
    expect(counted).toBeLessThan(1_000_000 + reserve);
    const refused = results.find((r) => !r.allowed);
    expect(refused).toMatchObject({ limitedResource: 'budget', exceededBudget: { owner: 'user', window: 'month', limitUsd: 1 } });
    expect(refused?.retryAfterSeconds).toBe(10); // the month ends at midnight, 10 s after T

    // Each request really cost $0.01: settling returns the rest of every reservation.
    await Promise.all(admitted.map((r, i) => (i % 2 ? a : b).settleBudgets(r.budgetReservation ?? { micros: 0, counters: [] }, 10_000, T)));
    expect(Number(await replicaA.get(monthKey('race')))).toBe(admitted.length * 10_000);
    expect((await a.check(request('race', 1, reserve), T)).allowed).toBe(true);
  });

  it('reports the soft threshold once per window across replicas, and again for a new limit', async () => {
    const [a, b] = [limiter(replicaA), limiter(replicaB)];
    const admitted = await Promise.all(Array.from({ length: 10 }, () => a.check(request('soft', 1, 100_000), T)));
    expect(admitted.every((r) => r.allowed)).toBe(true);
    // Ten settles of $0.09 each: the counter passes $0.80 (80%) on the ninth.
    const crossings = await Promise.all(
      admitted.map((r, i) => (i % 2 ? a : b).settleBudgets(r.budgetReservation ?? { micros: 0, counters: [] }, 90_000, T)),
    );
    const fired = crossings.flatMap((c) => c ?? []);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ budget: { limitMicros: 1_000_000, softMicros: 800_000 } });
    expect(fired[0]?.spentMicros).toBeGreaterThanOrEqual(800_000);
    // A raised limit has a threshold of its own.
    const raised = await a.check(request('soft', 1.1, 10_000), T);
    expect(await a.settleBudgets(raised.budgetReservation ?? { micros: 0, counters: [] }, 10_000, T)).toMatchObject([
      { budget: { limitMicros: 1_100_000 } },
    ]);
  });

  it('rolls the day at UTC midnight and the month at month end: the new window starts from the record', async () => {
    const a = limiter(replicaA);
    const spend = request('roll', 10, 3_000_000, 3);
    expect((await a.check(spend, T)).allowed).toBe(true);
    const spentDay = await a.check(spend, T);
    expect(spentDay).toMatchObject({ allowed: false, exceededBudget: { window: 'day' } });
    rebuilds.length = 0;
    // Ten seconds later it is 1 February: a new day and a new month, rebuilt from the record (nothing yet).
    const next = Date.parse('2030-02-01T00:00:00Z');
    const rolled = await a.check(spend, next);
    expect(rolled.allowed).toBe(true);
    expect(rebuilds.map((c) => [c.window, c.span.start])).toEqual([
      ['day', next / 1000],
      ['month', next / 1000],
    ]);
    expect(rolled.budgets?.map((s) => s.spentUsd)).toEqual([3, 3]);
  });

  it('refuses everything on a budget of 0, and a lifetime budget never resets', async () => {
    const a = limiter(replicaA);
    const zero = await a.check({ ...request('zero', 10, 1), budgets: [{ owner: 'key', window: 'day', limitUsd: 0, softUsd: 0 }] }, T);
    expect(zero).toMatchObject({ allowed: false, exceededBudget: { owner: 'key', limitUsd: 0 } });
    const lifetime = {
      ...request('prepaid', 10, 1_000_000),
      budgets: [{ owner: 'user' as const, window: 'lifetime' as const, limitUsd: 1, softUsd: 0.8 }],
    };
    expect((await a.check(lifetime, T)).allowed).toBe(true);
    const spent = await a.check(lifetime, T);
    expect(spent).toMatchObject({ allowed: false, exceededBudget: { window: 'lifetime', reset: null } });
    expect(spent.retryAfterSeconds).toBeUndefined();
    const key = budgetCounterKey(prefix, { userId: 'prepaid', owner: 'user', window: 'lifetime', span: { start: 0, reset: null } });
    expect(await replicaA.pttl(key)).toBe(-1);
  });

  it('counts the check as degraded, by the Redis-down policy, when the record cannot be read', async () => {
    const failing = (policy: 'allow' | 'deny'): RateLimiter =>
      new RateLimiter({
        redis: replicaA,
        keyPrefix: prefix,
        onRedisDown: policy,
        spentSince: () => Promise.reject(new Error('database down')),
      });
    expect(await failing('allow').check(request('no-db', 10, 1), T)).toMatchObject({
      allowed: true,
      degraded: true,
      degradedReason: 'rebuild_failed',
    });
    expect(await failing('deny').check(request('no-db', 10, 1), T)).toMatchObject({ allowed: false, degraded: true });
  });

  it("adds the cost of a fact-extraction row to its user's (and key's) day, month and lifetime counters, unreserved, and the next request sees it", async () => {
    const a = limiter(replicaA);
    const userId = 'facts';
    const keyId = `${userId}-key`;
    const counter = (owner: BudgetOwner, window: BudgetWindow, who = userId): string =>
      budgetCounterKey(prefix, { userId: who, owner, ...(owner === 'key' ? { keyId } : {}), window, span: budgetSpanAt(T, window) });
    const read = async (keys: string[]): Promise<number[]> => (await Promise.all(keys.map((k) => replicaA.get(k)))).map(Number);
    const userCounters = [counter('user', 'day'), counter('user', 'month'), counter('user', 'lifetime')];
    const keyCounters = [counter('key', 'day'), counter('key', 'month'), counter('key', 'lifetime')];
    const check: RateLimitRequest = {
      keyId,
      userId,
      perMinute: 100_000,
      perDay: 100_000,
      budgets: [
        { owner: 'user', window: 'day', limitUsd: 10, softUsd: 8 },
        { owner: 'user', window: 'month', limitUsd: 10, softUsd: 8 },
        { owner: 'user', window: 'lifetime', limitUsd: 1, softUsd: 0.8 },
        { owner: 'key', window: 'day', limitUsd: 5, softUsd: 4 },
        { owner: 'key', window: 'month', limitUsd: 5, softUsd: 4 },
        { owner: 'key', window: 'lifetime', limitUsd: 5, softUsd: 4 },
      ],
      reserveMicros: 100_000,
    };
    // An answer: reserved, then settled to its cost of $0.10 in all six counters.
    const answer = await a.check(check, T);
    expect(answer.allowed).toBe(true);
    await a.settleBudgets(answer.budgetReservation ?? { micros: 0, counters: [] }, 100_000, T);
    expect(await read([...userCounters, ...keyCounters])).toEqual(Array.from({ length: 6 }, () => 100_000));

    // Fact extraction after it, through the accounting as the memory pipeline records it.
    const logged: UsageRecord[] = [];
    const spend = new PendingSpend({ settler: a, onSoftLimit: () => undefined });
    const accounting = makeAccounting({
      metrics: makeMetrics(),
      knownModels: new Set(),
      cost: () => 0,
      record: (row) => logged.push(row),
      prefix: '/v1',
      chargeCost: (row) => {
        spend.charge(row);
      },
    });
    const extraction = (costUsd: number, apiKeyId: string | null, who = userId): UsageRecord => ({
      requestId: `memx_${String(logged.length)}`,
      clientRequestId: null,
      userId: who,
      apiKeyId,
      conversationId: null,
      timestamp: new Date(T),
      inputTokens: 1000,
      outputTokens: 100,
      totalTokens: 1100,
      memoryTokens: 0,
      retrievalCalls: 0,
      retrievalLatencyMs: null,
      costUsd,
      model: 'extractor',
      provider: 'openai',
      endpoint: 'memory.extract',
      statusCode: 200,
      latencyMs: 5,
      usageEstimated: false,
    });
    accounting.unreserved(extraction(0.5, keyId));
    expect(await until(async () => (await read([...userCounters, ...keyCounters])).every((v) => v === 600_000))).toBe(true);
    // A row without a key adds to the user's counters only.
    accounting.unreserved(extraction(0.45, null));
    expect(await until(async () => (await read(userCounters)).every((v) => v === 1_050_000))).toBe(true);
    expect(await read(keyCounters)).toEqual([600_000, 600_000, 600_000]);
    expect(logged.map((r) => r.endpoint)).toEqual(['memory.extract', 'memory.extract']);
    // The lifetime budget of $1 is spent: the next answer is refused (nothing was checked before the extraction).
    expect(await a.check(check, T)).toMatchObject({ allowed: false, exceededBudget: { owner: 'user', window: 'lifetime' } });
    // A user without budgets has no counters, and the extraction's cost creates none.
    accounting.unreserved(extraction(0.5, null, 'no-budgets'));
    await new Promise((r) => setTimeout(r, 100));
    expect(await replicaA.keys(`${prefix}budget:{no-budgets}*`)).toEqual([]);
  });

  it("keeps every key of a request in its user's hash slot (Redis Cluster)", async () => {
    const keys = await replicaA.keys(`${prefix}*{race}*`);
    const slots = new Set(await Promise.all(keys.map((k) => replicaA.call('CLUSTER', 'KEYSLOT', k).catch(() => 'no-cluster'))));
    // Without cluster mode KEYSLOT may be refused; the names then show the shared tag.
    if (slots.has('no-cluster')) expect(keys.every((k) => k.includes('{race}'))).toBe(true);
    else expect(slots.size).toBe(1);
    expect(keys.some((k) => k.includes(':ratelimit:'))).toBe(true);
    expect(keys.some((k) => k.includes(':budget:'))).toBe(true);
  });
});
