// gateway/db/users.ts against a real PostgreSQL.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type pg from 'pg';
import '../setup/provided.ts';
import { freshDatabase } from '../support/database.ts';
import { migrate } from '../../gateway/db/migrate.ts';
import { createPool } from '../../gateway/db/pool.ts';
import { isUniqueViolation } from '../../gateway/db/pg-errors.ts';
import { addUsageTotals, createUser, deleteUserCascade, getUser, getUserByEmail, setTier } from '../../gateway/db/users.ts';
import { findActiveKeyByHash, insertApiKey } from '../../gateway/db/api-keys.ts';
import { upsertProviderKey } from '../../gateway/db/provider-keys.ts';
import { insertResponse } from '../../gateway/db/responses.ts';
import { insertUsageBatch, type NewUsageLog } from '../../gateway/db/usage-logs.ts';

let pool: pg.Pool;
beforeAll(async () => {
  pool = createPool({ connectionString: await freshDatabase(inject('postgresUrl'), 'db_users') });
  await migrate(pool, { info: () => undefined, warn: () => undefined });
});
afterAll(async () => {
  await pool.end();
});

function usage(userId: string, requestId: string): NewUsageLog {
  return {
    requestId,
    userId,
    inputTokens: 3,
    outputTokens: 4,
    totalTokens: 7,
    costUsd: 0.01,
    model: 'gpt-4o-mini',
    endpoint: '/v1/chat/completions',
    statusCode: 200,
    latencyMs: 12,
  };
}

