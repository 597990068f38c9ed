// gateway/db/usage-logs.ts against a real PostgreSQL.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type pg from 'pg';
import '../setup/provided.ts';
import { freshDatabase } from '../support/database.ts';
import { migrate } from '../../gateway/db/migrate.ts';
import { createPool } from '../../gateway/db/pool.ts';
import { createUser, deleteUserCascade, getUser } from '../../gateway/db/users.ts';
import {
  deleteUsageOlderThan,
  insertUsageBatch,
  listUsage,
  summarizeUsage,
  usageReport,
  type NewUsageLog,
} from '../../gateway/db/usage-logs.ts';

let pool: pg.Pool;
beforeAll(async () => {
  pool = createPool({ connectionString: await freshDatabase(inject('postgresUrl'), 'db_usage_logs'), max: 6 });
  await migrate(pool, { info: () => undefined, warn: () => undefined });
});
afterAll(async () => {
  await pool.end();
});

function log(userId: string, overrides: Partial<NewUsageLog> = {}): NewUsageLog {
  return {
    requestId: randomUUID(),
    userId,
    inputTokens: 10,
    outputTokens: 5,
    totalTokens: 15,
    costUsd: 0.002,
    model: 'gpt-4o-mini',
    endpoint: '/v1/chat/completions',
    statusCode: 200,
    latencyMs: 120.5,
    ...overrides,
  };
}

