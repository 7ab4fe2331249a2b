/**
 * The team room (supabase/migrations/20261202000200_room.sql): a private channel that only
 * signed-in users may join and track presence on, where broadcasts come only from the database,
 * and nudges/announcements are rows whose author RLS pins to auth.uid().
 */
import type { RealtimeChannel } from '@supabase/supabase-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
	client,
	clientPool,
	closeSql,
	eventually,
	signedIn,
	subscribed,
	testEnv,
	type Client
} from './helpers.ts';

const pool = clientPool();
afterEach(() => pool.removeChannels());
afterAll(() => closeSql());

async function user(email: string) {
	const { supabase, user } = await signedIn(email);
	pool.add(supabase);
	// supabase-js hands a private channel the user's token only after setAuth (or a sign-in event).
	await supabase.realtime.setAuth();
	return { supabase, id: user.id };
}

const publishable = () => pool.add(client(testEnv().publishableKey));

function room(supabase: Client, key?: string): RealtimeChannel {
	// A presence listener, as the dashboard has: supabase-js then asks for presence at join.
	return supabase
		.channel('room', { config: { private: true, presence: { key: key ?? '' } } })
		.on('presence', { event: 'sync' }, () => {});
}

function joinOutcome(channel: RealtimeChannel): Promise<{ status: string; message?: string }> {
	return new Promise((resolve) =>
		channel.subscribe((status, err) => resolve({ status, message: err?.message }))
	);
}

/** Every broadcast a channel receives, in order. */
function recorder(channel: RealtimeChannel) {
	const seen: { event: string; payload: Record<string, unknown> }[] = [];
	channel.on('broadcast', { event: '*' }, (m) => seen.push({ event: m.event, payload: m.payload }));
	return seen;
}

describe('the room channel', () => {
	it('refuses a client with only the publishable key', async () => {
		const outcome = await joinOutcome(room(publishable(), 'someone'));
		expect(outcome).toEqual({
			status: 'CHANNEL_ERROR',
			message: 'Unauthorized: You do not have permissions to read from this Channel topic: room'
		});
	});

	it('keeps what an outsider tracks and sends on the public topic out of the room', async () => {
		const alice = await user('alice@example.com');
		const bob = await user('bob@example.com');
		const member = room(alice.supabase, alice.id);
		const heard = recorder(member);
		await subscribed(member);
		expect(await member.track({ status: 'online' })).toBe('ok');

		// An outsider on the public topic of the same name, pretending to be bob.
		const outsider = publishable().channel('room', { config: { presence: { key: bob.id } } });
		await subscribed(outsider);
		await outsider.track({ display_name: 'IT Admin', status: 'online' });
		await outsider.send({
			type: 'broadcast',
			event: 'announcement',
			payload: { author_id: bob.id, text: 'phish' }
		});

		// Sentinel: a real announcement from the database arrives after anything relayed before it.
		const { error } = await bob.supabase.from('announcements').insert({ text: 'sentinel from bob' });
		expect(error).toBeNull();
		const sentinel = await eventually(
			() => heard.find((m) => m.payload.text === 'sentinel from bob'),
			5000,
			'the sentinel announcement'
		);
		expect(sentinel.payload.author_id).toBe(bob.id);
		expect(heard.filter((m) => m.payload.text === 'phish')).toEqual([]);
		// The member's roster converges by presence sync (its own track included): wait for it, then
		// it must hold alice alone, never the outsider.
		await eventually(
			() => Object.keys(member.presenceState()).length > 0,
			5000,
			'the member to see its own presence'
		);
		expect(Object.keys(member.presenceState())).toEqual([alice.id]);
	});

	it('lets a signed-in user track presence but not broadcast', async () => {
		const carol = await user('carol@example.com');
		const dave = await user('dave@example.com');
		const listener = room(dave.supabase, dave.id);
		const heard = recorder(listener);
		await subscribed(listener);

		const forger = carol.supabase.channel('room', {
			config: { private: true, presence: { key: carol.id }, broadcast: { ack: true } }
		});
		await subscribed(forger);
		expect(await forger.track({ status: 'online' })).toBe('ok');
		await eventually(() => Boolean(listener.presenceState()[carol.id]), 5000, "carol's presence");
		// A forged nudge "from dave" is dropped by the server (no broadcast INSERT policy): no ack.
		void forger.send({
			type: 'broadcast',
			event: 'nudge',
			payload: { author_id: dave.id, target_id: dave.id }
		});

		const { error } = await carol.supabase.from('nudges').insert({ target_id: dave.id });
		expect(error).toBeNull();
		const nudge = await eventually(() => heard.find((m) => m.event === 'nudge'), 5000, 'the real nudge');
		expect(nudge.payload).toEqual({ id: expect.any(String), author_id: carol.id, target_id: dave.id });
		expect(heard.filter((m) => m.event === 'nudge')).toHaveLength(1);
	});
});

describe('nudges and announcements', () => {
	it('cannot be written in someone else’s name', async () => {
		const alice = await user('alice@example.com');
		const bob = await user('bob@example.com');
		const carol = await user('carol@example.com');
		const asBob = await alice.supabase.from('nudges').insert({ author_id: bob.id, target_id: carol.id });
		expect(asBob.error?.code).toBe('42501');
		const announced = await alice.supabase.from('announcements').insert({ author_id: bob.id, text: 'hi' });
		expect(announced.error?.code).toBe('42501');
	});

	it('cannot be written or read with only the publishable key', async () => {
		const bob = await user('bob@example.com');
		const outsider = publishable();
		const nudge = await outsider.from('nudges').insert({ target_id: bob.id });
		expect(nudge.error?.code).toBe('42501');
		const announcement = await outsider.from('announcements').insert({ text: 'hello' });
		expect(announcement.error?.code).toBe('42501');
		const read = await outsider.from('announcements').select('id');
		expect(read.error?.code).toBe('42501');
	});

	it('are bounded: text length, and a flood is refused', async () => {
		const dave = await user('dave@example.com');
		const alice = await user('alice@example.com');
		const long = await dave.supabase.from('announcements').insert({ text: 'x'.repeat(281) });
		expect(long.error?.code).toBe('23514');
		const blank = await dave.supabase.from('announcements').insert({ text: '   ' });
		expect(blank.error?.code).toBe('23514');
		const self = await dave.supabase.from('nudges').insert({ target_id: dave.id });
		expect(self.error?.code).toBe('23514');

		expect((await dave.supabase.from('nudges').insert({ target_id: alice.id })).error).toBeNull();
		const again = await dave.supabase.from('nudges').insert({ target_id: alice.id });
		expect(again.error).toMatchObject({
			code: 'P0001',
			message: 'You just waved at them: give them a moment'
		});
	});
});
