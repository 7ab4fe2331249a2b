/**
 * Property-based fuzz of Realtime over raw WebSockets: random frames (text and binary, protocol
 * 1.0.0 and 2.0.0, wrong types, deep nesting, unknown events and topics, huge values, invalid
 * UTF-8) on a few long-lived sockets, as anon (legacy and publishable key) and as a signed-in user.
 *
 * After every frame the socket sends a heartbeat as a sentinel: the frame must have been answered
 * (a reply, ok or error), ignored, or have closed the socket with a close code the server chose,
 * and the sentinel is answered unless the socket closed. Every frame the server sends must decode.
 * Never a dropped socket (1006), an internal error (1011) or a crash; afterwards a bystander
 * answers within 2x its quiet latency and the data's checksum is unchanged.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { closeSql, testEnv } from './helpers.ts';
import {
	dataChecksum,
	expectBystanderWithin,
	fuzzActor,
	fuzzParams,
	quietLatency,
	runs,
	type FuzzActor
} from './fuzz-common.ts';

type Vsn = '1.0.0' | '2.0.0';
/** Close codes a server may choose for a bad client: normal, going away, bad data, policy, too big. */
const CLEAN_CLOSES = new Set([1000, 1001, 1007, 1008, 1009]);
const SYNC_TIMEOUT_MS = 10_000;

interface Outcome {
	closed?: number;
	replies: number;
}

/** One raw socket: every frame the server sends is checked as it arrives. */
class FuzzSocket {
	readonly ws: WebSocket;
	readonly ready: Promise<void>;
	closeCode: number | undefined;
	problems: string[] = [];
	replies = 0;
	#waiters = new Map<string, () => void>();
	#onClose: (() => void)[] = [];
	#ref = 0;

