/**
 * Postgres changes: how long from a committed INSERT to the subscriber's callback, with RLS.
 * Supabase Realtime polls the WAL every 100 ms, so its floor is tens of milliseconds on average;
 * the stack streams pgoutput and should deliver in a few.
 */
import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import pg from 'pg';
import WebSocket from 'ws';
import { LOCAL_KEYS } from '../stack/keys.ts';
import { fmt, printTable, summarize, type StackProcess } from './lib.ts';

const USERS = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'dave@example.com'];

interface Subscriber {
	client: SupabaseClient;
	channel: RealtimeChannel;
	userId: string;
}

async function subscribe(
	stack: StackProcess,
	email: string,
	filtered: boolean,
	onInsert: (title: string) => void
): Promise<Subscriber> {
	const client = createClient(stack.url, LOCAL_KEYS.anon, {
		auth: { persistSession: false, autoRefreshToken: false },
		realtime: { transport: WebSocket as never }
	});
	const { data, error } = await client.auth.signInWithPassword({ email, password: 'password123' });
	if (error) throw error;
	const userId = data.user.id;
	const channel = client.channel(`bench-${email}-${Math.random()}`).on(
		'postgres_changes',
		{
			event: 'INSERT',
			schema: 'public',
			table: 'notifications',
			...(filtered ? { filter: `user_id=eq.${userId}` } : {})
		},
		(payload) => onInsert(String((payload.new as { title: string }).title))
	);
	await new Promise<void>((resolve, reject) => {
		channel.subscribe((status, err) => {
			if (status === 'SUBSCRIBED') resolve();
			else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(err ?? new Error(status));
		});
	});
	return { client, channel, userId };
}

async function scenario(
	stack: StackProcess,
	db: pg.Client,
	name: string,
	perUser: number,
	filtered: boolean,
	changes: number
) {
	const waiting = new Map<string, { t0: number; left: number; done: () => void }>();
	const samples: number[] = [];
	const onInsert = (title: string) => {
		const entry = waiting.get(title);
		if (!entry) return;
		samples.push(performance.now() - entry.t0);
		if (--entry.left === 0) entry.done();
	};
	const subscribers: Subscriber[] = [];
	for (const email of USERS) {
		for (let i = 0; i < perUser; i++) subscribers.push(await subscribe(stack, email, filtered, onInsert));
	}
	const alice = subscribers[0].userId;

	// Sequential: one change at a time, so each sample is pure latency.
	for (let i = 0; i < changes; i++) {
		const title = `${name} ${i}`;
		const delivered = new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`${title}: not delivered to all within 5 s`)), 5000);
			waiting.set(title, {
				t0: performance.now(),
				left: perUser,
				done: () => (clearTimeout(timer), resolve())
			});
		});
		await db.query(`insert into notifications (user_id, category, title) values ($1, 'system', $2)`, [
			alice,
			title
		]);
		await delivered;
		waiting.delete(title);
	}
	const latency = summarize(samples);

	// Burst: many commits back to back; how many deliveries per second reach the subscribers.
	const burst = 500;
	const started = performance.now();
	const all = Promise.all(
		Array.from({ length: burst }, (_, i) => {
			const title = `${name} burst ${i}`;
			return new Promise<void>((resolve) =>
				waiting.set(title, { t0: performance.now(), left: perUser, done: resolve })
			);
		})
	);
	for (let i = 0; i < burst; i++) {
		void db.query(`insert into notifications (user_id, category, title) values ($1, 'system', $2)`, [
			alice,
			`${name} burst ${i}`
		]);
	}
	await all;
	const seconds = (performance.now() - started) / 1000;

	for (const s of subscribers) await s.client.removeAllChannels();
	await db.query(`delete from notifications where title like $1`, [`${name} %`]);
	return {
		row: [
			name,
			subscribers.length,
			perUser,
			latency.count,
			fmt(latency.p50, 2),
			fmt(latency.p95, 2),
			fmt(latency.p99, 2),
			fmt(latency.max, 2),
			fmt((burst * perUser) / seconds, 0)
		]
	};
}

export async function benchChanges(stack: StackProcess): Promise<void> {
	const db = new pg.Client({ connectionString: stack.dbUrl });
	db.on('error', (error) => console.error(`bench database connection: ${error.message}`));
	await db.connect();
	const rows = [];
	rows.push((await scenario(stack, db, 'one tab, filtered', 1, true, 200)).row);
	rows.push((await scenario(stack, db, '25 tabs x 4 users, filtered', 25, true, 100)).row);
	rows.push((await scenario(stack, db, '25 tabs x 4 users, RLS only', 25, false, 100)).row);
	await db.end();
	printTable(
		'Postgres changes: commit -> supabase-js callback (ms), RLS on; Supabase polls every 100 ms',
		[
			'scenario',
			'subscribers',
			'receivers/change',
			'samples',
			'p50',
			'p95',
			'p99',
			'max',
			'burst deliveries/s'
		],
		rows
	);
}
