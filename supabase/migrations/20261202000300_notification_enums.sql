-- Category and priority as enum types instead of text + check constraints, so the generated
-- `Database` types (npm run gen:types) carry the allowed values and the app derives its lists from
-- them (src/lib/types.ts) rather than keeping copies.
create type public.notification_category as enum
  ('message', 'mention', 'comment', 'deploy', 'security', 'billing', 'system');
create type public.notification_priority as enum ('low', 'normal', 'high', 'urgent');

alter table public.notifications
  drop constraint notifications_category_check,
  drop constraint notifications_priority_check,
  alter column category drop default,
  alter column priority drop default,
  alter column category type public.notification_category using category::public.notification_category,
  alter column priority type public.notification_priority using priority::public.notification_priority,
  alter column category set default 'message',
  alter column priority set default 'normal';
