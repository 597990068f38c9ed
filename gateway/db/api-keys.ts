// The `api_keys` table: hashed gateway keys. The hash is the lookup key on every request and is
// never handed back out; keys are listed and revoked by their public `id`.
import type { Queryable } from './pool.ts';
import { singleRow } from './single-row.ts';
import { isUuid } from './uuid.ts';
import type { KeyScopes } from '../keys/scopes.ts';
import type { LimitOverrides } from '../budget/limits.ts';
import { overridesFromRow } from './limit-overrides.ts';

/** A key as its owner may see it: everything but the hash. */
export interface ApiKey {
  id: string;
  userId: string;
  name: string | null;
  /** The key's first characters, e.g. "pp_live_ab12", so the owner can tell keys apart. */
  prefix: string | null;
  tier: string;
  /** The key's own limits; null where the row has none (use the tier's). */
  rateLimitPerMinute: number | null;
  rateLimitPerDay: number | null;
  isActive: boolean;
  createdAt: Date;
  lastUsed: Date | null;
  revokedAt: Date | null;
  /** When the key stops working; null: never. */
  expiresAt: Date | null;
  /** Set when the key was rotated: it keeps working until then. */
  graceUntil: Date | null;
  /** The id of the key that replaced it at a rotation. */
  replacedBy: string | null;
  /** What the key may reach; null: everything its user may. */
  scopes: KeyScopes | null;
}

/** What authentication needs about a presented key that is active and whose user exists. */
export interface ActiveApiKey {
  id: string;
  userId: string;
  /** The user's tier: the one that counts (billing changes it on the user). */
  tier: string;
  /** The tier stored on the key row itself. */
  keyTier: string;
  rateLimitPerMinute: number | null;
  rateLimitPerDay: number | null;
  isActive: true;
  name: string | null;
  prefix: string | null;
  /** Returned even when past: authentication says why the key no longer works. */
  expiresAt: Date | null;
  graceUntil: Date | null;
  scopes: KeyScopes | null;
  /** Budgets and token limits the platform team set on the user and on this key (limit_overrides). */
  userOverrides: LimitOverrides;
  keyOverrides: LimitOverrides;
}

export interface NewApiKey {
  userId: string;
  /** SHA-256 of the key, hex. The key itself is shown to the user once and never stored. */
  keyHash: string;
  prefix: string;
  name?: string | null;
  /** Defaults to the user's current tier. */
  tier?: string;
  /** Defaults to the table's defaults. */
  limits?: { perMinute: number; perDay: number };
  expiresAt?: Date | null;
  scopes?: KeyScopes | null;
}

const KEY_COLUMNS = `id, user_id AS "userId", name, key_prefix AS prefix, coalesce(tier, 'free') AS tier,
  rate_limit_per_minute AS "rateLimitPerMinute", rate_limit_per_day AS "rateLimitPerDay",
  coalesce(is_active, false) AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
    AND (grace_until IS NULL OR grace_until > now()) AS "isActive", created_at AS "createdAt",
  last_used AS "lastUsed", revoked_at AS "revokedAt", expires_at AS "expiresAt", grace_until AS "graceUntil",
  replaced_by AS "replacedBy", scopes`;

/** Stores a new key. A hash that exists already throws a unique violation; a missing user, a foreign-key one. */
export async function insertApiKey(db: Queryable, key: NewApiKey): Promise<ApiKey> {
  // Without limits the columns are left out, so the table's defaults apply.
  const limitColumns = key.limits ? ', rate_limit_per_minute, rate_limit_per_day' : '';
  const limitValues = key.limits ? ', $8, $9' : '';
  const values: unknown[] = [
    key.userId,
    key.keyHash,
    key.prefix,
    key.name ?? null,
    key.tier ?? null,
    key.expiresAt ?? null,
    key.scopes ? JSON.stringify(key.scopes) : null,
  ];
  if (key.limits) values.push(key.limits.perMinute, key.limits.perDay);
  const { rows } = await db.query<ApiKey>(
    `INSERT INTO api_keys (user_id, key_hash, key_prefix, name, tier, expires_at, scopes${limitColumns})
     VALUES ($1, $2, $3, $4, coalesce($5::text, (SELECT tier FROM users WHERE id = $1::uuid), 'free'), $6, $7::jsonb${limitValues})
     RETURNING ${KEY_COLUMNS}`,
    values,
  );
  return singleRow(rows);
}

/**
 * The key with this hash, if it is active, not revoked, and its user exists; null otherwise. An
 * expired key is returned with its expiry: the caller refuses it, naming why.
 */
