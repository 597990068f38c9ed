// The `user_provider_keys` table: each user's own upstream keys (OpenAI, Anthropic, ...), stored
// as Fernet tokens. The ciphertext leaves this module only through the two functions that need
// it: the request path's lookup and the re-encryption that follows a key rotation.
import type { Queryable } from './pool.ts';
import { singleRow } from './single-row.ts';
import { isUuid } from './uuid.ts';

/** A provider key as its owner may see it: never the ciphertext. */
export interface ProviderKey {
  id: string;
  provider: string;
  /** The plaintext key's last characters, for a masked listing ("...a1b2"). */
  hint: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ProviderKeyInput {
  userId: string;
  provider: string;
  /** Fernet token of the key; this module never sees the plaintext. */
  encryptedKey: string;
  hint: string | null;
}

/** One row for the re-encryption pass. */
export interface EncryptedProviderKey {
  id: string;
  encryptedKey: string;
}

/** A new token for a row, applied only if the row still holds `previous` (see updateEncryptedKeys). */
export interface ReencryptedKey {
  id: string;
  previous: string;
  next: string;
}

const SUMMARY_COLUMNS = `id, provider, key_hint AS hint, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** Stores the user's key for `provider`, replacing the one they had. */
export async function upsertProviderKey(db: Queryable, key: ProviderKeyInput): Promise<ProviderKey> {
  const { rows } = await db.query<ProviderKey>(
    `INSERT INTO user_provider_keys (user_id, provider, encrypted_key, key_hint) VALUES ($1, $2, $3, $4)
     ON CONFLICT (user_id, provider) DO UPDATE
       SET encrypted_key = excluded.encrypted_key, key_hint = excluded.key_hint, updated_at = now()
     RETURNING ${SUMMARY_COLUMNS}`,
    [key.userId, key.provider, key.encryptedKey, key.hint],
  );
  return singleRow(rows);
}

/** The Fernet token of the user's key for `provider`, or null when they have none. */
export async function getEncryptedProviderKey(db: Queryable, userId: string, provider: string): Promise<string | null> {
  if (!isUuid(userId)) return null;
  const { rows } = await db.query<{ encryptedKey: string }>(
    `SELECT encrypted_key AS "encryptedKey" FROM user_provider_keys WHERE user_id = $1 AND provider = $2`,
    [userId, provider],
  );
  return rows[0]?.encryptedKey ?? null;
}

/** The user's provider keys by provider name, without ciphertext. */
export async function listProviderKeys(db: Queryable, userId: string): Promise<ProviderKey[]> {
  if (!isUuid(userId)) return [];
  const { rows } = await db.query<ProviderKey>(`SELECT ${SUMMARY_COLUMNS} FROM user_provider_keys WHERE user_id = $1 ORDER BY provider`, [
    userId,
  ]);
  return rows;
}

/** Removes the user's key for `provider`; false when there was none. */
export async function deleteProviderKey(db: Queryable, userId: string, provider: string): Promise<boolean> {
  if (!isUuid(userId)) return false;
  const { rowCount } = await db.query('DELETE FROM user_provider_keys WHERE user_id = $1 AND provider = $2', [userId, provider]);
  return rowCount === 1;
}

/**
 * Every stored token, `batchSize` rows at a time in id order (keyset pagination: rows updated
 * between batches are neither skipped nor seen twice), for re-encryption under a new key.
 */
export async function* allEncryptedKeys(db: Queryable, batchSize = 500): AsyncGenerator<EncryptedProviderKey[]> {
  let after: string | null = null;
  for (;;) {
    const { rows }: { rows: EncryptedProviderKey[] } = await db.query<EncryptedProviderKey>(
      `SELECT id, encrypted_key AS "encryptedKey" FROM user_provider_keys
        WHERE $1::uuid IS NULL OR id > $1::uuid ORDER BY id LIMIT $2`,
      [after, batchSize],
    );
    if (rows.length > 0) yield rows;
    const last = rows.at(-1);
    if (!last || rows.length < batchSize) return;
    after = last.id;
  }
}

/**
 * Replaces tokens in one statement. A row is changed only if it still holds `previous`: a user
 * who saved a new key meanwhile keeps it (it was encrypted with the current key anyway). Rotation
 * is not the user's change, so updated_at stays. Returns how many rows changed.
 */
export async function updateEncryptedKeys(db: Queryable, keys: readonly ReencryptedKey[]): Promise<number> {
  if (keys.length === 0) return 0;
  const { rowCount } = await db.query(
    `UPDATE user_provider_keys p SET encrypted_key = r.next
       FROM unnest($1::uuid[], $2::text[], $3::text[]) AS r(id, previous, next)
      WHERE p.id = r.id AND p.encrypted_key = r.previous`,
    [keys.map((k) => k.id), keys.map((k) => k.previous), keys.map((k) => k.next)],
  );
  return rowCount ?? 0;
}

/** updateEncryptedKeys for one row: true when it changed. */
export async function updateEncryptedKey(db: Queryable, key: ReencryptedKey): Promise<boolean> {
  return (await updateEncryptedKeys(db, [key])) === 1;
}
