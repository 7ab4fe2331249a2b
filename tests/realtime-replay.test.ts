/**
 * Broadcast replay on join and binary broadcasts from the database: a private channel joined with
 * `broadcast.replay = { since, limit }` first gets the topic's stored broadcasts since `since`,
 * oldest first, at most `limit` (25 by default and at most), each with meta { replayed, id };
 * `realtime.send_binary` reaches vsn 2.0.0 clients as a binary broadcast frame and replays as one.
 */
import { randomUUID } from 'node:crypto';
import type { RealtimeChannel } from '@supabase/supabase-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
	clientPool,
	closeSql,
	eventually,
	joinOutcome,
	signedIn,
	sql,
	subscribed,
	testEnv
} from './helpers.ts';

const pool = clientPool();
const cleanup: string[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
	await pool.removeChannels();
	for (const ws of sockets.splice(0)) ws.terminate();
	for (const statement of cleanup.splice(0).reverse()) await sql(statement);
});
afterAll(() => closeSql());

type Received = { event: string; payload?: unknown; meta?: { replayed?: boolean; id?: string } };

/** A private topic alice may read (the broadcast read policy). */
async function readableTopic(): Promise<string> {
	const topic = `replay-${randomUUID()}`;
	const name = `rt replay ${topic}`;
	await sql(
		`create policy "${name}" on realtime.messages for select to authenticated
		 using (realtime.topic() = '${topic}' and realtime.messages.extension = 'broadcast')`
	);
	cleanup.push(`drop policy if exists "${name}" on realtime.messages`);
	return topic;
}

/** Stores a broadcast as realtime.send does; `ago` back-dates it. Returns its id. */
async function store(topic: string, payload: object, ago = '0 seconds'): Promise<string> {
	const [row] = await sql<{ id: string }>(
		`insert into realtime.messages (topic, extension, event, payload, private, inserted_at)
		 values ($1, 'broadcast', 'note', $2, true, now() - $3::interval) returning id`,
		[topic, JSON.stringify(payload), ago]
	);
	return row.id;
}

/**
 * Joins `topic` as alice with `replay`, then sends a live sentinel from the database and returns
 * everything that arrived before it (replays come right after the join, before anything live).
 */
async function joinAndCollect(topic: string, replay: Record<string, unknown>): Promise<Received[]> {
	const { supabase } = await signedIn('alice@example.com');
	pool.add(supabase);
	const received: Received[] = [];
	const channel: RealtimeChannel = supabase
		.channel(topic, { config: { private: true, broadcast: { replay: replay as never } } })
		.on('broadcast', { event: 'note' }, (message) => received.push(message as Received));
	await subscribed(channel);
	await sql(`select realtime.send($1::jsonb, 'note', $2, true)`, [JSON.stringify({ sentinel: true }), topic]);
	await eventually(
		() => (received.some((m) => (m.payload as { sentinel?: boolean }).sentinel) ? true : undefined),
		5000,
		() => `the live sentinel never arrived on ${topic} (got ${JSON.stringify(received)})`
	);
	// The sentinel is stored too: remove it so that a later join does not replay it.
	await sql(`delete from realtime.messages where topic = $1 and payload ? 'sentinel'`, [topic]);
	return received.slice(0, -1);
}

/** A raw vsn 2.0.0 join; resolves with the join reply's payload. */
async function rawJoin(topic: string, config: object, token?: string): Promise<unknown> {
	const env = testEnv();
	const ws = new WebSocket(
		`${env.url.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${env.anonKey}&vsn=2.0.0`
	);
	sockets.push(ws);
	await new Promise((resolve, reject) => {
		ws.once('open', resolve);
		ws.once('error', reject);
	});
	const reply = new Promise<unknown>((resolve) =>
		ws.on('message', (data: Buffer, binary: boolean) => {
			if (binary) return;
			const frame = JSON.parse(data.toString()) as unknown[];
			if (frame[3] === 'phx_reply') resolve(frame[4]);
		})
	);
	ws.send(JSON.stringify(['1', '1', `realtime:${topic}`, 'phx_join', { config, access_token: token }]));
	return reply;
}

