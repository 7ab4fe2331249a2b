/**
 * Benchmark plumbing: a stack in its own process (so the load generator does not share its event
 * loop), percentiles, and tables.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import getPort from 'get-port';
import * as hdr from 'hdr-histogram-js';
import { tempStackDir } from '../stack/config.ts';

export interface StackProcess {
	url: string;
	dbUrl: string;
	/** The stack's Node process id (0 for a stack the bench did not start). */
	pid: number;
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
		pid: child.pid ?? 0,
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

/** The current high-resolution wall clock in ms: comparable between processes on one machine. */
export const epochNow = () => performance.timeOrigin + performance.now();

const CLOCK_TICKS = 100; // USER_HZ on Linux

function procStat(pid: number): { ppid: number; cpuMs: number } | undefined {
	try {
		const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
		const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
		// fields[0] is state (field 3): ppid is field 4, utime 14, stime 15.
		return {
			ppid: Number(fields[1]),
			cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
		};
	} catch {
		return undefined;
	}
}

/** CPU ms used so far by a process (own) and by its live descendants (PostgreSQL, for the stack). */
export function processTreeCpu(pid: number): { ownMs: number; childrenMs: number } {
	if (!pid) return { ownMs: 0, childrenMs: 0 };
	const parents = new Map<number, number>();
	const cpu = new Map<number, number>();
	for (const entry of readdirSync('/proc')) {
		if (!/^[0-9]+$/.test(entry)) continue;
		const stat = procStat(Number(entry));
		if (!stat) continue;
		parents.set(Number(entry), stat.ppid);
		cpu.set(Number(entry), stat.cpuMs);
	}
	let childrenMs = 0;
	for (const [child] of parents) {
		let p = parents.get(child);
		while (p && p !== pid) p = parents.get(p);
		if (p === pid) childrenMs += cpu.get(child) ?? 0;
	}
	return { ownMs: cpu.get(pid) ?? 0, childrenMs };
}

/** Resident memory of one process in KB (from /proc). */
export function rssKb(pid: number): number {
	const match = /VmRSS:\s+([0-9]+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
	return match ? Number(match[1]) : NaN;
}

/** A load-generator process (bench/worker.ts) that runs the functions of bench/tasks.ts on request. */
export class Generator {
	#child: ChildProcess;
	#next = 0;
	#pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
	readonly ready: Promise<void>;

	constructor() {
		this.#child = fork(new URL('./worker.ts', import.meta.url).pathname, [], {
			execArgv: ['--import', 'tsx'],
			stdio: ['ignore', 'inherit', 'inherit', 'ipc']
		});
		this.ready = new Promise((resolve, reject) => {
			this.#child.once('message', () => resolve());
			this.#child.once('exit', (code) => reject(new Error(`generator exited with ${code}`)));
		});
		this.#child.on('message', (raw) => {
			const msg = raw as { id?: number; result?: unknown; error?: string };
			if (msg.id === undefined) return;
			const waiter = this.#pending.get(msg.id);
			this.#pending.delete(msg.id);
			if (msg.error !== undefined) waiter?.reject(new Error(msg.error));
			else waiter?.resolve(msg.result);
		});
		this.#child.on('exit', () => {
			for (const w of this.#pending.values()) w.reject(new Error('generator exited'));
			this.#pending.clear();
		});
	}

	get pid(): number {
		return this.#child.pid ?? 0;
	}

	call<T>(name: string, ...args: unknown[]): Promise<T> {
		const id = this.#next++;
		return new Promise<T>((resolve, reject) => {
			this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
			this.#child.send({ id, name, args });
		});
	}

	/** Closes every client it holds, ready for the next scenario. */
	async close(): Promise<void> {
		if (this.#child.exitCode === null) await this.call('closeAll');
	}

	async shutdown(): Promise<void> {
		if (this.#child.exitCode !== null) return;
		const exited = new Promise((r) => this.#child.once('exit', r));
		this.#child.kill('SIGTERM');
		await exited;
	}

	get alive(): boolean {
		return this.#child.exitCode === null && this.#child.signalCode === null;
	}
}

const pool: Generator[] = [];

/** n generator processes, kept between scenarios (starting one costs seconds on a busy machine). */
export async function generators(n: number): Promise<Generator[]> {
	for (let i = pool.length - 1; i >= 0; i--) if (!pool[i].alive) pool.splice(i, 1);
	while (pool.length < n) pool.push(new Generator());
	const list = pool.slice(0, n);
	await Promise.all(list.map((g) => g.ready));
	return list;
}

export async function shutdownGenerators(): Promise<void> {
	await Promise.all(pool.splice(0).map((g) => g.shutdown()));
}

/** CPU used by each side between start() and stop(): the stack (Node + PostgreSQL) and the generators. */
export function cpuMeter(stackPid: number, generatorPids: () => number[]) {
	const read = () => {
		const stack = processTreeCpu(stackPid);
		const gens = generatorPids().reduce((sum, pid) => sum + processTreeCpu(pid).ownMs, 0);
		const self = (process.cpuUsage().user + process.cpuUsage().system) / 1000;
		return { stack: stack.ownMs, postgres: stack.childrenMs, generators: gens + self };
	};
	const start = read();
	const t0 = performance.now();
	return () => {
		const end = read();
		return {
			wallMs: performance.now() - t0,
			stackMs: end.stack - start.stack,
			postgresMs: end.postgres - start.postgres,
			generatorsMs: end.generators - start.generators
		};
	};
}
export type CpuReport = ReturnType<ReturnType<typeof cpuMeter>>;

/** How much work each scenario does: `--quick` and BENCH_TINY=1 (the CI smoke run) shrink it. */
export interface Mode {
	quick: boolean;
	tiny: boolean;
}

/** Picks the full, quick or tiny size of a parameter. */
export function size<T>(mode: Mode, full: T, quick: T, tiny: T): T {
	return mode.tiny ? tiny : mode.quick ? quick : full;
}

export interface Context {
	stack: StackProcess;
	mode: Mode;
	/** Folder for results (bench/results, or BENCH_RESULTS_DIR). */
	resultsDir: string;
}

/** One line of a scenario's table. `metric` is a key of latest.json unless `extra` is set. */
export interface Row {
	metric: string;
	value: number;
	target?: string;
	/** Whether the target is met (undefined: no target). */
	met?: boolean;
	floor?: number;
	ratio?: number;
	digits?: number;
	/** Printed only, not written to latest.json. */
	extra?: boolean;
}

export interface ScenarioResult {
	rows: Row[];
	cpu?: CpuReport;
	/** Latency samples (ms) by series label, for the chart. */
	distributions?: Record<string, number[]>;
	notes?: string[];
}

/** Percentiles through an HDR histogram (microsecond resolution, 3 significant digits). */
export function histogram(samplesMs: number[]): { at(p: number): number; count: number; max: number } {
	const h = hdr.build({
		lowestDiscernibleValue: 1,
		highestTrackableValue: 3_600_000_000,
		numberOfSignificantValueDigits: 3
	});
	for (const s of samplesMs) h.recordValue(Math.max(1, Math.round(s * 1000)));
	return {
		at: (p: number) => (h.totalCount ? h.getValueAtPercentile(p) / 1000 : NaN),
		count: h.totalCount,
		max: h.totalCount ? h.maxValue / 1000 : NaN
	};
}
