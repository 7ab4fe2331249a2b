/**
 * Realtime Presence through supabase-js: state on join, several tabs under one key, leaves when a
 * tab disconnects, and Supabase's presence rate limit.
 */
import { randomUUID } from 'node:crypto';
import type { RealtimeChannel } from '@supabase/supabase-js';
import { afterEach, describe, expect, it } from 'vitest';
import { clientPool, subscribed } from './helpers.ts';

const pool = clientPool();
const make = () => pool.make();

afterEach(async () => {
	await pool.removeChannels();
});

/** Resolves when the channel's presence state satisfies `check` (checked on every sync). */
function presenceUntil(
	channel: RealtimeChannel,
	check: (state: ReturnType<RealtimeChannel['presenceState']>) => boolean
): Promise<ReturnType<RealtimeChannel['presenceState']>> {
	return new Promise((resolve) => {
		channel.on('presence', { event: 'sync' }, () => {
			const state = channel.presenceState();
			if (check(state)) resolve(state);
		});
	});
}

describe('presence', () => {
	it('shows two tabs under one key and the leave of a tab that disconnects', async () => {
		const topic = `presence-${randomUUID()}`;
		const observer = make().channel(topic);
		const leaves: string[] = [];
		observer.on('presence', { event: 'leave' }, ({ key }) => leaves.push(key));
		const twoTabs = presenceUntil(observer, (s) => s.alice?.length === 2);
		const oneTabLeft = presenceUntil(observer, (s) => s.alice?.length === 1 && leaves.includes('alice'));
		await subscribed(observer);

		const tabClients = [make(), make()];
		const tabs = tabClients.map((c) => c.channel(topic, { config: { presence: { key: 'alice' } } }));
		for (const [i, tab] of tabs.entries()) {
			await subscribed(tab);
			expect(await tab.track({ tab: i + 1 })).toBe('ok');
		}
		const state = await twoTabs;
		expect(state.alice.map((m) => m.tab).sort()).toEqual([1, 2]);
		expect(state.alice.every((m) => typeof m.presence_ref === 'string')).toBe(true);

		// The second tab's socket goes away without leaving its channel.
		await tabClients[1].realtime.disconnect();
		const after = await oneTabLeft;
		expect(after.alice.map((m) => m.tab)).toEqual([1]);
	});

	it('sends the current state to a member who joins later, and untrack removes the meta', async () => {
		const topic = `presence-${randomUUID()}`;
		const first = make().channel(topic, { config: { presence: { key: 'bob' } } });
		await subscribed(first);
		await first.track({ status: 'online' });

		const late = make().channel(topic);
		const seesBob = presenceUntil(late, (s) => s.bob?.[0]?.status === 'online');
		const bobGone = presenceUntil(late, (s) => s.bob === undefined);
		await subscribed(late);
		await seesBob;
		expect(await first.untrack()).toBe('ok');
		await bobGone;
	});

	it('sends a leave when a member removes its channel', async () => {
		const topic = `presence-${randomUUID()}`;
		const observer = make().channel(topic);
		const seesCarol = presenceUntil(observer, (s) => s.carol?.length === 1);
		const carolLeft = new Promise<string>((resolve) =>
			observer.on('presence', { event: 'leave' }, ({ key }) => resolve(key))
		);
		await subscribed(observer);
		const carol = make();
		const room = carol.channel(topic, { config: { presence: { key: 'carol' } } });
		await subscribed(room);
		await room.track({ online: true });
		await seesCarol;
		expect(await carol.removeChannel(room)).toBe('ok');
		expect(await carolLeft).toBe('carol');
		expect(observer.presenceState()).toEqual({});
	});

	it('closes a channel that calls presence more than 5 times in 30 seconds', async () => {
		const channel = make().channel(`presence-${randomUUID()}`);
		const system = new Promise<Record<string, unknown>>((resolve) =>
			channel.on('system', {}, (payload) => resolve(payload))
		);
		let markClosed: () => void = () => undefined;
		const closed = new Promise<void>((resolve) => (markClosed = resolve));
		await subscribed(channel, { onStatus: (status) => status === 'CLOSED' && markClosed() });
		for (let i = 0; i < 6; i++) void channel.track({ i });
		expect(await system).toMatchObject({
			extension: 'system',
			status: 'error',
			message: 'Client presence rate limit exceeded'
		});
		await closed;
	});
});
