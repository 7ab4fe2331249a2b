/**
 * A channel outlives its first access token: supabase-js refreshes the session and hands the new
 * token to Realtime (the `access_token` event), so the server never closes the channel for expiry,
 * and changes keep arriving. This file runs its own stack with 40-second tokens (supabase-js refreshes on its 30 s tick, so a refreshed token never lapses); without working
 * refreshes, the server closes the channel ("Token has expired") once the first token runs out.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { insertNotification, signedInOn, subscribed } from './helpers.ts';
import { startTestStack, type TestStack } from './setup/stack.ts';

const EXPIRY_SECONDS = 40;
let test: TestStack;

beforeAll(async () => {
	test = await startTestStack({ STACK_JWT_EXPIRY: String(EXPIRY_SECONDS) });
});

afterAll(async () => {
	await test?.dispose();
});

it('keeps a channel subscribed and delivering past the expiry of the token it joined with', async () => {
	const { supabase, user } = await signedInOn(test.env, 'alice@example.com', {
		auth: { autoRefreshToken: true }
	});
	const alice = user.id;
	const refreshed: string[] = [];
	supabase.auth.onAuthStateChange((event, session) => {
		if (event === 'TOKEN_REFRESHED' && session) refreshed.push(session.access_token);
	});
	// Node has no visibility events: start the refresh ticker the way auth-js documents for servers.
	await supabase.auth.startAutoRefresh();

	const statuses: string[] = [];
	let onTitle: (title: string) => void = () => undefined;
	const channel = supabase
		.channel('inbox')
		.on(
			'postgres_changes',
			{ event: 'INSERT', schema: 'public', table: 'notifications', filter: `user_id=eq.${alice}` },
			(payload) => onTitle(String((payload.new as { title: string }).title))
		);
	await subscribed(channel, { onStatus: (status) => statuses.push(status) });
	const joinedWith = (await supabase.auth.getSession()).data.session!.access_token;
	const joinedUntil = JSON.parse(Buffer.from(joinedWith.split('.')[1], 'base64url').toString()).exp as number;

	// The fault is time passing, so this waits on the clock, bounded by the token's lifetime: until the
	// token the channel joined with has expired, plus a margin for the server's expiry timer.
	await new Promise((r) => setTimeout(r, Math.max(0, joinedUntil * 1000 - Date.now()) + 3000));
	expect(refreshed.length).toBeGreaterThan(0);
	expect(statuses).toEqual(['SUBSCRIBED']);

	const received = new Promise<void>((resolve) => {
		onTitle = (title) => title === 'after the first token expired' && resolve();
	});
	await insertNotification(test.env.SUPABASE_DB_URL, alice, 'after the first token expired');
	await received;
	expect(statuses).toEqual(['SUBSCRIBED']);
	await supabase.auth.stopAutoRefresh();
	await supabase.removeAllChannels();
}, 150_000);
