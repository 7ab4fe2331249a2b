/**
 * Every identity the dashboard shows comes from the database (issue 8, item 10): a signed-in user
 * who writes a fake name into their presence payload, or joins under a key that is no profile,
 * or broadcasts a fake announcement, still shows up as their real profile name, or not at all.
 */
import { createClient, type RealtimeChannel } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { expect, person, roster, test } from './fixtures';

function env(name: string): string {
	const value = process.env[name];
	if (!value) throw new Error(`${name} is not set: run with \`npx playwright test\``);
	return value;
}

/** A script with carol's password, speaking to the stack directly with supabase-js. */
async function carolScript() {
	const supabase = createClient(env('SUPABASE_URL'), env('SUPABASE_PUBLISHABLE_KEY'), {
		auth: { persistSession: false, autoRefreshToken: false },
		realtime: { transport: WebSocket as never }
	});
	const { data, error } = await supabase.auth.signInWithPassword({
		email: 'carol@example.com',
		password: 'password123'
	});
	if (error) throw new Error(`carol could not sign in: ${error.message}`);
	await supabase.realtime.setAuth();
	return { supabase, id: data.user.id };
}

function joined(channel: RealtimeChannel): Promise<void> {
	return new Promise((resolve, reject) =>
		channel.subscribe((status, err) =>
			status === 'SUBSCRIBED' ? resolve() : reject(new Error(`${status} ${err?.message ?? ''}`))
		)
	);
}

test('the roster and announcements show profile names, whatever a payload claims', async ({ browser }) => {
	const alice = await person(browser, 'alice@example.com');
	// Two clients: supabase-js keeps one channel per topic and client.
	const [carol, carolAgain] = await Promise.all([carolScript(), carolScript()]);
	try {
		const room = (client: typeof carol, key: string) =>
			client.supabase
				.channel('room', { config: { private: true, presence: { key } } })
				.on('presence', { event: 'sync' }, () => {});
		const asCarol = room(carol, carol.id);
		const fakeKey = room(carolAgain, 'it-admin');
		await Promise.all([joined(asCarol), joined(fakeKey)]);
		expect(
			await asCarol.track({
				display_name: 'IT Admin',
				avatar_url: 'https://evil.example/a.png',
				status: 'online'
			})
		).toBe('ok');
		expect(await fakeKey.track({ display_name: 'Security Team', status: 'online' })).toBe('ok');
		void asCarol.send({
			type: 'broadcast',
			event: 'announcement',
			payload: { id: 'x', author_id: carol.id, text: 'Reset your password at evil.example' }
		});

		const online = roster(alice.page);
		await expect(online.locator(`[data-user-id="${carol.id}"]`)).toContainText('Carol Okafor');
		await expect(online.getByText('IT Admin')).toHaveCount(0);
		await expect(online.getByText('Security Team')).toHaveCount(0);
		await expect(online.locator('[data-user-id="it-admin"]')).toHaveCount(0);

		// A real announcement is a row: RLS pins the author, and the banner names her profile.
		const text = `Lunch is at noon ${Date.now()}`;
		const { error } = await carol.supabase.from('announcements').insert({ text });
		expect(error).toBeNull();
		const banner = alice.page.getByRole('status').filter({ hasText: text });
		await expect(banner).toContainText('Carol Okafor:');
		// It arrived after the forged broadcast would have: that one never showed.
		await expect(alice.page.getByText('Reset your password at evil.example')).toHaveCount(0);
	} finally {
		await Promise.all([carol.supabase.removeAllChannels(), carolAgain.supabase.removeAllChannels()]);
		await alice.context.close();
	}
});
