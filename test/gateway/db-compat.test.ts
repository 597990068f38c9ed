// The migrations on the two kinds of database the operator points the gateway at: a Supabase
// project that already has the guide's tables and Supabase's own auth objects, and a
// CloudNativePG database whose `app` user owns the database but is no superuser.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import '../setup/provided.ts';
import { freshDatabase } from '../support/database.ts';
import { migrate } from '../../gateway/db/migrate.ts';
import { createPool } from '../../gateway/db/pool.ts';
import { createUser } from '../../gateway/db/users.ts';
import { insertUsageBatch, listUsage } from '../../gateway/db/usage-logs.ts';

const silent = { info: () => undefined, warn: () => undefined };
const pools: pg.Pool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
});

function poolFor(url: string): pg.Pool {
  const pool = createPool({ connectionString: url, max: 2 });
  pools.push(pool);
  return pool;
}

// The guide's "Database Setup" SQL as written, run once by hand before the gateway existed.
const GUIDE_SQL = `
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE TABLE IF NOT EXISTS users (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), email TEXT UNIQUE NOT NULL, tier TEXT DEFAULT 'free',
  created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(), total_requests INT DEFAULT 0, total_tokens INT DEFAULT 0, current_balance_usd FLOAT DEFAULT 0.0);
CREATE TABLE IF NOT EXISTS api_keys (key_hash TEXT PRIMARY KEY, user_id UUID REFERENCES users(id) ON DELETE CASCADE, tier TEXT DEFAULT 'free',
  rate_limit_per_minute INT DEFAULT 10, rate_limit_per_day INT DEFAULT 1000, is_active BOOLEAN DEFAULT true,
  created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(), last_used TIMESTAMP WITH TIME ZONE);
CREATE TABLE IF NOT EXISTS usage_logs (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), user_id UUID REFERENCES users(id) ON DELETE CASCADE,
  conversation_id TEXT, timestamp TIMESTAMP WITH TIME ZONE DEFAULT NOW(), input_tokens INT, output_tokens INT, total_tokens INT,
  retrieval_calls INT DEFAULT 0, retrieval_latency_ms FLOAT, cost_usd FLOAT, model TEXT, endpoint TEXT, status_code INT, latency_ms FLOAT);
CREATE TABLE IF NOT EXISTS user_provider_keys (id UUID PRIMARY KEY DEFAULT uuid_generate_v4(), user_id UUID REFERENCES users(id) ON DELETE CASCADE,
  provider TEXT NOT NULL, encrypted_key TEXT NOT NULL, created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
  updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(), UNIQUE(user_id, provider));
CREATE INDEX idx_api_keys_user_id ON api_keys(user_id);
CREATE INDEX idx_usage_logs_user_id ON usage_logs(user_id);
CREATE INDEX idx_usage_logs_timestamp ON usage_logs(timestamp);
CREATE INDEX idx_user_provider_keys_user_id ON user_provider_keys(user_id);
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_provider_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY "Users can read own data" ON users FOR SELECT USING (auth.uid() = id);
CREATE POLICY "Users can manage own API keys" ON api_keys FOR ALL USING (auth.uid() = user_id);
CREATE POLICY "Users can read own usage logs" ON usage_logs FOR SELECT USING (auth.uid() = user_id);
CREATE POLICY "Users can manage own provider keys" ON user_provider_keys FOR ALL USING (auth.uid() = user_id);
`;

describe("on a Supabase-like database that already has the guide's schema", () => {
  it("keeps Supabase's auth objects and the existing tables, and adds only what is missing", async () => {
    const url = await freshDatabase(inject('postgresUrl'), 'compat_supabase');
    const pool = poolFor(url);
    const authAdmin = `supabase_auth_admin_${randomBytes(3).toString('hex')}`;
    await pool.query(`CREATE ROLE ${authAdmin} NOLOGIN`);
    await pool.query(`CREATE SCHEMA auth AUTHORIZATION ${authAdmin}`);
    await pool.query(`CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
      SELECT /* supabase */ coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid $$`);
    await pool.query(`ALTER FUNCTION auth.uid() OWNER TO ${authAdmin}`);
    await pool.query(GUIDE_SQL);
    const {
      rows: [legacy],
    } = await pool.query<{ id: string }>("INSERT INTO users (email) VALUES ('legacy@example.com') RETURNING id");

    await migrate(pool, silent);

    const { rows } = await pool.query<{ owner: string; body: string; policies: number; usersDefault: string }>(
      `SELECT (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'auth') AS owner,
              (SELECT prosrc FROM pg_proc WHERE oid = 'auth.uid()'::regprocedure) AS body,
              (SELECT count(*)::int FROM pg_policies WHERE schemaname = 'public') AS policies,
              (SELECT column_default FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'id') AS "usersDefault"`,
    );
    expect(rows[0]).toMatchObject({ owner: authAdmin, policies: 4, usersDefault: 'uuid_generate_v4()' });
    expect(rows[0]?.body).toContain('/* supabase */');
    await insertUsageBatch(pool, [
      {
        requestId: 'r1',
        userId: legacy!.id,
        inputTokens: 1,
        outputTokens: 2,
        totalTokens: 3,
        costUsd: 0,
        model: 'm',
        endpoint: '/v1/chat/completions',
        statusCode: 200,
        latencyMs: 1,
      },
    ]);
    expect((await listUsage(pool, legacy!.id)).map((u) => u.requestId)).toEqual(['r1']);
  });
});

describe('on a CloudNativePG-like database owned by a plain `app` user', () => {
  it('migrates as the owner without superuser or CREATEROLE', async () => {
    const admin = new pg.Client({ connectionString: inject('postgresUrl') });
    await admin.connect();
    const appUser = `app_${randomBytes(3).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    let url: URL;
    try {
      // The API roles are cluster-wide; make sure this cluster has them, as any earlier migration would.
      await migrate(poolFor(await freshDatabase(inject('postgresUrl'), 'compat_roles')), silent);
      await admin.query(`CREATE ROLE ${appUser} LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEROLE NOCREATEDB`);
      url = new URL(await freshDatabase(inject('postgresUrl'), 'compat_cnpg'));
      await admin.query(`ALTER DATABASE ${url.pathname.slice(1)} OWNER TO ${appUser}`);
    } finally {
      await admin.end();
    }
    url.username = appUser;
    url.password = password;
    const pool = poolFor(url.toString());
    const result = await migrate(pool, silent);
    expect(result.applied.length).toBeGreaterThan(0);
    const user = await createUser(pool, 'cnpg@example.com');
    expect(user.tier).toBe('free');
    const { rows } = await pool.query<{ rls: boolean }>("SELECT relrowsecurity AS rls FROM pg_class WHERE relname = 'api_keys'");
    expect(rows[0]?.rls).toBe(true);
  });
});
