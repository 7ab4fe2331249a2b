/**
 * REST under RLS against its floor: a plain node `http` + `pg` server doing the same work with the
 * same pool size. Two scenarios, both as alice with her user JWT:
 *   rest_read   GET one page of her inbox (the dashboard's query: filters, order, limit)
 *   rest_write  PATCH read_at on one of her rows (return=minimal, as supabase-js sends it)
 * The floor runs each request the way a careful hand-written server would with node-postgres:
 * one pooled client, a transaction, `set_config` of role and claims (so RLS applies), the query.
 * It decodes the JWT without verifying it (the stack verifies, then caches).
 *
 * Three processes besides Postgres: the stack, the floor server and the load generator
 * (autocannon), so no side shares an event loop. `npx tsx bench/rest.ts` prints the table;
 * `run(options)` returns the figures for a suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';
import pg from 'pg';
import { LOCAL_KEYS } from '../stack/keys.ts';
import { fmt, printTable, startStackProcess, type StackProcess } from './lib.ts';

export interface RestBenchOptions {
	/** A running stack; one is started (and stopped) when absent. */
	stack?: StackProcess;
	/** Seconds of load per measurement (after a warm-up of a fifth of it, at least 1 s). */
	duration?: number;
	/** Concurrent HTTP connections of the load generator. */
	connections?: number;
	/** The floor's pool size: the stack's (20) unless told. */
	poolSize?: number;
	/** Measurements per side, alternating stack and floor; the best of each is kept. */
	rounds?: number;
}

export interface RestFigures {
	req_per_s: number;
	p50_ms: number;
	floor_req_per_s: number;
	ratio: number;
}

export type RestResults = Record<'rest_read' | 'rest_write', RestFigures>;

interface LoadSpec {
	url: string;
	method: 'GET' | 'PATCH';
	headers: Record<string, string>;
	body?: string;
	connections: number;
	duration: number;
}

interface LoadResult {
	req_per_s: number;
	p50_ms: number;
	errors: number;
	non2xx: number;
}

const ALICE = { email: 'alice@example.com', password: 'password123' };
const PAGE = 20;
const COLUMNS = 'id,user_id,actor_id,category,priority,title,body,url,read_at,archived_at,created_at';
const self = fileURLToPath(import.meta.url);

function child(args: string[], env: Record<string, string> = {}): ChildProcess {
	return spawn(process.execPath, ['--import', 'tsx', self, ...args], {
		env: { ...process.env, ...env },
		stdio: ['ignore', 'pipe', 'inherit']
	});
}

/** Runs autocannon in its own process and returns its figures. */
function load(spec: LoadSpec): Promise<LoadResult> {
	return new Promise((resolve, reject) => {
		const proc = child(['--load', JSON.stringify(spec)]);
		let out = '';
		proc.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
		proc.once('exit', (code) => {
			if (code !== 0) return reject(new Error(`load generator exited with code ${code}`));
			resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as LoadResult);
		});
	});
}

/** The floor server in its own process; resolves once it listens. */
async function startFloor(dbUrl: string, poolSize: number): Promise<{ url: string; stop(): Promise<void> }> {
	const port = await getPort({ host: '127.0.0.1' });
	const proc = child(['--floor'], {
		FLOOR_DB_URL: dbUrl,
		FLOOR_PORT: String(port),
		FLOOR_POOL: String(poolSize)
	});
	await new Promise<void>((resolve, reject) => {
		proc.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve());
		proc.once('exit', (code) => reject(new Error(`floor server exited with code ${code}`)));
	});
	return {
		url: `http://127.0.0.1:${port}`,
		async stop() {
			const exited = new Promise((r) => proc.once('exit', r));
			proc.kill('SIGTERM');
			await exited;
		}
	};
}

async function signIn(url: string): Promise<{ token: string; userId: string }> {
	const res = await fetch(`${url}/auth/v1/token?grant_type=password`, {
		method: 'POST',
		headers: { apikey: LOCAL_KEYS.anon, 'Content-Type': 'application/json' },
		body: JSON.stringify(ALICE)
	});
	if (!res.ok) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
	const body = (await res.json()) as { access_token: string; user: { id: string } };
	return { token: body.access_token, userId: body.user.id };
}

async function best(rounds: number, spec: () => LoadSpec, floorSpec: () => LoadSpec) {
	let stack: LoadResult | undefined;
	let floor: LoadResult | undefined;
	// Warm both (JIT, pools, plans), then alternate so drift on a shared machine hits both sides.
	const warm = (s: LoadSpec) => ({ ...s, duration: Math.max(1, Math.round(s.duration / 5)) });
	await load(warm(spec()));
	await load(warm(floorSpec()));
	for (let i = 0; i < rounds; i++) {
		const a = await load(spec());
		const b = await load(floorSpec());
		for (const r of [a, b]) {
			if (r.errors > 0 || r.non2xx > 0) throw new Error(`requests failed: ${JSON.stringify(r)}`);
		}
		if (!stack || a.req_per_s > stack.req_per_s) stack = a;
		if (!floor || b.req_per_s > floor.req_per_s) floor = b;
	}
	return { stack: stack!, floor: floor! };
}

