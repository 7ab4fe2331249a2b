/**
 * What a load-generator process (worker.ts) can do. Module state holds its clients between calls;
 * every latency sample is `epochNow() - t`, where `t` is the sender's wall clock carried in the
 * row or message (one machine, one clock).
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import pg from 'pg';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import WebSocket from 'ws';
import { epochNow, sleep } from './lib.ts';
import { PhxSocket } from './phx.ts';

let samples: number[] = [];
let senders: Array<(payload: object) => void> = [];
let presenceSockets: PhxSocket[] = [];
let received = 0;
let firstAt = 0;
let lastAt = 0;
const cleanups: Array<() => unknown> = [];

function record(t: number): void {
	const now = epochNow();
	samples.push(now - t);
	received++;
	if (!firstAt) firstAt = now;
	lastAt = now;
}

/** Latency samples (ms) and counts since the last call; resets them. */
export function take(): { samples: number[]; received: number; firstAt: number; lastAt: number } {
	const out = { samples, received, firstAt, lastAt };
	samples = [];
	received = 0;
	firstAt = 0;
	lastAt = 0;
	return out;
}

/** Resolves once `n` samples are held (or after timeoutMs), with how many there are. */
export async function waitFor(n: number, timeoutMs: number): Promise<number> {
	const deadline = Date.now() + timeoutMs;
	while (received < n && Date.now() < deadline) await sleep(5);
	return received;
}

/** Closes everything this process holds and forgets its samples (between scenarios). */
export async function closeAll(): Promise<void> {
	for (const c of cleanups.splice(0)) {
		try {
			await c();
		} catch {
			// closing anyway
		}
	}
	senders = [];
	presenceSockets = [];
	take();
}

/** Titles and bodies carry the sender's clock as `... @<t>`. */
const stamp = (text: unknown) => {
	const match = /@([0-9.]+)$/.exec(String(text));
	return match ? Number(match[1]) : undefined;
};

/** changes_latency: one supabase-js client, signed in, subscribed to its own inserts (RLS + filter). */
export async function changesSubscriber(url: string, anonKey: string, email: string): Promise<string> {
	const client: SupabaseClient = createClient(url, anonKey, {
		auth: { persistSession: false, autoRefreshToken: false },
		realtime: { transport: WebSocket as never }
	});
	const { data, error } = await client.auth.signInWithPassword({ email, password: 'password123' });
	if (error) throw error;
	const channel = client
		.channel(`bench-latency-${Math.random()}`)
		.on(
			'postgres_changes',
			{ event: 'INSERT', schema: 'public', table: 'notifications', filter: `user_id=eq.${data.user.id}` },
			(payload) => {
				const t = stamp((payload.new as { title: string }).title);
				if (t !== undefined) record(t);
			}
		);
	await new Promise<void>((resolve, reject) => {
		channel.subscribe((status, err) => {
			if (status === 'SUBSCRIBED') resolve();
			else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(err ?? new Error(status));
		});
	});
	cleanups.push(() => client.removeAllChannels());
	return data.user.id;
}

/** The floor: a raw pgoutput consumer of the same publication, decoding nothing it does not need. */
export async function floorConsumer(dbUrl: string, table: string): Promise<void> {
	const slot = `bench_floor_${process.pid}`;
	const admin = new pg.Client({ connectionString: dbUrl });
	await admin.connect();
	await admin.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
	const service = new LogicalReplicationService(
		{ connectionString: dbUrl },
		{ acknowledge: { auto: true, timeoutSeconds: 10 } }
	);
	const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: ['supabase_realtime'] });
	service.on(
		'data',
		(_lsn: string, log: { tag: string; relation?: { name: string }; new?: Record<string, unknown> }) => {
			if (log.tag !== 'insert' || log.relation?.name !== table) return;
			const t = stamp(log.new?.title);
			if (t !== undefined) record(t);
		}
	);
	const started = new Promise<void>((resolve) => service.once('start', () => resolve()));
	service.subscribe(plugin, slot).catch(() => undefined);
	await started;
	cleanups.push(async () => {
		await service.stop().catch(() => undefined);
		await admin.query(`select pg_drop_replication_slot($1)`, [slot]).catch(() => undefined);
		await admin.end();
	});
}

