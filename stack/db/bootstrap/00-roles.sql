-- Roles the Supabase Postgres image creates (supabase/postgres migrations/db/init-scripts and the
-- migrations after them), in their final state. Roles are cluster-wide: a second database in the
-- same cluster (tests create some) finds them already there, so each is created only when absent
-- and then brought to the wanted attributes.

do $$
declare
  wanted constant text[] := array[
    -- PostgREST's request roles. Supabase first made them noinherit, later inherit.
    'anon', 'authenticated', 'service_role',
    -- The login PostgREST and Realtime use; it may only SET ROLE to the request roles.
    'authenticator',
    -- Owners and service logins that migrations and dumps written for Supabase name in
    -- grants, default privileges and OWNER TO clauses. Nothing logs in as them here.
    'supabase_admin', 'supabase_auth_admin', 'supabase_storage_admin', 'dashboard_user'
  ];
  name text;
begin
  foreach name in array wanted loop
    if not exists (select 1 from pg_roles where rolname = name) then
      execute format('create role %I', name);
    end if;
  end loop;
end
$$;

alter role anon nologin inherit;
alter role authenticated nologin inherit;
alter role service_role nologin inherit bypassrls;
alter role authenticator login noinherit password 'postgres';

-- Not superusers here (unlike the image's supabase_admin): nothing needs them to be, and a
-- nologin role cannot be used to sign in anyway.
alter role supabase_admin nologin createrole createdb replication bypassrls;
alter role supabase_auth_admin nologin noinherit createrole;
alter role supabase_storage_admin nologin noinherit createrole;
alter role dashboard_user nologin createdb createrole replication;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;

-- Per-role timeouts the image sets; they apply to sessions that log in as these roles.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
