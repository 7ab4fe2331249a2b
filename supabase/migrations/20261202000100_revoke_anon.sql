-- Defence in depth: Beacon's anonymous role needs nothing in `public`.
--
-- Signing in happens through auth (GoTrue), never through tables; every page that reads data
-- does so as a signed-in user. RLS already hides every row from `anon`, but the Supabase
-- defaults grant it ALL on each table, sequence and function created in `public`. Revoking them
-- means a policy mistake, a new column or a SECURITY DEFINER function cannot leak to anyone
-- holding the public key: anon gets "permission denied" (42501, HTTP 401 through REST) instead
-- of an empty result. Postgres changes need SELECT too, so anon cannot subscribe to (or filter
-- on) these tables either.
--
-- Holds on hosted Supabase as well (`supabase db push`): it only revokes.

revoke all on all tables in schema public from anon;
revoke all on all sequences in schema public from anon;
revoke all on all functions in schema public from anon;

-- Functions are executable by PUBLIC unless revoked, and anon is a member of PUBLIC.
-- (authenticated and service_role keep the grants Supabase's default privileges gave them.)
revoke execute on all functions in schema public from public;

-- Objects created later by `postgres` (every migration) would otherwise get the Supabase
-- defaults again: grants to anon, and EXECUTE for PUBLIC on functions.
alter default privileges for role postgres in schema public revoke all on tables from anon;
alter default privileges for role postgres in schema public revoke all on sequences from anon;
alter default privileges for role postgres in schema public revoke all on functions from anon;
alter default privileges for role postgres in schema public revoke execute on functions from public;