describe('usage logs', () => {
  it('writes a batch with every field and reads it back in camelCase', async () => {
    const user = await createUser(pool, 'fields@example.com');
    const at = new Date('2031-05-06T07:08:09.123Z');
    const full = log(user.id, {
      requestId: 'req-full',
      clientRequestId: 'client-full',
      conversationId: 'conv-1',
      timestamp: at,
      retrievalCalls: 2,
      retrievalLatencyMs: 8.5,
      provider: 'openai',
      usageEstimated: true,
      memoryTokens: 4,
    });
    expect(await insertUsageBatch(pool, [full])).toEqual({ inserted: 1, skipped: 0 });
    const [row] = await listUsage(pool, user.id);
    expect(row).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
      requestId: 'req-full',
      clientRequestId: 'client-full',
      userId: user.id,
      conversationId: 'conv-1',
      timestamp: at,
      inputTokens: 10,
      outputTokens: 5,
      totalTokens: 15,
      retrievalCalls: 2,
      retrievalLatencyMs: 8.5,
      costUsd: 0.002,
      model: 'gpt-4o-mini',
      provider: 'openai',
      endpoint: '/v1/chat/completions',
      statusCode: 200,
      latencyMs: 120.5,
      usageEstimated: true,
      memoryTokens: 4,
    });
  });

  it('stores cached input tokens (0 when not given) and reports them per model per UTC day and month', async () => {
    const user = await createUser(pool, 'cached@example.com');
    await insertUsageBatch(pool, [
      log(user.id, { timestamp: new Date('2031-01-31T23:30:00Z'), inputTokens: 100, cachedInputTokens: 60 }),
      log(user.id, { timestamp: new Date('2031-02-01T00:30:00Z'), inputTokens: 100, cachedInputTokens: 25.4 }),
      log(user.id, { timestamp: new Date('2031-02-01T01:30:00Z'), inputTokens: 100 }),
    ]);
    const summary = await summarizeUsage(pool, user.id);
    expect(summary.totals).toMatchObject({ inputTokens: 300, cachedInputTokens: 85 });
    const report = await usageReport(pool, user.id);
    expect(report.daily.map((d) => [d.period, d.requests, d.cachedInputTokens])).toEqual([
      ['2031-02-01', 2, 25],
      ['2031-01-31', 1, 60],
    ]);
    expect(report.monthly.map((d) => [d.period, d.requests, d.cachedInputTokens])).toEqual([
      ['2031-02', 2, 25],
      ['2031-01', 1, 60],
    ]);
    expect(await usageReport(pool, randomUUID())).toEqual({ daily: [], monthly: [] });
  });

  it('fills defaults for optional fields', async () => {
    const user = await createUser(pool, 'defaults@example.com');
    const before = Date.now();
    await insertUsageBatch(pool, [log(user.id)]);
    const [row] = await listUsage(pool, user.id);
    expect(row).toMatchObject({
      conversationId: null,
      clientRequestId: null,
      retrievalCalls: 0,
      retrievalLatencyMs: null,
      provider: null,
      usageEstimated: false,
      memoryTokens: 0,
    });
    expect(row!.timestamp.getTime()).toBeGreaterThanOrEqual(before - 5_000);
  });

  it("inserts a batch retried twice once, and counts it in the user's totals once", async () => {
    const user = await createUser(pool, 'retry@example.com');
    const batch = [
      log(user.id, { totalTokens: 100, costUsd: 0.5 }),
      log(user.id, { totalTokens: 50, costUsd: 0.25 }),
      log(user.id, { totalTokens: 7, costUsd: 0 }),
    ];

    expect(await insertUsageBatch(pool, batch)).toEqual({ inserted: 3, skipped: 0 });
    expect(await insertUsageBatch(pool, batch)).toEqual({ inserted: 0, skipped: 3 });
    expect(await insertUsageBatch(pool, batch)).toEqual({ inserted: 0, skipped: 3 });

    expect(await listUsage(pool, user.id)).toHaveLength(3);
    expect(await getUser(pool, user.id)).toMatchObject({ totalRequests: 3, totalTokens: 157, currentBalanceUsd: 0.75 });
  });

  it('counts only the new rows of a batch that partly landed before', async () => {
    const user = await createUser(pool, 'partial@example.com');
    const landed = log(user.id, { totalTokens: 10 });
    await insertUsageBatch(pool, [landed]);
    const result = await insertUsageBatch(pool, [landed, log(user.id, { totalTokens: 20 }), log(user.id, { totalTokens: 30 })]);
    expect(result).toEqual({ inserted: 2, skipped: 1 });
    expect(await getUser(pool, user.id)).toMatchObject({ totalRequests: 3, totalTokens: 60 });
  });

  it("keeps every row of a caller id reused by the same user and by another: only the gateway's id is unique", async () => {
    const a = await createUser(pool, 'reuse-a@example.com');
    const b = await createUser(pool, 'reuse-b@example.com');
    const shared = { clientRequestId: 'req_reused_0001', totalTokens: 10, costUsd: 0.1 };
    expect(await insertUsageBatch(pool, [log(a.id, shared), log(a.id, shared)])).toEqual({ inserted: 2, skipped: 0 });
    const before = await listUsage(pool, a.id);
    expect(await insertUsageBatch(pool, [log(b.id, shared)])).toEqual({ inserted: 1, skipped: 0 });

    expect((await listUsage(pool, b.id)).map((r) => r.clientRequestId)).toEqual(['req_reused_0001']);
    expect(await listUsage(pool, a.id)).toEqual(before);
    expect(await getUser(pool, a.id)).toMatchObject({ totalRequests: 2, totalTokens: 20 });
    expect(await getUser(pool, b.id)).toMatchObject({ totalRequests: 1, totalTokens: 10 });
  });

  it('stores caller text PostgreSQL refuses as it is (NUL) and bounds its length, instead of failing the batch', async () => {
    const user = await createUser(pool, 'nul-text@example.com');
    const odd = log(user.id, {
      conversationId: 'conv\u0000id',
      model: `model\u0000${'x'.repeat(1000)}`,
      provider: 'open\u0000ai',
      clientRequestId: 'c\u0000',
    });
    expect(await insertUsageBatch(pool, [odd, log(user.id)])).toEqual({ inserted: 2, skipped: 0 });
    const row = (await listUsage(pool, user.id)).find((r) => r.requestId === odd.requestId);
    expect(row).toMatchObject({ conversationId: 'conv\uFFFDid', provider: 'open\uFFFDai', clientRequestId: 'c\uFFFD' });
    expect(row?.model).toHaveLength(256);
    expect(row?.model?.startsWith('model\uFFFDxxx')).toBe(true);
    // The same batch again is still a no-op: the key is untouched by the sanitising.
    expect(await insertUsageBatch(pool, [odd])).toEqual({ inserted: 0, skipped: 1 });
  });

  it('counts a request id repeated inside one batch once', async () => {
    const user = await createUser(pool, 'repeat@example.com');
    const row = log(user.id);
    expect(await insertUsageBatch(pool, [row, row, { ...row, totalTokens: 999 }])).toEqual({ inserted: 1, skipped: 2 });
    expect(await getUser(pool, user.id)).toMatchObject({ totalRequests: 1, totalTokens: 15 });
  });

  it('counts the same batch flushed concurrently by two replicas once', async () => {
    const user = await createUser(pool, 'race@example.com');
    const other = await createUser(pool, 'race-other@example.com');
    const batch = Array.from({ length: 40 }, (_, i) => log(i % 2 === 0 ? user.id : other.id, { totalTokens: 1, costUsd: 0.01 }));
    const reversed = [...batch].reverse();
    const results = await Promise.all([insertUsageBatch(pool, batch), insertUsageBatch(pool, reversed), insertUsageBatch(pool, batch)]);
    expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(40);
    expect(await getUser(pool, user.id)).toMatchObject({ totalRequests: 20, totalTokens: 20 });
    expect(await getUser(pool, other.id)).toMatchObject({ totalRequests: 20, totalTokens: 20 });
  });

  it("updates several users' totals from one batch", async () => {
    const a = await createUser(pool, 'multi-a@example.com');
    const b = await createUser(pool, 'multi-b@example.com');
    await insertUsageBatch(pool, [
      log(a.id, { totalTokens: 1, costUsd: 1 }),
      log(b.id, { totalTokens: 2, costUsd: 2 }),
      log(b.id, { totalTokens: 3, costUsd: 3 }),
    ]);
    expect(await getUser(pool, a.id)).toMatchObject({ totalRequests: 1, totalTokens: 1, currentBalanceUsd: 1 });
    expect(await getUser(pool, b.id)).toMatchObject({ totalRequests: 2, totalTokens: 5, currentBalanceUsd: 5 });
  });

  it('drops rows of users deleted since the request instead of failing the batch', async () => {
    const kept = await createUser(pool, 'kept@example.com');
    const gone = await createUser(pool, 'gone@example.com');
    await deleteUserCascade(pool, gone.id);
    expect(await insertUsageBatch(pool, [log(kept.id), log(gone.id)])).toEqual({ inserted: 1, skipped: 1 });
    expect(await listUsage(pool, gone.id)).toEqual([]);
  });

  it('writes all of a batch or none of it', async () => {
    const user = await createUser(pool, 'atomic@example.com');
    await expect(insertUsageBatch(pool, [log(user.id), log(user.id, { inputTokens: Number.NaN })])).rejects.toThrow();
    expect(await listUsage(pool, user.id)).toEqual([]);
    expect(await getUser(pool, user.id)).toMatchObject({ totalRequests: 0, totalTokens: 0 });
    expect(await insertUsageBatch(pool, [])).toEqual({ inserted: 0, skipped: 0 });
  });

  it("lists a user's usage newest first within a window, up to a limit", async () => {
    const user = await createUser(pool, 'window@example.com');
    const other = await createUser(pool, 'window-other@example.com');
    const day = (d: number): Date => new Date(Date.UTC(2032, 0, d));
    await insertUsageBatch(
      pool,
      [1, 2, 3, 4, 5].map((d) => log(user.id, { requestId: `w-${String(d)}`, timestamp: day(d) })),
    );
    await insertUsageBatch(pool, [log(other.id, { timestamp: day(3) })]);

    const ids = async (options: Parameters<typeof listUsage>[2]): Promise<(string | null)[]> =>
      (await listUsage(pool, user.id, options)).map((r) => r.requestId);
    expect(await ids({})).toEqual(['w-5', 'w-4', 'w-3', 'w-2', 'w-1']);
    expect(await ids({ from: day(2), to: day(4) })).toEqual(['w-3', 'w-2']);
    expect(await ids({ limit: 2 })).toEqual(['w-5', 'w-4']);
    expect(await ids({ limit: 0 })).toEqual(['w-5']);
    expect(await listUsage(pool, 'x')).toEqual([]);
  });

  it("summarizes a user's usage overall and per model", async () => {
    const user = await createUser(pool, 'summary@example.com');
    const day = (d: number): Date => new Date(Date.UTC(2033, 0, d));
    await insertUsageBatch(pool, [
      log(user.id, {
        model: 'cheap',
        inputTokens: 10,
        outputTokens: 1,
        totalTokens: 11,
        costUsd: 0.001,
        retrievalCalls: 1,
        memoryTokens: 3,
        timestamp: day(1),
      }),
      log(user.id, {
        model: 'cheap',
        inputTokens: 20,
        outputTokens: 2,
        totalTokens: 22,
        costUsd: 0.002,
        retrievalCalls: 1,
        memoryTokens: 0,
        timestamp: day(2),
      }),
      log(user.id, { model: 'dear', inputTokens: 100, outputTokens: 50, totalTokens: 150, costUsd: 1.5, timestamp: day(3) }),
    ]);
    const summary = await summarizeUsage(pool, user.id);
    expect(summary.totals).toMatchObject({
      requests: 3,
      inputTokens: 130,
      outputTokens: 53,
      totalTokens: 183,
      retrievalCalls: 2,
      memoryTokens: 3,
    });
    expect(summary.totals.costUsd).toBeCloseTo(1.503, 10);
    expect(summary.byModel.map((m) => [m.model, m.requests, m.totalTokens])).toEqual([
      ['dear', 1, 150],
      ['cheap', 2, 33],
    ]);
    expect(summary.byModel[1]?.costUsd).toBeCloseTo(0.003, 10);

    const windowed = await summarizeUsage(pool, user.id, { from: day(2), to: day(3) });
    expect(windowed.totals.requests).toBe(1);
    expect(windowed.byModel.map((m) => m.model)).toEqual(['cheap']);

    const nothing = await summarizeUsage(pool, randomUUID());
    expect(nothing).toEqual({
      totals: {
        requests: 0,
        inputTokens: 0,
        cachedInputTokens: 0,
        outputTokens: 0,
        totalTokens: 0,
        retrievalCalls: 0,
        memoryTokens: 0,
        costUsd: 0,
      },
      byModel: [],
    });
  });

  it('deletes rows older than the retention in batches and keeps the lifetime totals', async () => {
    const url = await freshDatabase(inject('postgresUrl'), 'db_usage_retention');
    const db = createPool({ connectionString: url, max: 2 });
    try {
      await migrate(db, { info: () => undefined, warn: () => undefined });
      const user = await createUser(db, 'retention@example.com');
      const daysAgo = (d: number): Date => new Date(Date.now() - d * 86_400_000);
      await insertUsageBatch(db, [
        ...Array.from({ length: 25 }, () => log(user.id, { timestamp: daysAgo(40) })),
        ...Array.from({ length: 3 }, () => log(user.id, { timestamp: daysAgo(10) })),
      ]);
      expect(await deleteUsageOlderThan(db, 30, 10)).toBe(25);
      expect(await listUsage(db, user.id)).toHaveLength(3);
      expect(await deleteUsageOlderThan(db, 30)).toBe(0);
      expect((await getUser(db, user.id))?.totalRequests).toBe(28);
      await expect(deleteUsageOlderThan(db, 0)).rejects.toThrow(RangeError);
    } finally {
      await db.end();
    }
  });
});
