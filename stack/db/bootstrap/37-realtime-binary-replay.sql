-- Binary broadcasts from the database and broadcast replay (supabase/realtime tenant migrations
-- add_binary_payload_to_messages, add_send_binary_function, create_messages_replay_index). A file
-- of its own so that databases bootstrapped before it get it too (each file applies once).

-- Binary broadcasts (realtime.send_binary): a message carries JSON or bytes, never both.
alter table realtime.messages add column if not exists binary_payload bytea;
do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'messages_payload_exclusive'
                 and conrelid = 'realtime.messages'::regclass) then
    alter table realtime.messages add constraint messages_payload_exclusive
      check (payload is null or binary_payload is null) not valid;
  end if;
end
$$;
-- Replay on join reads a topic's newest private broadcasts since a time.
create index if not exists messages_replay_index
  on realtime.messages (topic, inserted_at desc)
  where extension = 'broadcast' and private is true;
-- Broadcasts the bytes `payload` as `event` to `topic`: vsn 2.0.0 clients get a binary broadcast
-- frame (1.0.0 clients cannot carry bytes and get nothing, as in Supabase). Failures are warnings.
create or replace function realtime.send_binary(payload bytea, event text, topic text, private boolean default true)
  returns void
  language plpgsql
  as $$
declare
  generated_id uuid;
begin
  begin
    generated_id := gen_random_uuid();
    perform set_config('realtime.topic', topic, true);
    insert into realtime.messages (id, binary_payload, event, topic, private, extension)
    values (generated_id, payload, event, topic, private, 'broadcast');
  exception
    when others then
      raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
  end;
end;
$$;

grant execute on function realtime.send_binary(bytea, text, text, boolean) to postgres, anon, authenticated, service_role;
