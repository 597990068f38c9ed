// The guide's log retention policy: usage rows older than USAGE_RETENTION_DAYS are deleted every
// hour, and stored responses (/v1/responses) with them: they hold the users' conversations, which
// should not outlive the record of the requests. Every replica runs the timer; a PostgreSQL
// advisory lock lets one of them do the work.
import type { Logger } from 'pino';
import type pg from 'pg';
import { deleteResponsesOlderThan } from '../db/responses.ts';
import { deleteUsageOlderThan } from '../db/usage-logs.ts';

/** An arbitrary constant naming "the usage retention job" among advisory locks. */
const RETENTION_LOCK = 7_313_001;

/** Rows one retention run deleted, per table. */
export interface RetentionResult {
  usageLogs: number;
  responses: number;
}

/** Undefined when another replica holds the lock (and does the work). */
export async function enforceRetention(pool: pg.Pool, days: number): Promise<RetentionResult | undefined> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [RETENTION_LOCK]);
    if (!rows[0]?.locked) return undefined;
    try {
      return { usageLogs: await deleteUsageOlderThan(client, days), responses: await deleteResponsesOlderThan(client, days) };
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
        if (deleted && deleted.usageLogs + deleted.responses > 0)
          options.log.info({ deleted, retentionDays: options.days }, 'Deleted usage rows and stored responses past retention');
      })
      .catch((err: unknown) => {
        options.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'Usage retention run failed; next run in an hour');
      });
  };
  const timer = setInterval(run, options.intervalMs ?? 3_600_000);
  timer.unref();
  setImmediate(run);
  return () => {
    clearInterval(timer);
  };
}
