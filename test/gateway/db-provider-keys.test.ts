// gateway/db/provider-keys.ts against a real PostgreSQL.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type pg from 'pg';
import '../setup/provided.ts';
import { freshDatabase } from '../support/database.ts';
import { migrate } from '../../gateway/db/migrate.ts';
import { createPool } from '../../gateway/db/pool.ts';
import { createUser, type User } from '../../gateway/db/users.ts';
import {
  allEncryptedKeys,
  deleteProviderKey,
  getEncryptedProviderKey,
  listProviderKeys,
  updateEncryptedKey,
  updateEncryptedKeys,
  upsertProviderKey,
  type EncryptedProviderKey,
} from '../../gateway/db/provider-keys.ts';

let pool: pg.Pool;
let carol: User;
let dave: User;
beforeAll(async () => {
  pool = createPool({ connectionString: await freshDatabase(inject('postgresUrl'), 'db_provider_keys') });
  await migrate(pool, { info: () => undefined, warn: () => undefined });
  carol = await createUser(pool, 'carol@example.com');
  dave = await createUser(pool, 'dave@example.com');
});
afterAll(async () => {
  await pool.end();
});

async function collect(batches: AsyncGenerator<EncryptedProviderKey[]>): Promise<EncryptedProviderKey[][]> {
  const out: EncryptedProviderKey[][] = [];
  for await (const batch of batches) out.push(batch);
  return out;
}

describe('provider keys', () => {
  it("stores, replaces and reads back a user's encrypted key per provider", async () => {
    const first = await upsertProviderKey(pool, { userId: carol.id, provider: 'openai', encryptedKey: 'gAAAA-one', hint: 'ab12' });
    expect(first).toMatchObject({ provider: 'openai', hint: 'ab12' });
    expect(first).not.toHaveProperty('encryptedKey');
    expect(await getEncryptedProviderKey(pool, carol.id, 'openai')).toBe('gAAAA-one');

    const second = await upsertProviderKey(pool, { userId: carol.id, provider: 'openai', encryptedKey: 'gAAAA-two', hint: 'cd34' });
    expect(second.id).toBe(first.id);
    expect(second.createdAt).toEqual(first.createdAt);
    expect(second.updatedAt.getTime()).toBeGreaterThanOrEqual(first.updatedAt.getTime());
    expect(await getEncryptedProviderKey(pool, carol.id, 'openai')).toBe('gAAAA-two');
    expect(await getEncryptedProviderKey(pool, dave.id, 'openai')).toBeNull();
    expect(await getEncryptedProviderKey(pool, carol.id, 'anthropic')).toBeNull();
    expect(await getEncryptedProviderKey(pool, 'nope', 'openai')).toBeNull();
  });

  it('lists providers and hints, never the ciphertext', async () => {
    await upsertProviderKey(pool, { userId: dave.id, provider: 'openai', encryptedKey: 'gAAAA-dave-openai', hint: '1111' });
    await upsertProviderKey(pool, { userId: dave.id, provider: 'anthropic', encryptedKey: 'gAAAA-dave-anthropic', hint: null });
    const listed = await listProviderKeys(pool, dave.id);
    expect(listed.map((k) => [k.provider, k.hint])).toEqual([
      ['anthropic', null],
      ['openai', '1111'],
    ]);
    expect(JSON.stringify(listed)).not.toContain('gAAAA');
    expect(Object.keys(listed[0]!).sort()).toEqual(['createdAt', 'hint', 'id', 'provider', 'updatedAt']);
    expect(await listProviderKeys(pool, randomUUID())).toEqual([]);
  });

  it("deletes one provider's key of one user", async () => {
    const user = await createUser(pool, 'deleter@example.com');
    await upsertProviderKey(pool, { userId: user.id, provider: 'openai', encryptedKey: 'gAAAA-x', hint: 'x' });
    expect(await deleteProviderKey(pool, dave.id, 'mistral')).toBe(false);
    expect(await deleteProviderKey(pool, user.id, 'openai')).toBe(true);
    expect(await deleteProviderKey(pool, user.id, 'openai')).toBe(false);
    expect(await getEncryptedProviderKey(pool, dave.id, 'openai')).toBe('gAAAA-dave-openai');
  });

  it('re-encrypts every key in batches, and leaves a key the user replaced meanwhile alone', async () => {
    const url = await freshDatabase(inject('postgresUrl'), 'db_provider_rotation');
    const db = createPool({ connectionString: url, max: 2 });
    try {
      await migrate(db, { info: () => undefined, warn: () => undefined });
      const users = await Promise.all(Array.from({ length: 7 }, (_, i) => createUser(db, `rot${String(i)}@example.com`)));
      for (const user of users)
        await upsertProviderKey(db, { userId: user.id, provider: 'openai', encryptedKey: `old:${user.id}`, hint: null });

      const batches = await collect(allEncryptedKeys(db, 3));
      expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
      const all = batches.flat();
      expect(new Set(all.map((k) => k.id)).size).toBe(7);
      expect(all.map((k) => k.id)).toEqual([...all.map((k) => k.id)].sort());

      // A user saves a new key between the read and the write of the rotation.
      const racer = users[0]!;
      await upsertProviderKey(db, { userId: racer.id, provider: 'openai', encryptedKey: 'fresh-from-user', hint: null });
      const before = await listProviderKeys(db, users[1]!.id);

      const changed = await updateEncryptedKeys(
        db,
        all.map((k) => ({ id: k.id, previous: k.encryptedKey, next: k.encryptedKey.replace('old:', 'new:') })),
      );
      expect(changed).toBe(6);
      expect(await getEncryptedProviderKey(db, racer.id, 'openai')).toBe('fresh-from-user');
      for (const user of users.slice(1)) expect(await getEncryptedProviderKey(db, user.id, 'openai')).toBe(`new:${user.id}`);
      // Rotation is not the user's edit.
      expect((await listProviderKeys(db, users[1]!.id))[0]?.updatedAt).toEqual(before[0]?.updatedAt);

      const single = all.find((k) => k.encryptedKey !== `old:${racer.id}`)!;
      expect(await updateEncryptedKey(db, { id: single.id, previous: single.encryptedKey.replace('old:', 'new:'), next: 'newer' })).toBe(
        true,
      );
      expect(await updateEncryptedKey(db, { id: single.id, previous: 'stale', next: 'x' })).toBe(false);
      expect(await updateEncryptedKeys(db, [])).toBe(0);
      expect(await collect(allEncryptedKeys(db, 7))).toHaveLength(1);
    } finally {
      await db.end();
    }
  });

  it('yields no batch from an empty table', async () => {
    const url = await freshDatabase(inject('postgresUrl'), 'db_provider_empty');
    const db = createPool({ connectionString: url, max: 1 });
    try {
      await migrate(db, { info: () => undefined, warn: () => undefined });
      expect(await collect(allEncryptedKeys(db))).toEqual([]);
    } finally {
      await db.end();
    }
  });
});
