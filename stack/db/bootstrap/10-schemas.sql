-- Schemas, extensions and the privileges on `public` that the Supabase image sets up, so that
-- migrations and seeds written for Supabase find what they expect.

create schema if not exists extensions;
create schema if not exists auth;
create schema if not exists realtime;
create schema if not exists storage;
create schema if not exists supabase_migrations;

-- Supabase installs extensions into `extensions`, not `public`; seeds call crypt() and
-- gen_salt() unqualified because `extensions` is on the search_path.
create extension if not exists pgcrypto with schema extensions;
create extension if not exists "uuid-ossp" with schema extensions;

-- The image sets the search_path on the role; the database-level setting covers other roles.
-- Both apply to new sessions, so this session (which goes on to migrations and the seed) sets it too.
do $$
begin
  execute format('alter database %I set search_path = "$user", public, extensions', current_database());
  -- Supabase's databases search text in English unless told otherwise.
  execute format('alter database %I set default_text_search_config = %L', current_database(), 'pg_catalog.english');
end
$$;
alter role postgres set search_path = "$user", public, extensions;
alter role supabase_admin set search_path = "$user", public, auth, extensions;
alter role supabase_auth_admin set search_path = auth;
set search_path = "$user", public, extensions;
set default_text_search_config = 'pg_catalog.english';

-- What the API roles may reach. Tables, sequences and functions that postgres (or supabase_admin)
-- creates in public are granted to all three request roles by default: Row Level Security,
-- not table privileges, is what keeps data apart in a Supabase project.
grant usage on schema public to postgres, anon, authenticated, service_role;
grant usage on schema extensions to postgres, anon, authenticated, service_role;
grant usage on schema auth to anon, authenticated, service_role;
grant usage on schema realtime to postgres, anon, authenticated, service_role;
grant usage on schema storage to postgres, anon, authenticated, service_role;

alter default privileges in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on functions to postgres, anon, authenticated, service_role;

grant all on schema auth to supabase_auth_admin, dashboard_user;
grant all on schema extensions to dashboard_user;
grant all on schema storage to supabase_storage_admin, dashboard_user;
