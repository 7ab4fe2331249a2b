-- Postgres changes (stack/realtime/changes): what the local realtime server needs in the database.
-- The server re-applies this file when it starts, so every statement is idempotent.

create schema if not exists realtime;

-- Earlier shapes of the authorization function.
drop function if exists realtime.authorize_change(oid, text, jsonb, text[], text[]);
drop function if exists realtime.authorize_change(oid, text, jsonb, text[], text[], boolean);
drop function if exists realtime.check_visibility(oid, text[], text[], text[], text[], text[]);
drop function if exists realtime.check_visibility(bigint, oid, text[], text[], text[], text[], text[]);

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
-- for every candidate of a batch of changes (those already waiting in the server's queue), so the
-- server pays one round trip per batch instead of one per subscriber or per change. The candidates
-- of one table and subscriber are answered by one statement over all their changes' keys.
-- SECURITY INVOKER on purpose: setting `role` fails inside a security definer function.
-- Returns true/false per candidate, null where the policy raised.
create or replace function realtime.check_visibility(
    xids bigint[],      -- per change: the (32-bit) id of the transaction that wrote it
    entities oid[],     -- per change: its table
    keys jsonb,         -- per change: its primary key, [[column, type (regtype text), value as text], ...]
    roles text[],       -- per subscriber (distinct role and claims): role; none bypasses RLS
    claims text[],      -- per subscriber: JWT claims (JSON text)
    changes int[],      -- per candidate: its change (1-based position in the per-change arrays)
    subscribers int[]   -- per candidate: its subscriber (1-based position in roles and claims);
                        -- each candidate's role may select the key
)
    returns boolean[]
    language plpgsql
    volatile
as $$
declare
    results boolean[] = array_fill(false, array[coalesce(array_length(changes, 1), 0)]);
    -- per change: whether each key of a JSON array ($1) selects a row, in order
    stmts text[];
    stmt_ids int[];     -- per change: the first change with the same statement
    key_stmts text[];   -- per change: `(types) as <statement>` checking one key given as parameters
    key_args text[];    -- per change: its key's values as SQL literals
    stmt_id int;
    group_stmt int;
    group_role text;
    subscriber int;
    members int[];      -- the run's candidates
    run_keys jsonb;     -- their changes' keys, in the same order
    runs int;           -- runs sharing the statement
    widest int;         -- most candidates of one run sharing the statement
    prepared text;      -- the shape prepared as realtime_check_visibility: 'key', 'keys' or null
    claim text;
    visible boolean[];
    j int;
    waiting int = 1;
    snap pg_snapshot;
    xmax bigint;
    low bigint;
    full_xid bigint;
begin
    -- The WAL can show a commit a moment before other sessions see it (the commit record is
    -- flushed before the transaction leaves the proc array). Wait for every change's transaction,
    -- briefly: each statement here takes a new snapshot, and what one snapshot shows committed
    -- stays visible in later ones.
    <<wait>>
    for attempt in 1 .. 2000 loop
        snap = pg_catalog.pg_current_snapshot();
        xmax = pg_catalog.pg_snapshot_xmax(snap)::text::bigint;
        low = xmax & 4294967295;
        while waiting <= coalesce(array_length(xids, 1), 0) loop
            full_xid = xmax - low + xids[waiting];
            if xids[waiting] - low > 2147483648 then
                full_xid = full_xid - 4294967296;
            elsif low - xids[waiting] > 2147483648 then
                full_xid = full_xid + 4294967296;
            end if;
            exit when not pg_catalog.pg_visible_in_snapshot(full_xid::text::xid8, snap);
            waiting = waiting + 1;
        end loop;
        exit wait when waiting > coalesce(array_length(xids, 1), 0);
        perform pg_catalog.pg_sleep(0.0005);
    end loop;

    -- Changes of the same table share one statement, hence one plan, in two shapes: `stmts` checks
    -- a JSON array of keys ($1), `key_stmts` one key given as parameters of the key's types (the
    -- usual run: one change per subscriber), with `key_args` the literals of each change's key.
    -- `offset 0` keeps the planner from turning the EXISTS into a hashed subplan, which would read
    -- (and run the policy on) every row of the table instead of looking up each key.
    select array_agg(t.stmt order by t.n), array_agg(t.one_stmt order by t.n), array_agg(t.one_args order by t.n),
           array_agg(t.first order by t.n)
      into stmts, key_stmts, key_args, stmt_ids
      from (select n, stmt, one_stmt, one_args, min(n) over (partition by stmt) as first
              from generate_subscripts(xids, 1) as n,
                   lateral (select format(
                                       'select array(select exists(select 1 from %s as changed where %s offset 0) '
                                       'from jsonb_array_elements($1) with ordinality as candidate(key, n) order by candidate.n)',
                                       entities[n]::regclass,
                                       string_agg(format('changed.%I = (candidate.key -> %s ->> 2)::%s', k ->> 0, o - 1, k ->> 1), ' and ' order by o)
                                   ) as stmt,
                                   format(
                                       '(%s) as select array[exists(select 1 from %s as changed where %s offset 0)]',
                                       string_agg(k ->> 1, ', ' order by o),
                                       entities[n]::regclass,
                                       string_agg(format('changed.%I = $%s', k ->> 0, o), ' and ' order by o)
                                   ) as one_stmt,
                                   string_agg(pg_catalog.quote_nullable(k ->> 2), ', ' order by o) as one_args
                              from jsonb_array_elements(keys -> (n - 1)) with ordinality as key(k, o)) as s) as t;

    -- One run per statement and subscriber; the role is set once per statement and role. A
    -- statement run more than twice is prepared, so its plan is kept (replanned once per role).
    for stmt_id, subscriber, members, run_keys, runs, widest in
        select stmt_ids[c.n], c.s, array_agg(c.i order by c.i), jsonb_agg(keys -> (c.n - 1) order by c.i),
               count(*) over (partition by stmt_ids[c.n]), max(count(*)) over (partition by stmt_ids[c.n])
          from unnest(changes, subscribers) with ordinality as c(n, s, i)
         group by stmt_ids[c.n], c.s
         order by 1, roles[c.s], 2
    loop
        if stmt_id is distinct from group_stmt then
            perform pg_catalog.set_config('role', null, true);
            if prepared is not null then
                deallocate realtime_check_visibility;
                prepared = null;
            end if;
            group_stmt = stmt_id;
            group_role = null;
            if runs > 2 then
                begin
                    if exists (select 1 from pg_catalog.pg_prepared_statements where name = 'realtime_check_visibility') then
                        deallocate realtime_check_visibility;
                    end if;
                    if widest = 1 then
                        execute 'prepare realtime_check_visibility' || key_stmts[stmt_id];
                        prepared = 'key';
                    else
                        execute 'prepare realtime_check_visibility(jsonb) as ' || stmts[stmt_id];
                        prepared = 'keys';
                    end if;
                exception when others then
                    null; -- e.g. the table is gone: each run below then fails on its own
                end;
            end if;
        end if;
        if roles[subscriber] is distinct from group_role then
            group_role = roles[subscriber];
            perform pg_catalog.set_config('role', group_role, true);
        end if;
        -- Assignments, not PERFORM: a query would copy the whole claims array per run.
        claim = claims[subscriber];
        claim = pg_catalog.set_config('request.jwt.claims', claim, true);
        begin
            if prepared = 'key' then
                execute 'execute realtime_check_visibility(' || key_args[changes[members[1]]] || ')' into visible;
            elsif prepared = 'keys' then
                execute pg_catalog.format('execute realtime_check_visibility(%L)', run_keys) into visible;
            else
                execute stmts[stmt_id] into visible using run_keys;
            end if;
            for j in 1 .. array_length(members, 1) loop
                results[members[j]] = coalesce(visible[j], false);
            end loop;
        exception when others then
            -- A policy raised for one of the rows (the rollback restored neither role nor claims:
            -- both were set outside this block): find which, one key at a time.
            for j in 1 .. array_length(members, 1) loop
                begin
                    execute stmts[stmt_id] into visible using jsonb_build_array(run_keys -> (j - 1));
                    results[members[j]] = coalesce(visible[1], false);
                exception when others then
                    results[members[j]] = null;
                end;
            end loop;
        end;
    end loop;
    perform pg_catalog.set_config('role', null, true);
    perform pg_catalog.set_config('request.jwt.claims', null, true);
    if prepared is not null then
        deallocate realtime_check_visibility;
    end if;
    return results;
end;
$$;

revoke all on function realtime.change_metadata(oid, text[]) from public;
revoke all on function realtime.check_visibility(bigint[], oid[], jsonb, text[], text[], int[], int[]) from public;

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
