/**
 * The authorization matrix: every table, RPC and channel kind against every actor, through the
 * public interfaces (REST via supabase-js, Realtime over WebSocket), compared cell by cell with the
 * expected outcome written below, and printed as a table.
 *
 * Actors: anon (the publishable key), alice, bob (signed in), service (the service role key).
 * Outcomes:
 *   read      all (every row) | own (only rows the actor is party to) | none (no rows) | denied (error)
 *   insert    a well-formed row in the actor's own name: allowed | denied
 *   forge     a row in someone else's name (author/actor column set to another user): allowed | denied
 *   update    someone else's row: allowed (it changed) | denied (error, or nothing changed)
 *   delete    someone else's row: allowed (it is gone) | denied
 *   execute   an RPC: allowed | denied
 *   subscribe postgres_changes on notifications: allowed (the server confirms) | denied
 *   track     presence: allowed (ok reply) | denied (join refused or error reply)
 *   send      broadcast: allowed (another member receives it) | denied (dropped or join refused)
 *
 * The expectations are the TARGET design of issue 8: anon has no privilege in `public`; the team
 * room is a private channel that signed-in users may join and track presence on, and where only
 * the database (or the service role) broadcasts. To adjust a cell, edit EXPECTED.
 */
import type { RealtimeChannel } from '@supabase/supabase-js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, closeSql, eventually, signedIn, sql, testEnv, type Client } from './helpers.ts';

type Actor = 'anon' | 'alice' | 'bob' | 'service';
const ACTORS: Actor[] = ['anon', 'alice', 'bob', 'service'];
type Outcome = 'all' | 'own' | 'none' | 'denied' | 'allowed';

/** Row = subject + operation; columns = actors. */
const EXPECTED: Record<string, Record<Actor, Outcome>> = {
	'profiles: read': { anon: 'denied', alice: 'all', bob: 'all', service: 'all' },
	'profiles: insert': { anon: 'denied', alice: 'denied', bob: 'denied', service: 'allowed' },
	'profiles: update': { anon: 'denied', alice: 'denied', bob: 'denied', service: 'allowed' },
	'profiles: delete': { anon: 'denied', alice: 'denied', bob: 'denied', service: 'allowed' },
	'notifications: read': { anon: 'denied', alice: 'own', bob: 'own', service: 'all' },
	'notifications: insert': { anon: 'denied', alice: 'allowed', bob: 'allowed', service: 'allowed' },
	'notifications: forge': { anon: 'denied', alice: 'denied', bob: 'denied', service: 'allowed' },
	'notifications: update': { anon: 'denied', alice: 'denied', bob: 'denied', service: 'allowed' },
	'notifications: delete': { anon: 'denied', alice: 'denied', bob: 'denied', service: 'allowed' },
	'nudges: read': { anon: 'denied', alice: 'own', bob: 'own', service: 'all' },
	'nudges: insert': { anon: 'denied', alice: 'allowed', bob: 'allowed', service: 'allowed' },
	'nudges: forge': { anon: 'denied', alice: 'denied', bob: 'denied', service: 'allowed' },
	'nudges: update': { anon: 'denied', alice: 'denied', bob: 'denied', service: 'allowed' },
	'nudges: delete': { anon: 'denied', alice: 'denied', bob: 'denied', service: 'allowed' },
	'announcements: read': { anon: 'denied', alice: 'all', bob: 'all', service: 'all' },
	'announcements: insert': { anon: 'denied', alice: 'allowed', bob: 'allowed', service: 'allowed' },
	'announcements: forge': { anon: 'denied', alice: 'denied', bob: 'denied', service: 'allowed' },
	'announcements: update': { anon: 'denied', alice: 'denied', bob: 'denied', service: 'allowed' },
	'announcements: delete': { anon: 'denied', alice: 'denied', bob: 'denied', service: 'allowed' },
	'rpc mark_all_read: execute': { anon: 'denied', alice: 'allowed', bob: 'allowed', service: 'allowed' },
	'rpc unread_count: execute': { anon: 'denied', alice: 'allowed', bob: 'allowed', service: 'allowed' },
	// Public topics are open to anyone holding the publishable key (Supabase's semantics); the app
	// no longer uses one.
	// Accepted for anon too, as Supabase does: without SELECT on the table, its change events carry
	// no record (errors: Error 401), which tests/realtime-*.test.ts check.
	'public topic: subscribe': { anon: 'allowed', alice: 'allowed', bob: 'allowed', service: 'allowed' },
	'public topic: track': { anon: 'allowed', alice: 'allowed', bob: 'allowed', service: 'allowed' },
	'public topic: send': { anon: 'allowed', alice: 'allowed', bob: 'allowed', service: 'allowed' },
	'private topic (room): subscribe': { anon: 'denied', alice: 'allowed', bob: 'allowed', service: 'allowed' },
	'private topic (room): track': { anon: 'denied', alice: 'allowed', bob: 'allowed', service: 'allowed' },
	'private topic (room): send': { anon: 'denied', alice: 'denied', bob: 'denied', service: 'allowed' }
};

