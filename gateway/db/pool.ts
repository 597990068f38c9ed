// One pg.Pool per process, built from a DSN: DATABASE_URL, or the `uri` key of a CloudNativePG
// `<cluster>-app` Secret, which is an ordinary postgresql:// URI and is taken as-is.
import pg from 'pg';
import { DatabaseError, scrubError } from './redact.ts';

/** Anything that runs a query: the pool itself, or one client checked out of it (a transaction). */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface PoolOptions {
  /** postgresql://user:password@host:port/database[?sslmode=...]. Never logged. */
  connectionString: string;
  /** Connections per process. Several gateway replicas share the server's max_connections. */
  max?: number;
  /** Server-side limit per statement, so a stuck query cannot hold a connection forever. */
  statementTimeoutMs?: number;
  /** How long a checkout waits for a free connection or a new one before failing. */
  connectionTimeoutMs?: number;
  /** Reported in pg_stat_activity, so a DBA can see who holds a connection. */
  applicationName?: string;
  /** Errors of idle connections (server restart, failover). Already scrubbed of secrets. */
  onError?: (err: DatabaseError) => void;
}

const DEFAULTS = {
  max: 10,
  statementTimeoutMs: 15_000,
  connectionTimeoutMs: 5_000,
  applicationName: 'perpetual-gateway',
} as const;

/** A pool with bounded size, timeouts and a scrubbed error handler (an unhandled one would crash). */
export function createPool(options: PoolOptions): pg.Pool {
  assertPostgresUrl(options.connectionString);
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? DEFAULTS.max,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? DEFAULTS.connectionTimeoutMs,
    idleTimeoutMillis: 30_000,
    // Recycle connections now and then, so that after a CloudNativePG switchover or a DNS change
    // the pool ends up on the current primary without a restart.
    maxLifetimeSeconds: 1_800,
    keepAlive: true,
    statement_timeout: options.statementTimeoutMs ?? DEFAULTS.statementTimeoutMs,
    // A transaction left open by a bug would keep row locks and block vacuum.
    idle_in_transaction_session_timeout: 60_000,
    application_name: options.applicationName ?? DEFAULTS.applicationName,
  });
  const onError = options.onError ?? (() => undefined);
  pool.on('error', (err) => {
    onError(scrubError(err, { dsn: options.connectionString, context: 'idle database connection failed' }));
  });
  return pool;
}

/** Fails early, and without echoing the string, when the DSN is not a postgres URI. */
function assertPostgresUrl(dsn: string): void {
  let protocol: string;
  try {
    protocol = new URL(dsn).protocol;
  } catch {
    throw new DatabaseError('the database URL is not a valid URI (expected postgresql://user:password@host:port/database)');
  }
  if (protocol !== 'postgresql:' && protocol !== 'postgres:') {
    throw new DatabaseError(`the database URL has scheme "${protocol}", expected postgresql:// or postgres://`);
  }
}

/**
 * Runs `fn` in one transaction on one client: COMMIT when it resolves, ROLLBACK when it throws.
 * A client whose ROLLBACK failed is in an unknown state and is destroyed rather than reused.
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    broken = await rollback(client);
    throw err;
  } finally {
    client.release(broken);
  }
}

async function rollback(client: pg.PoolClient): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error('ROLLBACK failed');
  }
}
