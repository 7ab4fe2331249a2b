/**
 * `npm run soak` (not in CI; loopback only): N realtime clients (default 2000) for M minutes
 * (default 10) against a stack of its own, with steady inserts (postgres_changes), broadcasts and
 * presence churn. Every 10 s it prints delivered vs expected, p95 latency and the stack's RSS;
 * at the end errors, totals and RSS growth after warm-up.
 *   npm run soak -- --clients 200 --minutes 1
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient, type RealtimeChannel } from '@supabase/supabase-js';
import getPort from 'get-port';
import pg from 'pg';
import WebSocket from 'ws';
import { LOCAL_KEYS } from '../stack/keys.ts';

function arg(name: string, fallback: number): number {
	const i = process.argv.indexOf(`--${name}`);
	const raw = i >= 0 ? process.argv[i + 1] : process.env[`SOAK_${name.toUpperCase()}`];
	const value = Number(raw ?? fallback);
	if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
	return value;
}

const CLIENTS = arg('clients', 2000);
const MINUTES = arg('minutes', 10);
const INSERTS_PER_S = 2;
const BROADCASTS_PER_S = 2;
const WINDOW_MS = 10_000;

const p95 = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] : NaN);
const rssMb = (pid: number) => {
	const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
	return m ? Number(m[1]) / 1024 : NaN;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
	const dir = await mkdtemp(path.join(os.tmpdir(), 'beacon-soak-'));
	const dbPort = await getPort({ host: '127.0.0.1' });
	const apiPort = await getPort({ host: '127.0.0.1', exclude: [dbPort] });
	const url = `http://127.0.0.1:${apiPort}`;
	const dbUrl = `postgresql://postgres:postgres@127.0.0.1:${dbPort}/postgres`;
	const stack = spawn(process.execPath, ['--import', 'tsx', 'stack/cli.ts', 'start'], {
		env: {
			...process.env,
			STACK_DIR: path.join(dir, 'stack'),
			STACK_DB_PORT: String(dbPort),
			STACK_API_PORT: String(apiPort),
			STACK_DB_FAST: '1',
			STACK_LOG_LEVEL: 'warn',
			STACK_REALTIME_MAX_CLIENTS: String(CLIENTS * 2 + 100),
			STACK_REALTIME_MAX_JOINS_PER_SECOND: '100000',
			STACK_REALTIME_MAX_EVENTS_PER_SECOND: '100000'
		},
		stdio: ['ignore', 'pipe', 'inherit']
	});
	let out = '';
	stack.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString()));
	while (!out.includes('Press Ctrl-C to stop.')) {
		if (stack.exitCode !== null) throw new Error(`the stack exited:\n${out}`);
		await sleep(200);
	}
	const db = new pg.Client({ connectionString: dbUrl });
	await db.connect();
	const { rows } = await db.query<{ id: string }>(
		`select id from auth.users where email = 'alice@example.com'`
	);
	const alice = rows[0].id;

	let errors = 0;
	let delivered = 0;
	let expected = 0;
	let latencies: number[] = [];
	const note = (sentAt: number) => {
		delivered++;
		latencies.push(Date.now() - sentAt);
	};
	const clients: Array<{ channel: RealtimeChannel; tracked: boolean }> = [];
	console.log(`soak: ${CLIENTS} clients for ${MINUTES} min against ${url}`);
	for (let i = 0; i < CLIENTS; i++) {
		const supabase = createClient(url, LOCAL_KEYS.serviceRole, {
			auth: { persistSession: false, autoRefreshToken: false },
			realtime: { transport: WebSocket as never }
		});
		const channel = supabase
			.channel('soak', { config: { presence: { key: `c${i}` } } })
			.on('broadcast', { event: 'tick' }, ({ payload }) => note((payload as { t: number }).t))
			.on(
				'postgres_changes',
				{ event: 'INSERT', schema: 'public', table: 'notifications', filter: `user_id=eq.${alice}` },
				(payload) => note(Number((payload.new as { body: string }).body))
			)
			.on('presence', { event: 'sync' }, () => undefined);
		await new Promise<void>((resolve) =>
			channel.subscribe((status) => {
				if (status === 'SUBSCRIBED') resolve();
				else if (status !== 'CLOSED') {
					errors++;
					resolve();
				}
			})
		);
		clients.push({ channel, tracked: false });
		if (i % 200 === 199) console.log(`  ${i + 1} joined`);
	}
	// Broadcasts come from one more client that does not receive its own.
	const sender = createClient(url, LOCAL_KEYS.serviceRole, {
		auth: { persistSession: false, autoRefreshToken: false },
		realtime: { transport: WebSocket as never }
	}).channel('soak');
	await new Promise<void>((resolve) => sender.subscribe((s) => s === 'SUBSCRIBED' && resolve()));

	const started = Date.now();
	const end = started + MINUTES * 60_000;
	const warmupEnd = started + Math.min(60_000, (MINUTES * 60_000) / 4);
	let rssAfterWarmup = NaN;
	const timers = [
		setInterval(() => {
			expected += CLIENTS;
			db.query(
				`insert into notifications (user_id, category, title, body) values ($1, 'system', 'soak', $2)`,
				[alice, String(Date.now())]
			).catch(() => errors++);
		}, 1000 / INSERTS_PER_S),
		setInterval(() => {
			expected += CLIENTS;
			sender.send({ type: 'broadcast', event: 'tick', payload: { t: Date.now() } }).then(
				(r) => r !== 'ok' && errors++,
				() => errors++
			);
		}, 1000 / BROADCASTS_PER_S),
		setInterval(() => {
			// Presence churn: 1 % of the clients track or untrack each second.
			for (let k = 0; k < Math.max(1, CLIENTS / 100); k++) {
				const c = clients[Math.floor(Math.random() * clients.length)];
				(c.tracked ? c.channel.untrack() : c.channel.track({ at: Date.now() })).catch(() => errors++);
				c.tracked = !c.tracked;
			}
		}, 1000)
	];
	console.log('elapsed_s  delivered/expected  p95_ms  stack_rss_mb  errors');
	while (Date.now() < end) {
		await sleep(WINDOW_MS);
		const rss = rssMb(stack.pid!);
		if (Number.isNaN(rssAfterWarmup) && Date.now() >= warmupEnd) rssAfterWarmup = rss;
		console.log(
			`${String(Math.round((Date.now() - started) / 1000)).padStart(9)}  ${`${delivered}/${expected}`.padStart(18)}  ${String(p95(latencies)).padStart(6)}  ${rss.toFixed(0).padStart(12)}  ${errors}`
		);
		latencies = [];
	}
	for (const t of timers) clearInterval(t);
	await sleep(3_000); // the last sends arrive
	const rssEnd = rssMb(stack.pid!);
	console.log(
		`\nsoak done: errors ${errors}; delivered ${delivered} of ${expected} expected (${((100 * delivered) / expected).toFixed(2)} %); ` +
			`RSS ${rssAfterWarmup.toFixed(0)} MB after warm-up -> ${rssEnd.toFixed(0)} MB (${((100 * (rssEnd - rssAfterWarmup)) / rssAfterWarmup).toFixed(1)} %)`
	);
	// The verdict is taken now: stopping the stack under 2,000 clients fails their pushes, which
	// would count as errors after the run.
	const passed = errors === 0 && delivered >= expected;
	await db.end();
	stack.kill('SIGINT');
	await new Promise((resolve) => stack.once('exit', resolve));
	await rm(dir, { recursive: true, force: true });
	process.exit(passed ? 0 : 1);
}

main().catch((error: unknown) => {
	console.error(error);
	process.exit(1);
});
