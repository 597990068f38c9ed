// The migrated schema is the deployment guide's ("Database Setup"), column for column, plus the
// gateway's additions; and its row-level security really keeps users apart.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type pg from 'pg';
import '../setup/provided.ts';
import { freshDatabase } from '../support/database.ts';
import { migrate } from '../../gateway/db/migrate.ts';
import { createPool } from '../../gateway/db/pool.ts';
import { createUser } from '../../gateway/db/users.ts';
import { insertApiKey } from '../../gateway/db/api-keys.ts';
import { upsertProviderKey } from '../../gateway/db/provider-keys.ts';
import { insertUsageBatch } from '../../gateway/db/usage-logs.ts';

const silent = { info: () => undefined, warn: () => undefined };
let pool: pg.Pool;

beforeAll(async () => {
  pool = createPool({ connectionString: await freshDatabase(inject('postgresUrl'), 'db_schema') });
  await migrate(pool, silent);
});
afterAll(async () => {
  await pool.end();
});

type Column = [name: string, type: string, defaultValue: string | null, nullable: 'YES' | 'NO'];

// The guide's CREATE TABLE statements, read as information_schema reports them. Ids default to
// gen_random_uuid() instead of uuid_generate_v4() (both v4; see 002-guide-schema.sql).
const GUIDE_COLUMNS: Record<string, Column[]> = {
  users: [
    ['id', 'uuid', 'gen_random_uuid()', 'NO'],
    ['email', 'text', null, 'NO'],
    ['tier', 'text', "'free'::text", 'YES'],
    ['created_at', 'timestamp with time zone', 'now()', 'YES'],
    ['total_requests', 'integer', '0', 'YES'],
    ['total_tokens', 'integer', '0', 'YES'],
    ['current_balance_usd', 'double precision', '0.0', 'YES'],
  ],
  api_keys: [
    ['key_hash', 'text', null, 'NO'],
    ['user_id', 'uuid', null, 'YES'],
    ['tier', 'text', "'free'::text", 'YES'],
    ['rate_limit_per_minute', 'integer', '10', 'YES'],
    ['rate_limit_per_day', 'integer', '1000', 'YES'],
    ['is_active', 'boolean', 'true', 'YES'],
    ['created_at', 'timestamp with time zone', 'now()', 'YES'],
    ['last_used', 'timestamp with time zone', null, 'YES'],
  ],
  usage_logs: [
    ['id', 'uuid', 'gen_random_uuid()', 'NO'],
    ['user_id', 'uuid', null, 'YES'],
    ['conversation_id', 'text', null, 'YES'],
    ['timestamp', 'timestamp with time zone', 'now()', 'YES'],
    ['input_tokens', 'integer', null, 'YES'],
    ['output_tokens', 'integer', null, 'YES'],
    ['total_tokens', 'integer', null, 'YES'],
    ['retrieval_calls', 'integer', '0', 'YES'],
    ['retrieval_latency_ms', 'double precision', null, 'YES'],
    ['cost_usd', 'double precision', null, 'YES'],
    ['model', 'text', null, 'YES'],
    ['endpoint', 'text', null, 'YES'],
    ['status_code', 'integer', null, 'YES'],
    ['latency_ms', 'double precision', null, 'YES'],
  ],
  user_provider_keys: [
    ['id', 'uuid', 'gen_random_uuid()', 'NO'],
    ['user_id', 'uuid', null, 'YES'],
    ['provider', 'text', null, 'NO'],
    ['encrypted_key', 'text', null, 'NO'],
    ['created_at', 'timestamp with time zone', 'now()', 'YES'],
    ['updated_at', 'timestamp with time zone', 'now()', 'YES'],
  ],
};

const GATEWAY_COLUMNS: Record<string, Column[]> = {
  users: [['updated_at', 'timestamp with time zone', 'now()', 'YES']],
  api_keys: [
    ['id', 'uuid', 'gen_random_uuid()', 'NO'],
    ['name', 'text', null, 'YES'],
    ['key_prefix', 'text', null, 'YES'],
    ['revoked_at', 'timestamp with time zone', null, 'YES'],
    ['expires_at', 'timestamp with time zone', null, 'YES'],
    ['grace_until', 'timestamp with time zone', null, 'YES'],
    ['replaced_by', 'uuid', null, 'YES'],
    ['scopes', 'jsonb', null, 'YES'],
  ],
  usage_logs: [
    ['request_id', 'text', null, 'YES'],
    ['provider', 'text', null, 'YES'],
    ['usage_estimated', 'boolean', 'false', 'YES'],
    ['memory_tokens', 'integer', '0', 'YES'],
    ['client_request_id', 'text', null, 'YES'],
    ['cached_input_tokens', 'integer', null, 'YES'],
    ['api_key_id', 'uuid', null, 'YES'],
  ],
  user_provider_keys: [['key_hint', 'text', null, 'YES']],
};