	constructor(
		readonly vsn: Vsn,
		apiKey: string
	) {
		const { url } = testEnv();
		const wsUrl = `${url.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${encodeURIComponent(apiKey)}&vsn=${vsn}`;
		this.ws = new WebSocket(wsUrl, { maxPayload: 16 * 1024 * 1024 });
		this.ready = new Promise((resolve, reject) => {
			this.ws.once('open', () => resolve());
			this.ws.once('error', reject);
		});
		this.ws.on('error', (error) => this.problems.push(`socket error: ${error.message}`));
		this.ws.on('message', (data, isBinary) => this.#check(data as Buffer, isBinary));
		this.ws.on('close', (code) => {
			this.closeCode = code;
			for (const wake of this.#onClose.splice(0)) wake();
		});
	}

	#check(data: Buffer, isBinary: boolean): void {
		if (isBinary) {
			if (this.vsn !== '2.0.0' || data[0] !== 4)
				this.problems.push(`unexpected binary frame kind ${data[0]}`);
			return;
		}
		let msg: unknown;
		try {
			msg = JSON.parse(data.toString('utf8'));
		} catch {
			this.problems.push(`server sent a text frame that is not JSON: ${data.subarray(0, 100).toString()}`);
			return;
		}
		let ref: unknown, event: unknown, payload: unknown;
		if (this.vsn === '2.0.0') {
			if (!Array.isArray(msg) || msg.length !== 5)
				return void this.problems.push(`bad 2.0.0 frame ${clip(msg)}`);
			[, ref, , event, payload] = msg;
		} else {
			if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
				return void this.problems.push(`bad 1.0.0 frame ${clip(msg)}`);
			({ ref, event, payload } = msg as Record<string, unknown>);
		}
		if (typeof event !== 'string') this.problems.push(`frame without an event ${clip(msg)}`);
		if (event === 'phx_reply') {
			this.replies++;
			const status = (payload as { status?: unknown } | null)?.status;
			if (status !== 'ok' && status !== 'error') this.problems.push(`reply with status ${clip(status)}`);
			if (typeof ref === 'string') this.#waiters.get(ref)?.();
		}
	}

	/**
	 * Sends `frame`, then a heartbeat; resolves when the heartbeat (and a join's own reply) is
	 * answered or the socket closed.
	 */
	async sendAndSync(frame: Frame): Promise<Outcome> {
		const before = this.replies;
		if (this.closeCode !== undefined) return { closed: this.closeCode, replies: 0 };
		const ref = `sentinel-${++this.#ref}`;
		const joinRef = `join-${this.#ref}`;
		const waits = [this.#wait(ref, 'heartbeat')];
		if (frame.join) waits.push(this.#wait(joinRef, 'join'));
		const data =
			frame.join && typeof frame.data === 'string' ? frame.data.replaceAll(JOIN_REF, joinRef) : frame.data;
		const heartbeat =
			this.vsn === '2.0.0'
				? JSON.stringify([null, ref, 'phoenix', 'heartbeat', {}])
				: JSON.stringify({ topic: 'phoenix', event: 'heartbeat', payload: {}, ref });
		this.ws.send(data, { binary: frame.binary });
		if (this.ws.readyState === WebSocket.OPEN) this.ws.send(heartbeat);
		await Promise.all(waits);
		return { closed: this.closeCode, replies: this.replies - before };
	}

	#wait(ref: string, what: string): Promise<void> {
		return new Promise<void>((resolve, reject) => {
			const timer = setTimeout(
				() => reject(new Error(`no ${what} reply nor close within ${SYNC_TIMEOUT_MS} ms`)),
				SYNC_TIMEOUT_MS
			);
			const done = () => {
				clearTimeout(timer);
				this.#waiters.delete(ref);
				resolve();
			};
			this.#waiters.set(ref, done);
			this.#onClose.push(done);
		});
	}

	close(): void {
		this.ws.terminate();
	}
}

interface Frame {
	data: Buffer | string;
	binary: boolean;
	label: string;
	/** A join whose ref is JOIN_REF: it must get its reply (ok or error), not silence. */
	join?: boolean;
}
/** Stands for a fresh ref in a join frame, replaced at send time so each join's reply is its own. */
const JOIN_REF = '__join_ref__';

let actor: FuzzActor;
let quiet = 0;
let before: Record<string, string>;

// ---- generators ---------------------------------------------------------------------------------

const TOPICS = [
	'realtime:fuzz',
	'realtime:room',
	'realtime:private-room',
	'realtime:notifications',
	'realtime:',
	'phoenix',
	'realtime',
	'rt:fuzz'
];
const EVENTS = [
	'phx_join',
	'phx_join',
	'phx_join',
	'broadcast',
	'broadcast',
	'presence',
	'presence',
	'access_token',
	'phx_leave',
	'heartbeat',
	'postgres_changes',
	'system',
	'phx_reply'
];
const FILTER_OPS = [
	'eq',
	'neq',
	'lt',
	'lte',
	'gt',
	'gte',
	'in',
	'like',
	'ilike',
	'match',
	'imatch',
	'is',
	'fts',
	'x'
];

const text = fc.oneof(fc.string({ maxLength: 16 }), fc.string({ unit: 'grapheme', maxLength: 8 }));
const topic = fc.oneof(
	{ weight: 6, arbitrary: fc.constantFrom(...TOPICS) },
	{ weight: 2, arbitrary: text.map((t) => `realtime:${t}`) },
	{ weight: 1, arbitrary: text }
);
const event = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...EVENTS) }, { weight: 1, arbitrary: text });
const anyJson = fc.jsonValue({ maxDepth: 4 });
/** Sometimes a value of the wrong type in place of the right one. */
const or = <T>(right: fc.Arbitrary<T>) =>
	fc.oneof({ weight: 5, arbitrary: right }, { weight: 1, arbitrary: anyJson });
const ref = fc.oneof(
	{ weight: 6, arbitrary: fc.integer({ min: 1, max: 1e6 }).map(String) },
	{ weight: 1, arbitrary: fc.constant(null) },
	{ weight: 1, arbitrary: anyJson }
);

