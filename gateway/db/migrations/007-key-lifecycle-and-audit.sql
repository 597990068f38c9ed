-- Key lifecycle (expiry, rotation with a grace period, scopes), the admin audit log, and cached
-- input tokens on usage rows (issue 16, items 3 to 5). Columns are added without defaults that
-- touch rows, so the migration stays instant on large tables; NULL means "no limit" throughout.

-- api_keys: when the key stops working; when a rotated key stops working (set on the old key at
-- rotation, its replacement's id beside it); what the key may reach (NULL: everything its user
-- may). Scopes are JSON ({"models": [...], "endpoints": [...], "memory": false, "max_tier": "pro"})
-- because they are read whole with the key on the request path and never queried by part.
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS expires_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS grace_until TIMESTAMP WITH TIME ZONE;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS replaced_by UUID;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS scopes JSONB;

-- usage_logs: the part of input_tokens the provider served from its prompt cache (OpenAI's
-- prompt_tokens_details.cached_tokens, Anthropic's cache_read_input_tokens). Old rows read 0.
ALTER TABLE usage_logs ADD COLUMN IF NOT EXISTS cached_input_tokens INT;

-- The audit log: one row per admin or self-service action. It references no other table on
-- purpose: a row outlives the user it names. Erasure replaces that user's id by a pseudonym
-- (the same one in every row of theirs, so their history still reads as one person's) and drops
-- personal details. `id` orders the rows and is the paging cursor.
CREATE TABLE IF NOT EXISTS audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
    -- 'admin' (the platform team's token) or the acting user's id (a session), or a pseudonym.
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    -- The user acted upon (an id, or a pseudonym after erasure); NULL when none.
    target_user TEXT,
    -- What within it: a key id, a provider name.
    target TEXT,
    request_id TEXT,
    details JSONB NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX IF NOT EXISTS idx_audit_log_target_user ON audit_log(target_user);
CREATE INDEX IF NOT EXISTS idx_audit_log_actor ON audit_log(actor);

-- Append-only: no row is deleted, and an update may only pseudonymise (actor, target_user and
-- details); what happened, when, and under which request id never change.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
  LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.at IS DISTINCT FROM OLD.at OR NEW.action IS DISTINCT FROM OLD.action
     OR NEW.target IS DISTINCT FROM OLD.target OR NEW.request_id IS DISTINCT FROM OLD.request_id THEN
    RAISE EXCEPTION 'audit_log rows may only be pseudonymised' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$fn$;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND tgname = 'audit_log_append_only') THEN
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND tgname = 'audit_log_no_truncate') THEN
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
      FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
  END IF;
END
$$;

-- Only the gateway reads and writes the audit log; with row-level security on and no policy,
-- Supabase's API roles see none of it (and 004 grants them nothing on it).
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
