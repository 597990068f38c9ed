-- Supabase grants its API roles privileges on public tables and lets RLS choose the rows. Do the
-- same on plain PostgreSQL, so that a session as `authenticated` is limited by the policies
-- rather than by missing privileges. On Supabase these grants already exist.
-- Only what the guide's policies allow: reading one's own user row and usage, managing one's own
-- API keys and provider keys. Usage rows and totals are written by the gateway alone.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    GRANT SELECT ON users, usage_logs TO authenticated;
    GRANT SELECT, INSERT, UPDATE, DELETE ON api_keys, user_provider_keys TO authenticated;
  END IF;
END
$$;
