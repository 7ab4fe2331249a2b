/**
 * `config.broadcast.replication_ready: true` (issue 10 item 2): once the replication connection is
 * up, the channel gets Supabase's system message "Replication connection established".
 */
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, testEnv } from './helpers.ts';

const sockets: WebSocket[] = [];
afterAll(() => {
	for (const ws of sockets) ws.terminate();
});

it('tells a replication_ready join when changes can flow', async () => {
	const env = testEnv();
	const ws = new WebSocket(
		`${env.url.replace(/^http/, 'ws')}/realtime/v1/websocket?apikey=${env.anonKey}&vsn=2.0.0`
	);
	sockets.push(ws);
	const frames: unknown[][] = [];
	ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as unknown[]));
	await new Promise((resolve, reject) => {
		ws.once('open', resolve);
		ws.once('error', reject);
	});
	const name = `ready-${randomUUID()}`;
	ws.send(
		JSON.stringify([
			'1',
			'1',
			`realtime:${name}`,
			'phx_join',
			{ config: { broadcast: { replication_ready: true } } }
		])
	);
	await eventually(
		() => frames.some((f) => f[3] === 'system'),
		10_000,
		() => `no system message after the join: ${JSON.stringify(frames)}`
	);
	expect(frames[0]).toEqual([
		'1',
		'1',
		`realtime:${name}`,
		'phx_reply',
		{ status: 'ok', response: { postgres_changes: [] } }
	]);
	expect(frames.find((f) => f[3] === 'system')).toEqual([
		'1',
		null,
		`realtime:${name}`,
		'system',
		{ extension: 'system', status: 'ok', message: 'Replication connection established', channel: name }
	]);
});
