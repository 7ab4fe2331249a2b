-- Demo data for local development: four teammates (password `password123`) and a few days of
-- notifications between them. Runs after the migrations on `supabase db reset` and `npm run db:reset`.

-- Users, as Supabase Auth would have stored them after an email sign-up with autoconfirm. GoTrue
-- reads the token columns as strings, so they hold '' rather than NULL.
with demo (id, email, display_name, joined) as (
  values
    ('a11ce000-0000-4000-8000-000000000001'::uuid, 'alice@example.com', 'Alice Chen', interval '30 days'),
    ('b0b00000-0000-4000-8000-000000000002'::uuid, 'bob@example.com', 'Bob Martinez', interval '28 days'),
    ('ca401000-0000-4000-8000-000000000003'::uuid, 'carol@example.com', 'Carol Okafor', interval '21 days'),
    ('da7e0000-0000-4000-8000-000000000004'::uuid, 'dave@example.com', 'Dave Kowalski', interval '14 days')
)
insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  confirmation_token, recovery_token, email_change_token_new, email_change, email_change_token_current,
  phone_change, phone_change_token, reauthentication_token,
  raw_app_meta_data, raw_user_meta_data, is_super_admin, created_at, updated_at, is_sso_user, is_anonymous
)
select
  '00000000-0000-0000-0000-000000000000', id, 'authenticated', 'authenticated', email,
  extensions.crypt('password123', extensions.gen_salt('bf')), now() - joined,
  '', '', '', '', '',
  '', '', '',
  '{"provider": "email", "providers": ["email"]}'::jsonb,
  jsonb_build_object(
    'sub', id::text, 'email', email, 'email_verified', true, 'phone_verified', false,
    'display_name', display_name
  ),
  false, now() - joined, now() - joined, false, false
from demo;

