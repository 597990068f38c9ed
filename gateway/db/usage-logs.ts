// The `usage_logs` table: one row per gateway request, written in batches after the response,
// and the users' running totals kept in step with it.
import { USAGE_TEXT_LIMITS, type UsageRecord } from '../usage/usage-record.ts';
import { pgText, pgTextOrNull } from './pg-text.ts';
import type { Queryable } from './pool.ts';
import { isUuid } from './uuid.ts';

/**
 * Columns a writer may leave out: the insert stores NULL for conversationId, clientRequestId,
 * retrievalLatencyMs and provider, 0 for retrievalCalls and memoryTokens, false for
 * usageEstimated, and the time of the insert for timestamp.
 */
type DefaultedColumn =
  | 'conversationId'
  | 'clientRequestId'
  | 'timestamp'
  | 'retrievalCalls'
  | 'retrievalLatencyMs'
  | 'provider'
  | 'usageEstimated'
  | 'memoryTokens';

/** One request's usage to insert: a UsageRecord, whose defaulted columns may be left out (cachedInputTokens: 0). */
export type NewUsageLog = Omit<UsageRecord, DefaultedColumn> & Partial<Pick<UsageRecord, DefaultedColumn>>;

type Nullable<T> = { [Key in keyof T]: T[Key] | null };

/** Columns the guide's schema leaves nullable, which UsageRecord never leaves empty. */
type NullableColumn = 'requestId' | 'model' | 'provider' | 'endpoint' | 'statusCode' | 'latencyMs';

/** A stored row: the UsageRecord, where the guide's nullable columns may read NULL; counters read NULL as 0. */
export interface UsageLog extends Omit<UsageRecord, NullableColumn>, Nullable<Pick<UsageRecord, NullableColumn>> {
  id: string;
}

export interface UsageBatchResult {
  /** Rows written now. */
  inserted: number;
  /** Rows already written by an earlier attempt, or whose user no longer exists. */
  skipped: number;
}