const TABLES = ['profiles', 'notifications', 'nudges', 'announcements'] as const;
type Table = (typeof TABLES)[number];

let clients: Record<Actor, Client>;
let ids: Record<'alice' | 'bob' | 'carol' | 'dave', string>;
let readState: { id: string; read_at: string | null }[] = [];
const actual: Record<string, Partial<Record<Actor, Outcome>>> = {};
const MARK = 'authz-matrix';

/** The user an actor acts upon when it touches "someone else's" row. */
function victim(actor: Actor): string {
	return actor === 'alice' ? ids.bob : ids.alice;
}
/** The actor's own user id (anon and service have none; service writes in carol's name). */
function self(actor: Actor): string {
	return actor === 'alice'
		? ids.alice
		: actor === 'bob'
			? ids.bob
			: actor === 'service'
				? ids.carol
				: ids.dave;
}

beforeAll(async () => {
	const { publishableKey, serviceKey } = testEnv();
	const [alice, bob] = await Promise.all([signedIn('alice@example.com'), signedIn('bob@example.com')]);
	await Promise.all([alice.supabase.realtime.setAuth(), bob.supabase.realtime.setAuth()]);
	clients = {
		anon: client(publishableKey),
		alice: alice.supabase,
		bob: bob.supabase,
		service: client(serviceKey)
	};
	const users = await sql<{ email: string; id: string }>(`select email, id::text from auth.users`);
	const byEmail = (e: string) => users.find((u) => u.email === e)!.id;
	ids = {
		alice: byEmail('alice@example.com'),
		bob: byEmail('bob@example.com'),
		carol: byEmail('carol@example.com'),
		dave: byEmail('dave@example.com')
	};
	readState = await sql(`select id::text, read_at::text from notifications`);
});

afterAll(async () => {
	for (const supabase of Object.values(clients ?? {})) await supabase.removeAllChannels();
	await cleanup();
	// mark_all_read marked alice's and bob's notifications: put them back as they were.
	for (const row of readState)
		await sql(`update notifications set read_at = $2 where id = $1`, [row.id, row.read_at]);
	await fixtures?.end();
	await closeSql();
});

let fixtures: pg.Pool | undefined;
/** SQL as the superuser with triggers off (fixtures skip the room's throttle and broadcast). */
async function fixtureSql<R extends pg.QueryResultRow>(text: string, params: unknown[]): Promise<R[]> {
	fixtures ??= new pg.Pool({
		connectionString: testEnv().dbUrl,
		options: '-c session_replication_role=replica',
		max: 1
	});
	return (await fixtures.query<R>(text, params)).rows;
}