describe('broadcast replay', () => {
	it('replays the newest stored broadcasts since `since`, oldest first, with replayed meta', async () => {
		const topic = await readableTopic();
		await store(topic, { n: 0 }, '2 hours');
		const ids = [await store(topic, { n: 1 }, '3 seconds')];
		ids.push(await store(topic, { n: 2 }, '2 seconds'));
		ids.push(await store(topic, { n: 3 }, '1 second'));
		const since = Date.now() - 60 * 60 * 1000;

		const all = await joinAndCollect(topic, { since });
		expect(all.map((m) => m.payload)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
		expect(all.map((m) => m.meta)).toEqual(ids.map((id) => ({ replayed: true, id })));

		const newestTwo = await joinAndCollect(topic, { since, limit: 2 });
		expect(newestTwo.map((m) => m.payload)).toEqual([{ n: 2 }, { n: 3 }]);
	});

	it('caps the limit at 25', async () => {
		const topic = await readableTopic();
		await sql(
			`insert into realtime.messages (topic, extension, event, payload, private, inserted_at)
			 select $1, 'broadcast', 'note', jsonb_build_object('n', i), true, now() - make_interval(secs => 40 - i)
			 from generate_series(1, 30) as i`,
			[topic]
		);
		const replayed = await joinAndCollect(topic, { since: Date.now() - 60_000, limit: 1000 });
		expect(replayed.map((m) => (m.payload as { n: number }).n)).toEqual(
			Array.from({ length: 25 }, (_, i) => i + 6)
		);
	});

	it("refuses replay on a public channel and bad parameters with Supabase's words", async () => {
		const topic = await readableTopic();
		expect(await rawJoin(topic, { private: false, broadcast: { replay: { since: 0 } } })).toEqual({
			status: 'error',
			response: { reason: 'UnableToReplayMessages: Replay is not allowed for public channels' }
		});
		const { supabase } = await signedIn('alice@example.com');
		pool.add(supabase);

		// Replay needs the broadcast read policy; presence alone lets a channel in, not replay.
		const presenceOnly = `presence-${randomUUID()}`;
		const name = `rt presence ${presenceOnly}`;
		await sql(
			`create policy "${name}" on realtime.messages for select to authenticated
			 using (realtime.topic() = '${presenceOnly}' and realtime.messages.extension = 'presence')`
		);
		cleanup.push(`drop policy if exists "${name}" on realtime.messages`);
		const replayOnly = { config: { private: true, broadcast: { replay: { since: 0 } } } };
		expect(await joinOutcome(supabase.channel(presenceOnly, replayOnly))).toEqual({
			status: 'CHANNEL_ERROR',
			message: `Unauthorized: You do not have permissions to read from this Channel topic: ${presenceOnly}`
		});

		const bad = pool.add((await signedIn('alice@example.com')).supabase).channel(topic, {
			config: { private: true, broadcast: { replay: { since: 'yesterday' } as never } }
		});
		expect(await joinOutcome(bad)).toEqual({
			status: 'CHANNEL_ERROR',
			message: 'UnableToReplayMessages: Replay params are not valid'
		});
	});
});

describe('binary broadcasts from the database', () => {
	it('delivers realtime.send_binary as a binary broadcast and replays it as one', async () => {
		const topic = await readableTopic();
		const { supabase } = await signedIn('alice@example.com');
		pool.add(supabase);
		const live: Received[] = [];
		const channel = supabase
			.channel(topic, { config: { private: true } })
			.on('broadcast', { event: 'blob' }, (message) => live.push(message as Received));
		await subscribed(channel);
		await sql(`select realtime.send_binary('\\x00ff10'::bytea, 'blob', $1, true)`, [topic]);
		const [message] = await eventually(
			() => (live.length > 0 ? live : undefined),
			5000,
			'the binary broadcast never arrived'
		);
		expect(message.payload).toBeInstanceOf(ArrayBuffer);
		expect([...new Uint8Array(message.payload as ArrayBuffer)]).toEqual([0, 255, 16]);
		const [row] = await sql<{ id: string; payload: unknown }>(
			'select id, payload from realtime.messages where topic = $1',
			[topic]
		);
		expect(row.payload).toBeNull();
		expect(message.meta).toEqual({ id: row.id });

		// A second client (one client keeps one channel per topic).
		const other = pool.add((await signedIn('bob@example.com')).supabase);
		const replayed: Received[] = [];
		const again = other
			.channel(topic, { config: { private: true, broadcast: { replay: { since: Date.now() - 60_000 } } } })
			.on('broadcast', { event: 'blob' }, (m) => replayed.push(m as Received));
		await subscribed(again);
		const [first] = await eventually(() => (replayed.length > 0 ? replayed : undefined), 5000, 'no replay');
		expect([...new Uint8Array(first.payload as ArrayBuffer)]).toEqual([0, 255, 16]);
		expect(first.meta).toEqual({ replayed: true, id: row.id });
	});

	it('sends nothing to a vsn 1.0.0 socket, which cannot carry bytes (as in Supabase)', async () => {
		const env = testEnv();
		const topic = `binary-${randomUUID()}`;
		const ws = new WebSocket(
			`${env.url.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${env.anonKey}&vsn=1.0.0`
		);
		sockets.push(ws);
		const events: { event: string; payload: { event?: string } }[] = [];
		ws.on('message', (data: Buffer) => events.push(JSON.parse(data.toString()) as (typeof events)[number]));
		await new Promise((resolve, reject) => {
			ws.once('open', resolve);
			ws.once('error', reject);
		});
		ws.send(
			JSON.stringify({ topic: `realtime:${topic}`, event: 'phx_join', payload: {}, ref: '1', join_ref: '1' })
		);
		await eventually(
			() => (events.some((e) => e.event === 'phx_reply') ? true : undefined),
			5000,
			'no join reply'
		);
		await sql(`select realtime.send_binary('\\x01'::bytea, 'blob', $1, false)`, [topic]);
		await sql(`select realtime.send('{}'::jsonb, 'sentinel', $1, false)`, [topic]);
		await eventually(
			() => (events.some((e) => e.payload.event === 'sentinel') ? true : undefined),
			5000,
			'the sentinel never arrived'
		);
		expect(events.filter((e) => e.event === 'broadcast').map((e) => e.payload.event)).toEqual(['sentinel']);
	});
});
