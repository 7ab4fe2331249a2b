/**
 * Benchmark plumbing: a stack in its own process (so the load generator does not share its event
 * loop), percentiles, and tables.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import getPort from 'get-port';
import { tempStackDir } from '../stack/config.ts';

export interface StackProcess {
	url: string;
	dbUrl: string;
	stop(): Promise<void>;
}

/** Starts `stack/cli.ts start` in a child process on free ports with a throwaway data folder. */
export async function startStackProcess(extraEnv: Record<string, string> = {}): Promise<StackProcess> {
	const dir = tempStackDir('beacon-bench-');
	const dbPort = await getPort({ host: '127.0.0.1' });
	const apiPort = await getPort({ host: '127.0.0.1', exclude: [dbPort] });
	const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'stack/cli.ts', 'start'], {
		env: {
			...process.env,
			STACK_DIR: dir,
			STACK_DB_PORT: String(dbPort),
			STACK_API_PORT: String(apiPort),
			STACK_LOG_LEVEL: 'warn',
			STACK_DB_FAST: '1',
			STACK_AUTH_RATE_LIMIT_SIGN_IN: '1000000',
			STACK_AUTH_RATE_LIMIT_TOKEN_REFRESH: '1000000',
			...extraEnv
		},
		stdio: ['ignore', 'pipe', 'pipe']
	});
	const url = `http://127.0.0.1:${apiPort}`;
	await new Promise<void>((resolve, reject) => {
		let out = '';
		child.stdout!.on('data', (chunk: Buffer) => {
			out += chunk.toString();
			if (out.includes('Press Ctrl-C')) resolve();
		});
		child.once('exit', (code) => reject(new Error(`stack exited with code ${code} before it was ready`)));
	});
	child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(`[stack process] ${chunk}`));
	child.once('exit', (code, signal) => {
		if (!stopping) console.error(`[stack process] exited unexpectedly (code ${code}, signal ${signal})`);
	});
	let stopping = false;
	return {
		url,
		dbUrl: `postgresql://postgres:postgres@127.0.0.1:${dbPort}/postgres`,
		async stop() {
			stopping = true;
			const exited = new Promise((r) => child.once('exit', r));
			child.kill('SIGTERM');
			await exited;
			await rm(dir, { recursive: true, force: true });
		}
	};
}

export function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return NaN;
	const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
	return sorted[Math.max(0, index)];
}

export interface LatencySummary {
	count: number;
	p50: number;
	p95: number;
	p99: number;
	max: number;
}

export function summarize(samples: number[]): LatencySummary {
	const sorted = [...samples].sort((a, b) => a - b);
	return {
		count: sorted.length,
		p50: percentile(sorted, 50),
		p95: percentile(sorted, 95),
		p99: percentile(sorted, 99),
		max: sorted[sorted.length - 1] ?? NaN
	};
}

export function fmt(value: number, digits = 1): string {
	if (!Number.isFinite(value)) return '-';
	return value >= 1000 ? Math.round(value).toLocaleString('en-US') : value.toFixed(digits);
}

/** Prints a Markdown table: readable in a terminal and pasteable into an issue. */
export function printTable(title: string, header: string[], rows: Array<Array<string | number>>): void {
	const cells = [header, ...rows.map((r) => r.map(String))];
	const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
	const line = (r: string[]) => `| ${r.map((c, i) => c.padStart(widths[i])).join(' | ')} |`;
	console.log(`\n### ${title}\n`);
	console.log(line(header));
	console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
	for (const r of cells.slice(1)) console.log(line(r));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
