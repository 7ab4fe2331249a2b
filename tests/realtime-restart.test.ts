/**
 * A server restart, as a laptop or a deploy causes one: supabase-js reconnects and rejoins on its
 * own, and changes committed after the rejoin reach it. This file runs its own stack (it must
 * restart it), on its own ports and data folder.
 */
import { createClient, type RealtimeChannel } from '@supabase/supabase-js';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestStack, type TestStack } from './setup/stack.ts';

let test: TestStack;

beforeAll(async () => {
	test = await startTestStack();
});

afterAll(async () => {
	await test?.dispose();
});

it('rejoins after the stack restarts and receives changes made after the rejoin', async () => {
	const supabase = createClient(test.env.SUPABASE_URL, test.env.SUPABASE_ANON_KEY, {
		auth: { persistSession: false, autoRefreshToken: false },
		realtime: { transport: WebSocket as never }
	});
	const { data, error } = await supabase.auth.signInWithPassword({
		email: 'alice@example.com',
		password: 'password123'
	});
	expect(error).toBeNull();
	const alice = data.user!.id;

	const titles: string[] = [];
	const statuses: string[] = [];
	let onSubscribed: () => void = () => undefined;
	let onTitle: (title: string) => void = () => undefined;
	const channel: RealtimeChannel = supabase
		.channel('inbox')
		.on(
			'postgres_changes',
			{ event: 'INSERT', schema: 'public', table: 'notifications', filter: `user_id=eq.${alice}` },
			(payload) => {
				const title = String((payload.new as { title: string }).title);
				titles.push(title);
				onTitle(title);
			}
		);
	const subscribedOnce = new Promise<void>((resolve) => (onSubscribed = resolve));
	channel.subscribe((status) => {
		statuses.push(status);
		if (status === 'SUBSCRIBED') onSubscribed();
	});
	await subscribedOnce;

	const rejoined = new Promise<void>((resolve) => (onSubscribed = resolve));
	await test.restart();
	await rejoined;
	expect(statuses.filter((s) => s === 'SUBSCRIBED')).toHaveLength(2);

	const received = new Promise<void>((resolve) => {
		onTitle = (title) => title === 'after the restart' && resolve();
	});
	const db = new pg.Client({ connectionString: test.env.SUPABASE_DB_URL });
	await db.connect();
	try {
		await db.query(
			`insert into notifications (user_id, category, title) values ($1, 'system', 'after the restart')`,
			[alice]
		);
	} finally {
		await db.end();
	}
	await received;
	expect(titles).toEqual(['after the restart']);
	await supabase.removeAllChannels();
}, 60_000);