async function columnsOf(table: string): Promise<Column[]> {
  const { rows } = await pool.query<{ column_name: string; data_type: string; column_default: string | null; is_nullable: 'YES' | 'NO' }>(
    `SELECT column_name, data_type, column_default, is_nullable FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => [r.column_name, r.data_type, r.column_default, r.is_nullable]);
}

describe('schema', () => {
  it.each(Object.keys(GUIDE_COLUMNS))("%s has the guide's columns first, unchanged, then the gateway's", async (table) => {
    expect(await columnsOf(table)).toEqual([...GUIDE_COLUMNS[table]!, ...GATEWAY_COLUMNS[table]!]);
  });

  it("has the guide's keys, unique constraints and cascading foreign keys", async () => {
    const { rows } = await pool.query<{ table: string; definition: string }>(
      `SELECT conrelid::regclass::text AS table, pg_get_constraintdef(oid) AS definition FROM pg_constraint
        WHERE conrelid IN ('users'::regclass, 'api_keys'::regclass, 'usage_logs'::regclass, 'user_provider_keys'::regclass)
        ORDER BY 1, 2`,
    );
    expect(rows).toEqual([
      { table: 'api_keys', definition: 'FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE' },
      { table: 'api_keys', definition: 'PRIMARY KEY (key_hash)' },
      { table: 'api_keys', definition: 'UNIQUE (id)' },
      { table: 'usage_logs', definition: 'FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE' },
      { table: 'usage_logs', definition: 'PRIMARY KEY (id)' },
      { table: 'usage_logs', definition: 'UNIQUE (request_id)' },
      { table: 'user_provider_keys', definition: 'FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE' },
      { table: 'user_provider_keys', definition: 'PRIMARY KEY (id)' },
      { table: 'user_provider_keys', definition: 'UNIQUE (user_id, provider)' },
      { table: 'users', definition: 'PRIMARY KEY (id)' },
      { table: 'users', definition: 'UNIQUE (email)' },
    ]);
  });

  it("has the guide's four indexes", async () => {
    const { rows } = await pool.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname LIKE 'idx_%' ORDER BY indexname`,
    );
    const byName = Object.fromEntries(rows.map((r) => [r.indexname, r.indexdef]));
    expect(byName).toMatchObject({
      idx_api_keys_user_id: 'CREATE INDEX idx_api_keys_user_id ON public.api_keys USING btree (user_id)',
      idx_usage_logs_user_id: 'CREATE INDEX idx_usage_logs_user_id ON public.usage_logs USING btree (user_id)',
      idx_usage_logs_timestamp: 'CREATE INDEX idx_usage_logs_timestamp ON public.usage_logs USING btree ("timestamp")',
      idx_user_provider_keys_user_id: 'CREATE INDEX idx_user_provider_keys_user_id ON public.user_provider_keys USING btree (user_id)',
    });
  });

  it("indexes the caller's request id without making it unique: callers may reuse theirs", async () => {
    const { rows } = await pool.query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'usage_logs' AND indexdef LIKE '%client_request_id%'",
    );
    expect(rows.map((r) => r.indexdef)).toEqual([
      'CREATE INDEX idx_usage_logs_client_request_id ON public.usage_logs USING btree (client_request_id)',
    ]);
  });

  it('keeps stored responses per account, deleted with it, behind row-level security with no policy', async () => {
    const fk = await pool.query<{ definition: string }>(
      "SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = 'responses'::regclass AND contype = 'f'",
    );
    expect(fk.rows.map((r) => r.definition)).toEqual(['FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE']);
    const rls = await pool.query<{ relrowsecurity: boolean }>("SELECT relrowsecurity FROM pg_class WHERE relname = 'responses'");
    expect(rls.rows).toEqual([{ relrowsecurity: true }]);
    // No policy: Supabase's API roles (anon, authenticated) can read none of them.
    const policies = await pool.query("SELECT policyname FROM pg_policies WHERE tablename = 'responses'");
    expect(policies.rows).toEqual([]);
  });

  it('keeps the audit log outside every foreign key (it outlives users), behind row-level security with no policy', async () => {
    const fk = await pool.query(
      "SELECT 1 FROM pg_constraint WHERE (conrelid = 'audit_log'::regclass OR confrelid = 'audit_log'::regclass) AND contype = 'f'",
    );
    expect(fk.rows).toEqual([]);
    const rls = await pool.query<{ relrowsecurity: boolean }>("SELECT relrowsecurity FROM pg_class WHERE relname = 'audit_log'");
    expect(rls.rows).toEqual([{ relrowsecurity: true }]);
    const policies = await pool.query("SELECT policyname FROM pg_policies WHERE tablename = 'audit_log'");
    expect(policies.rows).toEqual([]);
  });

  it('keeps budgets and limit overrides where Supabase roles cannot change them, cascading with the user and the key, never negative', async () => {
    const fk = await pool.query<{ definition: string }>(
      "SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = 'limit_overrides'::regclass AND contype = 'f' ORDER BY 1",
    );
    expect(fk.rows.map((r) => r.definition)).toEqual([
      'FOREIGN KEY (api_key_id) REFERENCES api_keys(id) ON DELETE CASCADE',
      'FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE',
    ]);
    const rls = await pool.query<{ relrowsecurity: boolean }>("SELECT relrowsecurity FROM pg_class WHERE relname = 'limit_overrides'");
    expect(rls.rows).toEqual([{ relrowsecurity: true }]);
    expect((await pool.query("SELECT policyname FROM pg_policies WHERE tablename = 'limit_overrides'")).rows).toEqual([]);
    const user = await pool.query<{ id: string }>("INSERT INTO users (email) VALUES ('limits@example.com') RETURNING id");
    const id = user.rows[0]?.id;
    await expect(pool.query('INSERT INTO limit_overrides (user_id, monthly_usd) VALUES ($1, -1)', [id])).rejects.toThrow(
      /check constraint/,
    );
    await expect(pool.query('INSERT INTO limit_overrides (user_id, tokens_per_day) VALUES ($1, 0)', [id])).rejects.toThrow(
      /check constraint/,
    );
    await pool.query('INSERT INTO limit_overrides (user_id, monthly_usd) VALUES ($1, 5)', [id]);
    // One row per user (and one per key): a second is a unique violation, which the upsert relies on.
    await expect(pool.query('INSERT INTO limit_overrides (user_id, daily_usd) VALUES ($1, 1)', [id])).rejects.toThrow(/unique/);
    await pool.query('DELETE FROM users WHERE id = $1', [id]);
    expect((await pool.query('SELECT 1 FROM limit_overrides WHERE user_id = $1', [id])).rows).toEqual([]);
  });

  it("enables row-level security on all four tables with the guide's four policies", async () => {
    const rls = await pool.query<{ relname: string; relrowsecurity: boolean }>(
      `SELECT relname, relrowsecurity FROM pg_class WHERE relname IN ('users', 'api_keys', 'usage_logs', 'user_provider_keys') ORDER BY relname`,
    );
    expect(rls.rows.every((r) => r.relrowsecurity)).toBe(true);
    expect(rls.rows).toHaveLength(4);
    const { rows } = await pool.query(
      `SELECT tablename, policyname, cmd, roles::text AS roles, qual, with_check FROM pg_policies WHERE schemaname = 'public' ORDER BY tablename`,
    );
    expect(rows).toEqual([
      {
        tablename: 'api_keys',
        policyname: 'Users can manage own API keys',
        cmd: 'ALL',
        roles: '{public}',
        qual: '(auth.uid() = user_id)',
        with_check: null,
      },
      {
        tablename: 'usage_logs',
        policyname: 'Users can read own usage logs',
        cmd: 'SELECT',
        roles: '{public}',
        qual: '(auth.uid() = user_id)',
        with_check: null,
      },
      {
        tablename: 'user_provider_keys',
        policyname: 'Users can manage own provider keys',
        cmd: 'ALL',
        roles: '{public}',
        qual: '(auth.uid() = user_id)',
        with_check: null,
      },
      {
        tablename: 'users',
        policyname: 'Users can read own data',
        cmd: 'SELECT',
        roles: '{public}',
        qual: '(auth.uid() = id)',
        with_check: null,
      },
    ]);
  });

  it("provides Supabase's roles (NOLOGIN) and auth.uid() from either JWT setting", async () => {
    const roles = await pool.query<{ rolname: string; rolcanlogin: boolean }>(
      `SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role') ORDER BY rolname`,
    );
    expect(roles.rows).toEqual([
      { rolname: 'anon', rolcanlogin: false },
      { rolname: 'authenticated', rolcanlogin: false },
      { rolname: 'service_role', rolcanlogin: false },
    ]);
    const id = '6c0f1b9e-3a55-4a53-9d62-0a8f2f4f5e01';
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      expect((await client.query<{ uid: string | null }>('SELECT auth.uid() AS uid')).rows[0]?.uid).toBeNull();
      await client.query("SELECT set_config('request.jwt.claims', $1, true)", [JSON.stringify({ sub: id, role: 'authenticated' })]);
      expect((await client.query<{ uid: string | null }>('SELECT auth.uid() AS uid')).rows[0]?.uid).toBe(id);
      await client.query("SELECT set_config('request.jwt.claims', '', true), set_config('request.jwt.claim.sub', $1, true)", [id]);
      expect((await client.query<{ uid: string | null }>('SELECT auth.uid() AS uid')).rows[0]?.uid).toBe(id);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});

