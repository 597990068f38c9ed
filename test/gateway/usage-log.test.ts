// The usage log against real PostgreSQL: batches land once each (idempotent on request_id), a row
// the database refuses costs only itself, and a database that stops mid-run loses no usage row
// once it is back. The table mirrors usage_logs (the guide's columns plus migrations 003 and 005); the
// insert stands in for the database layer's insertUsageBatch, with the same ON CONFLICT contract.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { pino } from 'pino';
import '../setup/provided.ts';
import { freshDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startRestartablePostgres, type RestartablePostgres } from '../harness/postgres-restartable.ts';
import { createUsageLog } from '../../gateway/usage/usage-log.ts';
import { migrate } from '../../gateway/db/migrate.ts';
import { insertUsageBatch } from '../../gateway/db/usage-logs.ts';
import { createUser } from '../../gateway/db/users.ts';
import { USAGE_COLUMNS, type UsageRecord } from '../../gateway/usage/usage-record.ts';

// The usage_logs columns without the users foreign key: these tests are about the sink (batching,
// retries, outages), and rows without users keep them short. The migrated schema, foreign key
// included, is exercised with insertUsageBatch further down.
const TABLE = `
  CREATE TABLE usage_logs (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID,
    conversation_id TEXT,
    timestamp TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    input_tokens INT,
    output_tokens INT,
    total_tokens INT,
    retrieval_calls INT DEFAULT 0,
    retrieval_latency_ms FLOAT,
    cost_usd FLOAT,
    model TEXT,
    endpoint TEXT,
    status_code INT,
    latency_ms FLOAT,
    request_id TEXT UNIQUE,
    provider TEXT,
    usage_estimated BOOLEAN DEFAULT false,
    memory_tokens INT DEFAULT 0,
    client_request_id TEXT,
    cached_input_tokens INT,
    api_key_id UUID
  )`;

const FIELDS = Object.keys(USAGE_COLUMNS) as (keyof UsageRecord)[];

/** One multi-row INSERT, a no-op for request ids already stored (a retried batch). */
async function insertUsageRows(pool: pg.Pool, rows: readonly UsageRecord[]): Promise<void> {
  const values: unknown[] = [];
  const tuples = rows.map((row) => `(${FIELDS.map((field) => `$${String(values.push(row[field]))}`).join(', ')})`);
  await pool.query(
    `INSERT INTO usage_logs (${FIELDS.map((f) => USAGE_COLUMNS[f]).join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (request_id) DO NOTHING`,
    values,
  );
}

function record(n: number, overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId: `req-${String(n).padStart(5, '0')}`,
    clientRequestId: n % 4 === 0 ? null : 'caller-chosen-id',
    userId: '6f1c8e0a-1111-4222-8333-444455556666',
    conversationId: n % 3 === 0 ? null : `conv-${String(n % 7)}`,
    timestamp: new Date(Date.UTC(2025, 5, 1, 12, 0, 0, n)),
    inputTokens: 100 + n,
    cachedInputTokens: n % 5,
    outputTokens: 50,
    totalTokens: 150 + n,
    memoryTokens: 20,
    retrievalCalls: 1,
    retrievalLatencyMs: n % 2 === 0 ? 4.5 : null,
    costUsd: 0.000_123,
    model: 'gpt-4o-mini',
    provider: 'openai',
    endpoint: '/v1/chat/completions',
    statusCode: 200,
    latencyMs: 321.5,
    usageEstimated: n % 5 === 0,
    ...overrides,
  };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function quietLogger() {
  const lines: string[] = [];
  return {
    lines,
    logger: pino(
      { level: 'debug' },
      {
        write: (line: string) => {
          lines.push(line);
        },
      },
    ),
  };
}

function newPool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 4, connectionTimeoutMillis: 2000 });
  // Idle clients die with the server; without a listener that error would crash the process.
  pool.on('error', () => undefined);
  return pool;
}

async function storedIds(pool: pg.Pool): Promise<{ ids: string[]; rows: number; distinct: number }> {
  const { rows } = await pool.query<{ request_id: string }>('SELECT request_id FROM usage_logs ORDER BY request_id');
  const ids = rows.map((r) => r.request_id);
  return { ids, rows: ids.length, distinct: new Set(ids).size };
}

