-- The schema from the deployment guide ("Database Setup"), column for column. Two changes, both
-- so that it runs on any PostgreSQL 15+ and re-runs as a no-op:
--   * ids default to gen_random_uuid() (built in since PostgreSQL 13; uuid_generate_v4() needs the
--     uuid-ossp extension, which Supabase keeps in its own `extensions` schema). Both give v4 UUIDs.
--   * indexes use IF NOT EXISTS, and policies are created only when absent (CREATE POLICY has no
--     IF NOT EXISTS).
-- A database that already has these tables from the guide's own SQL keeps them as they are.

CREATE TABLE IF NOT EXISTS users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email TEXT UNIQUE NOT NULL,
    tier TEXT DEFAULT 'free',
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    total_requests INT DEFAULT 0,
    total_tokens INT DEFAULT 0,
    current_balance_usd FLOAT DEFAULT 0.0
);

CREATE TABLE IF NOT EXISTS api_keys (
    key_hash TEXT PRIMARY KEY,
    user_id UUID REFERENCES users(id) ON DELETE CASCADE,
    tier TEXT DEFAULT 'free',
    rate_limit_per_minute INT DEFAULT 10,
    rate_limit_per_day INT DEFAULT 1000,
    is_active BOOLEAN DEFAULT true,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    last_used TIMESTAMP WITH TIME ZONE
);

CREATE TABLE IF NOT EXISTS usage_logs (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users(id) ON DELETE CASCADE,
    conversation_id TEXT,
    timestamp TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    input_tokens INT,
    output_tokens INT,
    total_tokens INT,
    retrieval_calls INT DEFAULT 0,
    retrieval_latency_ms FLOAT,
    cost_usd FLOAT,
    model TEXT,
    endpoint TEXT,
    status_code INT,
    latency_ms FLOAT
);

CREATE TABLE IF NOT EXISTS user_provider_keys (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users(id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    encrypted_key TEXT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(),
    UNIQUE(user_id, provider)
);

CREATE INDEX IF NOT EXISTS idx_api_keys_user_id ON api_keys(user_id);
CREATE INDEX IF NOT EXISTS idx_usage_logs_user_id ON usage_logs(user_id);
CREATE INDEX IF NOT EXISTS idx_usage_logs_timestamp ON usage_logs(timestamp);
CREATE INDEX IF NOT EXISTS idx_user_provider_keys_user_id ON user_provider_keys(user_id);

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_provider_keys ENABLE ROW LEVEL SECURITY;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'users'::regclass AND polname = 'Users can read own data') THEN
    CREATE POLICY "Users can read own data" ON users FOR SELECT USING (auth.uid() = id);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'api_keys'::regclass AND polname = 'Users can manage own API keys') THEN
    CREATE POLICY "Users can manage own API keys" ON api_keys FOR ALL USING (auth.uid() = user_id);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'usage_logs'::regclass AND polname = 'Users can read own usage logs') THEN
    CREATE POLICY "Users can read own usage logs" ON usage_logs FOR SELECT USING (auth.uid() = user_id);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = 'user_provider_keys'::regclass AND polname = 'Users can manage own provider keys') THEN
    CREATE POLICY "Users can manage own provider keys" ON user_provider_keys FOR ALL USING (auth.uid() = user_id);
  END IF;
END
$$;
