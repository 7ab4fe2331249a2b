/**
 * Stops that lose nothing (issue 9, item 4): `kill -9` of the whole stack (Node and Postgres) in the
 * middle of a stream of writes, then a new start on the same folder has every write the REST API
 * acknowledged; a Ctrl-C stops it cleanly and quietly; SIGTERM and SIGINT let requests under way
 * answer and outbound Realtime frames go out before Postgres stops. The stack runs as a child
 * process here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import pg from 'pg';
import { createClient } from '@supabase/supabase-js';
import { afterAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LOCAL_KEYS } from '../stack/index.ts';
import { eventually, subscribed } from './helpers.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
	for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** `npm run stack` as its own process group, so the whole stack can be killed at once. */
function startStackProcess(env: Record<string, string>) {
	const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'stack/cli.ts', 'start'], {
		cwd: ROOT,
		env: { ...process.env, STACK_DB_FAST: '1', STACK_LOG_LEVEL: 'info', ...env },
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true
	});
	const killGroup = () => {
		try {
			process.kill(-child.pid!, 'SIGKILL');
		} catch {
			// already gone
		}
	};
	cleanups.push(async () => killGroup());
	let output = '';
	child.stdout!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
	child.stderr!.on('data', (chunk: Buffer) => void (output += chunk.toString()));
	const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
		child.once('exit', (code, signal) => resolve({ code, signal }))
	);
	return {
		child,
		exited,
		killGroup,
		get output() {
			return output;
		},
		async ready(): Promise<void> {
			await eventually(
				() => {
					if (child.exitCode !== null) throw new Error(`the stack exited before it was ready:\n${output}`);
					return output.includes('Press Ctrl-C to stop.') || undefined;
				},
				90_000,
				() => `the stack was not ready:\n${output}`
			);
		}
	};
}

/** A throwaway folder and free ports for a stack process. */
async function stackSettings() {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'beacon-faults-lifecycle-'));
	cleanups.push(() => rm(dir, { recursive: true, force: true }));
	const dbPort = await getPort({ host: '127.0.0.1' });
	const apiPort = await getPort({ host: '127.0.0.1', exclude: [dbPort] });
	const env = {
		STACK_DIR: path.join(dir, 'stack'),
		STACK_DB_PORT: String(dbPort),
		STACK_API_PORT: String(apiPort),
		STACK_SUPABASE_DIR: path.join(ROOT, 'supabase')
	};
	return { env, apiPort, dbUrl: `postgresql://postgres:postgres@127.0.0.1:${dbPort}/postgres` };
}

/** One SQL statement on its own connection (the stack stops Postgres under it later). */
async function sqlOnce<R extends pg.QueryResultRow>(dbUrl: string, text: string): Promise<R[]> {
	const db = new pg.Client({ connectionString: dbUrl });
	await db.connect();
	try {
		return (await db.query<R>(text)).rows;
	} finally {
		await db.end();
	}
}

it('kill -9 of the whole stack loses no acknowledged write; the next start recovers; Ctrl-C is clean', async () => {
	const { env, apiPort, dbUrl } = await stackSettings();
	const countRows = async () => {
		const db = new pg.Client({ connectionString: dbUrl });
		await db.connect();
		try {
			const { rows } = await db.query<{ title: string }>(
				`select title from notifications where title like 'durable %'`
			);
			return new Set(rows.map((r) => r.title));
		} finally {
			await db.end();
		}
	};

	const first = startStackProcess(env);
	await first.ready();
	const db = new pg.Client({ connectionString: dbUrl });
	await db.connect();
	const { rows } = await db.query<{ id: string }>(
		`select id from auth.users where email = 'alice@example.com'`
	);
	await db.end();
	const alice = rows[0].id;

	// Writes through the REST API, one after another, until the stack is killed under them.
	const acknowledged: string[] = [];
	let stop = false;
	const writer = (async () => {
		for (let i = 1; !stop; i++) {
			const title = `durable ${i}`;
			try {
				const res = await fetch(`http://127.0.0.1:${apiPort}/rest/v1/notifications`, {
					method: 'POST',
					headers: {
						apikey: LOCAL_KEYS.serviceRole,
						authorization: `Bearer ${LOCAL_KEYS.serviceRole}`,
						'content-type': 'application/json',
						prefer: 'return=minimal'
					},
					body: JSON.stringify({ user_id: alice, category: 'system', title })
				});
				if (res.status === 201) acknowledged.push(title);
			} catch {
				return; // the stack is gone
			}
		}
	})();
	await eventually(
		() => acknowledged.length >= 40 || undefined,
		30_000,
		() => `only ${acknowledged.length} writes were acknowledged`
	);
	first.killGroup();
	expect((await first.exited).signal).toBe('SIGKILL');
	stop = true;
	await writer;
	const acked = [...acknowledged];
	expect(existsSync(path.join(env.STACK_DIR, 'db', 'postmaster.pid'))).toBe(true);

	const second = startStackProcess(env);
	await second.ready();
	const present = await countRows();
	const missing = acked.filter((t) => !present.has(t));
	expect(missing, `acknowledged but lost after kill -9 (${acked.length} acknowledged)`).toEqual([]);

	second.child.kill('SIGINT');
	expect(await second.exited).toEqual({ code: 0, signal: null });
	// An intended stop is not a lost connection.
	expect(second.output).not.toMatch(/connection lost|terminating connection|exited unexpectedly/);
	expect(existsSync(path.join(env.STACK_DIR, 'db', 'postmaster.pid'))).toBe(false);
}, 240_000);

