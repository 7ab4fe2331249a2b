/**
 * Presence join storm: N clients join one topic and track at once. Without batching that is N^2
 * diff frames; with per-topic batching the roster converges in about a second.
 */
import { LOCAL_KEYS } from '../stack/keys.ts';
import { fmt, printTable, sleep, type StackProcess } from './lib.ts';
import { PhxSocket } from './phx.ts';

export async function benchPresence(stack: StackProcess, sizes = [100, 300]): Promise<void> {
	const rows = [];
	for (const n of sizes) {
		const topic = `realtime:storm-${n}`;
		const sockets: PhxSocket[] = [];
		for (let i = 0; i < n; i++) {
			const s = new PhxSocket(stack.url, LOCAL_KEYS.anon);
			await s.opened;
			sockets.push(s);
		}
		let frames = 0;
		const views = sockets.map(() => new Set<string>());
		let converged!: () => void;
		const done = new Promise<void>((r) => (converged = r));
		let complete = 0;
		sockets.forEach((s, i) =>
			s.on(([, , , event, payload]) => {
				if (event !== 'presence_state' && event !== 'presence_diff') return;
				frames++;
				const joins = (event === 'presence_state' ? payload : (payload.joins as object)) ?? {};
				const before = views[i].size;
				for (const key of Object.keys(joins)) views[i].add(key);
				if (event === 'presence_diff')
					for (const key of Object.keys((payload.leaves as object) ?? {})) views[i].delete(key);
				if (before < n && views[i].size === n && ++complete === n) converged();
			})
		);
		const started = performance.now();
		await Promise.all(
			sockets.map(async (s, i) => {
				await s.join(topic, { presence: { key: `user-${i}`, enabled: true } });
				s.push(topic, 'presence', { type: 'presence', event: 'track', payload: { online_at: Date.now() } });
			})
		);
		const ok = await Promise.race([done.then(() => true), sleep(30_000).then(() => false)]);
		const seconds = (performance.now() - started) / 1000;
		rows.push([n, ok ? fmt(seconds * 1000, 0) : 'no (30 s)', frames, fmt(frames / n, 1), n * n]);
		for (const s of sockets) s.close();
		await sleep(200);
	}
	printTable(
		'Presence join storm: N clients join + track at once',
		['clients', 'all rosters complete (ms)', 'presence frames', 'frames/client', 'N^2 (one diff per join)'],
		rows
	);
}
