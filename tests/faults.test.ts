/**
 * Faults under a live subscriber (issue 9): the postmaster killed, the replication connection
 * terminated, the stack restarted, the database unreachable. For each, inserts committed before,
 * during and after the fault reach a supabase-js subscriber exactly once, the channel hears the
 * postgres_changes system error and then "ok", and the stack keeps serving. This file runs its own
 * stack (it kills parts of it), on its own ports and data folder.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RealtimeChannel } from '@supabase/supabase-js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, insertNotification, signedInOn } from './helpers.ts';
import { startTestStack, type TestStack } from './setup/stack.ts';

let test: TestStack;
let supabase: Awaited<ReturnType<typeof signedInOn>>['supabase'];
let alice: string;

beforeAll(async () => {
	test = await startTestStack();
	({
		supabase,
		user: { id: alice }
	} = await signedInOn(test.env, 'alice@example.com'));
}, 120_000);

afterAll(async () => {
	await supabase?.removeAllChannels();
	await test?.dispose();
});

function postmasterPid(): number {
	const file = path.join(test.stack.config.dir, 'db', 'postmaster.pid');
	return Number(readFileSync(file, 'utf8').split('\n')[0]);
}

/** An insert that retries while the database is restarting: returns once it is committed. */
async function insertCommitted(title: string): Promise<void> {
	await eventually(
		() =>
			insertNotification(test.env.SUPABASE_DB_URL, alice, title).then(
				() => true,
				() => false
			),
		20_000,
		`the insert of "${title}" to commit`
	);
}

async function health(deep = false): Promise<{ status: number; body: Record<string, string> }> {
	const res = await fetch(`${test.env.SUPABASE_URL}/health${deep ? '?deep' : ''}`);
	return { status: res.status, body: (await res.json()) as Record<string, string> };
}

interface Watch {
	channel: RealtimeChannel;
	/** Titles in the order they arrived live. */
	live: string[];
	/** postgres_changes system messages, as "status: message". */
	system: string[];
	statuses: string[];
}

/** An inbox-like subscriber of alice's notifications. */
async function watch(name: string): Promise<Watch> {
	const w: Watch = { live: [], system: [], statuses: [] } as unknown as Watch;
	w.channel = supabase
		.channel(name)
		.on(
			'postgres_changes',
			{ event: 'INSERT', schema: 'public', table: 'notifications', filter: `user_id=eq.${alice}` },
			(payload) => void w.live.push(String((payload.new as { title: string }).title))
		)
		.on('system', {}, (payload: { extension?: string; status?: string; message?: string }) => {
			if (payload.extension === 'postgres_changes') w.system.push(`${payload.status}: ${payload.message}`);
		});
	w.channel.subscribe((status) => void w.statuses.push(status));
	await eventually(
		() => w.system.includes('ok: Subscribed to PostgreSQL'),
		20_000,
		`${name} to be subscribed`
	);
	return w;
}

/** Every title arrived live exactly once. */
async function expectExactlyOnce(w: Watch, titles: string[]): Promise<void> {
	await eventually(
		() => titles.every((t) => w.live.includes(t)),
		20_000,
		`all of ${titles.join(', ')} to arrive`
	);
	// A sentinel after them proves nothing else (a duplicate) is still on its way.
	const sentinel = `sentinel ${Math.random()}`;
	await insertCommitted(sentinel);
	await eventually(() => w.live.includes(sentinel), 20_000, 'the sentinel to arrive');
	for (const title of titles)
		expect(
			w.live.filter((t) => t === title),
			title
		).toHaveLength(1);
}

