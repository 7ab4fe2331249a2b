-- The publication Supabase Realtime streams from. It starts empty: a table emits postgres_changes
-- only after `alter publication supabase_realtime add table ...` (a migration's job).
do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'supabase_realtime') then
    create publication supabase_realtime;
  end if;
end
$$;
