/**
 * `npm run bench -- --quick` keeps running: one tiny iteration of every scenario (BENCH_TINY=1),
 * results written to a temp folder so the committed ones stay as they are. Figures are not checked
 * here (benchmarks are not timed tests); only that every scenario ran and wrote its metrics.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';

const METRICS: Record<string, string[]> = {
	changes_latency: ['p50_ms', 'p95_ms', 'p99_ms', 'floor_p50_ms'],
	changes_rls_fanout: ['delivered_per_s', 'p95_ms'],
	broadcast: ['delivered_per_s', 'p95_ms', 'floor_delivered_per_s', 'ratio'],
	presence_join: ['converge_ms'],
	connections: ['rss_per_socket_kb', 'joins_per_s'],
	rest_read: [],
	rest_write: [],
	ui_live: ['p50_ms', 'p95_ms'],
	bundle: ['js_gzip_kb'],
	startup: ['stack_cold_ms', 'stack_warm_ms', 'dev_warm_ms']
};

const dir = await mkdtemp(path.join(os.tmpdir(), 'beacon-bench-test-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

test('npm run bench -- --quick runs every scenario and writes latest.json and the chart', async () => {
	const output: string[] = [];
	const code = await new Promise<number | null>((resolve, reject) => {
		const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick'], {
			env: { ...process.env, BENCH_TINY: '1', BENCH_RESULTS_DIR: dir },
			stdio: ['ignore', 'pipe', 'pipe']
		});
		child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
		child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
		child.on('error', reject);
		child.on('exit', resolve);
	});
	expect(code, output.join('').slice(-4000)).toBe(0);
	const latest = JSON.parse(await readFile(path.join(dir, 'latest.json'), 'utf8')) as {
		scenarios: Record<string, Record<string, number>>;
	};
	expect(Object.keys(latest.scenarios).sort()).toEqual(Object.keys(METRICS).sort());
	for (const [name, metrics] of Object.entries(METRICS)) {
		// rest_* come from bench/rest.ts, which may not be in this tree: then the entry is empty.
		if (name.startsWith('rest_') && Object.keys(latest.scenarios[name]).length === 0) continue;
		for (const metric of metrics) expect(typeof latest.scenarios[name][metric], `${name}.${metric}`).toBe('number');
	}
	expect(await readFile(path.join(dir, 'latency.svg'), 'utf8')).toMatch(/^<svg[^>]*>[\s\S]*<\/svg>\n$/);
}, 240_000);