const filter = fc.oneof(
	fc
		.tuple(
			fc.constantFrom('user_id', 'title', 'id', 'body', 'nope', 'read_at'),
			fc.constantFrom(...FILTER_OPS),
			fc.oneof(fc.uuid(), text, fc.constant('(a,b,c)'))
		)
		.map(([c, op, v]) => `${c}=${op}.${v}`),
	fc
		.array(fc.constantFrom('user_id=eq.1', 'id=in.(1,2)', 'title=neq.x'), { maxLength: 300 })
		.map((f) => f.join(',')),
	text
);
const binding = fc.record(
	{
		event: or(fc.constantFrom('*', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'x')),
		schema: or(fc.constantFrom('public', 'auth', 'realtime', 'pg_catalog', '*', '')),
		table: or(fc.constantFrom('notifications', 'profiles', 'messages', 'users', '*', 'nope')),
		filter: or(filter)
	},
	{ requiredKeys: [] }
);
const joinPayload = (tokens: fc.Arbitrary<unknown>) =>
	or(
		fc.record(
			{
				config: or(
					fc.record(
						{
							broadcast: or(
								fc.record({ self: or(fc.boolean()), ack: or(fc.boolean()) }, { requiredKeys: [] })
							),
							presence: or(fc.record({ key: or(text), enabled: or(fc.boolean()) }, { requiredKeys: [] })),
							postgres_changes: or(fc.array(binding, { maxLength: 5 })),
							private: or(fc.boolean())
						},
						{ requiredKeys: [] }
					)
				),
				access_token: tokens,
				version: or(fc.constant('2.119.1'))
			},
			{ requiredKeys: [] }
		)
	);
const broadcastPayload = or(
	fc.record({ type: or(fc.constant('broadcast')), event: or(text), payload: anyJson }, { requiredKeys: [] })
);
const presencePayload = or(
	fc.record(
		{
			type: or(fc.constant('presence')),
			event: or(fc.constantFrom('track', 'untrack', 'TRACK', 'x')),
			payload: anyJson
		},
		{ requiredKeys: [] }
	)
);

/** Deep nesting and huge values, few of them. */
const deep = fc
	.tuple(fc.constantFrom('[', '{"a":'), fc.integer({ min: 100, max: 20_000 }))
	.map(([open, depth]) => open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth));
const hugeString = fc.constantFrom(1000, 70_000, 300_000).map((n) => 'x'.repeat(n));

function encodeText(
	vsn: Vsn,
	m: { joinRef: unknown; ref: unknown; topic: unknown; event: unknown; payload: unknown }
) {
	return vsn === '2.0.0'
		? JSON.stringify([m.joinRef, m.ref, m.topic, m.event, m.payload])
		: JSON.stringify({ topic: m.topic, event: m.event, payload: m.payload, ref: m.ref, join_ref: m.joinRef });
}

/** A 2.0.0 binary broadcast push (kind 3), with lengths that may lie and bytes that may not be UTF-8. */
const binaryPush = fc
	.record({
		kind: fc.oneof(
			{ weight: 5, arbitrary: fc.constant(3) },
			{ weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }
		),
		joinRef: fc.constantFrom('1', '', 'x'.repeat(255)),
		ref: fc.constantFrom('2', ''),
		topic: fc.oneof(fc.constantFrom('realtime:fuzz', 'realtime:room', 'realtime:private-room'), text),
		event: fc.oneof(fc.constantFrom('shout', 'nudge', 'announcement'), text),
		meta: fc.constantFrom('', '{}', '{"a":1}', 'not json'),
		encoding: fc.oneof(
			{ weight: 5, arbitrary: fc.constantFrom(0, 1) },
			{ weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }
		),
		// Binary (encoding 0) payloads may be any bytes; JSON ones (1) are valid UTF-8 JSON, or not.
		payload: fc.oneof(
			fc.uint8Array({ maxLength: 64 }),
			anyJson.map((v) => new Uint8Array(Buffer.from(JSON.stringify(v)))),
			fc.constant(new Uint8Array([0xc3, 0x28, 0xff, 0xfe]))
		),
		lie: fc.option(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 255 })), {
			nil: undefined
		})
	})
	.map((b) => {
		const parts = [b.joinRef, b.ref, b.topic, b.event, b.meta].map((s) => Buffer.from(s));
		const lengths = parts.map((p) => Math.min(p.length, 255));
		if (b.lie) lengths[b.lie[0]] = b.lie[1];
		const header = Buffer.from([b.kind, ...lengths, b.encoding]);
		return { header, parts, payload: Buffer.from(b.payload), encoding: b.encoding };
	});

