-- Postgres changes (stack/realtime/changes): who may see one change, in one round trip.
--
-- Supabase's realtime.apply_rls checks each subscriber of a change by setting its role and JWT
-- claims and selecting the changed row by primary key under RLS. authorize_change does the same
-- for all candidates of one change in a loop, so the server pays one round trip per change instead
-- of one per subscriber. It is SECURITY INVOKER on purpose: setting `role` fails inside a
-- security definer function. Called by the server's superuser connection only.

create schema if not exists realtime;

create or replace function realtime.authorize_change(
    entity oid,
    action text,        -- 'INSERT' | 'UPDATE' | 'DELETE'
    pk_values jsonb,    -- {"<primary key column>": "<text value>", ...} of the changed row
    roles text[],       -- role of each candidate subscriber
    claims text[]       -- JWT claims (JSON text) of each candidate subscriber
)
    returns jsonb
    language plpgsql
    volatile
as $$
declare
    is_rls_enabled boolean;
    pk text[];
    pk_types text[];
    role_columns jsonb = '{}';
    role_bypasses jsonb = '{}';
    role_name text;
    selectable text[];
    stmt text;
    visible jsonb = '[]';
    has_access boolean;
    i int;
begin
    select c.relrowsecurity into is_rls_enabled from pg_catalog.pg_class c where c.oid = entity;
    if is_rls_enabled is null then
        return null; -- dropped since the change was written
    end if;

    select coalesce(array_agg(a.attname::text order by k.ord), '{}'),
           coalesce(array_agg(a.atttypid::regtype::text order by k.ord), '{}')
      into pk, pk_types
      from pg_catalog.pg_constraint con
     cross join lateral unnest(con.conkey) with ordinality as k(attnum, ord)
      join pg_catalog.pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum
     where con.conrelid = entity and con.contype = 'p';

    for role_name in select distinct r from unnest(roles) as r loop
        begin
            select coalesce(array_agg(a.attname::text order by a.attnum), '{}') into selectable
              from pg_catalog.pg_attribute a
             where a.attrelid = entity and a.attnum > 0 and not a.attisdropped
               and pg_catalog.has_column_privilege(role_name, entity, a.attnum, 'SELECT');
            role_columns = role_columns || jsonb_build_object(role_name, to_jsonb(selectable));
            role_bypasses = role_bypasses || jsonb_build_object(
                role_name,
                (select r.rolbypassrls or r.rolsuper from pg_catalog.pg_roles r where r.rolname = role_name)
            );
        exception when others then
            -- e.g. a role that no longer exists: it may see nothing
            role_columns = role_columns || jsonb_build_object(role_name, '[]'::jsonb);
        end;
    end loop;

    if is_rls_enabled and action <> 'DELETE' and cardinality(pk) > 0 then
        select format(
                   'select exists(select 1 from %s where %s)',
                   entity::regclass,
                   string_agg(format('%I = ($1 ->> %L)::%s', pk[n], pk[n], pk_types[n]), ' and ')
               )
          into stmt
          from generate_subscripts(pk, 1) as n;

        for i in 1 .. coalesce(array_length(roles, 1), 0) loop
            if coalesce((role_bypasses ->> roles[i])::boolean, false) then
                visible = visible || 'true'::jsonb;
            elsif not ((role_columns -> roles[i]) ?& pk) then
                visible = visible || 'false'::jsonb; -- no SELECT on the key: the caller sends Error 401
            else
                begin
                    perform pg_catalog.set_config('role', roles[i], true),
                            pg_catalog.set_config('request.jwt.claims', claims[i], true);
                    execute stmt into has_access using pk_values;
                    perform pg_catalog.set_config('role', null, true);
                    visible = visible || to_jsonb(coalesce(has_access, false));
                exception when others then
                    -- a policy that fails to evaluate; the subtransaction already reverted the role
                    visible = visible || 'null'::jsonb;
                end;
            end if;
        end loop;
    end if;

    perform pg_catalog.set_config('role', null, true);
    return jsonb_build_object(
        'rls', is_rls_enabled,
        'pk', to_jsonb(pk),
        'columns', role_columns,
        'visible', visible
    );
end;
$$;

revoke all on function realtime.authorize_change(oid, text, jsonb, text[], text[]) from public;
