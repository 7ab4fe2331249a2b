/**
 * `npm run bench` runs every scenario against one stack in its own process; `-- --quick` a reduced
 * run (under 3 minutes); `-- <name>` one scenario. BENCH_TINY=1 shrinks every scenario to seconds
 * (the CI smoke test), BENCH_RESULTS_DIR moves the output. Each scenario prints a table (value,
 * target, floor, ratio) and the CPU each side used; all of them land in results/latest.json and
 * results/latency.svg. Compare ratios within one run: the machine is shared and noisy.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { broadcast } from './broadcast-fanout.ts';
import { bundle } from './bundle.ts';
import { latencyChart } from './chart.ts';
import { changesLatency } from './changes-latency.ts';
import { changesRlsFanout } from './changes-rls-fanout.ts';
import { connections } from './connections.ts';
import {
	fmt,
	printTable,
	shutdownGenerators,
	startStackProcess,
	type Context,
	type Mode,
	type ScenarioResult
} from './lib.ts';
import { presenceJoin } from './presence-storm.ts';
import { startup } from './startup.ts';
import { uiLive } from './ui-live.ts';

type Scenario = (ctx: Context) => Promise<ScenarioResult>;

/** rest_read / rest_write come from bench/rest.ts (the REST work) when it exists. */
function restScenario(name: 'rest_read' | 'rest_write'): Scenario {
	return async (ctx) => {
		const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rest.ts');
		if (!existsSync(file)) return { rows: [], notes: ['not available (bench/rest.ts is not in this tree)'] };
		const rest = (await import(/* @vite-ignore */ file)) as {
			run(options: Record<string, unknown>): Promise<ScenarioResult | Record<string, unknown>>;
		};
		const out = await rest.run({
			scenario: name,
			url: ctx.stack.url,
			dbUrl: ctx.stack.dbUrl,
			stackPid: ctx.stack.pid,
			quick: ctx.mode.quick,
			tiny: ctx.mode.tiny
		});
		if ('rows' in out && Array.isArray(out.rows)) return out as ScenarioResult;
		// A plain `{ metric: number }` (or `{ rest_read: {...}, rest_write: {...} }`) is accepted too.
		const metrics = ((out as Record<string, unknown>)[name] ?? out) as Record<string, number>;
		return { rows: Object.entries(metrics).map(([metric, value]) => ({ metric, value })) };
	};
}

export const SCENARIOS: Record<string, Scenario> = {
	changes_latency: changesLatency,
	changes_rls_fanout: changesRlsFanout,
	broadcast,
	presence_join: presenceJoin,
	connections,
	rest_read: restScenario('rest_read'),
	rest_write: restScenario('rest_write'),
	ui_live: uiLive,
	bundle,
	startup
};

const args = process.argv.slice(2);
const mode: Mode = { quick: args.includes('--quick'), tiny: process.env.BENCH_TINY === '1' };
const names = args.filter((a) => !a.startsWith('--'));
for (const name of names) {
	if (!SCENARIOS[name])
		throw new Error(`unknown scenario "${name}": one of ${Object.keys(SCENARIOS).join(', ')}`);
}
const selected = names.length ? names : Object.keys(SCENARIOS);
const resultsDir = path.resolve(
	process.env.BENCH_RESULTS_DIR || path.join(path.dirname(fileURLToPath(import.meta.url)), 'results')
);

// BENCH_URL + BENCH_DB_URL point the benchmarks at a stack that is already running (even `supabase start`).
const stack = process.env.BENCH_URL
	? { url: process.env.BENCH_URL, dbUrl: process.env.BENCH_DB_URL ?? '', pid: 0, stop: async () => undefined }
	: await startStackProcess({
			STACK_REALTIME_MAX_CLIENTS: '100000',
			STACK_REALTIME_MAX_JOINS_PER_SECOND: '100000',
			STACK_REALTIME_MAX_EVENTS_PER_SECOND: '10000000',
			STACK_REALTIME_PRESENCE_CALLS_PER_30S: '1000'
		});

const results: Record<string, Record<string, number>> = {};
const distributions: Record<string, number[]> = {};
let failed = false;
const started = performance.now();
console.log(
	`Beacon benchmarks${mode.tiny ? ' (tiny)' : mode.quick ? ' (quick)' : ''}, ${new Date().toISOString()}, node ${process.version}`
);
try {
	for (const name of selected) {
		const t0 = performance.now();
		let result: ScenarioResult;
		try {
			result = await SCENARIOS[name]({ stack, mode, resultsDir });
		} catch (error) {
			failed = true;
			console.error(`\n${name} failed:`, error);
			results[name] = {};
			continue;
		}
		results[name] = Object.fromEntries(result.rows.filter((r) => !r.extra).map((r) => [r.metric, r.value]));
		Object.assign(distributions, result.distributions ?? {});
		printTable(
			`${name} (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
			['metric', 'value', 'target', 'floor', 'ratio'],
			result.rows.map((r) => [
				r.metric,
				fmt(r.value, r.digits ?? 1),
				r.target ? `${r.target} ${r.met ? 'met' : 'MISSED'}` : '',
				r.floor === undefined ? '' : fmt(r.floor, r.digits ?? 1),
				r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`
			])
		);
		if (result.cpu) {
			const c = result.cpu;
			const pct = (ms: number) => `${((ms / c.wallMs) * 100).toFixed(0)} %`;
			console.log(
				`CPU over ${(c.wallMs / 1000).toFixed(1)} s (of 2 cores = 200 %): stack ${pct(c.stackMs)}, ` +
					`its PostgreSQL ${pct(c.postgresMs)}, load generators ${pct(c.generatorsMs)}`
			);
		}
		for (const note of result.notes ?? []) console.log(note);
	}
} finally {
	await shutdownGenerators();
	await stack.stop();
}

await mkdir(resultsDir, { recursive: true });
const latest = path.join(resultsDir, 'latest.json');
// One scenario (`npm run bench -- broadcast`) updates its entry and keeps the others.
const previous =
	names.length && existsSync(latest)
		? (JSON.parse(await readFile(latest, 'utf8')) as { scenarios: typeof results }).scenarios
		: {};
const scenarios = Object.fromEntries(
	Object.keys(SCENARIOS).map((name) => [name, results[name] ?? previous[name] ?? {}])
);
await writeFile(latest, `${JSON.stringify({ scenarios }, null, '\t')}\n`);
if (!names.length && Object.keys(distributions).length) {
	await writeFile(path.join(resultsDir, 'latency.svg'), latencyChart(distributions));
}
console.log(
	`\nWrote ${path.join(resultsDir, 'latest.json')} in ${((performance.now() - started) / 1000).toFixed(0)} s.`
);
process.exit(failed ? 1 : 0);
