/**
 * The inbox with categories turned off in the reader's preferences (Inbox.hideCategories, the
 * `hidden` argument of the queries): against a real stack, those rows are neither listed, counted
 * nor announced as arrivals, and showing the category again brings them back, live.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Connection } from '$lib/connection.svelte';
import type { Database } from '$lib/database.types';
import { Inbox } from '$lib/inbox/inbox.svelte';
import { countUnread, fetchPage } from '$lib/inbox/query';
import { clientPool, closeSql, eventually, serviceClient, signedIn, sql } from './helpers.ts';

const pool = clientPool();
afterEach(() => pool.removeChannels());
afterAll(() => closeSql());

describe('the inbox with categories turned off', () => {
	const VIEW = { tab: 'all' as const, category: null, query: '' };

	async function freshReader() {
		const email = `prefs-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
		const { error } = await serviceClient().auth.admin.createUser({
			email,
			password: 'password123',
			email_confirm: true
		});
		if (error) throw error;
		const { supabase, user } = await signedIn(email);
		pool.add(supabase);
		// The helper's client is typed for any schema; the app's code expects the generated one.
		return { supabase: supabase as unknown as SupabaseClient<Database>, id: user.id };
	}

	const insert = (userId: string, title: string, category: string) =>
		sql(
			'insert into public.notifications (user_id, title, category) values ($1, $2, $3::notification_category)',
			[userId, title, category]
		);

	it('leaves them out of the list, the unread count and arrivals, and brings them back when shown', async () => {
		const { supabase, id } = await freshReader();
		await insert(id, 'message 1', 'message');
		await insert(id, 'billing 1', 'billing');

		const hidden = ['billing'] as const;
		const page = await fetchPage(supabase, id, VIEW, null, undefined, hidden);
		const inbox = new Inbox(supabase, id, {
			...page,
			view: VIEW,
			unread: await countUnread(supabase, id, hidden),
			hidden
		});
		expect(inbox.rows.map((r) => r.title)).toEqual(['message 1']);
		expect(inbox.unread).toBe(1);

		const connection = new Connection();
		const arrivals: string[] = [];
		const close = inbox.connect(connection, (row) => arrivals.push(row.title));
		try {
			await eventually(() => (connection.lastSync ? true : undefined), 10_000, 'the inbox never synced');
			await insert(id, 'billing 2', 'billing');
			await insert(id, 'message 2', 'message');
			await eventually(
				() => (arrivals.includes('message 2') ? true : undefined),
				5000,
				'message 2 never arrived'
			);
			expect(arrivals).toEqual(['message 2']);
			// An arrival during a catch-up is announced at once and listed when the catch-up ends.
			await eventually(
				() => (inbox.rows.map((r) => r.title).join() === 'message 2,message 1' ? true : undefined),
				5000,
				() => `rows ${inbox.rows.map((r) => r.title).join()}`
			);
			await eventually(
				() => (inbox.unread === 2 ? true : undefined),
				5000,
				() => `unread ${inbox.unread}, not 2`
			);

			inbox.hideCategories([]);
			await eventually(
				() => (inbox.rows.length === 4 && inbox.unread === 4 ? true : undefined),
				5000,
				() => `shown again: ${inbox.rows.map((r) => r.title)} (${inbox.unread} unread)`
			);
			inbox.hideCategories(['message']);
			await eventually(
				() => (inbox.rows.length === 2 && inbox.unread === 2 ? true : undefined),
				5000,
				() => `messages off: ${inbox.rows.map((r) => r.title)} (${inbox.unread} unread)`
			);
			expect(inbox.rows.map((r) => r.title)).toEqual(['billing 2', 'billing 1']);
		} finally {
			close();
		}
	});
});
