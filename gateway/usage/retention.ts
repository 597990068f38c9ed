// The guide's log retention policy: usage rows older than USAGE_RETENTION_DAYS are deleted every
// hour. Every replica runs the timer; a PostgreSQL advisory lock lets one of them do the work.
import type { Logger } from 'pino';
import type pg from 'pg';
import { deleteUsageOlderThan } from '../db/usage-logs.ts';

/** An arbitrary constant naming "the usage retention job" among advisory locks. */
const RETENTION_LOCK = 7_313_001;

export async function enforceRetention(pool: pg.Pool, days: number): Promise<number | undefined> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [RETENTION_LOCK]);
    if (!rows[0]?.locked) return undefined;
    try {
      return await deleteUsageOlderThan(client, days);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [RETENTION_LOCK]);
    }
  } finally {
    client.release();
  }
}

/** Starts the hourly job; returns a function that stops it. */
export function startRetention(options: { pool: pg.Pool; days: number; log: Logger; intervalMs?: number }): () => void {
  const run = (): void => {
    enforceRetention(options.pool, options.days)
      .then((deleted) => {
        if (deleted) options.log.info({ deleted, retentionDays: options.days }, 'Deleted usage rows past retention');
      })
      .catch((err: unknown) => { options.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'Usage retention run failed; next run in an hour'); });
  };
  const timer = setInterval(run, options.intervalMs ?? 3_600_000);
  timer.unref();
  setImmediate(run);
  return () => { clearInterval(timer); };
}
