-- Money budgets and per-user / per-key token limit overrides (issue 16, items 1 and 2), and the
-- API key on usage rows so a key's spend can be rebuilt from them.

-- One row per user (api_key_id NULL) or per API key: what the platform team set through the admin
-- API. NULL in a column means "inherit": a user's budget falls back to the tier's default
-- (spec.tiers), a key's budget to none, a token limit to the user's and then the tier's. In a
-- table of its own rather than columns on users and api_keys because 004 lets Supabase's API
-- roles update their own api_keys rows: a user must not be able to lift their own budget. Row-level
-- security is on with no policy, so those roles see none of it.
CREATE TABLE IF NOT EXISTS limit_overrides (
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    api_key_id UUID REFERENCES api_keys(id) ON DELETE CASCADE,
    -- US dollars per UTC day, per calendar month (UTC), and over the account's lifetime (prepaid).
    daily_usd NUMERIC(18, 6) CHECK (daily_usd >= 0),
    monthly_usd NUMERIC(18, 6) CHECK (monthly_usd >= 0),
    lifetime_usd NUMERIC(18, 6) CHECK (lifetime_usd >= 0),
    tokens_per_minute BIGINT CHECK (tokens_per_minute > 0),
    tokens_per_day BIGINT CHECK (tokens_per_day > 0),
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW()
);

CREATE UNIQUE INDEX IF NOT EXISTS limit_overrides_user ON limit_overrides(user_id) WHERE api_key_id IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS limit_overrides_key ON limit_overrides(api_key_id) WHERE api_key_id IS NOT NULL;

ALTER TABLE limit_overrides ENABLE ROW LEVEL SECURITY;

-- The key a request was made with (NULL for older rows and for requests without a key). No
-- foreign key: a revoked or deleted key's spend stays on record.
ALTER TABLE usage_logs ADD COLUMN IF NOT EXISTS api_key_id UUID;

-- Rebuilding a key's day or month spend after Redis lost it reads this.
CREATE INDEX IF NOT EXISTS idx_usage_logs_api_key_id_timestamp ON usage_logs(api_key_id, timestamp) WHERE api_key_id IS NOT NULL;
