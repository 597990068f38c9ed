// The `limit_overrides` table (migration 008): money budgets and token limits the platform team
// set on a user or on one API key, and the spend sums that rebuild a budget's Redis counter.
import type { LimitOverrides } from '../budget/limits.ts';
import type { Queryable } from './pool.ts';
import { isUuid } from './uuid.ts';

/** Who an override is for: a user, or one of the user's keys. */
export interface OverrideTarget {
  userId: string;
  keyId?: string;
}

/** The override columns, by the name the admin API and LimitOverrides use. */
const OVERRIDE_COLUMNS = {
  dailyUsd: 'daily_usd',
  monthlyUsd: 'monthly_usd',
  lifetimeUsd: 'lifetime_usd',
  tokensPerMinute: 'tokens_per_minute',
  tokensPerDay: 'tokens_per_day',
} as const satisfies Record<keyof LimitOverrides, string>;

const OVERRIDE_FIELDS = Object.keys(OVERRIDE_COLUMNS) as (keyof LimitOverrides)[];

/** A row by field or by column name (row_to_json); NUMERIC and BIGINT may come back as text; NULL stays null. */
export function overridesFromRow(row: Record<string, unknown> | undefined | null): LimitOverrides {
  const result: LimitOverrides = {};
  for (const field of OVERRIDE_FIELDS) {
    const value = row?.[field] ?? row?.[OVERRIDE_COLUMNS[field]];
    result[field] = value === null || value === undefined ? null : Number(value);
  }
  return result;
}

/** Ids that are not UUIDs name no row (and PostgreSQL would refuse them as a uuid). */
function wellFormed(target: OverrideTarget): boolean {
  return isUuid(target.userId) && (target.keyId === undefined || isUuid(target.keyId));
}

const SELECT_FIELDS = OVERRIDE_FIELDS.map((f) => `${OVERRIDE_COLUMNS[f]} AS "${f}"`).join(', ');

/** The target's overrides (all null when none were set); undefined when the user or key does not exist. */
export async function getOverrides(db: Queryable, target: OverrideTarget): Promise<LimitOverrides | undefined> {
  if (!wellFormed(target)) return undefined;
  const exists = target.keyId
    ? await db.query('SELECT 1 FROM api_keys WHERE user_id = $1 AND id = $2', [target.userId, target.keyId])
    : await db.query('SELECT 1 FROM users WHERE id = $1', [target.userId]);
  if (exists.rows.length === 0) return undefined;
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT ${SELECT_FIELDS} FROM limit_overrides WHERE user_id = $1 AND api_key_id IS NOT DISTINCT FROM $2::uuid`,
    [target.userId, target.keyId ?? null],
  );
  return overridesFromRow(rows[0]);
}

/**
 * Sets the given fields (null clears one; fields not given keep their value) and returns the
 * whole result with the hashes of the API keys it affects (a user's: all of theirs), so every
 * replica's key cache can drop them. Undefined when the user or key does not exist.
 */
export async function setOverrides(
  db: Queryable,
  target: OverrideTarget,
  changes: Partial<LimitOverrides>,
): Promise<{ overrides: LimitOverrides; keyHashes: string[] } | undefined> {
  if (!wellFormed(target)) return undefined;
  const fields = OVERRIDE_FIELDS.filter((f) => f in changes);
  const columns = fields.map((f) => OVERRIDE_COLUMNS[f]);
  const values = fields.map((f) => changes[f] ?? null);
  const placeholders = values.map((_v, i) => `$${String(i + 3)}`);
  const conflict = target.keyId ? '(api_key_id) WHERE api_key_id IS NOT NULL' : '(user_id) WHERE api_key_id IS NULL';
  const updates = columns.map((c) => `${c} = EXCLUDED.${c}`).concat('updated_at = now()');
  // The owner check is part of the statement: a key id of another user inserts nothing.
  const { rows } = await db.query<Record<string, unknown>>(
    `WITH owner AS (
       SELECT u.id AS user_id, k.id AS api_key_id FROM users u LEFT JOIN api_keys k ON k.user_id = u.id AND k.id = $2::uuid
        WHERE u.id = $1 AND ($2::uuid IS NULL OR k.id IS NOT NULL)
     )
     INSERT INTO limit_overrides (user_id, api_key_id${columns.map((c) => `, ${c}`).join('')})
     SELECT user_id, api_key_id${placeholders.map((p) => `, ${p}`).join('')} FROM owner
     ON CONFLICT ${conflict} DO UPDATE SET ${updates.join(', ')}
     RETURNING ${SELECT_FIELDS}`,
    [target.userId, target.keyId ?? null, ...values],
  );
  if (rows.length === 0) return undefined;
  const hashes = await db.query<{ keyHash: string }>(
    `SELECT key_hash AS "keyHash" FROM api_keys WHERE user_id = $1 AND ($2::uuid IS NULL OR id = $2::uuid)`,
    [target.userId, target.keyId ?? null],
  );
  return { overrides: overridesFromRow(rows[0]), keyHashes: hashes.rows.map((r) => r.keyHash) };
}

/**
 * What a user (or one of their keys) spent since `since`, in USD, from usage_logs: the durable
 * record a budget's Redis counter is rebuilt from. Rows still buffered in a gateway are not in it
 * yet (at most a flush interval's worth).
 */
export async function spentSince(db: Queryable, target: OverrideTarget, since: Date): Promise<number> {
  const { rows } = target.keyId
    ? await db.query<{ usd: number }>(
        'SELECT coalesce(sum(cost_usd), 0)::float8 AS usd FROM usage_logs WHERE api_key_id = $1 AND timestamp >= $2',
        [target.keyId, since],
      )
    : await db.query<{ usd: number }>(
        'SELECT coalesce(sum(cost_usd), 0)::float8 AS usd FROM usage_logs WHERE user_id = $1 AND timestamp >= $2',
        [target.userId, since],
      );
  return rows[0]?.usd ?? 0;
}

/**
 * A user's lifetime spend: users.current_balance_usd, the running total the usage writer keeps in
 * the same statement as the rows (and which, unlike the rows, survives USAGE_RETENTION_DAYS).
 */
export async function lifetimeSpend(db: Queryable, userId: string): Promise<number> {
  const { rows } = await db.query<{ usd: number }>('SELECT coalesce(current_balance_usd, 0)::float8 AS usd FROM users WHERE id = $1', [
    userId,
  ]);
  return rows[0]?.usd ?? 0;
}