const frame = (vsn: Vsn, tokens: fc.Arbitrary<unknown>): fc.Arbitrary<Frame> =>
	fc.oneof(
		// A well-formed message with random topic, event, refs and payload.
		{
			weight: 20,
			arbitrary: fc
				.record({ joinRef: ref, ref, topic, event, fresh: fc.boolean() })
				.map(({ fresh, ...m }) =>
					// A join on a realtime: topic with a string ref is owed a reply: give it a fresh ref.
					fresh && m.event === 'phx_join' && typeof m.topic === 'string' && m.topic.startsWith('realtime:')
						? { ...m, ref: JOIN_REF, joinRef: JOIN_REF }
						: m
				)
				.chain((m) =>
					(m.event === 'phx_join'
						? joinPayload(tokens)
						: m.event === 'broadcast'
							? broadcastPayload
							: m.event === 'presence'
								? presencePayload
								: m.event === 'access_token'
									? or(fc.record({ access_token: tokens }))
									: anyJson
					).map((payload) => ({ ...m, payload }))
				)
				.map((m) => ({
					data: encodeText(vsn, m),
					binary: false,
					label: `text ${String(m.event)} on ${String(m.topic)}`,
					join: m.ref === JOIN_REF
				}))
		},
		// The other protocol's shape, or no Phoenix shape at all.
		{
			weight: 3,
			arbitrary: fc.record({ joinRef: ref, ref, topic, event, payload: anyJson }).map((m) => ({
				data: encodeText(vsn === '2.0.0' ? '1.0.0' : '2.0.0', m),
				binary: false,
				label: 'other vsn shape'
			}))
		},
		{
			weight: 3,
			arbitrary: anyJson.map((v) => ({ data: JSON.stringify(v), binary: false, label: 'random JSON' }))
		},
		{
			weight: 2,
			arbitrary: fc
				.constantFrom('', '[', '{', '[null,"1","realtime:x","phx_join"', 'null', '"', '\u0000')
				.map((t) => ({ data: t, binary: false, label: 'invalid JSON' }))
		},
		{ weight: 1, arbitrary: deep.map((d) => ({ data: d, binary: false, label: 'deep nesting' })) },
		{
			weight: 1,
			arbitrary: fc.record({ joinRef: ref, ref, topic, event, huge: hugeString }).map((m) => ({
				data: encodeText(vsn, { ...m, payload: { type: 'broadcast', event: 'x', payload: { x: m.huge } } }),
				binary: false,
				label: `huge ${m.huge.length} ${m.event}`
			}))
		},
		// Invalid UTF-8 in a text frame: the WebSocket layer must close with 1007, nothing worse.
		{
			weight: 1,
			arbitrary: fc.constant({
				data: Buffer.from([0x5b, 0xc3, 0x28, 0x5d]),
				binary: false,
				label: 'invalid UTF-8 text'
			})
		},
		{
			weight: 4,
			arbitrary: binaryPush.map((b) => ({
				data: Buffer.concat([b.header, ...b.parts, b.payload]),
				binary: true,
				label: 'binary push'
			}))
		},
		{
			weight: 1,
			arbitrary: fc
				.uint8Array({ maxLength: 64 })
				.map((b) => ({ data: Buffer.from(b), binary: true, label: 'random bytes' }))
		}
	);

// ---- the suite ------------------------------------------------------------------------------------

const SOCKETS: { vsn: Vsn; key: 'anon' | 'publishable' }[] = [
	{ vsn: '2.0.0', key: 'anon' },
	{ vsn: '2.0.0', key: 'publishable' },
	{ vsn: '1.0.0', key: 'anon' },
	{ vsn: '2.0.0', key: 'anon' }
];
let sockets: FuzzSocket[] = [];
const closes = new Map<string, number>();

async function openSocket(i: number): Promise<FuzzSocket> {
	const { anonKey, publishableKey } = testEnv();
	const spec = SOCKETS[i];
	const socket = new FuzzSocket(spec.vsn, spec.key === 'anon' ? anonKey : publishableKey);
	await socket.ready;
	return socket;
}

beforeAll(async () => {
	actor = await fuzzActor('realtime');
	quiet = await quietLatency();
	before = await dataChecksum(actor);
	sockets = await Promise.all(SOCKETS.map((_, i) => openSocket(i)));
});

afterAll(async () => {
	for (const socket of sockets) socket.close();
	await closeSql();
});