/** A row owned (received, or written) by `owner`, made as the superuser. Old-dated: no throttle. */
async function fixture(table: Table, owner: string): Promise<string> {
	const old = `now() - interval '1 hour'`;
	if (table === 'notifications')
		return (
			await sql<{ id: string }>(
				`insert into notifications (user_id, category, title) values ($1, 'system', $2) returning id::text`,
				[owner, MARK]
			)
		)[0].id;
	if (table === 'nudges') {
		const target = owner === ids.dave ? ids.carol : ids.dave;
		return (
			await fixtureSql<{ id: string }>(
				`insert into nudges (author_id, target_id, created_at) values ($1, $2, ${old}) returning id::text`,
				[owner, target]
			)
		)[0].id;
	}
	if (table === 'announcements')
		return (
			await fixtureSql<{ id: string }>(
				`insert into announcements (author_id, text, created_at) values ($1, $2, ${old}) returning id::text`,
				[owner, MARK]
			)
		)[0].id;
	// profiles: a fresh user (its profile comes from the sign-up trigger).
	return (
		await sql<{ id: string }>(
			`insert into auth.users (id, email, aud, role, raw_user_meta_data)
			 values (gen_random_uuid(), $1, 'authenticated', 'authenticated', '{}') returning id::text`,
			[`${MARK}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`]
		)
	)[0].id;
}

async function cleanup(): Promise<void> {
	await sql(`delete from notifications where title like $1`, [`${MARK}%`]);
	await sql(`delete from announcements where text like $1`, [`${MARK}%`]);
	await sql(`delete from nudges where created_at > now() - interval '2 hours'`);
	await sql(`delete from auth.users where email like $1`, [`${MARK}-%`]);
}

function record(row: string, actor: Actor, outcome: Outcome): void {
	(actual[row] ??= {})[actor] = outcome;
}

// ---- tables ---------------------------------------------------------------------------------------

const OWNER_COLUMNS: Record<Table, string[]> = {
	profiles: ['id'],
	notifications: ['user_id'],
	nudges: ['author_id', 'target_id'],
	announcements: ['author_id']
};

async function read(actor: Actor, table: Table): Promise<Outcome> {
	const { data, error } = await clients[actor].from(table).select('*');
	if (error) return 'denied';
	const total = Number((await sql<{ n: string }>(`select count(*) as n from public.${table}`))[0].n);
	const rows = (data ?? []) as Record<string, unknown>[];
	if (rows.length === 0) return 'none';
	if (rows.length === total) return 'all';
	const me = actor === 'alice' ? ids.alice : actor === 'bob' ? ids.bob : '';
	return rows.every((r) => OWNER_COLUMNS[table].some((c) => r[c] === me)) ? 'own' : 'denied';
}

/** A row in the actor's own name (service writes in carol's), or in `author`'s when forging. */
function newRow(table: Table, actor: Actor, author: string, profileId?: string): Record<string, unknown> {
	const other = victim(actor);
	if (table === 'profiles') return { id: profileId, display_name: MARK };
	if (table === 'notifications')
		return { user_id: other, actor_id: author, category: 'message', title: `${MARK} ${actor}` };
	const withAuthor = actor === 'service' || author !== self(actor);
	if (table === 'nudges')
		return {
			target_id: author === ids.dave ? ids.carol : ids.dave,
			...(withAuthor && { author_id: author })
		};
	return { text: `${MARK} ${actor}`, ...(withAuthor && { author_id: author }) };
}

async function countRows(table: Table, where: string, params: unknown[]): Promise<number> {
	return Number(
		(await sql<{ n: string }>(`select count(*) as n from public.${table} where ${where}`, params))[0].n
	);
}

async function insert(actor: Actor, table: Table, forge: boolean): Promise<Outcome> {
	let profileId: string | undefined;
	if (table === 'profiles') {
		profileId = await fixture('profiles', '');
		await sql(`delete from profiles where id = $1`, [profileId]);
	}
	const author = forge ? victim(actor) : self(actor);
	const row = newRow(table, actor, author, profileId);
	const { error } = await clients[actor].from(table).insert(row);
	if (error) return 'denied';
	// The row must really be there, in the name asked for.
	const there =
		table === 'profiles'
			? await countRows(table, 'id = $1', [profileId])
			: table === 'notifications'
				? await countRows(table, 'actor_id = $1 and title = $2', [author, row.title])
				: await countRows(table, "author_id = $1 and created_at > now() - interval '1 minute'", [author]);
	return there > 0 ? 'allowed' : 'denied';
}

