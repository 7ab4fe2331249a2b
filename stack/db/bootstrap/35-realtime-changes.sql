-- Postgres changes (stack/realtime/changes): what the local realtime server needs in the database.
-- The server re-applies this file when it starts, so every statement is idempotent.

create schema if not exists realtime;

-- An earlier shape of the authorization function.
drop function if exists realtime.authorize_change(oid, text, jsonb, text[], text[]);
drop function if exists realtime.authorize_change(oid, text, jsonb, text[], text[], boolean);
drop function if exists realtime.check_visibility(oid, text[], text[], text[], text[], text[]);

-- What the server needs to know about a table to shape a change for each role: whether RLS is on,
-- the primary key, column type names (generated columns included: pgoutput does not send them),
-- and per role the columns it may select and whether it bypasses RLS. The server caches this until
-- the catalog changes (see realtime.changes_catalog_changed below).
create or replace function realtime.change_metadata(entity oid, roles text[])
    returns jsonb
    language plpgsql
    stable
as $$
declare
    result jsonb;
    all_columns text[];
    role_name text;
    bypass boolean;
    selectable text[];
    role_columns jsonb = '{}';
    role_bypasses jsonb = '{}';
begin
    select jsonb_build_object('rls', c.relrowsecurity) into result from pg_catalog.pg_class c where c.oid = entity;
    if result is null then
        return null; -- dropped since the change was written
    end if;

    select array_agg(a.attname::text order by a.attnum) into all_columns
      from pg_catalog.pg_attribute a
     where a.attrelid = entity and a.attnum > 0 and not a.attisdropped;

    foreach role_name in array coalesce(roles, '{}') loop
        select r.rolbypassrls or r.rolsuper into bypass from pg_catalog.pg_authid r where r.rolname = role_name;
        if bypass is null then
            selectable = '{}'; -- a role that does not exist (any more) sees nothing
        elsif pg_catalog.has_table_privilege(role_name, entity, 'SELECT') then
            selectable = all_columns;
        else
            select coalesce(array_agg(c order by n), '{}') into selectable
              from unnest(all_columns) with ordinality as u(c, n)
             where pg_catalog.has_column_privilege(role_name, entity, c, 'SELECT');
        end if;
        role_columns = role_columns || jsonb_build_object(role_name, to_jsonb(selectable));
        role_bypasses = role_bypasses || jsonb_build_object(role_name, coalesce(bypass, false));
    end loop;

    return result || jsonb_build_object(
        'pk', (select coalesce(jsonb_agg(jsonb_build_object('name', a.attname, 'type', a.atttypid::regtype::text) order by k.ord), '[]')
                 from pg_catalog.pg_index x
                cross join lateral unnest(x.indkey::int2[]) with ordinality as k(attnum, ord)
                 join pg_catalog.pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum
                where x.indrelid = entity and x.indisprimary),
        'types', (select jsonb_object_agg(a.attname, t.typname)
                    from pg_catalog.pg_attribute a
                    join pg_catalog.pg_type t on t.oid = a.atttypid
                   where a.attrelid = entity and a.attnum > 0 and not a.attisdropped),
        'columns', role_columns,
        'bypass', role_bypasses
    );
end;
$$;

-- Whether each candidate subscriber may see a changed row: Supabase's realtime.apply_rls sets the
-- subscriber's role and JWT claims and selects the row by primary key under RLS. This does that
-- for all candidates of one change, so the server pays one round trip per change instead of one
-- per subscriber. SECURITY INVOKER on purpose: setting `role` fails inside a security definer
-- function. Returns true/false per candidate, null where the policy raised.
create or replace function realtime.check_visibility(
    xid bigint,         -- the (32-bit) id of the transaction that wrote the change
    entity oid,
    pk text[],          -- primary key columns
    pk_types text[],    -- their types (regtype text)
    pk_values text[],   -- the changed row's key, as text
    roles text[],       -- role of each candidate (none bypasses RLS, all may select the key)
    claims text[]       -- JWT claims (JSON text) of each candidate
)
    returns boolean[]
    language plpgsql
    volatile