describe('usage log on the shared PostgreSQL', () => {
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = newPool(await freshDatabase(inject('postgresUrl'), 'usage_log'));
    await pool.query(TABLE);
  });
  afterAll(async () => {
    await pool.end();
  });

  it('writes every row once, in bounded batches, even when an acknowledgement is lost', async () => {
    const statements: number[] = [];
    let loseAck = true;
    const { logger } = quietLogger();
    const log = createUsageLog({
      logger,
      tuning: { maxBatchSize: 50, flushIntervalMs: 50, initialBackoffMs: 20 },
      insert: async (rows) => {
        statements.push(rows.length);
        await insertUsageRows(pool, rows);
        // The commit happened but the answer never arrived: the sink must retry, harmlessly.
        if (loseAck) {
          loseAck = false;
          throw new Error('Connection terminated unexpectedly');
        }
      },
    });
    for (const n of range(0, 230)) log.add(record(n));
    const result = await log.close({ timeoutMs: 10_000 });

    expect(result.unwritten).toEqual([]);
    expect(result.stats).toMatchObject({ written: 230, rejected: 0, dropped: 0, failedAttempts: 1 });
    expect(Math.max(...statements)).toBeLessThanOrEqual(50);
    const stored = await storedIds(pool);
    expect(stored.rows).toBe(230);
    expect(stored.ids).toEqual(range(0, 230).map((n) => record(n).requestId));

    const { rows } = await pool.query<Record<string, unknown>>("SELECT * FROM usage_logs WHERE request_id = 'req-00010'");
    expect(rows[0]).toMatchObject({
      user_id: '6f1c8e0a-1111-4222-8333-444455556666',
      conversation_id: 'conv-3',
      input_tokens: 110,
      output_tokens: 50,
      total_tokens: 160,
      memory_tokens: 20,
      retrieval_calls: 1,
      retrieval_latency_ms: 4.5,
      cost_usd: 0.000123,
      model: 'gpt-4o-mini',
      provider: 'openai',
      endpoint: '/v1/chat/completions',
      status_code: 200,
      latency_ms: 321.5,
      usage_estimated: true,
    });
    expect((rows[0]?.timestamp as Date).toISOString()).toBe('2025-06-01T12:00:00.010Z');
  });

  it('drops only the row the database refuses, and keeps the rest of its batch', async () => {
    await pool.query('TRUNCATE usage_logs');
    const { logger, lines } = quietLogger();
    const log = createUsageLog({
      logger,
      tuning: { maxBatchSize: 20, flushIntervalMs: 50 },
      insert: (rows) => insertUsageRows(pool, rows),
    });
    for (const n of range(0, 45)) log.add(record(n, n === 7 ? { inputTokens: 3_000_000_000 } : {}));
    const result = await log.close({ timeoutMs: 10_000 });

    expect(result.stats).toMatchObject({ written: 44, rejected: 1, pending: 0 });
    const stored = await storedIds(pool);
    expect(stored.ids).toEqual(
      range(0, 45)
        .filter((n) => n !== 7)
        .map((n) => record(n).requestId),
    );
    expect(lines.some((l) => l.includes('out of range') && l.includes('22003'))).toBe(true);
  });
});

describe('usage log through the database layer (migrations and insertUsageBatch)', () => {
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = newPool(await freshDatabase(inject('postgresUrl'), 'usage_log_db'));
    await migrate(pool, quietLogger().logger);
  });
  afterAll(async () => {
    await pool.end();
  });

  it('stores each record once and adds it to its user once, through a lost acknowledgement', async () => {
    const user = await createUser(pool, 'usage-log@example.com');
    let loseAck = true;
    const log = createUsageLog({
      logger: quietLogger().logger,
      tuning: { maxBatchSize: 25, flushIntervalMs: 50, initialBackoffMs: 20 },
      insert: async (rows) => {
        await insertUsageBatch(pool, rows);
        if (loseAck) {
          loseAck = false;
          throw new Error('Connection terminated unexpectedly');
        }
      },
    });
    for (const n of range(0, 60)) log.add(record(n, { userId: user.id }));
    const result = await log.close({ timeoutMs: 10_000 });

    expect(result.stats).toMatchObject({ written: 60, failedAttempts: 1, rejected: 0 });
    const stored = await storedIds(pool);
    expect(stored.ids).toEqual(range(0, 60).map((n) => record(n).requestId));
    const { rows } = await pool.query<{ total_requests: number; total_tokens: number }>(
      'SELECT total_requests, total_tokens FROM users WHERE id = $1',
      [user.id],
    );
    expect(rows[0]).toEqual({ total_requests: 60, total_tokens: range(0, 60).reduce((sum, n) => sum + 150 + n, 0) });
  });

  it("stores every request whose caller reused an X-Request-Id, its own or another tenant's", async () => {
    const a = await createUser(pool, 'caller-a@example.com');
    const b = await createUser(pool, 'caller-b@example.com');
    const log = createUsageLog({
      logger: quietLogger().logger,
      tuning: { maxBatchSize: 10, flushIntervalMs: 50 },
      insert: async (rows) => {
        await insertUsageBatch(pool, rows);
      },
    });
    // Three requests, one caller id; what tells them apart is the id the gateway made for each.
    log.add(record(1000, { userId: a.id, requestId: randomUUID(), clientRequestId: 'req_shared_0001' }));
    log.add(record(1001, { userId: a.id, requestId: randomUUID(), clientRequestId: 'req_shared_0001' }));
    log.add(record(1002, { userId: b.id, requestId: randomUUID(), clientRequestId: 'req_shared_0001' }));
    const result = await log.close({ timeoutMs: 10_000 });

    expect(result.stats).toMatchObject({ written: 3, rejected: 0 });
    const { rows } = await pool.query<{ user_id: string; n: number }>(
      "SELECT user_id, count(*)::int AS n FROM usage_logs WHERE client_request_id = 'req_shared_0001' GROUP BY user_id ORDER BY n DESC",
    );
    expect(rows).toEqual([
      { user_id: a.id, n: 2 },
      { user_id: b.id, n: 1 },
    ]);
  });

  it('stores a row whose caller-made text PostgreSQL cannot hold as it is (NUL), instead of dropping it', async () => {
    const user = await createUser(pool, 'nul@example.com');
    const requestId = randomUUID();
    const log = createUsageLog({
      logger: quietLogger().logger,
      tuning: { flushIntervalMs: 50 },
      insert: async (rows) => {
        await insertUsageBatch(pool, rows);
      },
    });
    log.add(
      record(2000, { userId: user.id, requestId, conversationId: 'conv\u0000x', model: `m\u0000${'x'.repeat(400)}`, provider: 'p\u0000' }),
    );
    const result = await log.close({ timeoutMs: 10_000 });

    expect(result.stats).toMatchObject({ written: 1, rejected: 0 });
    const { rows } = await pool.query<{ conversation_id: string; model: string; provider: string }>(
      'SELECT conversation_id, model, provider FROM usage_logs WHERE request_id = $1',
      [requestId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ conversation_id: 'conv\uFFFDx', provider: 'p\uFFFD' });
    expect(rows[0]?.model).toHaveLength(256);
  });
});