async function update(actor: Actor, table: Table): Promise<Outcome> {
	const owner = victim(actor);
	const id = await fixture(table, table === 'profiles' ? '' : owner);
	const change: Record<string, unknown> =
		table === 'profiles'
			? { display_name: `${MARK} changed` }
			: table === 'notifications'
				? { read_at: new Date().toISOString() }
				: table === 'nudges'
					? { created_at: new Date(0).toISOString() }
					: { text: `${MARK} changed` };
	await clients[actor].from(table).update(change).eq('id', id);
	const [column, value] = Object.entries(change)[0];
	const changed =
		column === 'created_at'
			? await countRows(table, `id = $1 and created_at = 'epoch'`, [id])
			: await countRows(table, `id = $1 and ${column} is not distinct from $2`, [id, value]);
	return changed > 0 ? 'allowed' : 'denied';
}

async function remove(actor: Actor, table: Table): Promise<Outcome> {
	const id = await fixture(table, table === 'profiles' ? '' : victim(actor));
	await clients[actor].from(table).delete().eq('id', id);
	return (await countRows(table, 'id = $1', [id])) === 0 ? 'allowed' : 'denied';
}

async function rpc(actor: Actor, fn: 'mark_all_read' | 'unread_count'): Promise<Outcome> {
	const { error } = await clients[actor].rpc(fn);
	return error ? 'denied' : 'allowed';
}

// ---- channels -------------------------------------------------------------------------------------

interface Kind {
	name: string;
	topic: string;
	private: boolean;
}
const PUBLIC: Kind = { name: 'public topic', topic: 'authz-public', private: false };
const PRIVATE: Kind = { name: 'private topic (room)', topic: 'room', private: true };

function withTimeout<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	return Promise.race([
		promise.finally(() => clearTimeout(timer)),
		new Promise<T>((_, reject) => {
			timer = setTimeout(() => reject(new Error(`${what}: no outcome within ${ms} ms`)), ms);
		})
	]);
}

/** Joins; resolves with whether the join was accepted. */
function join(channel: RealtimeChannel): Promise<boolean> {
	return new Promise((resolve) =>
		channel.subscribe((status) => {
			if (status === 'SUBSCRIBED') resolve(true);
			else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT' || status === 'CLOSED') resolve(false);
		})
	);
}

async function subscribeChanges(actor: Actor, kind: Kind): Promise<Outcome> {
	const supabase = clients[actor];
	const channel = supabase.channel(kind.topic, { config: { private: kind.private } });
	channel.on('postgres_changes', { event: '*', schema: 'public', table: 'notifications' }, () => {});
	// The join's reply, then the server's word on the subscription: a system message (ok or error),
	// or the channel failing.
	const outcome = new Promise<Outcome>((resolve) => {
		channel.on('system', {}, (msg: { extension?: string; status?: string }) => {
			if (msg.extension === 'postgres_changes') resolve(msg.status === 'ok' ? 'allowed' : 'denied');
		});
		channel.subscribe((status) => {
			if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT' || status === 'CLOSED') resolve('denied');
		});
	});
	try {
		return await withTimeout(outcome, `${actor} subscribing to changes on ${kind.name}`);
	} finally {
		await supabase.removeChannel(channel);
	}
}

async function track(actor: Actor, kind: Kind): Promise<Outcome> {
	const supabase = clients[actor];
	const channel = supabase.channel(kind.topic, {
		config: { private: kind.private, presence: { key: actor } }
	});
	channel.on('presence', { event: 'sync' }, () => {});
	try {
		if (!(await withTimeout(join(channel), `${actor} joining ${kind.name}`))) return 'denied';
		const reply = await withTimeout(channel.track({ who: actor }), `${actor} tracking on ${kind.name}`);
		return reply === 'ok' ? 'allowed' : 'denied';
	} finally {
		await supabase.removeChannel(channel);
	}
}

/**
 * The actor broadcasts a probe, then leaves (the server handles a channel's messages in order, so
 * the leave's reply means the probe was relayed or dropped); then the receiver sends itself a
 * sentinel on its own socket, which arrives after the probe if the probe was relayed.
 */
