// gateway/db/migrate.ts against a real PostgreSQL: each test takes an empty database of its own.
import { randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import pino from 'pino';
import '../setup/provided.ts';
import { freshDatabase } from '../support/database.ts';
import { migrate, MigrationError, type MigrationLogger } from '../../gateway/db/migrate.ts';
import { loadMigrations, MIGRATIONS_DIRECTORY } from '../../gateway/db/migration-files.ts';
import { createPool } from '../../gateway/db/pool.ts';
import { insertUsageBatch, listUsage } from '../../gateway/db/usage-logs.ts';
import { createUser } from '../../gateway/db/users.ts';

interface LogLine {
  level: 'info' | 'warn';
  fields: Record<string, unknown>;
  message: string;
}

function recordingLogger(): MigrationLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
  };
}

const pools: pg.Pool[] = [];
const tempDirs: string[] = [];
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function freshPool(label: string): Promise<{ url: string; pool: pg.Pool }> {
  const url = await freshDatabase(inject('postgresUrl'), label);
  const pool = createPool({ connectionString: url, max: 4 });
  pools.push(pool);
  return { url, pool };
}

/** A copy of the shipped migrations that a test may change. */
async function copyOfMigrations(): Promise<URL> {
  const dir = await mkdtemp(join(tmpdir(), 'perpetual-migrations-'));
  tempDirs.push(dir);
  await cp(MIGRATIONS_DIRECTORY, dir, { recursive: true });
  return pathToFileURL(`${dir}/`);
}

