/**
 * Postgres changes through supabase-js, as an app uses them: INSERT/UPDATE/DELETE payloads, RLS
 * deciding who receives what, filters, subscribe errors, tables joining and leaving the
 * publication at run time, commit order, and a dropped replication connection.
 */
import type { RealtimeChannel, RealtimePostgresChangesPayload } from '@supabase/supabase-js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSql, eventually, signedIn, sql, subscribed, testEnv } from './helpers.ts';

type Row = Record<string, unknown>;
type Change = RealtimePostgresChangesPayload<Row>;

/** Collects a channel's change events; `next` awaits the first one matching (no sleeps). */
class Inbox {
	readonly events: Change[] = [];
	private waiters: Array<{ match: (e: Change) => boolean; resolve: (e: Change) => void }> = [];

	push = (event: Change) => {
		this.events.push(event);
		for (const w of [...this.waiters]) {
			if (w.match(event)) {
				this.waiters.splice(this.waiters.indexOf(w), 1);
				w.resolve(event);
			}
		}
	};

	next(match: (e: Change) => boolean, ms = 5000): Promise<Change> {
		const seen = this.events.find(match);
		if (seen) return Promise.resolve(seen);
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`no matching change within ${ms} ms`)), ms);
			this.waiters.push({
				match,
				resolve: (e) => {
					clearTimeout(timer);
					resolve(e);
				}
			});
		});
	}
}

const newTitle = (e: Change, title: string) => (e.new as Row)?.title === title;

interface User {
	supabase: Awaited<ReturnType<typeof signedIn>>['supabase'];
	id: string;
}

let alice: User;
let bob: User;
let carol: User;
const channels: RealtimeChannel[] = [];
const run = Math.random().toString(36).slice(2, 8);

async function listen(
	user: User,
	filter: Partial<{
		event: '*' | 'INSERT' | 'UPDATE' | 'DELETE';
		table: string;
		filter: string;
		select: string[];
	}> = {}
) {
	const inbox = new Inbox();
	const channel = user.supabase.channel(`changes-${run}-${channels.length}`);
	channel.on(
		'postgres_changes' as never,
		{ event: '*', schema: 'public', table: 'notifications', ...filter },
		inbox.push as never
	);
	channels.push(channel);
	await subscribed(channel);
	return { inbox, channel };
}

async function notify(userId: string, title: string, extra: Row = {}) {
	const [row] = await sql<{ id: string }>(
		'insert into public.notifications (user_id, title, category) values ($1, $2, $3) returning id',
		[userId, title, extra.category ?? 'message']
	);
	return row.id;
}

beforeAll(async () => {
	const a = await signedIn('alice@example.com');
	const b = await signedIn('bob@example.com');
	const c = await signedIn('carol@example.com');
	alice = { supabase: a.supabase, id: a.user.id };
	bob = { supabase: b.supabase, id: b.user.id };
	carol = { supabase: c.supabase, id: c.user.id };
});

afterAll(async () => {
	for (const channel of channels) await channel.unsubscribe();
	await alice?.supabase.removeAllChannels();
	await bob?.supabase.removeAllChannels();
	await carol?.supabase.removeAllChannels();
	await sql(`delete from public.notifications where title like $1`, [`rtc ${run}%`]);
	await closeSql();
});