insert into auth.identities (id, provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select
  id, id::text, id,
  jsonb_build_object('sub', id::text, 'email', email, 'email_verified', true, 'phone_verified', false),
  'email', created_at, created_at, created_at
from auth.users
where email in ('alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com');

-- Profiles come from the on_auth_user_created trigger; date them from the sign-up.
update public.profiles
set created_at = users.created_at
from auth.users
where users.id = profiles.id
  and users.email in ('alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com');

-- Notifications. `age` is how long ago it arrived; `read_after` / `archived_after` how long after
-- arriving the recipient read / archived it (null: not yet). A null actor is the system.
with person (name, id) as (
  values
    ('alice', 'a11ce000-0000-4000-8000-000000000001'::uuid),
    ('bob', 'b0b00000-0000-4000-8000-000000000002'::uuid),
    ('carol', 'ca401000-0000-4000-8000-000000000003'::uuid),
    ('dave', 'da7e0000-0000-4000-8000-000000000004'::uuid)
),
item (recipient, actor, category, priority, title, body, url, age, read_after, archived_after) as (
  values
    -- alice
    ('alice', 'bob', 'mention', 'normal', 'Bob mentioned you in "Q3 roadmap"',
      '@alice can you sanity-check the realtime estimates before Friday?', '/docs/q3-roadmap',
      interval '12 minutes', null::interval, null::interval),
    ('alice', null, 'deploy', 'high', 'Deploy to production failed',
      'beacon-web #482 failed at "migrate": relation "team_invites" already exists.', 'https://ci.example.com/beacon-web/482',
      interval '47 minutes', null, null),
    ('alice', 'carol', 'comment', 'normal', 'Carol commented on "Inbox keyboard shortcuts"',
      'Shift+R for mark-all-read feels right. Should Esc close the search field too?', '/issues/118#comment-3',
      interval '2 hours', null, null),
    ('alice', 'dave', 'message', 'low', 'Lunch on Thursday?',
      'The new ramen place opened next to the office. 12:30?', null,
      interval '5 hours', interval '20 minutes', null),
    ('alice', null, 'security', 'urgent', 'New sign-in from Firefox on Linux',
      'If this was not you, reset your password and sign out of all sessions.', '/settings/security',
      interval '9 hours', interval '3 minutes', null),
    ('alice', 'bob', 'comment', 'normal', 'Bob replied to your review',
      'Fixed the off-by-one in the keyset cursor, mind taking another look?', 'https://git.example.com/beacon/pull/231',
      interval '1 day 2 hours', interval '1 hour', null),
    ('alice', null, 'billing', 'normal', 'Your invoice for October is ready',
      'Team plan, 4 seats: $48.00. Paid with the card ending 4242.', 'https://billing.example.com/invoices/2026-10',
      interval '1 day 6 hours', interval '2 hours', interval '3 hours'),
    ('alice', 'carol', 'mention', 'high', 'Carol mentioned you in #incidents',
      '@alice the websocket gateway is dropping heartbeats in eu-west, can you take a look?', '/incidents/57',
      interval '1 day 9 hours', interval '4 minutes', null),
    ('alice', null, 'deploy', 'low', 'Preview deployment ready',
      'beacon-web preview for branch "presence-batching" is live.', 'https://presence-batching.preview.example.com',
      interval '2 days 1 hour', interval '6 hours', interval '6 hours'),
    ('alice', 'dave', 'message', 'normal', 'Design review moved to 3pm', null, '/calendar',
      interval '2 days 5 hours', interval '30 minutes', null),
    ('alice', null, 'system', 'low', 'Welcome to Beacon',
      'Notifications from your team and your tools land here, live.', '/',
      interval '30 days', interval '1 hour', interval '2 days'),
    ('alice', 'bob', 'mention', 'normal', 'Bob mentioned you in "Standup notes"',
      '@alice owns the notification digest this sprint.', '/docs/standup-notes',
      interval '3 days 4 hours', null, null),

    -- bob
    ('bob', 'alice', 'comment', 'normal', 'Alice approved your pull request',
      'Looks good. Ship it once CI is green.', 'https://git.example.com/beacon/pull/231',
      interval '25 minutes', null, null),
    ('bob', null, 'deploy', 'normal', 'Deploy to staging succeeded',
      'beacon-api #1290 is live on staging (commit 9f3c2e1).', 'https://ci.example.com/beacon-api/1290',
      interval '1 hour', null, null),
    ('bob', 'dave', 'mention', 'high', 'Dave mentioned you in #support',
      '@bob a customer reports duplicate notifications after reconnecting. Repro steps in the ticket.', '/support/tickets/884',
      interval '3 hours', interval '10 minutes', null),
    ('bob', null, 'security', 'high', 'Personal access token expires in 3 days',
      'The token "ci-deploy" expires on Wednesday. Create a new one to keep deployments running.', '/settings/tokens',
      interval '7 hours', null, null),
    ('bob', 'carol', 'message', 'normal', 'Can you pair on the RLS tests?',
      'I am stuck on the insert policy case, 20 minutes after lunch?', null,
      interval '20 hours', interval '15 minutes', null),
    ('bob', 'alice', 'mention', 'normal', 'Alice mentioned you in "Q3 roadmap"',
      '@bob please add the load-test numbers for presence.', '/docs/q3-roadmap',
      interval '1 day 3 hours', interval '2 hours', null),
    ('bob', null, 'billing', 'urgent', 'Payment failed',
      'We could not charge the card ending 0005. Update your payment method to avoid interruption.', 'https://billing.example.com/payment-methods',
      interval '1 day 8 hours', interval '1 hour', interval '1 day'),
    ('bob', null, 'system', 'normal', 'Scheduled maintenance on Sunday',
      'The database will be read-only for about 10 minutes from 02:00 UTC.', null,
      interval '2 days', interval '3 hours', null),
    ('bob', 'dave', 'comment', 'low', 'Dave reacted to your comment', null, '/issues/97#comment-8',
      interval '2 days 7 hours', interval '5 hours', interval '5 hours'),
    ('bob', null, 'deploy', 'high', 'Rollback completed',
      'beacon-api was rolled back to #1284 after error rates rose above 2%.', 'https://ci.example.com/beacon-api/1287',
      interval '3 days 2 hours', interval '5 minutes', null),
    ('bob', null, 'system', 'low', 'Welcome to Beacon',
      'Notifications from your team and your tools land here, live.', '/',
      interval '28 days', interval '2 hours', interval '3 days'),

    -- carol
    ('carol', 'alice', 'mention', 'urgent', 'Alice mentioned you in #incidents',
      '@carol customers in eu-west cannot sign in. Can you check the auth logs?', '/incidents/58',
      interval '8 minutes', null, null),
    ('carol', 'bob', 'comment', 'normal', 'Bob commented on "Presence batching"',
      'Batching diffs every 50 ms cut the frames by 95% in the 1000-join test.', '/issues/142#comment-1',
      interval '1 hour 20 minutes', null, null),
    ('carol', null, 'deploy', 'normal', 'Deploy to production succeeded',
      'beacon-web #481 is live (commit 4d1a7b0).', 'https://ci.example.com/beacon-web/481',
      interval '4 hours', interval '1 hour', null),
    ('carol', 'dave', 'message', 'normal', 'Thanks for the onboarding doc',
      'It saved me a day. One link in the setup section is broken though.', '/docs/onboarding',
      interval '6 hours', null, null),
    ('carol', null, 'security', 'normal', 'Two-factor authentication is off',
      'Turn on two-factor authentication to protect your account.', '/settings/security',
      interval '1 day', null, null),
    ('carol', 'alice', 'comment', 'low', 'Alice replied in "Inbox keyboard shortcuts"',
      'Yes, Esc should clear and blur the search field.', '/issues/118#comment-4',
      interval '1 day 1 hour', interval '2 hours', null),
    ('carol', null, 'billing', 'low', 'Seat added to your team',
      'Dave Kowalski joined the team. Your next invoice includes 4 seats.', 'https://billing.example.com/seats',
      interval '14 days', interval '1 day', interval '2 days'),
    ('carol', 'bob', 'mention', 'normal', 'Bob mentioned you in "Standup notes"',
      '@carol is on call this week.', '/docs/standup-notes',
      interval '3 days 4 hours', interval '1 hour', null),
    ('carol', null, 'system', 'low', 'Welcome to Beacon',
      'Notifications from your team and your tools land here, live.', '/',
      interval '21 days', interval '10 minutes', interval '1 day'),
    ('carol', 'dave', 'comment', 'normal', 'Dave commented on "Error budget policy"',
      'Should we freeze deploys when the budget drops below 10%?', '/docs/error-budget',
      interval '2 days 3 hours', null, null),
    ('carol', null, 'deploy', 'low', 'Preview deployment ready',
      'beacon-web preview for branch "keyboard-shortcuts" is live.', 'https://keyboard-shortcuts.preview.example.com',
      interval '2 days 9 hours', interval '4 hours', interval '4 hours'),

    -- dave
    ('dave', 'carol', 'message', 'normal', 'Welcome aboard, Dave!',
      'Ping me any time. The onboarding doc is a good place to start.', '/docs/onboarding',
      interval '14 days', interval '1 hour', null),
    ('dave', null, 'system', 'low', 'Welcome to Beacon',
      'Notifications from your team and your tools land here, live.', '/',
      interval '14 days', interval '5 minutes', null),
    ('dave', 'bob', 'comment', 'normal', 'Bob answered your question',
      'The duplicate notifications came from a missing merge by id after catch-up. Fixed in #233.', 'https://git.example.com/beacon/pull/233',
      interval '35 minutes', null, null),
    ('dave', 'alice', 'mention', 'high', 'Alice mentioned you in #support',
      '@dave can you reply to the enterprise customer about SSO by end of day?', '/support/tickets/889',
      interval '2 hours', null, null),
    ('dave', null, 'security', 'normal', 'Password changed',
      'Your password was changed. If this was not you, contact an admin.', '/settings/security',
      interval '13 days', interval '1 minute', interval '1 day'),
    ('dave', null, 'deploy', 'normal', 'Deploy to staging succeeded',
      'beacon-web #480 is live on staging (commit 1be0c94).', 'https://ci.example.com/beacon-web/480',
      interval '5 hours', null, null),
    ('dave', 'carol', 'comment', 'low', 'Carol resolved your comment', null, '/docs/onboarding#setup',
      interval '18 hours', interval '3 hours', null),
    ('dave', null, 'billing', 'normal', 'Your trial of Beacon Pro ends in 7 days',
      'Choose a plan to keep live presence and unlimited history.', 'https://billing.example.com/plans',
      interval '1 day 5 hours', null, null),
    ('dave', 'alice', 'message', 'normal', 'Good job on the support queue',
      'Response times are down to under an hour. Thank you!', null,
      interval '2 days 2 hours', interval '40 minutes', null),
    ('dave', 'bob', 'mention', 'normal', 'Bob mentioned you in "Standup notes"',
      '@dave is shadowing on-call this week.', '/docs/standup-notes',
      interval '3 days 4 hours', interval '1 day', interval '1 day 1 hour'),
    ('dave', null, 'system', 'urgent', 'Realtime degraded in eu-west',
      'Some users may see delayed notifications. We are investigating.', 'https://status.example.com/incidents/301',
      interval '1 day 10 hours', interval '7 minutes', null)
)
insert into public.notifications (
  user_id, actor_id, category, priority, title, body, url, read_at, archived_at, created_at, updated_at
)
select
  recipient.id, actor.id, item.category::public.notification_category, item.priority::public.notification_priority, item.title, item.body, item.url,
  stamp.created_at + item.read_after,
  stamp.created_at + item.archived_after,
  stamp.created_at,
  greatest(stamp.created_at, stamp.created_at + item.read_after, stamp.created_at + item.archived_after)
from item
join person recipient on recipient.name = item.recipient
left join person actor on actor.name = item.actor
cross join lateral (select now() - item.age as created_at) stamp;

-- Inbox features on alice's inbox: a deploy waiting for approval (two actions), and three comments
-- on one document that show as one row ("Dave Kowalski and 2 others commented on Q3 roadmap").
insert into public.notifications (user_id, actor_id, category, priority, title, body, actions, group_key, subject, created_at, updated_at)
select 'a11ce000-0000-4000-8000-000000000001'::uuid, actor, category::public.notification_category, 'normal', title, body,
  actions::jsonb, group_key, subject, now() - age, now() - age
from (values
  ('b0b00000-0000-4000-8000-000000000002'::uuid, 'deploy', 'Bob asks you to approve a production deploy',
    'beacon-web #483: realtime fan-out batching.',
    '[{"key": "approve", "label": "Approve", "kind": "primary"},
      {"key": "run", "label": "View run", "kind": "link", "url": "https://ci.example.com/beacon-web/483"}]',
    null, null, interval '8 minutes'),
  ('b0b00000-0000-4000-8000-000000000002'::uuid, 'comment', 'Bob commented on "Q3 roadmap"',
    'The realtime milestone should move to week 6.', null, 'doc:q3-roadmap', 'Q3 roadmap', interval '50 minutes'),
  ('ca401000-0000-4000-8000-000000000003'::uuid, 'comment', 'Carol commented on "Q3 roadmap"',
    'Agreed, and the bundle budget needs a line too.', null, 'doc:q3-roadmap', 'Q3 roadmap', interval '35 minutes'),
  ('da7e0000-0000-4000-8000-000000000004'::uuid, 'comment', 'Dave commented on "Q3 roadmap"',
    'Added the support numbers to the appendix.', null, 'doc:q3-roadmap', 'Q3 roadmap', interval '20 minutes')
) as demo (actor, category, title, body, actions, group_key, subject, age);