describe('usage log across a PostgreSQL outage', () => {
  let postgres: RestartablePostgres;
  let pool: pg.Pool;

  beforeAll(async () => {
    postgres = await startRestartablePostgres();
    pool = newPool(postgres.url);
  });
  afterAll(async () => {
    await pool.end();
    await postgres.destroy();
  });

  /**
   * Rows 0-99 flow normally, the server stops (`fast`: an orderly stop after they landed;
   * `immediate`: a crash while they are still being written), rows 100-249 arrive while it is
   * down, it starts again, rows 250-349 follow. Every one of the 350 must be stored exactly once.
   */
  async function outage(mode: 'fast' | 'immediate'): Promise<void> {
    if (!postgres.running) await postgres.start(); // an earlier failure may have left it stopped
    await pool.query('DROP TABLE IF EXISTS usage_logs');
    await pool.query(TABLE);
    const { logger, lines } = quietLogger();
    const log = createUsageLog({
      logger,
      tuning: { maxBatchSize: 20, flushIntervalMs: 50, initialBackoffMs: 50, maxBackoffMs: 400 },
      insert: (rows) => insertUsageRows(pool, rows),
    });

    let stopping: Promise<void> | undefined;
    for (const n of range(0, 250)) {
      log.add(record(n));
      if (n === 99 && mode === 'fast') {
        expect(await log.flush({ timeoutMs: 10_000 })).toBe(true);
        await postgres.stop(mode);
      }
      if (n === 99 && mode === 'immediate') stopping = postgres.stop(mode); // batches still in flight
      if (n % 10 === 0) await pause(10);
    }
    await stopping;
    await eventually(
      () => {
        expect(log.stats().consecutiveFailures).toBeGreaterThanOrEqual(3);
      },
      10_000,
      50,
    );
    expect(log.stats().pending).toBeGreaterThanOrEqual(150);
    const before = log.stats().written;

    // It comes back on the same address; new rows queue behind the old ones.
    await postgres.start();
    for (const n of range(250, 350)) log.add(record(n));
    const result = await log.close({ timeoutMs: 20_000 });

    expect(result.unwritten).toEqual([]);
    expect(result.stats).toMatchObject({ written: 350, dropped: 0, rejected: 0 });
    expect(before).toBeLessThan(350);
    expect(lines.some((l) => l.includes('writing again'))).toBe(true);
    const stored = await storedIds(pool);
    expect(stored.rows).toBe(350);
    expect(stored.distinct).toBe(350);
    expect(stored.ids).toEqual(range(0, 350).map((n) => record(n).requestId));
  }

  it('loses no row when PostgreSQL is stopped mid-run and started again', async () => {
    await outage('fast');
  });

  it('loses no row when PostgreSQL crashes mid-run and recovers', async () => {
    await outage('immediate');
  });
});