export async function run(options: RestBenchOptions = {}): Promise<RestResults> {
	const duration = options.duration ?? 10;
	const connections = options.connections ?? 20;
	const poolSize = options.poolSize ?? 20;
	const rounds = options.rounds ?? 2;
	const stack = options.stack ?? (await startStackProcess());
	const floor = await startFloor(stack.dbUrl, poolSize);
	try {
		const alice = await signIn(stack.url);
		const db = new pg.Client({ connectionString: stack.dbUrl });
		await db.connect();
		const row = await db.query<{ id: string }>(
			'select id from public.notifications where user_id = $1 order by created_at desc limit 1',
			[alice.userId]
		);
		await db.end();
		const rowId = row.rows[0].id;
		const auth = { Authorization: `Bearer ${alice.token}`, apikey: LOCAL_KEYS.anon };

		const readQuery = `select=${COLUMNS}&user_id=eq.${alice.userId}&archived_at=is.null&order=created_at.desc&limit=${PAGE}`;
		const read = await best(
			rounds,
			() => ({
				url: `${stack.url}/rest/v1/notifications?${readQuery}`,
				method: 'GET',
				headers: auth,
				connections,
				duration
			}),
			() => ({ url: `${floor.url}/read`, method: 'GET', headers: auth, connections, duration })
		);
		const body = JSON.stringify({ read_at: '2026-12-02T12:00:00.000Z' });
		const writeHeaders = { ...auth, 'Content-Type': 'application/json' };
		const write = await best(
			rounds,
			() => ({
				url: `${stack.url}/rest/v1/notifications?id=eq.${rowId}`,
				method: 'PATCH',
				headers: writeHeaders,
				body,
				connections,
				duration
			}),
			() => ({
				url: `${floor.url}/write?id=${rowId}`,
				method: 'PATCH',
				headers: writeHeaders,
				body,
				connections,
				duration
			})
		);
		const figures = (r: typeof read): RestFigures => ({
			req_per_s: r.stack.req_per_s,
			p50_ms: r.stack.p50_ms,
			floor_req_per_s: r.floor.req_per_s,
			ratio: r.stack.req_per_s / r.floor.req_per_s
		});
		return { rest_read: figures(read), rest_write: figures(write) };
	} finally {
		await floor.stop();
		if (!options.stack) await stack.stop();
	}
}

export function printRest(results: RestResults, note = ''): void {
	printTable(
		`REST under RLS vs node http + pg${note}`,
		['scenario', 'req/s', 'p50 ms', 'floor req/s', 'ratio', 'target'],
		Object.entries(results).map(([name, r]) => [
			name,
			fmt(r.req_per_s),
			fmt(r.p50_ms),
			fmt(r.floor_req_per_s),
			r.ratio.toFixed(2),
			'>= 0.80'
		])
	);
}

// ---------------------------------------------------------------- child processes

async function loadMain(spec: LoadSpec): Promise<void> {
	// autocannon ships no types; this is the part of its result used here.
	type Result = { requests: { average: number }; latency: { p50: number }; errors: number; non2xx: number };
	const autocannon = createRequire(import.meta.url)('autocannon') as (opts: object) => Promise<Result>;
	const result = await autocannon({ ...spec, pipelining: 1 });
	console.log(
		JSON.stringify({
			req_per_s: result.requests.average,
			p50_ms: result.latency.p50,
			errors: result.errors,
			non2xx: result.non2xx
		} satisfies LoadResult)
	);
}

const FLOOR_SETUP =
	"select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)";

function floorMain(): void {
	const pool = new pg.Pool({
		connectionString: process.env.FLOOR_DB_URL,
		max: Number(process.env.FLOOR_POOL)
	});
	const claimsOf = (req: http.IncomingMessage) => {
		const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
		return Buffer.from(token.split('.')[1] ?? '', 'base64url').toString();
	};
	const asUser = async <T>(claims: string, work: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
		const client = await pool.connect();
		try {
			await client.query('begin');
			await client.query(FLOOR_SETUP, [claims]);
			const out = await work(client);
			await client.query('commit');
			return out;
		} catch (error) {
			await client.query('rollback').catch(() => undefined);
			throw error;
		} finally {
			client.release();
		}
	};
	const server = http.createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://floor');
		const claims = claimsOf(req);
		const userId = (JSON.parse(claims) as { sub: string }).sub;
		let chunks = '';
		req.on('data', (c: Buffer) => (chunks += c.toString()));
		req.on('end', () => {
			const work =
				url.pathname === '/read'
					? asUser(claims, async (c) => {
							const r = await c.query<{ body: string }>(
								`select coalesce(json_agg(t), '[]')::text as body from (select ${COLUMNS} from public.notifications
								  where user_id = $1 and archived_at is null order by created_at desc limit ${PAGE}) t`,
								[userId]
							);
							res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
							res.end(r.rows[0].body);
						})
					: asUser(claims, async (c) => {
							const { read_at } = JSON.parse(chunks) as { read_at: string };
							await c.query('update public.notifications set read_at = $1 where id = $2', [
								read_at,
								url.searchParams.get('id')
							]);
							res.writeHead(204);
							res.end();
						});
			work.catch((error: Error) => {
				res.writeHead(500);
				res.end(error.message);
			});
		});
	});
	server.listen(Number(process.env.FLOOR_PORT), '127.0.0.1', () => console.log('listening'));
	process.on('SIGTERM', () => {
		server.close();
		pool.end().finally(() => process.exit(0));
	});
}

if (process.argv[1] === self) {
	const mode = process.argv[2];
	if (mode === '--load') await loadMain(JSON.parse(process.argv[3]) as LoadSpec);
	else if (mode === '--floor') floorMain();
	else {
		const duration = Number(process.env.BENCH_REST_DURATION ?? 10);
		const results = await run({ duration });
		printRest(results);
		console.log(JSON.stringify(results));
	}
}
