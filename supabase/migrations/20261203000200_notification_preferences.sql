-- Notification preferences: per category show, mute or off, and quiet hours. One row per user,
-- readable and writable only by that user; the dashboard follows the row live (postgres_changes),
-- so an edit in one tab changes how every other open tab alerts.
--
-- A category is "show" unless listed in muted_categories (listed and counted, but no toast, sound
-- or desktop alert) or off_categories (not listed, not counted). During quiet hours (from
-- quiet_start to quiet_end, local time in time_zone; the span may cross midnight) everything that
-- is shown behaves as muted. A user without a row has the defaults: everything shown, no quiet hours.

create table public.notification_preferences (
  user_id uuid primary key default auth.uid() references public.profiles (id) on delete cascade,
  muted_categories public.notification_category[] not null default '{}',
  off_categories public.notification_category[] not null default '{}',
  quiet_hours boolean not null default false,
  quiet_start time not null default '22:00',
  quiet_end time not null default '08:00',
  time_zone text not null default 'UTC',
  updated_at timestamptz not null default now(),
  constraint notification_preferences_one_level check (not (muted_categories && off_categories)),
  constraint notification_preferences_quiet_span check (quiet_start <> quiet_end),
  constraint notification_preferences_time_zone_length check (char_length(time_zone) between 1 and 64)
);

comment on table public.notification_preferences is
  'How a user wants to be alerted: muted and off categories, and quiet hours in their time zone.';

-- A time zone must be a name from the IANA database (as browsers' Intl knows them), not any string
-- Postgres would parse as a POSIX rule. Same error as Postgres gives for an unknown zone.
create function public.notification_preferences_check() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op = 'INSERT' or new.time_zone is distinct from old.time_zone then
    if not exists (select 1 from pg_catalog.pg_timezone_names where name = new.time_zone) then
      raise exception 'time zone "%" not recognized', new.time_zone
        using errcode = '22023', hint = 'Use an IANA time zone name such as Europe/Paris.';
    end if;
  end if;
  new.updated_at := now();
  return new;
end;
$$;

revoke execute on function public.notification_preferences_check() from public, anon, authenticated;

create trigger notification_preferences_check
  before insert or update on public.notification_preferences
  for each row execute function public.notification_preferences_check();

alter table public.notification_preferences enable row level security;

create policy "Users can read their own preferences"
  on public.notification_preferences for select to authenticated
  using (user_id = (select auth.uid()));

create policy "Users can create their own preferences"
  on public.notification_preferences for insert to authenticated
  with check (user_id = (select auth.uid()));

create policy "Users can change their own preferences"
  on public.notification_preferences for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create policy "Users can reset their own preferences"
  on public.notification_preferences for delete to authenticated
  using (user_id = (select auth.uid()));

-- The owner comes from the token (default auth.uid()); the settings are the user's to write.
revoke all on public.notification_preferences from anon, authenticated;
grant select, delete on public.notification_preferences to authenticated;
grant insert (muted_categories, off_categories, quiet_hours, quiet_start, quiet_end, time_zone)
  on public.notification_preferences to authenticated;
grant update (muted_categories, off_categories, quiet_hours, quiet_start, quiet_end, time_zone)
  on public.notification_preferences to authenticated;

-- Every open tab follows its user's row.
alter publication supabase_realtime add table public.notification_preferences;
