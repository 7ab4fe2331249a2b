/**
 * Notification preferences (supabase/migrations/20261203000200_notification_preferences.sql):
 * each user reads and writes only their own row, through the REST API as the dashboard does, and
 * follows it live through postgres_changes; nobody else can read, change or hear of it.
 */
import type { RealtimePostgresChangesPayload } from '@supabase/supabase-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
	client,
	clientPool,
	closeSql,
	eventually,
	signedIn,
	sql,
	subscribed,
	testEnv,
	type Client
} from './helpers.ts';

const COLUMNS = 'user_id,muted_categories,off_categories,quiet_hours,quiet_start,quiet_end,time_zone';
const pool = clientPool();
let carol: { supabase: Client; id: string };
let dave: { supabase: Client; id: string };

async function user(email: string) {
	const { supabase, user } = await signedIn(email);
	pool.add(supabase);
	return { supabase, id: user.id };
}

const clear = () =>
	sql('delete from public.notification_preferences where user_id = any($1)', [[carol.id, dave.id]]);

beforeAll(async () => {
	[carol, dave] = await Promise.all([user('carol@example.com'), user('dave@example.com')]);
	await clear();
});
afterEach(() => pool.removeChannels());
afterAll(async () => {
	await clear();
	await closeSql();
});

describe('notification preferences under RLS', () => {
	it('lets a user create, read and change their own row, owned by their token', async () => {
		const first = await carol.supabase
			.from('notification_preferences')
			.upsert({ muted_categories: ['deploy'], off_categories: ['billing'] }, { onConflict: 'user_id' })
			.select(COLUMNS)
			.single();
		expect(first.error).toBeNull();
		expect(first.data).toMatchObject({
			user_id: carol.id,
			muted_categories: ['deploy'],
			off_categories: ['billing']
		});

		const second = await carol.supabase
			.from('notification_preferences')
			.upsert(
				{
					muted_categories: [],
					off_categories: ['system'],
					quiet_hours: true,
					quiet_start: '22:30',
					quiet_end: '07:00',
					time_zone: 'Europe/Paris'
				},
				{ onConflict: 'user_id' }
			)
			.select(COLUMNS)
			.single();
		expect(second.error).toBeNull();
		expect(second.data).toEqual({
			user_id: carol.id,
			muted_categories: [],
			off_categories: ['system'],
			quiet_hours: true,
			quiet_start: '22:30:00',
			quiet_end: '07:00:00',
			time_zone: 'Europe/Paris'
		});
		const rows = await sql(
			'select count(*)::int as n from public.notification_preferences where user_id = $1',
			[carol.id]
		);
		expect(rows[0].n).toBe(1);
	});

	it('hides the row from everyone else and refuses their writes', async () => {
		await carol.supabase
			.from('notification_preferences')
			.upsert({ off_categories: ['billing'] }, { onConflict: 'user_id' });

		const read = await dave.supabase.from('notification_preferences').select(COLUMNS).eq('user_id', carol.id);
		expect(read).toMatchObject({ error: null, data: [] });

		const update = await dave.supabase
			.from('notification_preferences')
			.update({ off_categories: [] })
			.eq('user_id', carol.id)
			.select('user_id');
		expect(update).toMatchObject({ error: null, data: [] });

		const removed = await dave.supabase
			.from('notification_preferences')
			.delete()
			.eq('user_id', carol.id)
			.select('user_id');
		expect(removed).toMatchObject({ error: null, data: [] });

		// The owner is never the writer's to choose: the column is not theirs to write.
		const forged = await dave.supabase
			.from('notification_preferences')
			.insert({ user_id: carol.id, off_categories: [] });
		expect(forged.error?.code).toBe('42501');

		const anon = await client().from('notification_preferences').select(COLUMNS);
		expect(anon.error?.code).toBe('42501');

		const [row] = await sql('select off_categories from public.notification_preferences where user_id = $1', [
			carol.id
		]);
		expect(row.off_categories).toBe('{billing}');
	});

	it('refuses an unknown time zone, a category at two levels and an empty quiet span, with Postgres errors', async () => {
		const write = (values: Record<string, unknown>) =>
			dave.supabase.from('notification_preferences').upsert(values, { onConflict: 'user_id' });
		const zone = await write({ time_zone: 'Mars/Olympus_Mons' });
		expect(zone.error).toMatchObject({
			code: '22023',
			message: 'time zone "Mars/Olympus_Mons" not recognized'
		});
		const posix = await write({ time_zone: 'EST5EDT,M3.2.0,M11.1.0' });
		expect(posix.error?.code).toBe('22023');
		const both = await write({ muted_categories: ['deploy'], off_categories: ['deploy'] });
		expect(both.error?.code).toBe('23514');
		const empty = await write({ quiet_start: '09:00', quiet_end: '09:00' });
		expect(empty.error?.code).toBe('23514');
		const category = await write({ muted_categories: ['nonsense'] });
		expect(category.error?.code).toBe('22P02');
	});

	it('sends changes live to the owner only', async () => {
		const mine: RealtimePostgresChangesPayload<Record<string, unknown>>[] = [];
		const theirs: RealtimePostgresChangesPayload<Record<string, unknown>>[] = [];
		const watcher = pool.add(client(testEnv().anonKey));
		await watcher.auth.signInWithPassword({ email: 'carol@example.com', password: 'password123' });
		await watcher.realtime.setAuth();
		await dave.supabase.realtime.setAuth();
		const table = { event: '*', schema: 'public', table: 'notification_preferences' } as const;
		await Promise.all([
			subscribed(
				watcher
					.channel('prefs-owner')
					.on('postgres_changes', { ...table, filter: `user_id=eq.${carol.id}` }, (p) => mine.push(p))
			),
			// Dave listens for Carol's row (and his own, as the sentinel that his channel is working).
			subscribed(dave.supabase.channel('prefs-other').on('postgres_changes', table, (p) => theirs.push(p)))
		]);

		await carol.supabase
			.from('notification_preferences')
			.upsert({ muted_categories: ['mention'], off_categories: [] }, { onConflict: 'user_id' });
		await eventually(
			() => mine.find((p) => p.eventType !== 'DELETE' && p.new.muted_categories?.toString() === 'mention'),
			5000,
			"Carol's other tab did not hear of her change"
		);

		await dave.supabase
			.from('notification_preferences')
			.upsert({ muted_categories: ['comment'] }, { onConflict: 'user_id' });
		await eventually(
			() => theirs.find((p) => p.eventType !== 'DELETE' && p.new.user_id === dave.id),
			5000,
			"Dave's own change (the sentinel) never arrived"
		);
		expect(theirs.filter((p) => p.eventType !== 'DELETE' && p.new.user_id === carol.id)).toEqual([]);
	});
});