describe('Realtime fuzz findings', () => {
	// Found by the fuzzer: a join whose access_token is not a string (or whose postgres_changes is not
	// an array) threw inside the join and was never answered, so the client waited out its 10 s timeout.
	it.each([
		['an object access_token', { access_token: { a: 1 } }],
		['a number access_token', { access_token: 7 }],
		['a string postgres_changes', { config: { postgres_changes: 'x' } }]
	])('answers a join with %s', async (_what, payload) => {
		const socket = await openSocket(0);
		try {
			const joinRef = JOIN_REF;
			const frame = JSON.stringify([joinRef, joinRef, 'realtime:fuzz-typed', 'phx_join', payload]);
			const before = socket.replies;
			const outcome = await socket.sendAndSync({
				data: frame,
				binary: false,
				label: 'typed join',
				join: true
			});
			expect(outcome.closed).toBeUndefined();
			expect(socket.replies - before).toBeGreaterThanOrEqual(2);
			expect(socket.problems).toEqual([]);
		} finally {
			socket.close();
		}
	});
});

describe('Realtime fuzz', () => {
	it('answers, ignores or cleanly closes on every random frame', { timeout: 300_000 }, async () => {
		const numRuns = runs(6500);
		const tokens = fc.oneof(
			{ weight: 3, arbitrary: fc.constant(actor.accessToken) },
			{ weight: 2, arbitrary: fc.constant(undefined) },
			{ weight: 1, arbitrary: fc.constantFrom('', 'not.a.jwt', testEnv().anonKey, `${actor.accessToken}x`) },
			{ weight: 1, arbitrary: anyJson }
		);
		let cases = 0;
		let replies = 0;
		const byVsn = (['2.0.0', '1.0.0'] as const).map((vsn) => frame(vsn, tokens));
		const run = fc
			.integer({ min: 0, max: SOCKETS.length - 1 })
			.chain((i) => byVsn[SOCKETS[i].vsn === '2.0.0' ? 0 : 1].map((f) => ({ i, f })));
		await fc.assert(
			fc.asyncProperty(run, async ({ i, f }) => {
				cases++;
				let socket = sockets[i];
				if (socket.closeCode !== undefined) {
					socket = sockets[i] = await openSocket(i);
				}
				const outcome = await socket.sendAndSync(f).catch((error: Error) => {
					throw new Error(`${error.message} after ${f.label}: ${clip(f.data)}`);
				});
				replies += outcome.replies;
				if (socket.problems.length)
					throw new Error(`${socket.problems.join('; ')} after ${f.label}: ${clip(f.data)}`);
				if (outcome.closed !== undefined) {
					closes.set(`${outcome.closed}`, (closes.get(`${outcome.closed}`) ?? 0) + 1);
					if (!CLEAN_CLOSES.has(outcome.closed))
						throw new Error(
							`socket ${i} (vsn ${socket.vsn}) closed with ${outcome.closed} after ${f.label}: ${clip(f.data)}`
						);
				}
				// A socket that another socket's frame dropped shows up here on its next turn.
				for (const [j, other] of sockets.entries()) {
					if (other.closeCode !== undefined && !CLEAN_CLOSES.has(other.closeCode))
						throw new Error(
							`socket ${j} (vsn ${other.vsn}) closed with ${other.closeCode} after ${f.label}: ${clip(f.data)}`
						);
				}
			}),
			fuzzParams('fuzz-realtime', numRuns)
		);
		console.log(
			`fuzz-realtime: ${cases} frames, ${replies} replies; closes by code ${JSON.stringify(Object.fromEntries(closes))}`
		);
		expect(cases).toBe(numRuns);
	});

	it('keeps answering a bystander within 2x its quiet latency', async () => {
		const after = await expectBystanderWithin(quiet);
		console.log(`fuzz-realtime: bystander median ${after.toFixed(1)} ms after, ${quiet.toFixed(1)} ms quiet`);
	});

	it('leaves the data unchanged', async () => {
		expect(await dataChecksum(actor)).toEqual(before);
	});
});

function clip(value: unknown): string {
	const s = Buffer.isBuffer(value)
		? value.subarray(0, 200).toString('hex')
		: typeof value === 'string'
			? value
			: JSON.stringify(value);
	return s && s.length > 300 ? `${s.slice(0, 300)}... (${s.length} chars)` : String(s);
}