export interface UsageWindow {
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

export interface UsageTotals {
  requests: number;
  inputTokens: number;
  /** The part of inputTokens served from the provider's prompt cache (0 where not recorded). */
  cachedInputTokens: number;
  outputTokens: number;
  totalTokens: number;
  retrievalCalls: number;
  memoryTokens: number;
  costUsd: number;
}

export interface ModelUsage extends UsageTotals {
  model: string | null;
}

export interface UsageSummary {
  totals: UsageTotals;
  /** Per model, most expensive first. */
  byModel: ModelUsage[];
}

const LOG_COLUMNS = `id, request_id AS "requestId", client_request_id AS "clientRequestId", user_id AS "userId", conversation_id AS "conversationId", timestamp,
  coalesce(input_tokens, 0) AS "inputTokens", coalesce(output_tokens, 0) AS "outputTokens",
  coalesce(total_tokens, 0) AS "totalTokens", coalesce(retrieval_calls, 0) AS "retrievalCalls",
  retrieval_latency_ms AS "retrievalLatencyMs", coalesce(cost_usd, 0) AS "costUsd", model, provider, endpoint,
  status_code AS "statusCode", latency_ms AS "latencyMs", coalesce(usage_estimated, false) AS "usageEstimated",
  coalesce(memory_tokens, 0) AS "memoryTokens"`;

// One statement, so the rows and the totals commit together or not at all:
//   input:    the batch as rows, with their position in it
//   inserted: only rows not written before (ON CONFLICT DO NOTHING on the gateway-made request
//             id, never on the caller's; within the batch the first of a repeated request id
//             wins) and whose user still exists. Rows go in request_id
//             order, so overlapping batches take their unique-index locks in the same order and
//             cannot deadlock on them
//   locked:   the users to update, locked in id order for the same reason
//   totals:   the users' counters grow by exactly the rows inserted now, so a retry adds nothing.
//             They are INT in the guide's schema: they stop at its maximum rather than fail.
const INSERT_BATCH = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[], $5::int[], $6::int[], $7::int[],
                       $8::int[], $9::float8[], $10::float8[], $11::text[], $12::text[], $13::text[], $14::int[],
                       $15::float8[], $16::boolean[], $17::int[], $18::text[], $19::int[], $20::uuid[]) WITH ORDINALITY
    AS r(request_id, user_id, conversation_id, ts, input_tokens, output_tokens, total_tokens, retrieval_calls,
         retrieval_latency_ms, cost_usd, model, provider, endpoint, status_code, latency_ms, usage_estimated,
         memory_tokens, client_request_id, cached_input_tokens, api_key_id, batch_index)
), inserted AS (
  INSERT INTO usage_logs (request_id, user_id, conversation_id, timestamp, input_tokens, output_tokens, total_tokens,
                          retrieval_calls, retrieval_latency_ms, cost_usd, model, provider, endpoint, status_code,
                          latency_ms, usage_estimated, memory_tokens, client_request_id, cached_input_tokens, api_key_id)
  SELECT r.request_id, r.user_id, r.conversation_id, coalesce(r.ts, now()), r.input_tokens, r.output_tokens,
         r.total_tokens, r.retrieval_calls, r.retrieval_latency_ms, r.cost_usd, r.model, r.provider, r.endpoint,
         r.status_code, r.latency_ms, r.usage_estimated, r.memory_tokens, r.client_request_id, r.cached_input_tokens,
         r.api_key_id
    FROM input r WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id)
   ORDER BY r.request_id, r.batch_index
  ON CONFLICT (request_id) DO NOTHING
  RETURNING user_id, total_tokens, cost_usd
), sums AS (
  SELECT user_id, count(*) AS requests, coalesce(sum(total_tokens), 0) AS tokens, coalesce(sum(cost_usd), 0) AS cost
    FROM inserted GROUP BY user_id
), locked AS MATERIALIZED (
  SELECT id FROM users WHERE id IN (SELECT user_id FROM sums) ORDER BY id FOR NO KEY UPDATE
), totals AS (
  UPDATE users u SET
    total_requests = least(coalesce(u.total_requests, 0)::bigint + s.requests, 2147483647),
    total_tokens = least(coalesce(u.total_tokens, 0)::bigint + s.tokens, 2147483647),
    current_balance_usd = coalesce(u.current_balance_usd, 0) + s.cost,
    updated_at = now()
  FROM sums s JOIN locked l ON l.id = s.user_id
  WHERE u.id = s.user_id
  RETURNING 1
)
SELECT (SELECT count(*) FROM inserted)::int AS inserted, (SELECT count(*) FROM totals)::int AS users`;

/**
 * Writes a batch of usage rows and adds them to their users' totals, in one statement. Safe to
 * retry as a whole after any failure (a timeout, a deadlock, a lost connection): rows written by
 * an earlier attempt are skipped and not counted again. Text the caller may have shaped goes
 * through pgText (a NUL would make PostgreSQL refuse the row, and with it the request's usage).
 */
export async function insertUsageBatch(db: Queryable, logs: readonly NewUsageLog[]): Promise<UsageBatchResult> {
  if (logs.length === 0) return { inserted: 0, skipped: 0 };
  const column = <T>(pick: (log: NewUsageLog) => T): T[] => logs.map(pick);
  const limits = USAGE_TEXT_LIMITS;
  const { rows } = await db.query<{ inserted: number }>(INSERT_BATCH, [
    column((l) => l.requestId),
    column((l) => l.userId),
    column((l) => pgTextOrNull(l.conversationId, limits.conversationId)),
    column((l) => l.timestamp?.toISOString() ?? null),
    column((l) => Math.round(l.inputTokens)),
    column((l) => Math.round(l.outputTokens)),
    column((l) => Math.round(l.totalTokens)),
    column((l) => Math.round(l.retrievalCalls ?? 0)),
    column((l) => l.retrievalLatencyMs ?? null),
    column((l) => l.costUsd),
    column((l) => pgText(l.model, limits.model)),
    column((l) => pgTextOrNull(l.provider, limits.provider)),
    column((l) => pgText(l.endpoint, limits.endpoint)),
    column((l) => Math.round(l.statusCode)),
    column((l) => l.latencyMs),
    column((l) => l.usageEstimated ?? false),
    column((l) => Math.round(l.memoryTokens ?? 0)),
    column((l) => pgTextOrNull(l.clientRequestId, limits.clientRequestId)),
    column((l) => Math.round(l.cachedInputTokens ?? 0)),
    // Not a key id (a hand-written row, a test): stored as none rather than failing the batch.
    column((l) => (l.apiKeyId && isUuid(l.apiKeyId) ? l.apiKeyId : null)),
  ]);
  const inserted = rows[0]?.inserted ?? 0;
  return { inserted, skipped: logs.length - inserted };
}

export interface ListUsageOptions extends UsageWindow {
  /** At most this many rows (1 to 1000; 100 by default). */
  limit?: number;
}

/** The user's usage rows in the window, newest first. */
export async function listUsage(db: Queryable, userId: string, options: ListUsageOptions = {}): Promise<UsageLog[]> {
  if (!isUuid(userId)) return [];
  const limit = Math.min(1000, Math.max(1, Math.trunc(options.limit ?? 100)));
  const { rows } = await db.query<UsageLog>(
    `SELECT ${LOG_COLUMNS} FROM usage_logs
      WHERE user_id = $1 AND ($2::timestamptz IS NULL OR timestamp >= $2) AND ($3::timestamptz IS NULL OR timestamp < $3)
      ORDER BY timestamp DESC, id LIMIT $4`,
    [userId, options.from ?? null, options.to ?? null, limit],
  );
  return rows;
}

// Sums go to float8: exact far past INT, and pg hands bigint/numeric back as strings.
const SUMS = `coalesce(sum(input_tokens), 0)::float8 AS "inputTokens", coalesce(sum(cached_input_tokens), 0)::float8 AS "cachedInputTokens",
  coalesce(sum(output_tokens), 0)::float8 AS "outputTokens", coalesce(sum(total_tokens), 0)::float8 AS "totalTokens",
  coalesce(sum(retrieval_calls), 0)::float8 AS "retrievalCalls", coalesce(sum(memory_tokens), 0)::float8 AS "memoryTokens",
  coalesce(sum(cost_usd), 0)::float8 AS "costUsd"`;

/** The user's totals in the window, overall and per model, in one pass (GROUP BY ROLLUP). */
export async function summarizeUsage(db: Queryable, userId: string, window: UsageWindow = {}): Promise<UsageSummary> {
  const empty: UsageTotals = {
    requests: 0,
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens: 0,
    totalTokens: 0,
    retrievalCalls: 0,
    memoryTokens: 0,
    costUsd: 0,
  };
  if (!isUuid(userId)) return { totals: empty, byModel: [] };
  const { rows } = await db.query<ModelUsage & { overall: boolean }>(
    `SELECT model, grouping(model) = 1 AS overall, count(*)::float8 AS requests,
            ${SUMS}
       FROM usage_logs
      WHERE user_id = $1 AND ($2::timestamptz IS NULL OR timestamp >= $2) AND ($3::timestamptz IS NULL OR timestamp < $3)
      GROUP BY ROLLUP (model)`,
    [userId, window.from ?? null, window.to ?? null],
  );
  const overall = rows.find((row) => row.overall);
  const byModel = rows
    .filter((row) => !row.overall)
    .map((row) => ({ model: row.model, ...totalsOf(row) }))
    .sort((a, b) => b.costUsd - a.costUsd || (a.model ?? '').localeCompare(b.model ?? ''));
  return { totals: overall ? totalsOf(overall) : empty, byModel };
}

function totalsOf(row: UsageTotals): UsageTotals {
  const { requests, inputTokens, cachedInputTokens, outputTokens, totalTokens, retrievalCalls, memoryTokens, costUsd } = row;
  return { requests, inputTokens, cachedInputTokens, outputTokens, totalTokens, retrievalCalls, memoryTokens, costUsd };
}

/** One model's totals in one UTC day ("2026-12-03") or calendar month ("2026-12"). */
export interface PeriodUsage extends ModelUsage {
  period: string;
}

export interface UsageReport {
  /** Newest period first; within one, most expensive model first. */
  daily: PeriodUsage[];
  monthly: PeriodUsage[];
}

/** At most this many rows per granularity: some years of days for a few dozen models. */
const REPORT_MAX_ROWS = 10_000;

/** Spend report: the user's totals per model per UTC day and per UTC calendar month in the window. */
export async function usageReport(db: Queryable, userId: string, window: UsageWindow = {}): Promise<UsageReport> {
  if (!isUuid(userId)) return { daily: [], monthly: [] };
  const per = async (unit: 'day' | 'month', format: string): Promise<PeriodUsage[]> => {
    const { rows } = await db.query<PeriodUsage>(
      `SELECT to_char(date_trunc('${unit}', timestamp AT TIME ZONE 'UTC'), '${format}') AS period, model, count(*)::float8 AS requests, ${SUMS}
         FROM usage_logs
        WHERE user_id = $1 AND ($2::timestamptz IS NULL OR timestamp >= $2) AND ($3::timestamptz IS NULL OR timestamp < $3)
        GROUP BY 1, model ORDER BY 1 DESC, "costUsd" DESC, model LIMIT ${REPORT_MAX_ROWS}`,
      [userId, window.from ?? null, window.to ?? null],
    );
    return rows.map((row) => ({ period: row.period, model: row.model, ...totalsOf(row) }));
  };
  const [daily, monthly] = await Promise.all([per('day', 'YYYY-MM-DD'), per('month', 'YYYY-MM')]);
  return { daily, monthly };
}

/**
 * Retention: deletes rows older than `days` days, `batchSize` at a time, so a large backlog never
 * becomes one long transaction holding locks and WAL. The users' lifetime totals are kept.
 */
export async function deleteUsageOlderThan(db: Queryable, days: number, batchSize = 10_000): Promise<number> {
  if (!Number.isFinite(days) || days < 1) throw new RangeError('retention must be at least one day');
  const { rows } = await db.query<{ cutoff: Date }>('SELECT now() - make_interval(days => $1) AS cutoff', [Math.trunc(days)]);
  const cutoff = rows[0]?.cutoff;
  let deleted = 0;
  for (;;) {
    const { rowCount } = await db.query(`DELETE FROM usage_logs WHERE id IN (SELECT id FROM usage_logs WHERE timestamp < $1 LIMIT $2)`, [
      cutoff,
      batchSize,
    ]);
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) return deleted;
  }
}

/**
 * For deleting a user while keeping the books: their usage rows lose everything that points at a
 * person (user and conversation ids, and the caller's request id, which the caller made up and may
 * have built from anything) but keep tokens, cost, model, time and the gateway's request id, so
 * totals and billing reconciliations (Polar's external_id) still add up. Returns how many rows
 * were anonymised.
 */
export async function anonymizeUsage(db: Queryable, userId: string): Promise<number> {
  if (!isUuid(userId)) return 0;
  const { rowCount } = await db.query(
    'UPDATE usage_logs SET user_id = NULL, conversation_id = NULL, client_request_id = NULL WHERE user_id = $1',
    [userId],
  );
  return rowCount ?? 0;
}
