-- Inbox features: actions a notification offers (and the one its recipient took), snooze, grouping.
--
-- The recipient may change only what is theirs to decide (column privileges below): which action
-- they took (once; the time is the database's), and until when a notification is snoozed. The text,
-- the actions offered and the grouping come from the sender and stay as sent.

-------------------------------------------------------------------------------------------------
-- Actions: at most two buttons, e.g. [{"key":"approve","label":"Approve","kind":"primary"},
-- {"key":"open","label":"Open","kind":"link","url":"https://ci.example.com/482"}].
-------------------------------------------------------------------------------------------------

-- The shape of `actions`, checked in order (plpgsql, so a wrong type never reaches a function that
-- would raise on it): an array of one or two objects with only key, label, kind and url; a short
-- lowercase key, unique in the array; a short label; kind primary/secondary, or link with an
-- http(s) URL (links only).
create function public.notification_actions_valid(actions jsonb) returns boolean
language plpgsql
immutable
set search_path = ''
as $$
declare
  action jsonb;
  keys text[] := '{}';
begin
  if actions is null then
    return true;
  end if;
  if pg_catalog.octet_length(actions::text) > 4096 or pg_catalog.jsonb_typeof(actions) <> 'array' then
    return false;
  end if;
  if pg_catalog.jsonb_array_length(actions) not between 1 and 2 then
    return false;
  end if;
  for action in select value from pg_catalog.jsonb_array_elements(actions) loop
    if pg_catalog.jsonb_typeof(action) <> 'object'
      or exists (
        select 1 from pg_catalog.jsonb_object_keys(action) k
        where k not in ('key', 'label', 'kind', 'url')
      )
      or pg_catalog.jsonb_typeof(action -> 'key') is distinct from 'string'
      or pg_catalog.jsonb_typeof(action -> 'label') is distinct from 'string'
      or pg_catalog.jsonb_typeof(action -> 'kind') is distinct from 'string'
    then
      return false;
    end if;
    if (action ->> 'key') !~ '^[a-z][a-z0-9_-]{0,31}$'
      or (action ->> 'key') = any (keys)
      or pg_catalog.char_length(action ->> 'label') not between 1 and 24
      or pg_catalog.btrim(action ->> 'label') = ''
    then
      return false;
    end if;
    keys := keys || (action ->> 'key');
    if (action ->> 'kind') in ('primary', 'secondary') then
      if action ? 'url' then
        return false;
      end if;
    elsif (action ->> 'kind') = 'link' then
      if pg_catalog.jsonb_typeof(action -> 'url') is distinct from 'string'
        or pg_catalog.char_length(action ->> 'url') > 2048
        or (action ->> 'url') ~ '[[:space:][:cntrl:]]'
        or (action ->> 'url') !~* '^https?://[^/\\]'
      then
        return false;
      end if;
    else
      return false;
    end if;
  end loop;
  return true;
end;
$$;

alter table public.notifications
  add column actions jsonb
    constraint notifications_actions_format check (public.notification_actions_valid(actions)),
  -- The key of the action the recipient chose; one of the row's own actions.
  add column action_taken text
    constraint notifications_action_taken_offered check (
      action_taken is null
      or (actions is not null and actions @> jsonb_build_array(jsonb_build_object('key', action_taken)))
    ),
  add column action_taken_at timestamptz,
  -- Hidden from the inbox (and the unread count) until then; every client compares it with its clock.
  add column snoozed_until timestamptz,
  -- Notifications about the same thing (for example comments on one document) share a key and are
  -- shown as one expandable row; `subject` names the thing ("Q3 roadmap").
  add column group_key text
    constraint notifications_group_key_length check (char_length(group_key) between 1 and 200),
  add column subject text
    constraint notifications_subject_length check (char_length(subject) between 1 and 120 and btrim(subject) <> '');

comment on column public.notifications.actions is 'Up to two actions: [{key, label, kind: primary|secondary|link, url (links only)}].';
comment on column public.notifications.action_taken is 'The key of the action the recipient took (once).';
comment on column public.notifications.snoozed_until is 'Hidden from the inbox and the unread count until this time.';
comment on column public.notifications.group_key is 'Rows with the same key (same recipient) are shown as one group.';

-- The next snoozed row to come back, per user.
create index notifications_user_snoozed_idx on public.notifications (user_id, snoozed_until)
  where snoozed_until is not null;

-- An action is taken once, and the time it was taken is the database's.
create function public.notifications_record_action() returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.action_taken is distinct from old.action_taken then
    if old.action_taken is not null then
      raise exception 'An action was already taken on this notification'
        using errcode = 'P0001', hint = 'Each notification takes one action, once.';
    end if;
    new.action_taken_at := now();
  else
    new.action_taken_at := old.action_taken_at;
  end if;
  return new;
end;
$$;

revoke execute on function public.notifications_record_action() from public, anon, authenticated;

create trigger notifications_record_action
  before update on public.notifications
  for each row execute function public.notifications_record_action();

-- Recipients choose an action and snooze; RLS ("Users can update their own notifications") keeps
-- both to their own rows.
grant update (action_taken, snoozed_until) on public.notifications to authenticated;

-------------------------------------------------------------------------------------------------
-- Snoozed rows are not unread until they come back.
-------------------------------------------------------------------------------------------------

create or replace function public.unread_count() returns integer
language sql
stable
security invoker
set search_path = ''
as $$
  select count(*)::integer
  from public.notifications
  where user_id = (select auth.uid()) and read_at is null and archived_at is null
    and (snoozed_until is null or snoozed_until <= now())
$$;

-- A snoozed row comes back unread: "mark all read" leaves it alone.
create or replace function public.mark_all_read() returns integer
language sql
security invoker
set search_path = ''
as $$
  with marked as (
    update public.notifications
    set read_at = now()
    where user_id = (select auth.uid()) and read_at is null
      and (snoozed_until is null or snoozed_until <= now())
    returning 1
  )
  select count(*)::integer from marked
$$;

-- The check runs as whoever writes the row.
grant execute on function public.notification_actions_valid(jsonb) to authenticated, service_role;
