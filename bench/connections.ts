/**
 * connections: N idle sockets, each joined to one channel (the stack runs with its client limits
 * raised by run.ts). rss_per_socket_kb is the growth of the stack process's resident memory per
 * socket; the floor is the same count of sockets held by the bare `ws` relay.
 */
import { LOCAL_KEYS } from '../stack/keys.ts';
import { startBareRelay } from './broadcast-fanout.ts';
import { cpuMeter, generators, rssKb, size, sleep, type Context, type ScenarioResult } from './lib.ts';
import type { Target } from './tasks.ts';

async function hold(target: Target, pid: number, n: number) {
	const gens = await generators(2);
	try {
		await sleep(300);
		const before = rssKb(pid);
		const stop = cpuMeter(pid, () => gens.map((g) => g.pid));
		const half = Math.ceil(n / 2);
		const topic = 'realtime:idle';
		const times =
			target.kind === 'stack'
				? await Promise.all([
						gens[0].call<number>('idleSockets', target.url, target.anonKey, half, topic),
						gens[1].call<number>('idleSockets', target.url, target.anonKey, n - half, topic)
					])
				: await Promise.all([
						gens[0].call<number>('broadcastReceivers', target, [topic], half),
						gens[1].call<number>('broadcastReceivers', target, [topic], n - half)
					]);
		const cpu = stop();
		await sleep(1000);
		const after = rssKb(pid);
		return { perSocketKb: (after - before) / n, joinsPerS: n / (Math.max(...times) / 1000), cpu };
	} finally {
		await Promise.all(gens.map((g) => g.close()));
	}
}

export async function connections({ stack, mode }: Context): Promise<ScenarioResult> {
	const n = size(mode, 10_000, 10_000, 300);
	if (!stack.pid)
		return { rows: [], notes: ['connections needs a stack the bench started (to read its memory)'] };
	const relay = await startBareRelay();
	let bare;
	try {
		bare = await hold({ kind: 'bare', url: relay.url, anonKey: '' }, relay.pid, n);
	} finally {
		await relay.stop();
	}
	const ours = await hold({ kind: 'stack', url: stack.url, anonKey: LOCAL_KEYS.anon }, stack.pid, n);
	await sleep(500);
	return {
		rows: [
			{
				metric: 'rss_per_socket_kb',
				value: ours.perSocketKb,
				target: '<= 15 (bare ws: 6.7)',
				met: ours.perSocketKb <= 15,
				floor: bare.perSocketKb,
				ratio: ours.perSocketKb / bare.perSocketKb,
				digits: 1
			},
			{
				metric: 'joins_per_s',
				value: ours.joinsPerS,
				floor: bare.joinsPerS,
				ratio: ours.joinsPerS / bare.joinsPerS,
				digits: 0
			},
			{ metric: 'sockets', value: n, digits: 0, extra: true }
		],
		cpu: ours.cpu,
		notes: [
			`${n} sockets; the floor is the bare ws relay holding as many sockets, each having sent a join frame`
		]
	};
}