function postgresChangesRecord(payload: Record<string, unknown>): Record<string, unknown> | undefined {
	const data = payload.data as { record?: Record<string, unknown> } | undefined;
	return data?.record;
}

/** Opens and joins `count` sockets with bounded concurrency; returns how long it took (ms). */
async function openMany(
	count: number,
	open: (i: number) => Promise<void>,
	concurrency = 32
): Promise<number> {
	const started = performance.now();
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(concurrency, count) }, async () => {
			while (next < count) await open(next++);
		})
	);
	return performance.now() - started;
}

function track(s: PhxSocket): PhxSocket {
	cleanups.push(() => s.close());
	return s;
}

/** changes_rls_fanout: one socket per signed-in user, subscribed to every insert of `table` (RLS decides). */
export async function rlsSubscribers(
	url: string,
	anonKey: string,
	tokens: string[],
	table: string
): Promise<number> {
	return openMany(tokens.length, async (i) => {
		const s = track(new PhxSocket(url, anonKey));
		await s.opened;
		const topic = `realtime:feed-${process.pid}-${i}`;
		const ready = new Promise<void>((resolve, reject) =>
			s.on(([, , , event, payload]) => {
				if (event === 'system' && payload.extension === 'postgres_changes') {
					if (payload.status === 'ok') resolve();
					else reject(new Error(`subscription refused: ${JSON.stringify(payload)}`));
				}
			})
		);
		s.on(([, , , event, payload]) => {
			if (event !== 'postgres_changes') return;
			const row = postgresChangesRecord(payload);
			if (row && typeof row.t === 'number') record(row.t);
		});
		await s.join(
			topic,
			{
				broadcast: { self: false, ack: false },
				presence: { key: '', enabled: false },
				postgres_changes: [{ event: 'INSERT', schema: 'public', table }],
				private: false
			},
			tokens[i]
		);
		await ready;
	});
}

export interface Target {
	kind: 'stack' | 'bare';
	url: string;
	anonKey: string;
}

/** Extracts the sender's clock from a broadcast frame of either target without a full parse. */
function frameStamp(data: Buffer): number | undefined {
	const i = data.indexOf('"t":');
	if (i < 0) return undefined;
	return parseFloat(data.subarray(i + 4, i + 40).toString());
}

async function openTarget(target: Target, topic: string): Promise<(payload: object) => void> {
	if (target.kind === 'stack') {
		const s = track(new PhxSocket(target.url, target.anonKey));
		await s.opened;
		await s.join(topic, { broadcast: { self: false, ack: false }, presence: { key: '', enabled: false } });
		s.ws.on('message', (data: Buffer, isBinary: boolean) => {
			if (isBinary || data.length < 60) return;
			const t = frameStamp(data);
			if (t !== undefined) record(t);
		});
		return (payload) => s.push(topic, 'broadcast', { type: 'broadcast', event: 'tick', payload });
	}
	const ws = new WebSocket(target.url);
	cleanups.push(() => ws.close());
	await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
	const joined = new Promise((resolve) => ws.once('message', resolve));
	ws.send(JSON.stringify([null, '1', topic, 'phx_join', {}]));
	await joined;
	ws.on('message', (data: Buffer) => {
		const t = frameStamp(data);
		if (t !== undefined) record(t);
	});
	return (payload) =>
		ws.send(JSON.stringify([null, null, topic, 'broadcast', { type: 'broadcast', event: 'tick', payload }]));
}

/** broadcast: `perTopic` receivers on each topic. */
export async function broadcastReceivers(
	target: Target,
	topics: string[],
	perTopic: number
): Promise<number> {
	return openMany(topics.length * perTopic, async (i) => {
		await openTarget(target, topics[i % topics.length]);
	});
}

