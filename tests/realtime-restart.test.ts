/**
 * A server restart, as a laptop or a deploy causes one: supabase-js reconnects and rejoins on its
 * own, and changes committed after the rejoin reach it. This file runs its own stack (it must
 * restart it), on its own ports and data folder.
 */
import type { RealtimeChannel } from '@supabase/supabase-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { insertNotification, signedInOn, subscribed } from './helpers.ts';
import { startTestStack, type TestStack } from './setup/stack.ts';

let test: TestStack;

beforeAll(async () => {
	test = await startTestStack();
});

afterAll(async () => {
	await test?.dispose();
});

it('rejoins after the stack restarts and receives changes made after the rejoin', async () => {
	const { supabase, user } = await signedInOn(test.env, 'alice@example.com');
	const alice = user.id;

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
	await subscribed(channel, {
		onStatus: (status) => {
			statuses.push(status);
			if (status === 'SUBSCRIBED') onSubscribed();
		}
	});

	const rejoined = new Promise<void>((resolve) => (onSubscribed = resolve));
	await test.restart();
	await rejoined;
	expect(statuses.filter((s) => s === 'SUBSCRIBED')).toHaveLength(2);

	const received = new Promise<void>((resolve) => {
		onTitle = (title) => title === 'after the restart' && resolve();
	});
	await insertNotification(test.env.SUPABASE_DB_URL, alice, 'after the restart');
	await received;
	expect(titles).toEqual(['after the restart']);
	await supabase.removeAllChannels();
}, 60_000);
