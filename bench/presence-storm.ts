/**
 * presence_join: N clients (in two generator processes) join one topic and track at once. Without
 * batching that is N^2 diff frames; with per-topic batching every roster converges in about a
 * second. converge_ms runs from the go signal to the moment the last roster holds all N keys.
 */
import { LOCAL_KEYS } from '../stack/keys.ts';
import { cpuMeter, epochNow, generators, size, type Context, type ScenarioResult } from './lib.ts';

export async function presenceJoin({ stack, mode }: Context): Promise<ScenarioResult> {
	const n = size(mode, 1000, 1000, 60);
	const gens = await generators(2);
	try {
		const half = Math.ceil(n / 2);
		await Promise.all([
			gens[0].call('presenceOpen', stack.url, LOCAL_KEYS.anon, half),
			gens[1].call('presenceOpen', stack.url, LOCAL_KEYS.anon, n - half)
		]);
		const topic = `realtime:storm-${Date.now()}`;
		const stop = cpuMeter(stack.pid, () => gens.map((g) => g.pid));
		const t0 = epochNow();
		const done = await Promise.all(
			gens.map((g, i) => g.call<number | null>('presenceGo', topic, n, `g${i}`, 30_000))
		);
		const cpu = stop();
		const converged = done.every((d) => typeof d === 'number' && Number.isFinite(d));
		const ms = converged ? Math.max(...(done as number[])) - t0 : NaN;
		return {
			rows: [
				{ metric: 'converge_ms', value: ms, target: '<= 2,000', met: ms <= 2000, digits: 0 },
				{ metric: 'clients', value: n, digits: 0, extra: true }
			],
			cpu,
			notes: converged ? [] : ['not every roster converged within 30 s']
		};
	} finally {
		await Promise.all(gens.map((g) => g.close()));
	}
}
