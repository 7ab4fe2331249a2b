-- The team room: who is online, nudges and announcements, with every identity from the database.
--
-- The room is the private Realtime channel `room`: Realtime Authorization (RLS on
-- realtime.messages, evaluated with realtime.topic() set to the channel's topic) lets signed-in
-- users join it, receive its broadcasts and presence, and track their own presence. Nobody sends
-- broadcasts on it from a client: a nudge or an announcement is a row whose author RLS pins to
-- auth.uid(), and a trigger broadcasts that row (ids and text only) from the database. Clients
-- take names and avatars from public.profiles by id, never from a payload.

-------------------------------------------------------------------------------------------------
-- Realtime Authorization for the room topic.
-------------------------------------------------------------------------------------------------

-- Joining a private channel needs a SELECT policy; it decides which extensions the member
-- receives (broadcast: nudges and announcements from the database; presence: the roster).
create policy "Signed-in users can join the room"
  on realtime.messages for select to authenticated
  using (
    (select realtime.topic()) = 'room'
    and realtime.messages.extension in ('broadcast', 'presence')
  );

-- Tracking presence needs an INSERT policy for the presence extension. There is deliberately no
-- policy for `broadcast`: what a client broadcast says is whatever the client wrote, so the room's
-- broadcasts come only from the database (realtime.send in the triggers below).
create policy "Signed-in users can track presence in the room"
  on realtime.messages for insert to authenticated
  with check (
    (select realtime.topic()) = 'room'
    and realtime.messages.extension = 'presence'
  );

-------------------------------------------------------------------------------------------------
-- nudges: one person waves at another.
-------------------------------------------------------------------------------------------------

create table public.nudges (
  id uuid primary key default gen_random_uuid(),
  author_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  target_id uuid not null references public.profiles (id) on delete cascade,
  created_at timestamptz not null default now(),
  constraint nudges_not_self check (author_id <> target_id)
);

comment on table public.nudges is 'A wave from author_id to target_id; broadcast to the room when inserted.';

create index nudges_author_created_idx on public.nudges (author_id, target_id, created_at desc);
create index nudges_target_id_idx on public.nudges (target_id);

alter table public.nudges enable row level security;

create policy "Users can see nudges they sent or received"
  on public.nudges for select to authenticated
  using (author_id = (select auth.uid()) or target_id = (select auth.uid()));

create policy "Users can nudge as themselves"
  on public.nudges for insert to authenticated
  with check (author_id = (select auth.uid()));

-- Only the target is the sender's to choose; the author comes from the token (default auth.uid()).
revoke all on public.nudges from anon, authenticated;
grant select on public.nudges to authenticated;
grant insert (target_id) on public.nudges to authenticated;

-------------------------------------------------------------------------------------------------
-- announcements: a short banner for everyone in the room.
-------------------------------------------------------------------------------------------------

create table public.announcements (
  id uuid primary key default gen_random_uuid(),
  author_id uuid not null default auth.uid() references public.profiles (id) on delete cascade,
  text text not null
    constraint announcements_text_length check (char_length(text) between 1 and 280 and btrim(text) <> ''),
  created_at timestamptz not null default now()
);

comment on table public.announcements is 'A banner from author_id to everyone online; broadcast to the room when inserted.';

create index announcements_author_created_idx on public.announcements (author_id, created_at desc);

alter table public.announcements enable row level security;

create policy "Signed-in users can read announcements"
  on public.announcements for select to authenticated
  using (true);

create policy "Users can announce as themselves"
  on public.announcements for insert to authenticated
  with check (author_id = (select auth.uid()));

revoke all on public.announcements from anon, authenticated;
grant select on public.announcements to authenticated;
grant insert (text) on public.announcements to authenticated;

-------------------------------------------------------------------------------------------------
-- Throttle and broadcast, in one trigger per table.
-------------------------------------------------------------------------------------------------

-- Refuses a flood (one nudge per target every 2 s, one announcement every 2 s, per author; 30 of
-- either a minute), then broadcasts the row to the private room topic. The payload holds ids and
-- text only: receivers look the author up in profiles. Security definer so that realtime.send may
-- write the broadcast to realtime.messages, where clients have no broadcast INSERT policy.
create function public.room_event_broadcast() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  recent integer;
begin
  if tg_table_name = 'nudges' then
    if exists (
      select 1 from public.nudges
      where author_id = new.author_id and target_id = new.target_id
        and created_at > now() - interval '2 seconds'
    ) then
      raise exception 'You just waved at them: give them a moment'
        using errcode = 'P0001', hint = 'One nudge per person every 2 seconds.';
    end if;
    select count(*) into recent from (
      select 1 from public.nudges
      where author_id = new.author_id and created_at > now() - interval '1 minute'
      limit 30
    ) r;
  else
    if exists (
      select 1 from public.announcements
      where author_id = new.author_id and created_at > now() - interval '2 seconds'
    ) then
      raise exception 'One announcement every 2 seconds, please'
        using errcode = 'P0001', hint = 'One announcement every 2 seconds.';
    end if;
    select count(*) into recent from (
      select 1 from public.announcements
      where author_id = new.author_id and created_at > now() - interval '1 minute'
      limit 30
    ) r;
  end if;
  if recent >= 30 then
    raise exception 'Too many messages to the room: wait a minute'
      using errcode = 'P0001', hint = 'At most 30 a minute.';
  end if;

  if tg_table_name = 'nudges' then
    perform realtime.send(
      jsonb_build_object('id', new.id, 'author_id', new.author_id, 'target_id', new.target_id),
      'nudge', 'room', true
    );
  else
    perform realtime.send(
      jsonb_build_object('id', new.id, 'author_id', new.author_id, 'text', new.text),
      'announcement', 'room', true
    );
  end if;
  return new;
end;
$$;

revoke execute on function public.room_event_broadcast() from public, anon, authenticated;

create trigger nudges_broadcast
  before insert on public.nudges
  for each row execute function public.room_event_broadcast();

create trigger announcements_broadcast
  before insert on public.announcements
  for each row execute function public.room_event_broadcast();