const titles = (prefix: string, n = 3) => Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}`);

describe('faults under a live subscriber', () => {
	it('the postmaster is killed: Postgres is restarted on the same data and nothing is lost', async () => {
		const w = await watch('kill');
		for (const t of titles('kill before')) await insertCommitted(t);
		const pid = postmasterPid();
		process.kill(pid, 'SIGKILL');
		// Committed as soon as Postgres is back, while the changes stream is still reconnecting.
		for (const t of titles('kill during')) await insertCommitted(t);
		await eventually(
			() => w.system.at(-1) === 'ok: Subscribed to PostgreSQL' && w.system.length >= 3,
			20_000,
			'system ok again'
		);
		for (const t of titles('kill after')) await insertCommitted(t);

		await expectExactlyOnce(w, [...titles('kill before'), ...titles('kill during'), ...titles('kill after')]);
		expect(w.system).toEqual([
			'ok: Subscribed to PostgreSQL',
			'error: Realtime was unable to connect to the project database',
			'ok: Subscribed to PostgreSQL'
		]);
		expect(postmasterPid()).not.toBe(pid);
		expect(await health(true)).toEqual({ status: 200, body: { status: 'ok', db: 'up', realtime: 'up' } });
		await supabase.removeChannel(w.channel);
	}, 90_000);

	it('the replication connection is terminated: the stream resumes from its slot', async () => {
		const w = await watch('terminate');
		for (const t of titles('walsender before')) await insertCommitted(t);
		await eventually(
			() => titles('walsender before').every((t) => w.live.includes(t)),
			20_000,
			'the first inserts'
		);
		const db = new pg.Client({ connectionString: test.env.SUPABASE_DB_URL });
		await db.connect();
		try {
			const { rows } = await db.query<{ ok: boolean }>(
				`select pg_terminate_backend(active_pid) as ok from pg_replication_slots where slot_name = 'supabase_realtime_stack'`
			);
			expect(rows).toEqual([{ ok: true }]);
			// While the stream reconnects.
			for (const t of titles('walsender during')) {
				await db.query(`insert into notifications (user_id, category, title) values ($1, 'system', $2)`, [
					alice,
					t
				]);
			}
		} finally {
			await db.end();
		}
		await eventually(
			() => w.system.at(-1) === 'ok: Subscribed to PostgreSQL' && w.system.length >= 3,
			20_000,
			'system ok again'
		);
		for (const t of titles('walsender after')) await insertCommitted(t);
		await expectExactlyOnce(w, [
			...titles('walsender before'),
			...titles('walsender during'),
			...titles('walsender after')
		]);
		expect(w.system).toEqual([
			'ok: Subscribed to PostgreSQL',
			'error: Realtime was unable to connect to the project database',
			'ok: Subscribed to PostgreSQL'
		]);
		await supabase.removeChannel(w.channel);
	}, 60_000);

	it('the database is unreachable: health, REST, auth and joins say so with 503s and errors, then recover', async () => {
		const w = await watch('stopped');
		const pid = postmasterPid();
		process.kill(pid, 'SIGSTOP');
		try {
			await eventually(async () => (await health()).status === 503, 20_000, '/health to answer 503');
			expect((await health()).body).toMatchObject({ status: 'degraded', db: 'down' });

			const rest = await fetch(`${test.env.SUPABASE_URL}/rest/v1/notifications?select=id`, {
				headers: { apikey: test.env.SUPABASE_ANON_KEY },
				signal: AbortSignal.timeout(5_000)
			});
			expect(rest.status).toBe(503);
			expect(await rest.json()).toMatchObject({
				code: 'PGRST001',
				message: 'Database client error. Retrying the connection.',
				hint: null
			});

			const auth = await fetch(`${test.env.SUPABASE_URL}/auth/v1/token?grant_type=password`, {
				method: 'POST',
				headers: { apikey: test.env.SUPABASE_ANON_KEY, 'content-type': 'application/json' },
				body: JSON.stringify({ email: 'alice@example.com', password: 'password123' }),
				signal: AbortSignal.timeout(5_000)
			});
			expect(auth.status).toBe(503);
			expect(await auth.json()).toMatchObject({ code: 503, error_code: 'unexpected_failure' });

			// A join now is refused, not answered ok.
			const late = supabase
				.channel('late')
				.on(
					'postgres_changes',
					{ event: 'INSERT', schema: 'public', table: 'notifications' },
					() => undefined
				);
			const refused = new Promise<string>((resolve) => {
				late.subscribe((status, error) =>
					resolve(status === 'SUBSCRIBED' ? status : `${status}: ${error?.message ?? ''}`)
				);
			});
			expect(await refused).toMatch(/^CHANNEL_ERROR: .*unable to connect to the project database/);
			await supabase.removeChannel(late);
		} finally {
			process.kill(pid, 'SIGCONT');
		}
		await eventually(
			async () => (await health(true)).status === 200,
			20_000,
			'/health?deep to answer 200 again'
		);
		for (const t of titles('unreachable after')) await insertCommitted(t);
		await expectExactlyOnce(w, titles('unreachable after'));
		await supabase.removeChannel(w.channel);
	}, 60_000);

	it('the stack restarts: the slot outlives it, and a subscriber that rejoins catches up', async () => {
		const w = await watch('restart');
		for (const t of titles('restart before')) await insertCommitted(t);
		await eventually(
			() => titles('restart before').every((t) => w.live.includes(t)),
			20_000,
			'the first inserts'
		);
		const okBefore = w.system.length;
		await test.restart();
		await eventually(
			() => w.system.length > okBefore && w.system.at(-1) === 'ok: Subscribed to PostgreSQL',
			20_000,
			'the rejoin'
		);
		for (const t of titles('restart after')) await insertCommitted(t);
		await expectExactlyOnce(w, [...titles('restart before'), ...titles('restart after')]);
		const { rows } = await withDb((db) =>
			db.query<{ n: number }>(
				`select count(*)::int as n from pg_replication_slots where slot_name = 'supabase_realtime_stack'`
			)
		);
		expect(rows[0].n).toBe(1);
		await supabase.removeChannel(w.channel);
	}, 90_000);
});

async function withDb<T>(body: (db: pg.Client) => Promise<T>): Promise<T> {
	const db = new pg.Client({ connectionString: test.env.SUPABASE_DB_URL });
	await db.connect();
	try {
		return await body(db);
	} finally {
		await db.end();
	}
}