export async function findActiveKeyByHash(db: Queryable, keyHash: string): Promise<ActiveApiKey | null> {
  // The overrides come with the key, so they are cached with it and cost no extra query.
  const { rows } = await db.query<Omit<ActiveApiKey, 'userOverrides' | 'keyOverrides'> & { uo: unknown; ko: unknown }>(
    `SELECT k.id, k.user_id AS "userId", coalesce(u.tier, k.tier, 'free') AS tier, coalesce(k.tier, 'free') AS "keyTier",
            k.rate_limit_per_minute AS "rateLimitPerMinute", k.rate_limit_per_day AS "rateLimitPerDay",
            true AS "isActive", k.name, k.key_prefix AS prefix, k.expires_at AS "expiresAt", k.grace_until AS "graceUntil", k.scopes,
            row_to_json(uo) AS uo, row_to_json(ko) AS ko
       FROM api_keys k JOIN users u ON u.id = k.user_id
       LEFT JOIN limit_overrides uo ON uo.user_id = u.id AND uo.api_key_id IS NULL
       LEFT JOIN limit_overrides ko ON ko.api_key_id = k.id
      WHERE k.key_hash = $1 AND k.is_active AND k.revoked_at IS NULL`,
    [keyHash],
  );
  const row = rows[0];
  if (!row) return null;
  const { uo, ko, ...key } = row;
  return {
    ...key,
    userOverrides: overridesFromRow(uo as Record<string, unknown> | null),
    keyOverrides: overridesFromRow(ko as Record<string, unknown> | null),
  };
}

/** The user's keys, newest first, revoked ones included (marked). Never the hashes. */
export async function listKeys(db: Queryable, userId: string): Promise<ApiKey[]> {
  if (!isUuid(userId)) return [];
  const { rows } = await db.query<ApiKey>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE user_id = $1 ORDER BY created_at DESC, id`, [userId]);
  return rows;
}

/**
 * Deactivates the user's key `id` and returns its hash, so the caller can drop it from the
 * authentication cache at once. Null when the user has no such key (someone else's key included).
 * Revoking twice keeps the first revocation time.
 */
export async function revokeKey(db: Queryable, userId: string, id: string): Promise<string | null> {
  if (!isUuid(userId) || !isUuid(id)) return null;
  const { rows } = await db.query<{ keyHash: string }>(
    `UPDATE api_keys SET is_active = false, revoked_at = coalesce(revoked_at, now())
      WHERE user_id = $1 AND id = $2 RETURNING key_hash AS "keyHash"`,
    [userId, id],
  );
  return rows[0]?.keyHash ?? null;
}

export interface KeyRotation {
  userId: string;
  /** The key to rotate. */
  keyId: string;
  /** The replacement's hash and display prefix. */
  keyHash: string;
  prefix: string;
  /** Until when the old key keeps working (never past its own expiry). */
  graceUntil: Date;
}

export interface RotatedKey {
  /** The replacement, as its owner may see it. */
  key: ApiKey;
  /** The old key's hash, to evict from every replica's cache (its grace_until changed). */
  oldHash: string;
  graceUntil: Date;
}

/**
 * Rotation: a new key with the old one's name, tier, limits, expiry and scopes, and the old key
 * given `graceUntil` (it works until then), in one statement. Null when the user has no such key
 * that is active and not rotated already (someone else's key included): a key is rotated once;
 * rotate its replacement next time.
 */
export async function rotateKey(db: Queryable, rotation: KeyRotation): Promise<RotatedKey | null> {
  const { userId, keyId, keyHash, prefix, graceUntil } = rotation;
  if (!isUuid(userId) || !isUuid(keyId)) return null;
  const { rows } = await db.query<ApiKey & { oldHash: string; oldGraceUntil: Date }>(
    `WITH old AS (
       SELECT * FROM api_keys WHERE user_id = $1 AND id = $2 AND is_active AND revoked_at IS NULL AND grace_until IS NULL
          AND (expires_at IS NULL OR expires_at > now())
       FOR UPDATE
     ), fresh AS (
       INSERT INTO api_keys (user_id, key_hash, key_prefix, name, tier, rate_limit_per_minute, rate_limit_per_day, expires_at, scopes)
       SELECT user_id, $3, $4, name, tier, rate_limit_per_minute, rate_limit_per_day, expires_at, scopes FROM old
       RETURNING *
     ), marked AS (
       UPDATE api_keys k SET grace_until = least($5::timestamptz, coalesce(k.expires_at, $5::timestamptz)), replaced_by = (SELECT id FROM fresh)
        WHERE k.key_hash = (SELECT key_hash FROM old) RETURNING k.key_hash AS old_hash, k.grace_until AS old_grace_until
     )
     SELECT ${KEY_COLUMNS}, old_hash AS "oldHash", old_grace_until AS "oldGraceUntil" FROM fresh, marked`,
    [userId, keyId, keyHash, prefix, graceUntil],
  );
  const row = rows[0];
  if (!row) return null;
  const { oldHash, oldGraceUntil, ...key } = row;
  return { key, oldHash, graceUntil: oldGraceUntil };
}

/**
 * Records that these keys were used at `at`, in one statement for a whole flush of the request
 * path's batch. Never moves last_used backwards (batches may land out of order).
 */
export async function touchLastUsed(db: Queryable, keyHashes: readonly string[], at: Date): Promise<number> {
  const unique = [...new Set(keyHashes)];
  if (unique.length === 0) return 0;
  const { rowCount } = await db.query(
    `UPDATE api_keys SET last_used = $2 WHERE key_hash = ANY($1::text[]) AND (last_used IS NULL OR last_used < $2)`,
    [unique, at],
  );
  return rowCount ?? 0;
}
