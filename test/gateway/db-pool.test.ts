// gateway/db/pool.ts against a real PostgreSQL.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type pg from 'pg';
import '../setup/provided.ts';
import { freshDatabase } from '../support/database.ts';
import { createPool, withTransaction } from '../../gateway/db/pool.ts';
import { DatabaseError } from '../../gateway/db/redact.ts';

let url: string;
let pool: pg.Pool;
beforeAll(async () => {
  url = await freshDatabase(inject('postgresUrl'), 'db_pool');
  pool = createPool({ connectionString: url, max: 3, statementTimeoutMs: 300, applicationName: 'perpetual-test' });
  await pool.query('CREATE TABLE t (v int)');
});
afterAll(async () => {
  await pool.end();
});

describe('createPool', () => {
  it('takes a CloudNativePG-style app URI, query parameters included, as-is', async () => {
    const cnpg = new URL(url);
    cnpg.searchParams.set('sslmode', 'disable');
    const other = createPool({ connectionString: cnpg.toString() });
    try {
      const { rows } = await other.query<{ app: string }>("SELECT current_setting('application_name') AS app");
      expect(rows[0]?.app).toBe('perpetual-gateway');
    } finally {
      await other.end();
    }
  });

  it('sets the statement timeout, idle-in-transaction timeout and application name', async () => {
    const { rows } = await pool.query<{ st: string; idle: string; app: string }>(
      `SELECT current_setting('statement_timeout') AS st, current_setting('idle_in_transaction_session_timeout') AS idle,
              current_setting('application_name') AS app`,
    );
    expect(rows[0]).toEqual({ st: '300ms', idle: '1min', app: 'perpetual-test' });
    await expect(pool.query('SELECT pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
  });

  it('refuses a malformed or non-postgres DSN without repeating it', () => {
    const secret = 'hunter2-do-not-print';
    for (const dsn of [`postgresql://u:${secret}@[oops/db`, `mysql://u:${secret}@host/db`, `host=x password=${secret}`]) {
      let thrown: unknown;
      try {
        createPool({ connectionString: dsn });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(DatabaseError);
      expect(`${String(thrown)} ${JSON.stringify(thrown)}`).not.toContain(secret);
    }
  });

  it("reports an idle connection's failure through onError, scrubbed, instead of crashing", async () => {
    const errors: DatabaseError[] = [];
    const watched = createPool({ connectionString: url, max: 1, onError: (err) => errors.push(err) });
    try {
      const { rows } = await watched.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await pool.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
      await expect.poll(() => errors.length).toBe(1);
      expect(errors[0]).toBeInstanceOf(DatabaseError);
      expect(errors[0]?.message).toMatch(/^idle database connection failed: /);
      expect(errors[0]?.message).not.toContain(new URL(url).password);
    } finally {
      await watched.end();
    }
  });
});

describe('withTransaction', () => {
  it('commits what the function did when it resolves', async () => {
    const result = await withTransaction(pool, async (client) => {
      await client.query('INSERT INTO t VALUES (1), (2)');
      return 'done';
    });
    expect(result).toBe('done');
    expect((await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM t WHERE v IN (1, 2)')).rows[0]?.n).toBe(2);
  });

  it('rolls back everything and rethrows when the function throws', async () => {
    const failure = new Error('boom');
    await expect(
      withTransaction(pool, async (client) => {
        await client.query('INSERT INTO t VALUES (3)');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect((await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM t WHERE v = 3')).rows[0]?.n).toBe(0);
  });

  it('rolls back after a failed statement and returns a clean client to the pool', async () => {
    await expect(
      withTransaction(pool, async (client) => {
        await client.query('INSERT INTO t VALUES (4)');
        await client.query('SELECT * FROM missing_table');
      }),
    ).rejects.toMatchObject({ code: '42P01' });
    // Every pooled client is usable and outside a transaction.
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM t WHERE v = 4');
        expect(rows[0]?.n).toBe(0);
      }),
    );
  });
});
