// The usage retention policy and the "keep the books" way of deleting a user, on real PostgreSQL.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '../setup/provided.ts';
import { migrate } from '../../gateway/db/migrate.ts';
import { createPool } from '../../gateway/db/pool.ts';
import { databaseStore } from '../../gateway/db/store.ts';
import { insertResponse } from '../../gateway/db/responses.ts';
import { insertUsageBatch, type NewUsageLog } from '../../gateway/db/usage-logs.ts';
import { createUser } from '../../gateway/db/users.ts';
import { enforceRetention } from '../../gateway/usage/retention.ts';
import { freshDatabase } from '../support/database.ts';

let pool: pg.Pool;
beforeAll(async () => {
  pool = createPool({ connectionString: await freshDatabase(inject('postgresUrl'), 'usage_retention'), max: 4 });
  await migrate(pool, { info: () => undefined, warn: () => undefined });
});
afterAll(async () => {
  await pool.end();
});

function row(userId: string, daysAgo: number): NewUsageLog {
  return {
    requestId: randomUUID(),
    userId,
    timestamp: new Date(Date.now() - daysAgo * 86_400_000),
    inputTokens: 3,
    outputTokens: 4,
    totalTokens: 7,
    costUsd: 0.01,
    model: 'm',
    endpoint: '/v1/chat/completions',
    statusCode: 200,
    latencyMs: 1,
  };
}

async function count(sql: string, params: unknown[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM usage_logs WHERE ${sql}`, params);
  return rows[0]?.n ?? -1;
}

describe('usage retention', () => {
  it('deletes rows and stored responses past the retention period, once, whichever replica gets the lock', async () => {
    const user = await createUser(pool, 'retention@example.com');
    await insertUsageBatch(pool, [row(user.id, 40), row(user.id, 31), row(user.id, 29), row(user.id, 1)]);
    for (const daysAgo of [40, 31, 29, 1]) {
      const id = `resp_${daysAgo}`;
      await insertResponse(pool, {
        id,
        scope: { userId: user.id, endUser: undefined },
        previousResponseId: null,
        inputItems: [],
        response: {},
      });
      await pool.query('UPDATE responses SET created_at = now() - make_interval(days => $2) WHERE id = $1', [id, daysAgo]);
    }
    const runs = await Promise.all([enforceRetention(pool, 30), enforceRetention(pool, 30)]);
    // The one that missed the lock did nothing, or ran after the other and found nothing left.
    const total = (field: 'usageLogs' | 'responses'): number => runs.reduce((sum, run) => sum + (run?.[field] ?? 0), 0);
    expect([total('usageLogs'), total('responses')]).toEqual([2, 2]);
    expect(await count('user_id = $1', [user.id])).toBe(2);
    const { rows } = await pool.query<{ id: string }>('SELECT id FROM responses WHERE user_id = $1 ORDER BY id', [user.id]);
    expect(rows.map((r) => r.id)).toEqual(['resp_1', 'resp_29']);
  });
});

describe('deleting a user', () => {
  const config = {
    tiers: {
      free: { requestsPerMinute: 1, requestsPerDay: 1 },
      pro: { requestsPerMinute: 1, requestsPerDay: 1 },
      enterprise: { requestsPerMinute: 1, requestsPerDay: 1 },
    },
    defaultLimits: { requestsPerMinute: 1, requestsPerDay: 1 },
  };

  it('keeps anonymised usage rows when told to keep the books', async () => {
    const store = databaseStore(pool, { ...config, usage: { retentionDays: undefined, onUserDelete: 'anonymize' } });
    const user = await createUser(pool, 'books@example.com');
    const rows = [{ ...row(user.id, 2), clientRequestId: 'req_books@example.com' }, row(user.id, 1)];
    await insertUsageBatch(pool, rows);
    const deleted = await store.deleteUser(user.id);
    expect(deleted.counts).toMatchObject({ users: 1, usageLogs: 0 });
    expect(await count('user_id = $1', [user.id])).toBe(0);
    expect(
      await count(
        'request_id = ANY($1) AND user_id IS NULL AND conversation_id IS NULL AND client_request_id IS NULL AND total_tokens = 7',
        [rows.map((r) => r.requestId)],
      ),
    ).toBe(2);
  });

  it('deletes usage rows with the user by default', async () => {
    const store = databaseStore(pool, { ...config, usage: { retentionDays: undefined, onUserDelete: 'delete' } });
    const user = await createUser(pool, 'gone@example.com');
    const rows = [row(user.id, 1)];
    await insertUsageBatch(pool, rows);
    expect((await store.deleteUser(user.id)).counts).toMatchObject({ users: 1, usageLogs: 1 });
    expect(await count('request_id = ANY($1)', [rows.map((r) => r.requestId)])).toBe(0);
  });
});