/** broadcast: one sender per topic. */
export async function broadcastSenders(target: Target, topics: string[]): Promise<void> {
	senders = [];
	for (const topic of topics) senders.push(await openTarget(target, topic));
}

/** Sends `ratePerTopic` messages per second on every topic for durationMs; returns how many per topic. */
export async function broadcastSend(ratePerTopic: number, durationMs: number): Promise<number> {
	const started = performance.now();
	let sent = 0;
	while (performance.now() - started < durationMs) {
		const due = Math.floor(((performance.now() - started) / 1000) * ratePerTopic);
		for (; sent < due; sent++) {
			const t = epochNow();
			for (const send of senders) send({ t, seq: sent, pad: 'x'.repeat(64) });
		}
		await sleep(2);
	}
	return sent;
}

/** presence_join: open sockets now, join and track them all on go. */
export async function presenceOpen(url: string, anonKey: string, n: number): Promise<void> {
	presenceSockets = [];
	await openMany(n, async () => {
		const s = track(new PhxSocket(url, anonKey));
		await s.opened;
		presenceSockets.push(s);
	});
}

/** Joins + tracks every socket at once; resolves with the wall clock when each roster has `total` keys. */
export async function presenceGo(
	topic: string,
	total: number,
	keyPrefix: string,
	timeoutMs: number
): Promise<number> {
	let complete = 0;
	let converged!: (at: number) => void;
	const done = new Promise<number>((r) => (converged = r));
	presenceSockets.forEach((s) => {
		const view = new Set<string>();
		let counted = false;
		s.on(([, , , event, payload]) => {
			if (event !== 'presence_state' && event !== 'presence_diff') return;
			const joins = (event === 'presence_state' ? payload : (payload.joins as object)) ?? {};
			for (const key of Object.keys(joins)) view.add(key);
			if (event === 'presence_diff')
				for (const key of Object.keys((payload.leaves as object) ?? {})) view.delete(key);
			if (!counted && view.size >= total) {
				counted = true;
				if (++complete === presenceSockets.length) converged(epochNow());
			}
		});
	});
	await Promise.all(
		presenceSockets.map(async (s, i) => {
			await s.join(topic, { presence: { key: `${keyPrefix}-${i}`, enabled: true } });
			s.push(topic, 'presence', { type: 'presence', event: 'track', payload: { online_at: Date.now() } });
		})
	);
	return Promise.race([done, sleep(timeoutMs).then(() => NaN)]);
}

/** connections: n idle sockets, each joined to one channel; returns the time it took (ms). */
export async function idleSockets(url: string, anonKey: string, n: number, topic: string): Promise<number> {
	return openMany(
		n,
		async () => {
			const s = track(new PhxSocket(url, anonKey));
			await s.opened;
			await s.join(topic, { broadcast: { self: false }, presence: { key: '', enabled: false } });
		},
		64
	);
}

/** CPU this process used so far (ms). */
export function cpu(): number {
	const u = process.cpuUsage();
	return (u.user + u.system) / 1000;
}

/** changes_rls_fanout: commits `rate` inserts per second (one row, one transaction each) for durationMs. */
export async function insertFeed(
	dbUrl: string,
	rate: number,
	durationMs: number,
	teams: number
): Promise<number> {
	const pool = new pg.Pool({ connectionString: dbUrl, max: 4 });
	try {
		const started = performance.now();
		let sent = 0;
		const inflight = new Set<Promise<unknown>>();
		while (performance.now() - started < durationMs) {
			const due = Math.floor(((performance.now() - started) / 1000) * rate);
			for (; sent < due; sent++) {
				const q = pool.query('insert into public.bench_feed (team, t) values ($1, $2)', [
					sent % teams,
					epochNow()
				]);
				inflight.add(q);
				void q.finally(() => inflight.delete(q));
			}
			await sleep(2);
		}
		await Promise.all(inflight);
		return sent;
	} finally {
		await pool.end();
	}
}