it('SIGTERM and SIGINT drain: a slow request answers, accepted broadcasts reach subscribers, then Postgres stops cleanly', async () => {
	const { env, apiPort, dbUrl } = await stackSettings();
	const url = `http://127.0.0.1:${apiPort}`;
	const headers = {
		apikey: LOCAL_KEYS.serviceRole,
		authorization: `Bearer ${LOCAL_KEYS.serviceRole}`,
		'content-type': 'application/json'
	};
	const slowAnswer = (ms: number) =>
		fetch(`${url}/rest/v1/rpc/slow_answer`, { method: 'POST', headers, body: JSON.stringify({ ms }) });

	for (const signal of ['SIGTERM', 'SIGINT'] as const) {
		const stack = startStackProcess(env);
		await stack.ready();
		// A function that takes its time (created here: the app's schema has no use for it).
		await sqlOnce(
			dbUrl,
			`create or replace function public.slow_answer(ms int) returns int language sql as
			 $$ select pg_sleep(ms / 1000.0); select ms * 2 $$`
		);
		await eventually(
			async () => ((await slowAnswer(0)).status === 200 ? true : undefined),
			10_000,
			'REST never saw public.slow_answer'
		);

		const listener = createClient(url, LOCAL_KEYS.anon, {
			auth: { persistSession: false, autoRefreshToken: false },
			realtime: { transport: WebSocket as never }
		});
		const received: number[] = [];
		const channel = listener
			.channel('drain')
			.on('broadcast', { event: 'tick' }, ({ payload }) => received.push((payload as { n: number }).n));
		await subscribed(channel);

		// A request under way: Postgres is sleeping in it when the signal arrives.
		const slow = slowAnswer(1500).then(async (res) => ({ status: res.status, body: await res.text() }));
		await eventually(
			async () => {
				const rows = await sqlOnce(
					dbUrl,
					`select 1 from pg_stat_activity where state = 'active' and query like '%slow_answer%'
					   and pid <> pg_backend_pid()`
				);
				return rows.length > 0 || undefined;
			},
			10_000,
			'the slow request never reached Postgres'
		);
		// A request whose body is still on its way: it reaches the database only after the signal.
		const body = JSON.stringify({ ms: 0 });
		const uploading = http.request(`${url}/rest/v1/rpc/slow_answer`, {
			method: 'POST',
			headers: { ...headers, 'content-length': String(body.length) }
		});
		const uploaded = new Promise<{ status: number; body: string }>((resolve, reject) => {
			uploading.on('error', reject);
			uploading.on('response', (res) => {
				let text = '';
				res.on('data', (chunk: Buffer) => (text += chunk.toString()));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
			});
		});
		uploading.write(body.slice(0, 3));
		// Frames the server accepted (202) just before the signal, large enough to queue on the socket.
		const messages = Array.from({ length: 50 }, (_, n) => ({
			topic: 'drain',
			event: 'tick',
			payload: { n, padding: 'x'.repeat(16_000) },
			private: false
		}));
		const accepted = await fetch(`${url}/realtime/v1/api/broadcast`, {
			method: 'POST',
			headers,
			body: JSON.stringify({ messages })
		});
		expect(accepted.status).toBe(202);
		stack.child.kill(signal);

		expect(await slow, `${signal}: the request under way got its real answer`).toEqual({
			status: 200,
			body: '3000'
		});
		// The rest of the body only once the other request has answered, well into the drain.
		uploading.end(body.slice(3));
		expect(await uploaded, `${signal}: the request still uploading got its real answer`).toEqual({
			status: 200,
			body: '0'
		});
		await eventually(
			() => (received.length === messages.length ? true : undefined),
			10_000,
			() => `${signal}: ${received.length} of ${messages.length} accepted broadcasts arrived`
		);
		expect(received).toEqual(messages.map((m) => m.payload.n));
		expect(await stack.exited, `${signal}: exit\n${stack.output}`).toEqual({ code: 0, signal: null });
		await listener.removeAllChannels();
		// Postgres stopped cleanly (a fast shutdown removes its pid file; a crash leaves it).
		expect(existsSync(path.join(env.STACK_DIR, 'db', 'postmaster.pid'))).toBe(false);
		expect(stack.output).not.toMatch(/connection lost|terminating connection|exited unexpectedly/);
	}
}, 120_000);
