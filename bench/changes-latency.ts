/**
 * changes_latency: one supabase-js subscriber (signed in, RLS on, filtered by user_id), a commit at
 * a time, commit -> callback. The floor in the same run is a raw pgoutput consumer
 * (pg-logical-replication) of the same publication: what any WAL streamer must pay.
 * Supabase Realtime polls the WAL every 100 ms; the stack streams pgoutput.
 */
import pg from 'pg';
import { LOCAL_KEYS } from '../stack/keys.ts';
import { cpuMeter, epochNow, generators, histogram, size, type Context, type ScenarioResult } from './lib.ts';

export async function changesLatency({ stack, mode }: Context): Promise<ScenarioResult> {
	const changes = size(mode, 1000, 300, 15);
	const [sub, floor] = await generators(2);
	const db = new pg.Client({ connectionString: stack.dbUrl });
	await db.connect();
	try {
		const alice = await sub.call<string>(
			'changesSubscriber',
			stack.url,
			LOCAL_KEYS.anon,
			'alice@example.com'
		);
		await floor.call('floorConsumer', stack.dbUrl, 'notifications');
		const insert = (i: number) =>
			db.query(`insert into notifications (user_id, category, title) values ($1, 'system', $2)`, [
				alice,
				`bench latency ${i} @${epochNow()}`
			]);
		// Warm-up: both paths have delivered before anything is measured.
		for (let i = 0; i < 5; i++) {
			await insert(-1);
			await Promise.all([sub.call('waitFor', i + 1, 5000), floor.call('waitFor', i + 1, 5000)]);
		}
		await Promise.all([sub.call('take'), floor.call('take')]);

		const stop = cpuMeter(stack.pid, () => [sub.pid, floor.pid]);
		for (let i = 0; i < changes; i++) {
			await insert(i);
			const [got] = await Promise.all([
				sub.call<number>('waitFor', i + 1, 5000),
				floor.call('waitFor', i + 1, 5000)
			]);
			if (got < i + 1) throw new Error(`change ${i} was not delivered within 5 s`);
		}
		const cpu = stop();
		const ours = (await sub.call<{ samples: number[] }>('take')).samples;
		const raw = (await floor.call<{ samples: number[] }>('take')).samples;
		await floor.close();
		await db.query(`delete from notifications where title like 'bench latency %'`);
		const h = histogram(ours);
		const f = histogram(raw);
		const row = (metric: string, p: number, target?: number) => ({
			metric,
			value: h.at(p),
			floor: f.at(p),
			ratio: h.at(p) / f.at(p),
			digits: 2,
			...(target ? { target: `<= ${target}`, met: h.at(p) <= target } : {})
		});
		return {
			rows: [
				row('p50_ms', 50, 5),
				row('p95_ms', 95),
				row('p99_ms', 99, 20),
				{ metric: 'floor_p50_ms', value: f.at(50), digits: 2 },
				{ metric: 'samples', value: h.count, digits: 0, extra: true }
			],
			cpu,
			distributions: { 'changes: stack (supabase-js)': ours, 'changes: raw pgoutput floor': raw }
		};
	} finally {
		await db.end();
		await Promise.all([sub.close(), floor.close()]);
	}
}
