-- What Supabase provides and the guide's schema relies on: the API roles, the `auth` schema and
-- auth.uid(). Each is created only when missing, so on Supabase this file changes nothing, and on
-- plain PostgreSQL (CloudNativePG, RDS, the tests) the RLS policies mean what they mean there.

-- Roles are cluster-wide, so another database on the same server may create one at the same
-- moment: a duplicate is not an error. A migrator without CREATEROLE (CloudNativePG's `app`
-- owner) skips them; the policies then still bind every role except the tables' owner.
DO $$
DECLARE
  api_role text;
  may_create boolean := (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user);
BEGIN
  FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    CONTINUE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = api_role);
    IF NOT may_create THEN
      RAISE NOTICE 'role % is missing and % may not create roles: skipped', api_role, current_user;
      CONTINUE;
    END IF;
    BEGIN
      EXECUTE format('CREATE ROLE %I NOLOGIN', api_role);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END;
  END LOOP;
END
$$;

-- On Supabase the auth schema belongs to supabase_auth_admin and its grants are already in place,
-- so grant only on a schema we own (the one created here).
DO $$
DECLARE
  api_role text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'auth') THEN
    CREATE SCHEMA auth;
  END IF;
  IF (SELECT pg_has_role(nspowner, 'MEMBER') FROM pg_namespace WHERE nspname = 'auth') THEN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = api_role) THEN
        EXECUTE format('GRANT USAGE ON SCHEMA auth TO %I', api_role);
      END IF;
    END LOOP;
  END IF;
END
$$;

-- Supabase's definition: the subject of the request's JWT, from the legacy single-claim setting
-- or from the claims object that PostgREST sets today. NULL (no user) when neither is set.
DO $$
BEGIN
  IF to_regprocedure('auth.uid()') IS NULL THEN
    CREATE FUNCTION auth.uid() RETURNS uuid
      LANGUAGE sql STABLE
      AS $fn$
        SELECT coalesce(
          nullif(current_setting('request.jwt.claim.sub', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
        )::uuid
      $fn$;
  END IF;
END
$$;