describe('users', () => {
  it("creates a user with the guide's defaults and reads it back by id and by email", async () => {
    const user = await createUser(pool, 'ada@example.com');
    expect(user).toMatchObject({ email: 'ada@example.com', tier: 'free', totalRequests: 0, totalTokens: 0, currentBalanceUsd: 0 });
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(user.createdAt).toBeInstanceOf(Date);
    expect(user.updatedAt).toBeInstanceOf(Date);
    expect(await getUser(pool, user.id)).toEqual(user);
    expect(await getUserByEmail(pool, 'ada@example.com')).toEqual(user);
  });

  it("creates a user with a given tier and a given id (an existing identity's)", async () => {
    const id = randomUUID();
    expect(await createUser(pool, 'grace@example.com', 'pro', id)).toMatchObject({ id, tier: 'pro' });
  });

  it('reports a taken email as a unique violation', async () => {
    await createUser(pool, 'taken@example.com');
    const err: unknown = await createUser(pool, 'taken@example.com').catch((e: unknown) => e);
    expect(isUniqueViolation(err)).toBe(true);
  });

  it('answers null for unknown or malformed ids and emails', async () => {
    expect(await getUser(pool, randomUUID())).toBeNull();
    expect(await getUser(pool, 'not-a-uuid')).toBeNull();
    expect(await getUserByEmail(pool, 'nobody@example.com')).toBeNull();
    expect(await setTier(pool, randomUUID(), 'pro')).toBeNull();
    expect(await setTier(pool, '1; DROP TABLE users', 'pro')).toBeNull();
  });

  it('moves a user and all their keys to a new tier, with new limits when given', async () => {
    const user = await createUser(pool, 'tiers@example.com');
    await insertApiKey(pool, { userId: user.id, keyHash: 'h-tier-1', prefix: 'pp_live_t1' });
    await insertApiKey(pool, { userId: user.id, keyHash: 'h-tier-2', prefix: 'pp_live_t2', limits: { perMinute: 5, perDay: 50 } });

    const pro = await setTier(pool, user.id, 'pro');
    expect(pro?.tier).toBe('pro');
    expect(pro!.updatedAt!.getTime()).toBeGreaterThanOrEqual(user.updatedAt!.getTime());
    expect(await findActiveKeyByHash(pool, 'h-tier-1')).toMatchObject({
      tier: 'pro',
      keyTier: 'pro',
      rateLimitPerMinute: 10,
      rateLimitPerDay: 1000,
    });
    expect(await findActiveKeyByHash(pool, 'h-tier-2')).toMatchObject({
      tier: 'pro',
      keyTier: 'pro',
      rateLimitPerMinute: 5,
      rateLimitPerDay: 50,
    });

    await setTier(pool, user.id, 'enterprise', { perMinute: 600, perDay: 100_000 });
    for (const hash of ['h-tier-1', 'h-tier-2']) {
      expect(await findActiveKeyByHash(pool, hash)).toMatchObject({
        tier: 'enterprise',
        keyTier: 'enterprise',
        rateLimitPerMinute: 600,
        rateLimitPerDay: 100_000,
      });
    }
  });

  it("adds usage totals, saturating the guide's INT counters instead of failing", async () => {
    const user = await createUser(pool, 'totals@example.com');
    expect(await addUsageTotals(pool, user.id, { requests: 2, tokens: 150, costUsd: 0.25 })).toBe(true);
    expect(await addUsageTotals(pool, user.id, { requests: 1, tokens: 50, costUsd: 0.5 })).toBe(true);
    expect(await getUser(pool, user.id)).toMatchObject({ totalRequests: 3, totalTokens: 200, currentBalanceUsd: 0.75 });
    await addUsageTotals(pool, user.id, { requests: 0, tokens: 2 ** 31 + 5, costUsd: 0 });
    expect((await getUser(pool, user.id))?.totalTokens).toBe(2 ** 31 - 1);
    expect(await addUsageTotals(pool, randomUUID(), { requests: 1, tokens: 1, costUsd: 1 })).toBe(false);
  });

  it('deletes a user with everything of theirs, counts it, and leaves other users alone', async () => {
    const doomed = await createUser(pool, 'doomed@example.com');
    const bystander = await createUser(pool, 'bystander@example.com');
    for (const user of [doomed, bystander]) {
      await insertApiKey(pool, { userId: user.id, keyHash: `k1-${user.id}`, prefix: 'pp_live_x' });
      await insertApiKey(pool, { userId: user.id, keyHash: `k2-${user.id}`, prefix: 'pp_live_y' });
      await upsertProviderKey(pool, { userId: user.id, provider: 'openai', encryptedKey: 'gAAAA-token', hint: 'abcd' });
      await insertUsageBatch(pool, [usage(user.id, `a-${user.id}`), usage(user.id, `b-${user.id}`), usage(user.id, `c-${user.id}`)]);
      // The account's own stored response and one of its end user's: erasure takes both.
      for (const endUser of [undefined, 'end-user-1']) {
        await insertResponse(pool, {
          id: `resp_${endUser ?? 'own'}_${user.id}`,
          scope: { userId: user.id, endUser },
          previousResponseId: null,
          inputItems: [],
          response: {},
        });
      }
    }

    expect(await deleteUserCascade(pool, doomed.id)).toEqual({
      counts: { users: 1, apiKeys: 2, usageLogs: 3, providerKeys: 1, responses: 2 },
      keyHashes: [`k1-${doomed.id}`, `k2-${doomed.id}`],
    });

    const left = async (id: string): Promise<number[]> => {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM users WHERE id = $1 UNION ALL SELECT count(*)::int FROM api_keys WHERE user_id = $1
         UNION ALL SELECT count(*)::int FROM usage_logs WHERE user_id = $1 UNION ALL SELECT count(*)::int FROM user_provider_keys WHERE user_id = $1
         UNION ALL SELECT count(*)::int FROM responses WHERE user_id = $1`,
        [id],
      );
      return rows.map((r) => r.n);
    };
    expect(await left(doomed.id)).toEqual([0, 0, 0, 0, 0]);
    expect(await left(bystander.id)).toEqual([1, 2, 3, 1, 2]);
    const nothing = { counts: { users: 0, apiKeys: 0, usageLogs: 0, providerKeys: 0, responses: 0 }, keyHashes: [] };
    expect(await deleteUserCascade(pool, doomed.id)).toEqual(nothing);
    expect(await deleteUserCascade(pool, 'not-a-uuid')).toEqual(nothing);
  });
});
