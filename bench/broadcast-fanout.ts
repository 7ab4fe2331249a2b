/**
 * Broadcast fan-out: one sender, R receivers on one topic. The stack against a bare `ws` relay on
 * the same machine in the same run (DESIGN-NOTES: the stack should reach at least half of bare ws).
 */
import { spawn } from 'node:child_process';
import getPort from 'get-port';
import WebSocket from 'ws';
import { LOCAL_KEYS } from '../stack/keys.ts';
import { fmt, printTable, sleep, summarize, type StackProcess } from './lib.ts';
import { PhxSocket } from './phx.ts';

const RECEIVERS = 400;
const PACED = 200; // messages at a steady rate, for latency
const PACED_RATE = 100; // messages per second -> 40 000 frames/s delivered
const BURST = 300; // messages back to back, for throughput

interface Harness {
	send(t: number, seq: number): void;
	receivers: Array<{ onMessage(cb: (t: number) => void): void }>;
	close(): Promise<void>;
}

/** Extracts the sender's timestamp from a frame of either target. */
function stampOf(data: Buffer, isBinary: boolean): number | undefined {
	const text = isBinary ? data.subarray(data.indexOf(0x7b)).toString() : data.toString();
	const match = /"t":([0-9.]+)/.exec(text);
	return match ? Number(match[1]) : undefined;
}

async function stackHarness(stack: StackProcess): Promise<Harness> {
	const topic = 'realtime:fanout';
	const sockets: PhxSocket[] = [];
	for (let i = 0; i < RECEIVERS; i++) {
		const s = new PhxSocket(stack.url, LOCAL_KEYS.anon);
		await s.opened;
		await s.join(topic, { broadcast: { self: false } });
		sockets.push(s);
	}
	const sender = new PhxSocket(stack.url, LOCAL_KEYS.anon);
	await sender.opened;
	await sender.join(topic, { broadcast: { self: false } });
	return {
		send: (t, seq) =>
			sender.push(topic, 'broadcast', { type: 'broadcast', event: 'tick', payload: { t, seq } }),
		receivers: sockets.map((s) => ({
			onMessage: (cb) =>
				s.ws.on('message', (data: Buffer, isBinary: boolean) => {
					const t = stampOf(data, isBinary);
					if (t !== undefined) cb(t);
				})
		})),
		async close() {
			for (const s of [...sockets, sender]) s.close();
		}
	};
}

async function bareHarness(): Promise<Harness> {
	const port = await getPort({ host: '127.0.0.1' });
	const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-relay.ts', String(port)], {
		stdio: ['ignore', 'pipe', 'inherit']
	});
	await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
	const open = async () => {
		const ws = new WebSocket(`ws://127.0.0.1:${port}`);
		await new Promise((r) => ws.once('open', r));
		return ws;
	};
	const sockets: WebSocket[] = [];
	for (let i = 0; i < RECEIVERS; i++) sockets.push(await open());
	const sender = await open();
	return {
		send: (t, seq) =>
			sender.send(
				JSON.stringify([
					null,
					null,
					'realtime:fanout',
					'broadcast',
					{ type: 'broadcast', event: 'tick', payload: { t, seq } }
				])
			),
		receivers: sockets.map((ws) => ({
			onMessage: (cb) =>
				ws.on('message', (data: Buffer, isBinary: boolean) => {
					const t = stampOf(data, isBinary);
					if (t !== undefined) cb(t);
				})
		})),
		async close() {
			for (const ws of [...sockets, sender]) ws.close();
			const exited = new Promise((r) => child.once('exit', r));
			child.kill('SIGTERM');
			await exited;
		}
	};
}

async function measure(harness: Harness) {
	let onSample: (latency: number) => void = () => undefined;
	for (const r of harness.receivers) r.onMessage((t) => onSample(performance.now() - t));

	async function run(count: number, gapMs: number) {
		const samples: number[] = [];
		const expected = count * harness.receivers.length;
		let done!: () => void;
		const finished = new Promise<void>((r) => (done = r));
		onSample = (latency) => {
			samples.push(latency);
			if (samples.length === expected) done();
		};
		const started = performance.now();
		for (let i = 0; i < count; i++) {
			harness.send(performance.now(), i);
			if (gapMs) await sleep(gapMs);
		}
		await Promise.race([finished, sleep(30_000)]);
		const seconds = (performance.now() - started) / 1000;
		return {
			...summarize(samples),
			delivered: samples.length,
			expected,
			perSecond: samples.length / seconds
		};
	}

	const paced = await run(PACED, 1000 / PACED_RATE);
	const burst = await run(BURST, 0);
	await harness.close();
	return { paced, burst };
}

export async function benchBroadcast(stack: StackProcess): Promise<void> {
	const bare = await measure(await bareHarness());
	const ours = await measure(await stackHarness(stack));
	const row = (name: string, r: Awaited<ReturnType<typeof measure>>) => [
		name,
		`${r.paced.delivered}/${r.paced.expected}`,
		fmt(r.paced.p50, 2),
		fmt(r.paced.p95, 2),
		fmt(r.paced.p99, 2),
		`${r.burst.delivered}/${r.burst.expected}`,
		fmt(r.burst.perSecond, 0),
		fmt(r.burst.p95, 1)
	];
	printTable(
		`Broadcast fan-out: 1 sender -> ${RECEIVERS} receivers (paced ${PACED_RATE} msg/s; burst ${BURST} msgs)`,
		[
			'server',
			'paced delivered',
			'p50 ms',
			'p95 ms',
			'p99 ms',
			'burst delivered',
			'burst frames/s',
			'burst p95 ms'
		],
		[row('bare ws relay', bare), row('stack (Phoenix, vsn 2.0.0)', ours)]
	);
	console.log(
		`\nstack / bare ws: burst throughput ${(ours.burst.perSecond / bare.burst.perSecond).toFixed(2)}x, ` +
			`paced p95 ${(ours.paced.p95 / bare.paced.p95).toFixed(2)}x`
	);
}
