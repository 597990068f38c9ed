// gateway/db/api-keys.ts against a real PostgreSQL.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type pg from 'pg';
import '../setup/provided.ts';
import { freshDatabase } from '../support/database.ts';
import { migrate } from '../../gateway/db/migrate.ts';
import { createPool } from '../../gateway/db/pool.ts';
import { isForeignKeyViolation, isUniqueViolation } from '../../gateway/db/pg-errors.ts';
import { createUser, setTier, type User } from '../../gateway/db/users.ts';
import { findActiveKeyByHash, insertApiKey, listKeys, revokeKey, touchLastUsed } from '../../gateway/db/api-keys.ts';

let pool: pg.Pool;
let alice: User;
let bob: User;
beforeAll(async () => {
  pool = createPool({ connectionString: await freshDatabase(inject('postgresUrl'), 'db_api_keys') });
  await migrate(pool, { info: () => undefined, warn: () => undefined });
  alice = await createUser(pool, 'alice@example.com', 'pro');
  bob = await createUser(pool, 'bob@example.com');
});
afterAll(async () => {
  await pool.end();
});

const sha256 = (key: string): string => createHash('sha256').update(key).digest('hex');

describe('api keys', () => {
  it("stores a key under its hash with the user's tier and the table's default limits", async () => {
    const key = await insertApiKey(pool, {
      userId: alice.id,
      keyHash: sha256('pp_live_ab12secret'),
      prefix: 'pp_live_ab12',
      name: 'laptop',
    });
    expect(key).toMatchObject({
      userId: alice.id,
      name: 'laptop',
      prefix: 'pp_live_ab12',
      tier: 'pro',
      rateLimitPerMinute: 10,
      rateLimitPerDay: 1000,
      isActive: true,
      lastUsed: null,
      revokedAt: null,
    });
    expect(key.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(key).not.toHaveProperty('keyHash');

    const found = await findActiveKeyByHash(pool, sha256('pp_live_ab12secret'));
    expect(found).toEqual({
      id: key.id,
      userId: alice.id,
      tier: 'pro',
      keyTier: 'pro',
      rateLimitPerMinute: 10,
      rateLimitPerDay: 1000,
      isActive: true,
      name: 'laptop',
      prefix: 'pp_live_ab12',
      expiresAt: null,
      graceUntil: null,
      scopes: null,
      // Migration 008: nothing set on the user or the key (every field null: inherit).
      userOverrides: { dailyUsd: null, monthlyUsd: null, lifetimeUsd: null, tokensPerMinute: null, tokensPerDay: null },
      keyOverrides: { dailyUsd: null, monthlyUsd: null, lifetimeUsd: null, tokensPerMinute: null, tokensPerDay: null },
    });
  });

  it('stores an explicit tier and limits', async () => {
    const key = await insertApiKey(pool, {
      userId: bob.id,
      keyHash: sha256('bob-1'),
      prefix: 'pp_live_bob1',
      tier: 'enterprise',
      limits: { perMinute: 100, perDay: 5000 },
    });
    expect(key).toMatchObject({ tier: 'enterprise', rateLimitPerMinute: 100, rateLimitPerDay: 5000, name: null });
    // Authentication answers with the user's tier: the key row's copy could be stale or self-granted.
    expect(await findActiveKeyByHash(pool, sha256('bob-1'))).toMatchObject({ tier: 'free', keyTier: 'enterprise' });
  });

  it('refuses a duplicate hash and a key for a missing user', async () => {
    const duplicate: unknown = await insertApiKey(pool, { userId: bob.id, keyHash: sha256('bob-1'), prefix: 'x' }).catch((e: unknown) => e);
    expect(isUniqueViolation(duplicate)).toBe(true);
    const orphan: unknown = await insertApiKey(pool, { userId: randomUUID(), keyHash: sha256('orphan'), prefix: 'x' }).catch(
      (e: unknown) => e,
    );
    expect(isForeignKeyViolation(orphan)).toBe(true);
  });

  it('finds nothing for an unknown hash', async () => {
    expect(await findActiveKeyByHash(pool, sha256('never issued'))).toBeNull();
  });

  it("follows the user's tier when it changes", async () => {
    const user = await createUser(pool, 'upgrader@example.com');
    await insertApiKey(pool, { userId: user.id, keyHash: sha256('up-1'), prefix: 'pp_live_up01' });
    await setTier(pool, user.id, 'pro');
    expect((await findActiveKeyByHash(pool, sha256('up-1')))?.tier).toBe('pro');
  });

  it("lists a user's keys newest first, never with a hash, and only theirs", async () => {
    const user = await createUser(pool, 'lister@example.com');
    await insertApiKey(pool, { userId: user.id, keyHash: sha256('l-1'), prefix: 'pp_live_l001', name: 'one' });
    await pool.query("UPDATE api_keys SET created_at = now() - interval '1 hour' WHERE key_hash = $1", [sha256('l-1')]);
    await insertApiKey(pool, { userId: user.id, keyHash: sha256('l-2'), prefix: 'pp_live_l002', name: 'two' });

    const keys = await listKeys(pool, user.id);
    expect(keys.map((k) => k.name)).toEqual(['two', 'one']);
    const serialized = JSON.stringify(keys);
    expect(serialized).not.toContain(sha256('l-1'));
    expect(serialized).not.toContain(sha256('l-2'));
    expect(keys.every((k) => !('keyHash' in k) && !('key_hash' in k))).toBe(true);
    expect(await listKeys(pool, randomUUID())).toEqual([]);
    expect(await listKeys(pool, 'garbage')).toEqual([]);
  });

  it("revokes only the owner's key, returns its hash for cache invalidation, and is idempotent", async () => {
    const owner = await createUser(pool, 'revoker@example.com');
    const key = await insertApiKey(pool, { userId: owner.id, keyHash: sha256('r-1'), prefix: 'pp_live_r001' });

    expect(await revokeKey(pool, bob.id, key.id)).toBeNull();
    expect(await findActiveKeyByHash(pool, sha256('r-1'))).not.toBeNull();

    expect(await revokeKey(pool, owner.id, key.id)).toBe(sha256('r-1'));
    expect(await findActiveKeyByHash(pool, sha256('r-1'))).toBeNull();
    const [listed] = await listKeys(pool, owner.id);
    expect(listed).toMatchObject({ id: key.id, isActive: false });
    expect(listed?.revokedAt).toBeInstanceOf(Date);

    expect(await revokeKey(pool, owner.id, key.id)).toBe(sha256('r-1'));
    expect((await listKeys(pool, owner.id))[0]?.revokedAt).toEqual(listed?.revokedAt);
    expect(await revokeKey(pool, owner.id, randomUUID())).toBeNull();
    expect(await revokeKey(pool, owner.id, 'not-a-uuid')).toBeNull();
  });

  it('does not authenticate a key whose is_active was cleared by hand', async () => {
    await insertApiKey(pool, { userId: bob.id, keyHash: sha256('manual'), prefix: 'pp_live_man0' });
    await pool.query('UPDATE api_keys SET is_active = false WHERE key_hash = $1', [sha256('manual')]);
    expect(await findActiveKeyByHash(pool, sha256('manual'))).toBeNull();
  });

  it('touches last_used for a batch of hashes in one statement and never moves it backwards', async () => {
    const user = await createUser(pool, 'toucher@example.com');
    const hashes = [sha256('t-1'), sha256('t-2'), sha256('t-3')];
    for (const keyHash of hashes) await insertApiKey(pool, { userId: user.id, keyHash, prefix: 'pp_live_t' });
    const later = new Date('2030-01-02T03:04:05.000Z');
    const earlier = new Date('2030-01-01T00:00:00.000Z');

    expect(await touchLastUsed(pool, [hashes[0]!, hashes[1]!, hashes[0]!, sha256('unknown')], later)).toBe(2);
    expect(await touchLastUsed(pool, [hashes[0]!], earlier)).toBe(0);
    expect(await touchLastUsed(pool, [], later)).toBe(0);
    const byPrefix = await listKeys(pool, user.id);
    expect(byPrefix.map((k) => k.lastUsed?.toISOString() ?? null).sort()).toEqual([later.toISOString(), later.toISOString(), null].sort());
  });
});
