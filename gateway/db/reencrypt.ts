// The last step of a key rotation: every stored provider key re-encrypted under the primary
// (first) key of API_KEY_ENCRYPTION_KEY, in batches, so the old keys can be dropped afterwards.
// A row the user changed meanwhile is left alone (it is already under the primary key).
import type { KeyRing } from '../crypto/key-ring.ts';
import type { Queryable } from './pool.ts';
import { allEncryptedKeys, updateEncryptedKeys, type ReencryptedKey } from './provider-keys.ts';

export interface ReencryptResult {
  seen: number;
  rewritten: number;
  /** Rows no key in the ring can decrypt: left untouched; their owners must add the key again. */
  unreadable: number;
}

export async function reencryptProviderKeys(db: Queryable, keyRing: KeyRing): Promise<ReencryptResult> {
  const result: ReencryptResult = { seen: 0, rewritten: 0, unreadable: 0 };
  for await (const batch of allEncryptedKeys(db)) {
    const updates: ReencryptedKey[] = [];
    for (const row of batch) {
      result.seen++;
      try {
        updates.push({ id: row.id, previous: row.encryptedKey, next: keyRing.rotate(row.encryptedKey) });
      } catch {
        result.unreadable++;
      }
    }
    result.rewritten += await updateEncryptedKeys(db, updates);
  }
  return result;
}
