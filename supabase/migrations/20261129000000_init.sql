-- Beacon's schema: people (profiles) and their notifications.
--
-- Who may do what is decided by Row Level Security, as everywhere in a Supabase project: the
-- API roles keep Supabase's default table privileges in `public`, and the policies below (plus a
-- few column-level privileges) narrow them. anon has no policy on any table, so it sees nothing.

-------------------------------------------------------------------------------------------------
-- profiles: the public face of a user, one row per auth.users row.
-------------------------------------------------------------------------------------------------

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  display_name text not null
    constraint profiles_display_name_length check (char_length(display_name) between 1 and 80),
  avatar_url text
    constraint profiles_avatar_url_format check (avatar_url ~* '^https?://[^/[:space:]]'),
  created_at timestamptz not null default now()
);

comment on table public.profiles is 'Who a user is to other users; created when the user signs up.';

alter table public.profiles enable row level security;

create policy "Signed-in users can see every profile"
  on public.profiles for select to authenticated
  using (true);

create policy "Users can update their own profile"
  on public.profiles for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

-- A profile's id and creation time are not the user's to change; rows come and go with auth.users.
revoke insert, update, delete, truncate on public.profiles from anon, authenticated;
grant update (display_name, avatar_url) on public.profiles to authenticated;

-- Fills in a profile when a user signs up. The name comes from the sign-up metadata
-- (`options.data.display_name`, or `full_name` as OAuth providers send it), else the email's local part.
create function public.handle_new_user() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  meta constant jsonb := coalesce(new.raw_user_meta_data, '{}'::jsonb);
  avatar text := nullif(btrim(meta ->> 'avatar_url'), '');
begin
  insert into public.profiles (id, display_name, avatar_url)
  values (
    new.id,
    left(
      coalesce(
        nullif(btrim(meta ->> 'display_name'), ''),
        nullif(btrim(meta ->> 'full_name'), ''),
        nullif(split_part(new.email, '@', 1), ''),
        'Anonymous'
      ),
      80
    ),
    case when avatar ~* '^https?://[^/[:space:]]' then avatar end
  );
  return new;
end;
$$;

revoke execute on function public.handle_new_user() from public, anon, authenticated;

create trigger on_auth_user_created
  after insert on auth.users
  for each row execute function public.handle_new_user();

-------------------------------------------------------------------------------------------------
-- notifications: one row per recipient.
-------------------------------------------------------------------------------------------------

create table public.notifications (
  id uuid primary key default gen_random_uuid(),
  -- The recipient.
  user_id uuid not null references auth.users (id) on delete cascade,
  -- Who sent it; null for notifications the system sends. The only reference to profiles, so
  -- `actor:profiles(display_name, avatar_url)` (or `profiles!actor_id`) embeds the sender.
  actor_id uuid references public.profiles (id) on delete set null,
  category text not null default 'message'
    constraint notifications_category_check
    check (category in ('message', 'mention', 'comment', 'deploy', 'security', 'billing', 'system')),
  priority text not null default 'normal'
    constraint notifications_priority_check check (priority in ('low', 'normal', 'high', 'urgent')),
  title text not null
    constraint notifications_title_length check (char_length(title) between 1 and 200 and btrim(title) <> ''),
  body text
    constraint notifications_body_length check (char_length(body) <= 2000),
  -- Where "Open" goes: an absolute http(s) URL, or a path within the app. Not `//host` or `/\host`
  -- (browsers read both as another host), no javascript: or data: URLs, no whitespace.
  url text
    constraint notifications_url_format check (
      char_length(url) <= 2048
      and url !~ '[[:space:][:cntrl:]]'
      and (url ~* '^https?://[^/\\]' or url ~ '^/([^/\\]|$)')
    ),
  read_at timestamptz,
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  -- Kept by a trigger, so a client that reconnects can ask for what changed since it last looked.
  updated_at timestamptz not null default now(),
  search tsvector generated always as (
    setweight(to_tsvector('english'::regconfig, title), 'A')
    || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'B')
  ) stored
);

comment on table public.notifications is 'A notification for one recipient (user_id), sent by actor_id or by the system.';
comment on column public.notifications.search is 'Full-text search over title (weight A) and body (B), English configuration.';

-- Newest first, keyset paging: where user_id = $1 and (created_at, id) < ($2, $3) order by created_at desc, id desc.
create index notifications_user_created_idx on public.notifications (user_id, created_at desc, id desc);
-- The unread badge.
create index notifications_unread_idx on public.notifications (user_id)
  where read_at is null and archived_at is null;
-- Catch-up after a reconnect: where user_id = $1 and updated_at > $2.
create index notifications_user_updated_idx on public.notifications (user_id, updated_at);
create index notifications_actor_id_idx on public.notifications (actor_id);
create index notifications_search_idx on public.notifications using gin (search);

create function public.set_updated_at() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

revoke execute on function public.set_updated_at() from public, anon, authenticated;

create trigger notifications_set_updated_at
  before update on public.notifications
  for each row execute function public.set_updated_at();

alter table public.notifications enable row level security;

create policy "Users can read their own notifications"
  on public.notifications for select to authenticated
  using (user_id = (select auth.uid()));

-- Marking read/unread and archiving; the columns a recipient may touch are limited by the
-- column privileges below, so the text of a notification cannot be rewritten.
create policy "Users can update their own notifications"
  on public.notifications for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

create policy "Users can delete their own notifications"
  on public.notifications for delete to authenticated
  using (user_id = (select auth.uid()));

-- Anyone signed in may notify anyone, but only in their own name. A sender cannot read the row
-- back (it is the recipient's), so inserts from the client use the default `return=minimal`.
create policy "Users can send notifications as themselves"
  on public.notifications for insert to authenticated
  with check (actor_id = (select auth.uid()));

revoke insert, update, truncate on public.notifications from anon, authenticated;
grant insert (id, user_id, actor_id, category, priority, title, body, url) on public.notifications to authenticated;
grant update (read_at, archived_at) on public.notifications to authenticated;

-- Marks every unread notification of the caller as read; returns how many changed.
create function public.mark_all_read() returns integer
language sql
security invoker
set search_path = ''
as $$
  with marked as (
    update public.notifications
    set read_at = now()
    where user_id = (select auth.uid()) and read_at is null
    returning 1
  )
  select count(*)::integer from marked
$$;

-- The caller's unread, unarchived notifications (what the badge shows).
create function public.unread_count() returns integer
language sql
stable
security invoker
set search_path = ''
as $$
  select count(*)::integer
  from public.notifications
  where user_id = (select auth.uid()) and read_at is null and archived_at is null
$$;

revoke execute on function public.mark_all_read(), public.unread_count() from public, anon;
grant execute on function public.mark_all_read(), public.unread_count() to authenticated, service_role;

-- Realtime: send row changes to subscribers. REPLICA IDENTITY FULL puts the whole old row into
-- UPDATE and DELETE events, so filters such as user_id=eq.<id> match them too.
alter table public.notifications replica identity full;
alter publication supabase_realtime add table public.notifications;