describe('postgres changes', () => {
	it('delivers INSERT, UPDATE and DELETE with the payload Supabase sends', async () => {
		const { inbox } = await listen(alice, { filter: `user_id=eq.${alice.id}` });
		const title = `rtc ${run} crud`;
		const id = await notify(alice.id, title);

		const insert = await inbox.next((e) => e.eventType === 'INSERT' && newTitle(e, title));
		expect(insert).toMatchObject({
			schema: 'public',
			table: 'notifications',
			eventType: 'INSERT',
			errors: null,
			old: {}
		});
		expect(insert.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
		expect(insert.new).toMatchObject({ id, user_id: alice.id, title, category: 'message', read_at: null });
		expect((insert.new as Row).created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/);

		await sql(`update public.notifications set read_at = now() where id = $1`, [id]);
		const update = await inbox.next((e) => e.eventType === 'UPDATE' && (e.new as Row).id === id);
		expect(update.new).toMatchObject({ id, title });
		expect((update.new as Row).read_at).toEqual(expect.any(String));
		// REPLICA IDENTITY FULL: the old row comes along on UPDATE.
		expect(update.old).toMatchObject({ id, title, read_at: null });

		await sql(`delete from public.notifications where id = $1`, [id]);
		const del = await inbox.next((e) => e.eventType === 'DELETE' && (e.old as Row).id === id);
		// RLS is on: a DELETE carries only the primary key, and the filter still matched the old row.
		expect(del.old).toEqual({ id });
		expect(del.new).toEqual({});
	});

	it('sends each user only the rows RLS lets them see', async () => {
		const a = await listen(alice);
		const b = await listen(bob);
		const forAlice = `rtc ${run} rls alice`;
		const forBob = `rtc ${run} rls bob`;
		await notify(alice.id, forAlice);
		await notify(bob.id, forBob);
		const lastAlice = `rtc ${run} rls alice last`;
		const lastBob = `rtc ${run} rls bob last`;
		await notify(alice.id, lastAlice);
		await notify(bob.id, lastBob);

		// Changes arrive in commit order: once the last row is in, an earlier leak would be too.
		await a.inbox.next((e) => newTitle(e, lastAlice));
		await b.inbox.next((e) => newTitle(e, lastBob));
		const titles = (inbox: Inbox) =>
			inbox.events.map((e) => (e.new as Row).title).filter((t) => String(t).includes(` ${run} rls`));
		expect(titles(a.inbox)).toEqual([forAlice, lastAlice]);
		expect(titles(b.inbox)).toEqual([forBob, lastBob]);
	});

	it('applies eq, in and ANDed filters', async () => {
		const byIn = await listen(alice, { filter: 'category=in.(mention,comment)' });
		const both = await listen(alice, {
			event: 'INSERT',
			filter: `user_id=eq.${alice.id},category=neq.system`
		});
		await notify(alice.id, `rtc ${run} filt message`, { category: 'message' });
		await notify(alice.id, `rtc ${run} filt mention`, { category: 'mention' });
		await notify(alice.id, `rtc ${run} filt system`, { category: 'system' });
		await notify(alice.id, `rtc ${run} filt comment`, { category: 'comment' });

		await byIn.inbox.next((e) => newTitle(e, `rtc ${run} filt comment`));
		expect(byIn.inbox.events.map((e) => (e.new as Row).category)).toEqual(['mention', 'comment']);
		await both.inbox.next((e) => newTitle(e, `rtc ${run} filt comment`));
		expect(both.inbox.events.map((e) => (e.new as Row).category)).toEqual(['message', 'mention', 'comment']);
	});

	it('sends only the selected columns (and the key) with `select`', async () => {
		const { inbox } = await listen(alice, {
			event: 'INSERT',
			filter: `user_id=eq.${alice.id}`,
			select: ['title', 'category']
		});
		const title = `rtc ${run} select`;
		const id = await notify(alice.id, title);
		const event = await inbox.next((e) => newTitle(e, title));
		expect(event.new).toEqual({ id, title, category: 'message' });

		const channel = alice.supabase.channel(`bad-select-${run}`);
		channels.push(channel);
		const system = new Promise<{ message: string }>((resolve) =>
			channel.on('system' as never, {}, resolve as never)
		);
		channel.on(
			'postgres_changes' as never,
			{ event: '*', schema: 'public', table: 'notifications', select: ['nope'] },
			() => {}
		);
		channel.subscribe();
		expect((await system).message).toMatch(
			/select: \["nope"\]\]\. Exception: ERROR P0001 \(raise_exception\) invalid column for select nope$/
		);
	});

	it('keeps commit order within a transaction', async () => {
		const { inbox } = await listen(alice, { event: 'INSERT', filter: `user_id=eq.${alice.id}` });
		await sql(
			`insert into public.notifications (user_id, title)
			 select $1, $2 || ' ' || n from generate_series(1, 5) n order by n`,
			[alice.id, `rtc ${run} order`]
		);
		await inbox.next((e) => newTitle(e, `rtc ${run} order 5`));
		const order = inbox.events
			.map((e) => (e.new as Row).title)
			.filter((t) => String(t).startsWith(`rtc ${run} order`));
		expect(order).toEqual([1, 2, 3, 4, 5].map((n) => `rtc ${run} order ${n}`));
	});

	it('delivers a burst of separate commits under RLS completely and in commit order', async () => {
		const a = await listen(alice, { event: 'INSERT' });
		const b = await listen(bob, { event: 'INSERT' });
		const titles = Array.from({ length: 50 }, (_, n) => `rtc ${run} burst ${n + 1}`);
		// Fifty commits back to back in one round trip (so commit order is the titles' order): they
		// pile up faster than one round trip each, and the engine authorizes them in batches.
		const db = new pg.Client({ connectionString: testEnv().dbUrl });
		await db.connect();
		try {
			const insert = (title: string) =>
				`begin; insert into public.notifications (user_id, title) values (${db.escapeLiteral(alice.id)}, ${db.escapeLiteral(title)}); commit;`;
			await db.query(titles.map(insert).join('\n'));
		} finally {
			await db.end();
		}
		await a.inbox.next((e) => newTitle(e, titles[49]));
		const received = a.inbox.events
			.map((e) => String((e.new as Row).title))
			.filter((t) => t.includes(' burst '));
		expect(received).toEqual(titles);
		expect(b.inbox.events.filter((e) => String((e.new as Row).title).includes(' burst '))).toEqual([]);
	});

	it('refuses a bad filter with Supabase system messages', async () => {
		const cases: Array<[string, RegExp]> = [
			['user_id=foo.1', /^Error parsing `filter` params: \["foo", "1"\]$/],
			[
				'nope=eq.1',
				/An exception happened .*Exception: ERROR P0001 \(raise_exception\) invalid column for filter nope$/
			],
			['user_id=eq.not-a-uuid', /invalid input syntax for type uuid/]
		];
		for (const [filter, expected] of cases) {
			const channel = alice.supabase.channel(`bad-${run}-${channels.length}`);
			channels.push(channel);
			const system = new Promise<{ status: string; message: string; extension: string }>((resolve) =>
				channel.on('system' as never, {}, resolve as never)
			);
			channel.on(
				'postgres_changes' as never,
				{ event: '*', schema: 'public', table: 'notifications', filter },
				() => {}
			);
			channel.subscribe();
			const message = await system;
			expect(message).toMatchObject({ extension: 'postgres_changes', status: 'error' });
			expect(message.message).toMatch(expected);
		}

		const channel = alice.supabase.channel(`bad-${run}-table`);
		channels.push(channel);
		const system = new Promise<{ message: string }>((resolve) =>
			channel.on('system' as never, {}, resolve as never)
		);
		channel.on(
			'postgres_changes' as never,
			{ event: '*', schema: 'public', table: `missing_${run}` },
			() => {}
		);
		channel.subscribe();
		expect((await system).message).toBe(
			'Unable to subscribe to changes with given parameters. Please check Realtime is enabled for the given connect parameters: ' +
				`[event: *, schema: public, table: missing_${run}, filters: [], select: nil]`
		);
	});

	it('follows tables added to and dropped from the publication at run time, with typed values', async () => {
		const table = `rtc_runtime_${run}`;
		await sql(`create table public.${table} (
			id int primary key, big int8, amount numeric, ok bool, doc jsonb, tags text[], at timestamptz, day date)`);
		await sql(`alter publication supabase_realtime add table public.${table}`);
		try {
			const changes = await listen(alice, { table });
			const mine = await listen(alice, { event: 'INSERT', filter: `user_id=eq.${alice.id}` });
			await sql(
				`insert into public.${table} values (1, 9007199254740991, 12.5, true, '{"a":[1,"x"]}', '{a,"b c"}', '2026-11-29 10:00:00.123456+00', '2026-11-29')`
			);
			const insert = await changes.inbox.next((e) => e.eventType === 'INSERT');
			expect(insert.new).toEqual({
				id: 1,
				big: 9007199254740991,
				amount: 12.5,
				ok: true,
				doc: { a: [1, 'x'] },
				tags: ['a', 'b c'],
				at: '2026-11-29T10:00:00.123456+00:00',
				day: '2026-11-29'
			});
			// Without REPLICA IDENTITY FULL the old row of an UPDATE or DELETE is the key only.
			await sql(`update public.${table} set ok = false where id = 1`);
			const update = await changes.inbox.next((e) => e.eventType === 'UPDATE');
			expect(update.old).toEqual({ id: 1 });
			expect(update.new).toMatchObject({ id: 1, ok: false });
			await sql(`delete from public.${table} where id = 1`);
			expect((await changes.inbox.next((e) => e.eventType === 'DELETE')).old).toEqual({ id: 1 });

			await sql(`alter publication supabase_realtime drop table public.${table}`);
			await sql(`insert into public.${table} (id) values (2)`);
			// A later change on a published table arrives after anything the dropped table sent.
			const marker = `rtc ${run} after drop`;
			await notify(alice.id, marker);
			await mine.inbox.next((e) => newTitle(e, marker));
			expect(changes.inbox.events.filter((e) => (e.new as Row)?.id === 2)).toEqual([]);
		} finally {
			await sql(`drop table if exists public.${table}`);
		}
	});

	it('keeps only values of 64 bytes or less when a change is over the payload limit (Error 413)', async () => {
		const table = `rtc_large_${run}`;
		await sql(`create table public.${table} (id int primary key, small text, big text)`);
		await sql(`alter publication supabase_realtime add table public.${table}`);
		try {
			const { inbox } = await listen(alice, { table });
			await sql(`insert into public.${table} values (1, 'tiny', repeat('x', 1100000))`);
			const event = await inbox.next(() => true);
			expect(event.errors).toEqual(['Error 413: Payload Too Large']);
			expect(event.new).toEqual({ id: 1, small: 'tiny' });
		} finally {
			await sql(`drop table if exists public.${table}`);
		}
	});

	it('listens to every table of a schema when no table is given', async () => {
		const { inbox } = await listen(alice, { event: 'INSERT', table: undefined });
		const title = `rtc ${run} schema-wide`;
		await notify(alice.id, title);
		const event = await inbox.next((e) => newTitle(e, title));
		expect(event).toMatchObject({ schema: 'public', table: 'notifications' });
	});

	it('sends Error 401 instead of the row when the role may not read the table', async () => {
		const table = `rtc_secret_${run}`;
		await sql(`create table public.${table} (id int primary key, secret text)`);
		await sql(`alter publication supabase_realtime add table public.${table}`);
		try {
			const { inbox } = await listen(alice, { table });
			await sql(`revoke select on public.${table} from authenticated`);
			await sql(`insert into public.${table} values (1, 'shh')`);
			const event = await inbox.next(() => true);
			expect(event).toMatchObject({
				eventType: 'INSERT',
				errors: ['Error 401: Unauthorized'],
				new: {},
				table
			});
		} finally {
			await sql(`drop table if exists public.${table}`);
		}
	});

	it('sends Error 500 for a row whose policy raised, and the other rows of the batch as usual', async () => {
		const table = `rtc_raise_${run}`;
		// The policy divides by zero for a body of four characters, at run time (not a constant).
		await sql(`create table public.${table} (id int primary key, owner uuid not null, body text not null)`);
		await sql(`alter table public.${table} enable row level security`);
		await sql(`create policy "owner reads" on public.${table} for select to authenticated
			using (owner = (select auth.uid()) and length(body) / (length(body) - 4) >= 0)`);
		await sql(`grant select on public.${table} to authenticated`);
		await sql(`alter publication supabase_realtime add table public.${table}`);
		try {
			const a = await listen(alice, { event: 'INSERT', table });
			const b = await listen(bob, { event: 'INSERT', table });
			const c = await listen(carol, { event: 'INSERT', table });
			const insert = (rows: Array<[number, User, string]>) =>
				sql(
					`insert into public.${table} values ${rows.map((_, i) => `($${3 * i + 1}, $${3 * i + 2}, $${3 * i + 3})`).join(', ')}`,
					rows.flatMap(([id, user, body]) => [id, user.id, body])
				);
			// One transaction: its changes are authorized together, in one batch.
			await insert([
				[1, alice, 'first'],
				[2, alice, 'boom'],
				[3, alice, 'third'],
				[4, bob, 'for bob']
			]);
			// One change checked for three subscribers (a prepared statement with the key as parameters).
			await insert([[5, alice, 'boom']]);
			await insert([
				[6, alice, 'final'],
				[7, bob, 'final'],
				[8, carol, 'final']
			]);
			await a.inbox.next((e) => (e.new as Row)?.id === 6);
			await b.inbox.next((e) => (e.new as Row)?.id === 7);
			await c.inbox.next((e) => (e.new as Row)?.id === 8);
			const failed = 'Error 500: Internal Server Error, RLS policy evaluation failed';
			const seen = (inbox: Inbox) => inbox.events.map((e) => (e.errors ? e.errors[0] : (e.new as Row).id));
			expect(seen(a.inbox)).toEqual([1, failed, 3, failed, 6]);
			// Others' checks of a raising row may raise too (AND fixes no order): their own rows arrive.
			expect(seen(b.inbox).filter((x) => typeof x === 'number')).toEqual([4, 7]);
			expect(seen(c.inbox).filter((x) => typeof x === 'number')).toEqual([8]);
		} finally {
			await sql(`drop table if exists public.${table}`);
		}
	});

	it('carries on after the replication connection drops', async () => {
		const { inbox } = await listen(alice, { event: 'INSERT', filter: `user_id=eq.${alice.id}` });
		const [{ count }] = await sql<{ count: string }>(
			`select count(pg_terminate_backend(active_pid)) from pg_replication_slots where active_pid is not null`
		);
		expect(Number(count)).toBeGreaterThan(0);
		// The server resumes from its permanent slot (tests/faults.test.ts proves nothing is lost);
		// here, probe until a change comes through.
		let attempt = 0;
		await eventually(async () => {
			const title = `rtc ${run} after reconnect ${attempt++}`;
			await notify(alice.id, title);
			return inbox
				.next((e) => newTitle(e, title), 1000)
				.then(
					() => true,
					() => undefined
				);
		}, 15_000);
	});
});