describe('migrate', () => {
  it('applies every migration to an empty database, in order, and nothing on a second run', async () => {
    const { pool } = await freshPool('migrate_twice');
    const files = await loadMigrations();
    expect(files.map((m) => m.version)).toEqual([...files.map((m) => m.version)].sort((a, b) => a - b));
    const log = recordingLogger();

    const first = await migrate(pool, log);
    expect(first.applied.map((m) => m.version)).toEqual(files.map((m) => m.version));
    expect(first.version).toBe(files.at(-1)?.version);
    expect(log.lines.filter((l) => l.message === 'applied migration')).toHaveLength(files.length);

    const second = await migrate(pool, log);
    expect(second).toEqual({ applied: [], version: first.version });

    const { rows } = await pool.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    );
    expect(rows).toEqual(files.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })));
  });

  it('runs every migration file again as a no-op (each statement is guarded)', async () => {
    const { pool } = await freshPool('migrate_rerun_sql');
    await migrate(pool, recordingLogger());
    const snapshot = async (): Promise<unknown> =>
      (
        await pool.query(`SELECT
         (SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public') AS columns,
         (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public') AS indexes,
         (SELECT count(*) FROM pg_policies WHERE schemaname = 'public') AS policies,
         (SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public') AS constraints`)
      ).rows;
    const before = await snapshot();
    for (const migration of await loadMigrations()) await pool.query(migration.sql);
    expect(await snapshot()).toEqual(before);
  });

  it('upgrades usage rows written before the gateway made its own request ids, and keeps them working', async () => {
    const { pool } = await freshPool('migrate_client_request_id');
    const directory = await copyOfMigrations();
    await rm(new URL('005-usage-client-request-id.sql', directory));
    await migrate(pool, recordingLogger(), { directory });
    const user = await createUser(pool, 'before-005@example.com');
    // What a gateway before 005 wrote: the caller's X-Request-Id as the row's key.
    const old = {
      requestId: 'req_from_the_caller_0001',
      userId: user.id,
      inputTokens: 1,
      outputTokens: 1,
      totalTokens: 2,
      costUsd: 0.5,
      model: 'm',
      endpoint: '/v1/chat/completions',
      statusCode: 200,
      latencyMs: 1,
    };
    await pool.query(
      'INSERT INTO usage_logs (request_id, user_id, input_tokens, output_tokens, total_tokens, cost_usd, model, endpoint, status_code, latency_ms) VALUES ($1, $2, 1, 1, 2, 0.5, $3, $4, 200, 1)',
      [old.requestId, user.id, old.model, old.endpoint],
    );

    const upgraded = await migrate(pool, recordingLogger());
    expect(upgraded.applied.map((m) => m.name)).toEqual(['usage-client-request-id']);
    expect(await listUsage(pool, user.id)).toEqual([
      expect.objectContaining({ requestId: old.requestId, clientRequestId: null, totalTokens: 2 }),
    ]);
    // A replay of the old row (from the shutdown log) is still a no-op; the same caller id sent
    // again now is a new request with a key of its own.
    expect(await insertUsageBatch(pool, [old])).toEqual({ inserted: 0, skipped: 1 });
    expect(await insertUsageBatch(pool, [{ ...old, requestId: randomUUID(), clientRequestId: old.requestId }])).toEqual({
      inserted: 1,
      skipped: 0,
    });
    const rows = await listUsage(pool, user.id);
    expect(rows.map((r) => [r.requestId === old.requestId, r.clientRequestId]).sort()).toEqual([
      [false, old.requestId],
      [true, null],
    ]);
  });

  it('takes a connection string and ends its own pool', async () => {
    const url = await freshDatabase(inject('postgresUrl'), 'migrate_dsn');
    const result = await migrate(url, recordingLogger());
    expect(result.applied.length).toBeGreaterThan(0);
    expect((await migrate(url, recordingLogger())).applied).toEqual([]);
  });

  it('lets two concurrent runs both succeed and applies each migration once', async () => {
    const { url, pool } = await freshPool('migrate_race');
    const other = createPool({ connectionString: url, max: 2 });
    pools.push(other);
    const [a, b] = await Promise.all([migrate(pool, recordingLogger()), migrate(other, recordingLogger())]);
    const total = (await loadMigrations()).length;
    expect(a.applied.length + b.applied.length).toBe(total);
    expect([a.applied.length, b.applied.length].sort()).toEqual([0, total]);
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
    expect(rows[0]?.n).toBe(total);
  });

  it('refuses to run when an applied migration was changed, and changes nothing', async () => {
    const { pool } = await freshPool('migrate_checksum');
    const directory = await copyOfMigrations();
    await migrate(pool, recordingLogger(), { directory });
    const [firstFile] = (await readdir(directory)).sort();
    await appendFile(new URL(firstFile!, directory), '\n-- edited after release\n');
    await writeFile(new URL('999-later.sql', directory), 'CREATE TABLE should_not_exist (id int);\n');

    const refused = migrate(pool, recordingLogger(), { directory });
    await expect(refused).rejects.toBeInstanceOf(MigrationError);
    await expect(refused).rejects.toMatchObject({
      code: 'migration_checksum_mismatch',
      message: expect.stringMatching(/001-supabase-compat was changed after it was applied/) as unknown,
    });
    const { rows } = await pool.query<{ t: string | null }>("SELECT to_regclass('should_not_exist')::text AS t");
    expect(rows[0]?.t).toBeNull();
  });

  it('does not count a CRLF checkout as a change', async () => {
    const { pool } = await freshPool('migrate_crlf');
    const directory = await copyOfMigrations();
    await migrate(pool, recordingLogger(), { directory });
    for (const migration of await loadMigrations(directory)) {
      const file = (await readdir(directory)).find((f) => f.startsWith(String(migration.version).padStart(3, '0')))!;
      await writeFile(new URL(file, directory), migration.sql.replace(/\n/g, '\r\n'));
    }
    expect((await migrate(pool, recordingLogger(), { directory })).applied).toEqual([]);
  });

  it('rolls back a failing migration whole and records nothing for it', async () => {
    const { pool } = await freshPool('migrate_failure');
    const directory = await copyOfMigrations();
    await writeFile(new URL('900-broken.sql', directory), 'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n');
    await expect(migrate(pool, recordingLogger(), { directory })).rejects.toThrow(
      /migration 900-broken failed and was rolled back: relation "no_such_table" does not exist/,
    );
    const { rows } = await pool.query<{ t: string | null; n: number }>(
      "SELECT to_regclass('half_done')::text AS t, (SELECT count(*)::int FROM schema_migrations) AS n",
    );
    expect(rows[0]).toEqual({ t: null, n: (await loadMigrations()).length });
    // The pool is still usable and the lock was released: the next run proceeds.
    await rm(new URL('900-broken.sql', directory));
    expect((await migrate(pool, recordingLogger(), { directory })).applied).toEqual([]);
  });

  it('gives up with a clear error when another migrator holds the lock too long', async () => {
    const { pool } = await freshPool('migrate_lock');
    await migrate(pool, recordingLogger());
    const holder = await pool.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(7230145551620489561)');
      await expect(migrate(pool, recordingLogger(), { lockTimeoutMs: 200 })).rejects.toMatchObject({ code: 'migration_lock_timeout' });
    } finally {
      await holder.query('SELECT pg_advisory_unlock_all()');
      holder.release();
    }
    expect((await migrate(pool, recordingLogger())).applied).toEqual([]);
  });

  it('warns about, and tolerates, a migration newer than this build (an image rollback)', async () => {
    const { pool } = await freshPool('migrate_newer');
    await migrate(pool, recordingLogger());
    await pool.query("INSERT INTO schema_migrations (version, name, checksum) VALUES (998, 'from-the-future', 'x')");
    const log = recordingLogger();
    expect((await migrate(pool, log)).version).toBe(998);
    expect(log.lines).toContainEqual({
      level: 'warn',
      fields: { version: 998, migration: 'from-the-future' },
      message: 'database has a migration this build does not know',
    });
  });

  it('accepts a pino logger', async () => {
    const { pool } = await freshPool('migrate_pino');
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          lines.push(line);
        },
      },
    );
    await migrate(pool, logger);
    expect(lines.some((line) => line.includes('applied migration'))).toBe(true);
  });

  it('never puts the password of the DSN into an error', async () => {
    const password = 'S3cret-pw-that-must-not-leak';
    const unreachable = `postgresql://app:${password}@127.0.0.1:1/app`;
    const wrongPassword = new URL(inject('postgresUrl'));
    wrongPassword.password = password;
    const malformed = `postgresql://app:${password}@[bad-host/app`;
    for (const dsn of [unreachable, wrongPassword.toString(), malformed]) {
      const error: unknown = await migrate(dsn, recordingLogger()).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(Error);
      const seen = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ''}`;
      expect(seen).not.toContain(password);
      expect(seen).not.toContain(dsn);
    }
  });
});
