// Brings a database's schema up to date: what `gateway migrate` runs (the operator's migration Job,
// with DATABASE_URL). Safe to run from several replicas or Jobs at once and to run again.
import pg from 'pg';
import { loadMigrations, MIGRATIONS_DIRECTORY, type Migration } from './migration-files.ts';
import { createPool } from './pool.ts';
import { sqlState } from './pg-errors.ts';
import { DatabaseError, scrubError } from './redact.ts';

/** The slice of a pino logger that migrate() uses. */
export interface MigrationLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface MigrateOptions {
  /** Where the NNN-name.sql files are; the ones shipped with this module by default. */
  directory?: URL;
  /**
   * How long to wait for another migrator to finish, and for each table lock a migration takes,
   * before giving up (the Job then retries). Keeps a migration stuck behind a long transaction
   * from queueing every query of the live gateway behind its lock request.
   */
  lockTimeoutMs?: number;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

export interface MigrateResult {
  /** What this call applied, in order; empty when the schema was already current. */
  applied: AppliedMigration[];
  /** The highest version applied to the database now. */
  version: number;
}

/** A refusal to migrate that needs a person: a changed migration, another migrator holding the lock. */
export class MigrationError extends DatabaseError {
  constructor(message: string, code: string) {
    super(message, code);
    this.name = 'MigrationError';
  }
}

// One key for "the schema of this database" (advisory locks are per database). The value is
// arbitrary; it only has to differ from any other advisory lock the database sees.
const LOCK_KEY = '7230145551620489561';

/** Applies every pending migration, each in its own transaction, under an advisory lock. */
export async function migrate(target: pg.Pool | string, log: MigrationLogger, options: MigrateOptions = {}): Promise<MigrateResult> {
  const dsn = typeof target === 'string' ? target : undefined;
  const pool = typeof target === 'string' ? createPool({ connectionString: target, max: 1, applicationName: 'perpetual-migrate' }) : target;
  try {
    const migrations = await loadMigrations(options.directory ?? MIGRATIONS_DIRECTORY);
    return await migrateLocked(pool, migrations, { log, lockTimeoutMs: options.lockTimeoutMs ?? 60_000 });
  } catch (err) {
    // Ours are already scrubbed; anything else (a connection error) may have seen the DSN.
    if (err instanceof DatabaseError) throw err;
    throw scrubError(err, { ...(dsn ? { dsn } : {}), context: 'database migration failed' });
  } finally {
    if (typeof target === 'string') await pool.end();
  }
}

interface RunContext {
  log: MigrationLogger;
  lockTimeoutMs: number;
}

async function migrateLocked(pool: pg.Pool, migrations: Migration[], context: RunContext): Promise<MigrateResult> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    // Migrations may run long (an index on a big table): no statement timeout, but bounded lock waits.
    await client.query(`SET statement_timeout = 0; SET lock_timeout = ${String(Math.max(1, Math.floor(context.lockTimeoutMs)))}`);
    await acquireLock(client, context.lockTimeoutMs);
    return await applyPending(client, migrations, context.log);
  } catch (err) {
    broken = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    // After a failure the connection is destroyed rather than reused: closing it also releases
    // the advisory lock and whatever session state it was left in. A healthy one is unlocked and
    // handed back with the pool's own settings.
    broken ??= await unlockAndReset(client);
    client.release(broken);
  }
}

async function unlockAndReset(client: pg.PoolClient): Promise<Error | undefined> {
  try {
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [LOCK_KEY]);
    await client.query('RESET statement_timeout; RESET lock_timeout');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

async function acquireLock(client: pg.PoolClient, lockTimeoutMs: number): Promise<void> {
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [LOCK_KEY]);
  } catch (err) {
    if (sqlState(err) !== '55P03') throw err;
    throw new MigrationError(
      `another migration has held the schema lock for over ${String(lockTimeoutMs)} ms; it may still be running, retry when it is done`,
      'migration_lock_timeout',
    );
  }
}

async function applyPending(client: pg.PoolClient, migrations: Migration[], log: MigrationLogger): Promise<MigrateResult> {
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INT PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
  )`);
  const { rows } = await client.query<AppliedMigration>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
  verifyApplied(rows, migrations, log);
  const done = new Set(rows.map((row) => row.version));
  const applied: AppliedMigration[] = [];
  for (const migration of migrations.filter((m) => !done.has(m.version))) {
    const started = Date.now();
    await applyOne(client, migration);
    applied.push({ version: migration.version, name: migration.name, checksum: migration.checksum });
    log.info({ version: migration.version, migration: migration.name, ms: Date.now() - started }, 'applied migration');
  }
  const versions = [...done, ...applied.map((m) => m.version)];
  const version = versions.length > 0 ? Math.max(...versions) : 0;
  log.info({ version, applied: applied.length }, 'database schema is up to date');
  return { applied, version };
}

/** Refuses when a migration already applied has changed since; tolerates ones newer than this build. */
function verifyApplied(rows: AppliedMigration[], migrations: Migration[], log: MigrationLogger): void {
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  for (const row of rows) {
    const file = byVersion.get(row.version);
    if (!file) {
      // A newer gateway migrated this database and an older one is running (a rollback): its
      // schema is a superset of what this build knows, so carry on.
      log.warn({ version: row.version, migration: row.name }, 'database has a migration this build does not know');
      continue;
    }
    if (file.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${label(file)} was changed after it was applied (checksum ${row.checksum.slice(0, 12)} in the database, ` +
          `${file.checksum.slice(0, 12)} on disk); restore the original file and put the change in a new migration`,
        'migration_checksum_mismatch',
      );
    }
  }
}

async function applyOne(client: pg.PoolClient, migration: Migration): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(migration.sql);
    await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
      migration.version,
      migration.name,
      migration.checksum,
    ]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw scrubError(err, { context: `migration ${label(migration)} failed and was rolled back` });
  }
}

function label(migration: Migration): string {
  return `${String(migration.version).padStart(3, '0')}-${migration.name}`;
}
