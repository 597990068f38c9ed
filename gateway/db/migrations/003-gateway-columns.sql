-- Columns the gateway needs beyond the guide's schema. The guide's columns stay as they are.

-- api_keys: a stable public id, so keys can be listed and revoked without ever showing the hash;
-- a name and the key's first characters so the owner can tell keys apart; when it was revoked.
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS id UUID NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS name TEXT;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS key_prefix TEXT;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS revoked_at TIMESTAMP WITH TIME ZONE;

-- usage_logs: the gateway's request id makes a retried batch insert idempotent
-- (ON CONFLICT (request_id) DO NOTHING); which provider served the call; whether token counts
-- were estimated because the upstream reported none; tokens spent on injected memories.
ALTER TABLE usage_logs ADD COLUMN IF NOT EXISTS request_id TEXT;
ALTER TABLE usage_logs ADD COLUMN IF NOT EXISTS provider TEXT;
ALTER TABLE usage_logs ADD COLUMN IF NOT EXISTS usage_estimated BOOLEAN DEFAULT false;
ALTER TABLE usage_logs ADD COLUMN IF NOT EXISTS memory_tokens INT DEFAULT 0;

-- user_provider_keys: the last characters of the plaintext key, for a masked listing.
ALTER TABLE user_provider_keys ADD COLUMN IF NOT EXISTS key_hint TEXT;

ALTER TABLE users ADD COLUMN IF NOT EXISTS updated_at TIMESTAMP WITH TIME ZONE DEFAULT NOW();

-- Unique constraints are added apart from their columns: ADD COLUMN IF NOT EXISTS ... UNIQUE
-- would be skipped as a whole on a table whose column exists but whose constraint does not.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'api_keys'::regclass AND conname = 'api_keys_id_key') THEN
    ALTER TABLE api_keys ADD CONSTRAINT api_keys_id_key UNIQUE (id);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'usage_logs'::regclass AND conname = 'usage_logs_request_id_key') THEN
    ALTER TABLE usage_logs ADD CONSTRAINT usage_logs_request_id_key UNIQUE (request_id);
  END IF;
END
$$;

-- A user's usage page reads newest first within a time window.
CREATE INDEX IF NOT EXISTS idx_usage_logs_user_id_timestamp ON usage_logs(user_id, timestamp DESC);
