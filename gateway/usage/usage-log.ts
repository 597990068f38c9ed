// The usage log: UsageRecords batched into usage_logs off the request path. The insert itself
// belongs to the database layer (insertUsageBatch, which must be idempotent on request_id, the
// gateway's own per-request id: INSERT ... ON CONFLICT (request_id) DO NOTHING); this file
// decides which of its failures are worth retrying. A database that is down, restarting or failing over is retried until it is back
// (the buffer holds the rows meanwhile); a row the database refuses for what it is (a bad value,
// a user deleted since the request) is isolated and dropped alone, so it cannot block the rest.
import type { Logger } from 'pino';
import { redactSecrets } from '../db/redact.ts';
import { BufferedSink, SinkWriteError, type SinkTuning } from './buffered-sink.ts';
import type { Clock } from './clock.ts';
import type { UsageRecord } from './usage-record.ts';

export interface UsageLogOptions {
  /** Inserts the rows in one statement, idempotently on request_id. */
  insert: (rows: readonly UsageRecord[]) => Promise<void>;
  logger: Logger;
  tuning?: SinkTuning;
  clock?: Clock;
}

export type UsageLog = BufferedSink<UsageRecord>;

/**
 * How long a finished request's row may wait before it is written. It bounds what a `kill -9` (or
 * an OOM kill) of a gateway loses: the rows of the last 100 ms, plus the requests still in flight.
 * At full load batches fill before the interval anyway; when idle, a few small inserts a second.
 */
export const USAGE_FLUSH_INTERVAL_MS = 100;

export function createUsageLog(options: UsageLogOptions): UsageLog {
  return new BufferedSink<UsageRecord>({
    name: 'usage-log',
    logger: options.logger,
    flushIntervalMs: USAGE_FLUSH_INTERVAL_MS,
    ...options.tuning,
    ...(options.clock ? { clock: options.clock } : {}),
    write: async (rows) => {
      try {
        await options.insert(rows);
      } catch (err) {
        throw classifyPostgresError(err);
      }
    },
  });
}

/**
 * SQLSTATE classes that mean "this data", not "this moment": 22 data exception (out of range,
 * invalid text), 23 integrity constraint violation (foreign key to a deleted user, NOT NULL).
 * Everything else (connection refused or reset, 57P01 admin shutdown, 53xxx insufficient
 * resources, 40001 serialization, even 42P01 while a migration has not run yet) can heal.
 */
const PERMANENT_SQLSTATE_CLASSES = new Set(['22', '23']);

export function classifyPostgresError(err: unknown): SinkWriteError {
  const code = errorCode(err);
  // The sink logs this message: no DSN or password may survive in it (hence no `cause` either).
  const detail = redactSecrets(err instanceof Error ? err.message : String(err));
  const message = `usage_logs insert failed: ${detail}${code ? ` (${code})` : ''}`;
  if (code && code.length === 5 && PERMANENT_SQLSTATE_CLASSES.has(code.slice(0, 2))) {
    return new SinkWriteError(message, { retryable: false, itemSpecific: true });
  }
  return new SinkWriteError(message, { retryable: true });
}

/**
 * The SQLSTATE node-postgres (or the database layer's scrubbed DatabaseError) puts in `code`, or
 * an errno name such as ECONNREFUSED for a socket error; only SQLSTATEs start with a digit class.
 */
function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' && err.code !== '' ? err.code : undefined;
}

/**
 * The last resort at shutdown: rows the database did not take before the deadline go to the log,
 * whole, so that an operator can replay them (the insert is idempotent, so replaying rows that did
 * land after all is harmless). Chunked, to keep each line a reasonable size.
 */
export function logUnwrittenUsage(logger: Logger, rows: readonly UsageRecord[], chunkSize = 100): void {
  for (let start = 0; start < rows.length; start += chunkSize) {
    const chunk = rows.slice(start, start + chunkSize);
    logger.error(
      { unwrittenUsage: chunk, from: start, total: rows.length },
      'usage rows not written to PostgreSQL before shutdown; replay them from this log',
    );
  }
}