async function send(actor: Actor, kind: Kind): Promise<Outcome> {
	const receiver = client(testEnv().serviceKey);
	const heard: string[] = [];
	const listening = receiver.channel(kind.topic, {
		config: { private: kind.private, broadcast: { self: true, ack: true } }
	});
	listening.on('broadcast', { event: '*' }, (m) => heard.push(String(m.event)));
	const supabase = clients[actor];
	const channel = supabase.channel(kind.topic, {
		config: { private: kind.private, broadcast: { ack: true } }
	});
	try {
		if (!(await withTimeout(join(listening), `the receiver joining ${kind.name}`)))
			throw new Error(`the service role could not join ${kind.name}`);
		if (!(await withTimeout(join(channel), `${actor} joining ${kind.name}`))) return 'denied';
		const probe = `probe-${actor}`;
		// With ack: the server answers a relayed broadcast and drops a refused one without a word.
		const acked = channel.send({ type: 'broadcast', event: probe, payload: {} });
		await withTimeout(channel.unsubscribe(), `${actor} leaving ${kind.name}`);
		const ack = await withTimeout(
			listening.send({ type: 'broadcast', event: 'sentinel', payload: {} }),
			`the receiver's sentinel on ${kind.name}`
		);
		if (ack !== 'ok') throw new Error(`the receiver's sentinel was refused: ${ack}`);
		await eventually(() => heard.includes('sentinel'), 10_000, `the sentinel arriving on ${kind.name}`);
		// A relayed probe that the receiver's socket had not delivered before the sentinel: its ack
		// came back, so it is on its way.
		// Under load the ack may still be on its way: give it a bounded moment (a refused send never
		// gets one, so this only costs the denied cells the wait).
		const status = heard.includes(probe)
			? 'ok'
			: await Promise.race([acked, new Promise<string>((r) => setTimeout(() => r('pending'), 2_000))]);
		if (!heard.includes(probe) && status === 'ok')
			await eventually(
				() => heard.includes(probe),
				10_000,
				`the acknowledged probe arriving on ${kind.name}`
			);
		return heard.includes(probe) ? 'allowed' : 'denied';
	} finally {
		await supabase.removeChannel(channel);
		await receiver.removeAllChannels();
	}
}

// ---- the matrix -----------------------------------------------------------------------------------

describe('authorization matrix', () => {
	it('matches the expected outcome in every cell', { timeout: 180_000 }, async () => {
		for (const actor of ACTORS) {
			for (const table of TABLES) {
				// Rows of several users (fixtures are cleaned up after each table), so own and all differ.
				if (table !== 'profiles') for (const owner of [ids.alice, ids.bob]) await fixture(table, owner);
				record(`${table}: read`, actor, await read(actor, table));
				record(`${table}: insert`, actor, await insert(actor, table, false));
				if (table !== 'profiles') record(`${table}: forge`, actor, await insert(actor, table, true));
				record(`${table}: update`, actor, await update(actor, table));
				record(`${table}: delete`, actor, await remove(actor, table));
				await cleanup();
			}
			record('rpc mark_all_read: execute', actor, await rpc(actor, 'mark_all_read'));
			record('rpc unread_count: execute', actor, await rpc(actor, 'unread_count'));
			for (const kind of [PUBLIC, PRIVATE]) {
				record(`${kind.name}: subscribe`, actor, await subscribeChanges(actor, kind));
				record(`${kind.name}: track`, actor, await track(actor, kind));
				record(`${kind.name}: send`, actor, await send(actor, kind));
			}
		}

		const rows = Object.keys(EXPECTED);
		const mismatches: string[] = [];
		let lines = `| subject: operation | ${ACTORS.join(' | ')} |\n|---|${ACTORS.map(() => '---').join('|')}|\n`;
		for (const row of rows) {
			const cells = ACTORS.map((actor) => {
				const got = actual[row]?.[actor];
				const want = EXPECTED[row][actor];
				if (got !== want) mismatches.push(`${row} / ${actor}: expected ${want}, got ${got}`);
				return got === want ? got : `**${got}** (expected ${want})`;
			});
			lines += `| ${row} | ${cells.join(' | ')} |\n`;
		}
		const cellCount = rows.length * ACTORS.length;
		console.log(
			`authorization matrix: ${cellCount - mismatches.length}/${cellCount} cells as expected\n${lines}`
		);
		expect(mismatches).toEqual([]);
	});
});