describe('row-level security', () => {
  const ids = { a: '', b: '' };

  beforeAll(async () => {
    // Written as the owner (the gateway's own connection), which RLS does not bind.
    for (const who of ['a', 'b'] as const) {
      const user = await createUser(pool, `${who}@rls.example`);
      ids[who] = user.id;
      await insertApiKey(pool, { userId: user.id, keyHash: `hash-${who}`, prefix: `pp_live_${who}` });
      await upsertProviderKey(pool, { userId: user.id, provider: 'openai', encryptedKey: `token-${who}`, hint: who });
      await insertUsageBatch(pool, [
        {
          requestId: `req-${who}`,
          userId: user.id,
          inputTokens: 1,
          outputTokens: 1,
          totalTokens: 2,
          costUsd: 0.1,
          model: 'm',
          endpoint: '/v1/chat/completions',
          statusCode: 200,
          latencyMs: 5,
        },
      ]);
    }
  });

  /** Runs `fn` as role `role` with the JWT subject set, as PostgREST would, then rolls back. */
  async function as<T>(role: string, sub: string | null, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL ROLE ${role}`);
      if (sub) await client.query("SELECT set_config('request.jwt.claim.sub', $1, true)", [sub]);
      return await fn(client);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  async function visible(client: pg.PoolClient): Promise<Record<string, string[]>> {
    const pick = async (sql: string): Promise<string[]> => (await client.query<{ v: string }>(sql)).rows.map((r) => r.v);
    return {
      users: await pick('SELECT email AS v FROM users ORDER BY 1'),
      apiKeys: await pick('SELECT key_hash AS v FROM api_keys ORDER BY 1'),
      usage: await pick('SELECT request_id AS v FROM usage_logs ORDER BY 1'),
      providerKeys: await pick('SELECT encrypted_key AS v FROM user_provider_keys ORDER BY 1'),
    };
  }

  it("shows an authenticated user their own rows and nobody else's", async () => {
    expect(await as('authenticated', ids.a, visible)).toEqual({
      users: ['a@rls.example'],
      apiKeys: ['hash-a'],
      usage: ['req-a'],
      providerKeys: ['token-a'],
    });
    expect(await as('authenticated', ids.b, visible)).toEqual({
      users: ['b@rls.example'],
      apiKeys: ['hash-b'],
      usage: ['req-b'],
      providerKeys: ['token-b'],
    });
  });

  it('shows nothing without a JWT subject, and nothing to anon', async () => {
    const none = { users: [], apiKeys: [], usage: [], providerKeys: [] };
    expect(await as('authenticated', null, visible)).toEqual(none);
    await expect(as('anon', ids.a, visible)).rejects.toThrow(/permission denied/);
  });

  it("lets a user manage their own keys but not write another user's or their own usage", async () => {
    await as('authenticated', ids.a, async (client) => {
      await client.query('INSERT INTO api_keys (key_hash, user_id) VALUES ($1, $2)', ['hash-a2', ids.a]);
      await client.query('SAVEPOINT s');
      await expect(client.query('INSERT INTO api_keys (key_hash, user_id) VALUES ($1, $2)', ['hash-b2', ids.b])).rejects.toThrow(
        /row-level security/,
      );
      await client.query('ROLLBACK TO SAVEPOINT s');
      expect((await client.query('UPDATE user_provider_keys SET key_hint = $1', ['x'])).rowCount).toBe(1);
      expect((await client.query('DELETE FROM api_keys WHERE user_id = $1', [ids.b])).rowCount).toBe(0);
      await expect(client.query('INSERT INTO usage_logs (user_id, request_id) VALUES ($1, $2)', [ids.a, 'forged'])).rejects.toThrow(
        /permission denied|row-level security/,
      );
    });
  });
});
