/**
 * The inbox against a real stack: what changed between the first (server-rendered) page and the
 * channel's first SUBSCRIBED is caught up, merged by id: new rows, rows changed elsewhere, deleted rows.
 */
import type { SupabaseClient } from '@supabase/supabase-js';
import { afterAll, describe, expect, it } from 'vitest';
import { closeSql, eventually, serviceClient, signedIn, sql } from './helpers';
import { Connection } from '$lib/connection.svelte';
import { Inbox } from '$lib/inbox/inbox.svelte';
import { countUnread, fetchPage } from '$lib/inbox/query';

const VIEW = { tab: 'all' as const, category: null, query: '' };

async function freshUser() {
	const email = `inbox-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
	const { error } = await serviceClient().auth.admin.createUser({
		email,
		password: 'password123',
		email_confirm: true
	});
	if (error) throw error;
	const { supabase, user } = await signedIn(email);
	// The test helper's client is typed for any schema; the app's code expects the default one.
	return { supabase: supabase as unknown as SupabaseClient, user };
}

async function insert(userId: string, title: string): Promise<string> {
	const [row] = await sql<{ id: string }>(
		'insert into public.notifications (user_id, title) values ($1, $2) returning id',
		[userId, title]
	);
	return row.id;
}

afterAll(() => closeSql());

describe('Inbox catch-up', () => {
	it('brings in rows added, changed and deleted before the channel subscribed', async () => {
		const { supabase, user } = await freshUser();
		const kept = await insert(user.id, 'kept');
		const readElsewhere = await insert(user.id, 'read elsewhere');
		const deleted = await insert(user.id, 'deleted');

		// The server-rendered first page.
		const page = await fetchPage(supabase, user.id, VIEW);
		const inbox = new Inbox(supabase, user.id, {
			...page,
			view: VIEW,
			unread: await countUnread(supabase, user.id)
		});
		expect(inbox.rows.map((r) => r.title)).toEqual(['deleted', 'read elsewhere', 'kept']);
		expect(inbox.unread).toBe(3);

		// Meanwhile, before the browser subscribes:
		await sql('update public.notifications set read_at = now() where id = $1', [readElsewhere]);
		await sql('delete from public.notifications where id = $1', [deleted]);
		await insert(user.id, 'missed 1');
		await insert(user.id, 'missed 2');

		const connection = new Connection();
		const arrivals: string[] = [];
		const close = inbox.connect(connection, (row) => arrivals.push(row.title));
		try {
			await eventually(() => (connection.lastSync ? true : undefined), 10_000);
			expect(inbox.rows.map((r) => r.title)).toEqual(['missed 2', 'missed 1', 'read elsewhere', 'kept']);
			expect(inbox.rows.find((r) => r.id === readElsewhere)?.read_at).not.toBeNull();
			expect(inbox.rows.some((r) => r.id === kept)).toBe(true);
			expect(inbox.unread).toBe(3);
			// A change committed just before the join may still be streamed to it: shown once either way.
			expect(arrivals.every((t) => t.startsWith('missed'))).toBe(true);
			arrivals.length = 0;

			// And live from here on: once each, even though the catch-up may also read it.
			await insert(user.id, 'live');
			// The event may come before or after a catch-up that also reads the row: announced once either way.
			// (If it lands during a catch-up it is announced at once and listed when the catch-up ends.)
			await eventually(
				() => (arrivals.includes('live') && inbox.rows[0]?.title === 'live' ? true : undefined),
				10_000
			);
			expect(arrivals).toEqual(['live']);
			expect(inbox.rows.filter((r) => r.title === 'live')).toHaveLength(1);
			await eventually(() => (inbox.unread === 4 ? true : undefined));
		} finally {
			close();
			await supabase.auth.signOut();
		}
	});

	it('pages older rows with the keyset cursor, none twice and none skipped', async () => {
		const { supabase, user } = await freshUser();
		// Same created_at for all: only the id breaks the ties.
		await sql(
			`insert into public.notifications (user_id, title, created_at)
			 select $1, 'row ' || g, '2026-01-01T00:00:00Z' from generate_series(1, 7) g`,
			[user.id]
		);
		const first = await fetchPage(supabase, user.id, VIEW, null, 3);
		const inbox = new Inbox(supabase, user.id, { ...first, view: VIEW, unread: 7 });
		expect(inbox.hasMore).toBe(true);
		while (inbox.hasMore) await inbox.loadMore();
		const ids = inbox.rows.map((r) => r.id);
		expect(ids).toHaveLength(7);
		expect(new Set(ids).size).toBe(7);
		expect([...ids].sort().reverse()).toEqual(ids);
	});
});
