/**
 * Stops that lose nothing (issue 9, item 4): `kill -9` of the whole stack (Node and Postgres) in the
 * middle of a stream of writes, then a new start on the same folder has every write the REST API
 * acknowledged; a Ctrl-C stops it cleanly and quietly. The stack runs as a child process here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { LOCAL_KEYS } from '../stack/index.ts';

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
			const deadline = Date.now() + 90_000;
			while (!output.includes('Press Ctrl-C to stop.')) {
				if (child.exitCode !== null) throw new Error(`the stack exited before it was ready:\n${output}`);
				if (Date.now() > deadline) throw new Error(`the stack was not ready in 90 s:\n${output}`);
				await new Promise((resolve) => setTimeout(resolve, 100));
			}
		}
	};
}

it('kill -9 of the whole stack loses no acknowledged write; the next start recovers; Ctrl-C is clean', async () => {
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
	const dbUrl = `postgresql://postgres:postgres@127.0.0.1:${dbPort}/postgres`;
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
	const deadline = Date.now() + 30_000;
	while (acknowledged.length < 40) {
		if (Date.now() > deadline)
			throw new Error(`only ${acknowledged.length} writes were acknowledged in 30 s`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
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
