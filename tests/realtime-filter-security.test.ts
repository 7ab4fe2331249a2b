/**
 * Postgres changes filters cost bounded work and leak nothing (issue 8 items 1 and 2):
 * - only eq, neq, lt, lte, gt, gte and in exist: pattern operators are refused at join with
 *   Supabase's "Error parsing `filter` params" text (they used to become RegExps run per change);
 * - one join carries at most STACK_REALTIME_MAX_BINDINGS_PER_JOIN bindings, each at most
 *   STACK_REALTIME_MAX_FILTERS_PER_BINDING filters, and an `in` list at most 100 values;
 * - a DELETE on a table with RLS tells a subscriber nothing about non-key columns: filters on
 *   them do not discriminate, old_record is the primary key;
 * - anon holds no privilege in public, so it cannot even filter on a column.
 */
import { randomUUID } from 'node:crypto';
import type { RealtimeChannel, RealtimePostgresChangesPayload } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, closeSql, eventually, signedIn, sql } from './helpers.ts';

type Row = Record<string, unknown>;
type Change = RealtimePostgresChangesPayload<Row>;
type System = { extension: string; status: string; message: string };

const run = randomUUID().slice(0, 8);
const channels: RealtimeChannel[] = [];
let alice: Awaited<ReturnType<typeof signedIn>>;
let bob: Awaited<ReturnType<typeof signedIn>>;

beforeAll(async () => {
	alice = await signedIn('alice@example.com');
	bob = await signedIn('bob@example.com');
});

afterAll(async () => {
	for (const channel of channels) await channel.unsubscribe();
	await sql('delete from public.notifications where title like $1', [`rfs ${run}%`]);
	await closeSql();
});

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	return Promise.race([
		promise,
		new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms))
	]);
}

/** A channel with one postgres_changes binding per filter: resolves with its first system message. */
function join(supabase: ReturnType<typeof client>, filters: Array<string | undefined>, event = '*') {
	const channel = supabase.channel(`rfs-${run}-${channels.length}`);
	channels.push(channel);
	const events: Change[] = [];
	const system = new Promise<System>((resolve) => channel.on('system' as never, {}, resolve as never));
	for (const filter of filters) {
		channel.on(
			'postgres_changes' as never,
			{ event, schema: 'public', table: 'notifications', ...(filter === undefined ? {} : { filter }) },
			((e: Change) => events.push(e)) as never
		);
	}
	const status = new Promise<{ status: string; message?: string }>((resolve) =>
		channel.subscribe((s, err) => {
			if (s !== 'CLOSED') resolve({ status: s, message: err?.message });
		})
	);
	return { channel, events, system: within(system, 10_000, 'system message'), status };
}

/** Waits until `events` holds one matching `match`. */
function next(events: Change[], match: (e: Change) => boolean, what: string): Promise<Change> {
	return eventually(() => events.find(match), 10_000, `${what}: no matching change`);
}

async function notify(userId: string, title: string): Promise<string> {
	const [row] = await sql<{ id: string }>(
		`insert into public.notifications (user_id, title, category) values ($1, $2, 'message') returning id`,
		[userId, title]
	);
	return row.id;
}

describe('filter operators', () => {
	it('refuses pattern operators with Supabase’s text, and keeps serving', async () => {
		const cases = ['title=like.%e%e%e%e%#', 'body=ilike.%a%', 'title=match.^(a|a)*$', 'title=imatch.x'];
		for (const filter of cases) {
			const { system } = join(alice.supabase, [filter]);
			const [, rest] = filter.split('=');
			const op = rest.slice(0, rest.indexOf('.'));
			const value = rest.slice(rest.indexOf('.') + 1);
			expect(await system).toMatchObject({
				extension: 'postgres_changes',
				status: 'error',
				message: `Error parsing \`filter\` params: ["${op}", "${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"]`
			});
		}
		// The supported operators still work, on the same socket.
		const ok = join(alice.supabase, [
			`user_id=eq.${alice.user.id}`,
			'priority=in.(normal,high)',
			'title=gte.a'
		]);
		expect(await ok.system).toMatchObject({ status: 'ok', message: 'Subscribed to PostgreSQL' });
	});

	it('caps filters per binding, values per in list, and bindings per join', async () => {
		const eleven = Array.from({ length: 11 }, (_, i) => `title=neq.x${i}`).join(',');
		expect((await join(alice.supabase, [eleven]).system).message).toBe(
			'Error parsing `filter` params: too many filters in one binding. Maximum 10'
		);
		const list = Array.from({ length: 101 }, (_, i) => `v${i}`).join(',');
		expect((await join(alice.supabase, [`title=in.(${list})`]).system).message).toMatch(
			/too many values for `in` filter\. Maximum 100$/
		);
		const many = join(
			alice.supabase,
			Array.from({ length: 101 }, (_, i) => `title=eq.t${i}`)
		);
		expect(await within(many.status, 10_000, 'join reply')).toEqual({
			status: 'CHANNEL_ERROR',
			message: 'TooManyPostgresChangesBindings: a channel may carry at most 100 postgres_changes bindings'
		});
		const hundred = join(
			alice.supabase,
			Array.from({ length: 100 }, (_, i) => `title=eq.t${i}`)
		);
		expect(await hundred.system).toMatchObject({ status: 'ok' });
	});
});

describe('DELETE is no oracle', () => {
	it('a filter on a non-key column cannot tell whether a deleted row matched it', async () => {
		const secret = `rfs ${run} secret-${randomUUID().slice(0, 6)}`;
		const right = join(alice.supabase, [`title=eq.${secret}`], 'DELETE');
		const wrong = join(alice.supabase, [`title=eq.rfs ${run} wrong guess`], 'DELETE');
		const prefixAbove = join(alice.supabase, [`title=gt.${secret}~`], 'DELETE');
		const prefixBelow = join(alice.supabase, [`title=lt.${secret}`], 'DELETE');
		const subscriptions = [right, wrong, prefixAbove, prefixBelow];
		for (const s of subscriptions) expect(await s.system).toMatchObject({ status: 'ok' });

		const id = await notify(bob.user.id, secret);
		await sql('delete from public.notifications where id = $1', [id]);
		const got = await Promise.all(
			subscriptions.map((s, i) => next(s.events, (e) => (e.old as Row).id === id, `subscription ${i}`))
		);
		// Every one of them got the same event, carrying the primary key only.
		for (const e of got) {
			expect(e.eventType).toBe('DELETE');
			expect(e.old).toEqual({ id });
		}
	});

	it('a filter on the primary key still selects deletes', async () => {
		const first = await notify(bob.user.id, `rfs ${run} first`);
		const second = await notify(bob.user.id, `rfs ${run} second`);
		const byKey = join(alice.supabase, [`id=eq.${second}`], 'DELETE');
		expect(await byKey.system).toMatchObject({ status: 'ok' });
		await sql('delete from public.notifications where id = $1', [first]);
		await sql('delete from public.notifications where id = $1', [second]);
		await next(byKey.events, (e) => (e.old as Row).id === second, 'delete of the second row');
		expect(byKey.events.map((e) => (e.old as Row).id)).toEqual([second]);
	});

	it('anon holds no privilege on the table, so it cannot filter on its columns', async () => {
		const anon = client();
		try {
			const { system } = join(anon, [`title=gt.rfs`], 'DELETE');
			expect(await system).toMatchObject({
				extension: 'postgres_changes',
				status: 'error',
				message: expect.stringMatching(/invalid column for filter title$/)
			});
		} finally {
			await anon.removeAllChannels();
		}
	});
});
