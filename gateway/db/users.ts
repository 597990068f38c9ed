// The `users` table: one row per end user, with their tier and running usage totals.
import type { Queryable } from './pool.ts';
import { singleRow } from './single-row.ts';
import { isUuid } from './uuid.ts';

export interface User {
  id: string;
  email: string;
  tier: string;
  createdAt: Date;
  updatedAt: Date | null;
  totalRequests: number;
  totalTokens: number;
  /** Accumulated cost of the user's requests (what they owe for the current period), in USD. */
  currentBalanceUsd: number;
}

/** Per-key limits to store on every key of the user along with a new tier. */
export interface TierLimits {
  perMinute: number;
  perDay: number;
}

/** Rows removed by deleteUserCascade, per table. */
export interface DeletedUserRows {
  users: number;
  apiKeys: number;
  usageLogs: number;
  providerKeys: number;
  /** Stored responses of /v1/responses (the account's and all its end users'). */
  responses: number;
}

export interface DeletedUser {
  counts: DeletedUserRows;
  /** Hashes of the API keys that were removed, for cache eviction. */
  keyHashes: string[];
  /** What the audit log calls the user from now on (set by the store's erasure). */
  pseudonym?: string;
}

export interface UsageIncrement {
  requests: number;
  tokens: number;
  costUsd: number;
}

// The guide's columns are nullable; a NULL counter or tier reads as its default.
const USER_COLUMNS = `id, email, coalesce(tier, 'free') AS tier, created_at AS "createdAt", updated_at AS "updatedAt",
  coalesce(total_requests, 0) AS "totalRequests", coalesce(total_tokens, 0) AS "totalTokens",
  coalesce(current_balance_usd, 0) AS "currentBalanceUsd"`;

/**
 * Creates a user. `id` lets the row share its id with an existing identity (Supabase's
 * auth.users), which is what the RLS policies compare with auth.uid(). A taken email throws a
 * unique violation (see isUniqueViolation).
 */
export async function createUser(db: Queryable, email: string, tier = 'free', id?: string): Promise<User> {
  const { rows } = await db.query<User>(
    `INSERT INTO users (id, email, tier) VALUES (coalesce($3::uuid, gen_random_uuid()), $1, $2) RETURNING ${USER_COLUMNS}`,
    [email, tier, id ?? null],
  );
  return singleRow(rows);
}

export async function getUser(db: Queryable, id: string): Promise<User | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query<User>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
  return rows[0] ?? null;
}

export async function getUserByEmail(db: Queryable, email: string): Promise<User | null> {
  const { rows } = await db.query<User>(`SELECT ${USER_COLUMNS} FROM users WHERE email = $1`, [email]);
  return rows[0] ?? null;
}

/**
 * Moves a user to `tier`, and every API key of theirs with it (api_keys.tier is a copy), in one
 * statement. With `limits`, the keys' stored per-minute and per-day limits change too.
 */
export async function setTier(db: Queryable, id: string, tier: string, limits?: TierLimits): Promise<User | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query<User>(
    `WITH updated AS (
       UPDATE users SET tier = $2, updated_at = now() WHERE id = $1 RETURNING *
     ), keys AS (
       UPDATE api_keys SET tier = $2,
         rate_limit_per_minute = coalesce($3, rate_limit_per_minute),
         rate_limit_per_day = coalesce($4, rate_limit_per_day)
       WHERE user_id = $1 AND EXISTS (SELECT 1 FROM updated)
     )
     SELECT ${USER_COLUMNS} FROM updated`,
    [id, tier, limits?.perMinute ?? null, limits?.perDay ?? null],
  );
  return rows[0] ?? null;
}

/**
 * Removes the user and everything that belongs to them, in one statement (so all or nothing).
 * Says how many rows went from each table, and the hashes of the removed API keys so the caller
 * can evict them from its authentication cache. The guide's foreign keys cascade as well; the
 * explicit deletes are what make the counts exact.
 */
export async function deleteUserCascade(db: Queryable, id: string): Promise<DeletedUser> {
  if (!isUuid(id)) return { counts: { users: 0, apiKeys: 0, usageLogs: 0, providerKeys: 0, responses: 0 }, keyHashes: [] };
  const { rows } = await db.query<DeletedUserRows & { keyHashes: string[] }>(
    `WITH keys AS (DELETE FROM api_keys WHERE user_id = $1 RETURNING key_hash),
          usage AS (DELETE FROM usage_logs WHERE user_id = $1 RETURNING 1),
          providers AS (DELETE FROM user_provider_keys WHERE user_id = $1 RETURNING 1),
          stored AS (DELETE FROM responses WHERE user_id = $1 RETURNING 1),
          gone AS (DELETE FROM users WHERE id = $1 RETURNING 1)
     SELECT (SELECT count(*) FROM gone)::int AS users, (SELECT count(*) FROM keys)::int AS "apiKeys",
            (SELECT count(*) FROM usage)::int AS "usageLogs", (SELECT count(*) FROM providers)::int AS "providerKeys",
            (SELECT count(*) FROM stored)::int AS responses,
            coalesce((SELECT array_agg(key_hash ORDER BY key_hash) FROM keys), '{}') AS "keyHashes"`,
    [id],
  );
  const { keyHashes, ...counts } = singleRow(rows);
  return { counts, keyHashes };
}

/**
 * Adds a batch of usage to the user's running totals. The guide's counters are INT: they stop at
 * the INT maximum instead of failing every later write (usage_logs keeps the exact history).
 * Returns false when the user does not exist.
 */
export async function addUsageTotals(db: Queryable, userId: string, totals: UsageIncrement): Promise<boolean> {
  if (!isUuid(userId)) return false;
  const { rowCount } = await db.query(
    `UPDATE users SET
       total_requests = least(coalesce(total_requests, 0)::bigint + $2, 2147483647),
       total_tokens = least(coalesce(total_tokens, 0)::bigint + $3, 2147483647),
       current_balance_usd = coalesce(current_balance_usd, 0) + $4,
       updated_at = now()
     WHERE id = $1`,
    [userId, Math.trunc(totals.requests), Math.trunc(totals.tokens), totals.costUsd],
  );
  return rowCount === 1;
}
