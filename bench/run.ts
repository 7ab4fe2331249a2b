/**
 * `npm run bench`: every benchmark against one stack in its own process. Figures are tables;
 * compare ratios within one run (shared machines are noisy).
 */
import { benchBroadcast } from './broadcast-fanout.ts';
import { benchChanges } from './changes-latency.ts';
import { startStackProcess } from './lib.ts';
import { benchPresence } from './presence-storm.ts';

const only = process.argv[2];
// BENCH_URL + BENCH_DB_URL point the benchmarks at a stack that is already running (even `supabase start`).
const stack = process.env.BENCH_URL
	? { url: process.env.BENCH_URL, dbUrl: process.env.BENCH_DB_URL ?? '', stop: async () => undefined }
	: await startStackProcess({
			STACK_REALTIME_MAX_CLIENTS: '100000',
			STACK_REALTIME_MAX_JOINS_PER_SECOND: '100000',
			STACK_REALTIME_MAX_EVENTS_PER_SECOND: '1000000'
		});
try {
	console.log(`Beacon benchmarks, ${new Date().toISOString()}, node ${process.version}`);
	if (!only || only === 'changes') await benchChanges(stack);
	if (!only || only === 'broadcast') await benchBroadcast(stack);
	if (!only || only === 'presence') await benchPresence(stack);
} finally {
	await stack.stop();
}