as $$
declare
    stmt text;
    results boolean[];
    role_name text;
    candidates int;
    has_access boolean;
    i int;
    snap pg_snapshot;
    xmax bigint;
    low bigint;
    full_xid bigint;
begin
    -- The WAL can show a commit a moment before other sessions see it (the commit record is
    -- flushed before the transaction leaves the proc array). Wait for it, briefly: each statement
    -- here takes a new snapshot.
    for i in 1 .. 2000 loop
        snap = pg_catalog.pg_current_snapshot();
        xmax = pg_catalog.pg_snapshot_xmax(snap)::text::bigint;
        low = xmax & 4294967295;
        full_xid = xmax - low + xid;
        if xid - low > 2147483648 then
            full_xid = full_xid - 4294967296;
        elsif low - xid > 2147483648 then
            full_xid = full_xid + 4294967296;
        end if;
        exit when pg_catalog.pg_visible_in_snapshot(full_xid::text::xid8, snap);
        perform pg_catalog.pg_sleep(0.0005);
    end loop;

    select format(
               'select exists(select 1 from %s where %s)',
               entity::regclass,
               string_agg(format('%I = %L::%s', pk[n], pk_values[n], pk_types[n]), ' and ')
           )
      into stmt
      from generate_subscripts(pk, 1) as n;

    results = array_fill(false, array[coalesce(array_length(roles, 1), 0)]);
    for role_name in select distinct r from unnest(roles) as r loop
        candidates = (select count(*) from unnest(roles) as r where r = role_name);
        -- For many candidates a prepared statement keeps its plan across them (replanned once per
        -- role), several times cheaper than planning each EXECUTE.
        if candidates > 2 then
            if exists (select 1 from pg_catalog.pg_prepared_statements where name = 'realtime_check_visibility') then
                deallocate realtime_check_visibility;
            end if;
            execute 'prepare realtime_check_visibility as ' || stmt;
        end if;
        perform pg_catalog.set_config('role', role_name, true);
        for i in 1 .. array_length(roles, 1) loop
            if roles[i] <> role_name then continue; end if;
            begin
                perform pg_catalog.set_config('request.jwt.claims', claims[i], true);
                if candidates > 2 then
                    execute 'execute realtime_check_visibility' into has_access;
                else
                    execute stmt into has_access;
                end if;
                results[i] = coalesce(has_access, false);
            exception when others then
                results[i] = null; -- the subtransaction's rollback also restored the role
            end;
        end loop;
        perform pg_catalog.set_config('role', null, true);
        if candidates > 2 then
            deallocate realtime_check_visibility;
        end if;
    end loop;
    return results;
end;
$$;

revoke all on function realtime.change_metadata(oid, text[]) from public;
revoke all on function realtime.check_visibility(bigint, oid, text[], text[], text[], text[], text[]) from public;

-- DDL (ALTER TABLE, GRANT, REVOKE, ENABLE ROW LEVEL SECURITY, ...) writes a transactional logical
-- message into the WAL, so the server drops its cached table metadata at exactly the point of the
-- change stream where the catalog changed. It never fails the DDL that fired it.
create or replace function realtime.changes_catalog_changed()
    returns event_trigger
    language plpgsql
    security definer
    set search_path = ''
as $$
begin
    perform pg_catalog.pg_logical_emit_message(true, 'supabase_realtime_catalog', '');
exception when others then
    null;
end;
$$;

revoke all on function realtime.changes_catalog_changed() from public;

do $$
begin
    if not exists (select 1 from pg_catalog.pg_event_trigger where evtname = 'realtime_changes_catalog') then
        create event trigger realtime_changes_catalog on ddl_command_end
            execute function realtime.changes_catalog_changed();
    end if;
end
$$;
