/**
 * bundle: the client JavaScript the dashboard route (`/`) loads, gzipped, from the production
 * build: SvelteKit's start and app entries, the root layout's node and the page's node, with
 * every chunk they import statically (what the page modulepreloads). Lazy imports are listed apart.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import type { Context, ScenarioResult } from './lib.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const CLIENT = path.join(ROOT, '.svelte-kit/output/client');
const MANIFEST = path.join(CLIENT, '.vite/manifest.json');

let built: Promise<void> | undefined;

/**
 * `vite build` once per run (bundle and ui_live share it). BENCH_SKIP_BUILD=1 reuses an existing
 * build, and so does BENCH_TINY=1 when one exists (the smoke test must stay fast).
 */
export function ensureBuild(mode: Context['mode']): Promise<void> {
	const have = existsSync(MANIFEST) && existsSync(path.join(ROOT, 'build/index.js'));
	if (have && (process.env.BENCH_SKIP_BUILD === '1' || mode.tiny)) return Promise.resolve();
	built ??= new Promise<void>((resolve, reject) => {
		const child = spawn('npx', ['vite', 'build', '--logLevel', 'error'], {
			cwd: ROOT,
			stdio: ['ignore', 'ignore', 'inherit']
		});
		child.on('error', reject);
		child.on('exit', (code) =>
			code === 0 ? resolve() : reject(new Error(`vite build exited with ${code}`))
		);
	});
	return built;
}

interface Chunk {
	file: string;
	imports?: string[];
	dynamicImports?: string[];
	isEntry?: boolean;
}

/** The node indexes of a route: its leaf and layouts, from SvelteKit's generated client dictionary. */
function routeNodes(route: string): number[] {
	const app = readFileSync(path.join(ROOT, '.svelte-kit/generated/client-optimized/app.js'), 'utf8');
	const escaped = route.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
	const match = new RegExp(`"${escaped}":\\s*\\[~?(\\d+)(?:,\\s*\\[([^\\]]*)\\])?`).exec(app);
	if (!match) throw new Error(`route ${route} is not in the client dictionary`);
	const layouts = match[2] ? match[2].split(',').map((s) => Number(s.replace(/[^0-9]/g, ''))) : [0];
	return [Number(match[1]), ...layouts];
}

export function routeJs(route: string): { staticFiles: string[]; lazyFiles: string[] } {
	const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Record<string, Chunk>;
	const entries = [
		'node_modules/@sveltejs/kit/src/runtime/client/entry.js',
		'.svelte-kit/generated/client-optimized/app.js',
		...routeNodes(route).map((n) => `.svelte-kit/generated/client-optimized/nodes/${n}.js`)
	];
	const seen = new Set<string>();
	const lazy = new Set<string>();
	const visit = (key: string) => {
		if (seen.has(key)) return;
		const chunk = manifest[key];
		if (!chunk) throw new Error(`${key} is not in the client manifest`);
		seen.add(key);
		for (const i of chunk.imports ?? []) visit(i);
		// app.js imports every route's node lazily; only the route's own lazy imports count here.
		if (!key.endsWith('client-optimized/app.js')) for (const d of chunk.dynamicImports ?? []) lazy.add(d);
	};
	for (const e of entries) visit(e);
	const files = (keys: Iterable<string>) =>
		[...keys].map((k) => manifest[k].file).filter((f) => f.endsWith('.js'));
	return { staticFiles: files(seen), lazyFiles: files([...lazy].filter((k) => !seen.has(k))) };
}

const gzipKb = (files: string[]) =>
	files.reduce((sum, f) => sum + gzipSync(readFileSync(path.join(CLIENT, f)), { level: 9 }).length, 0) / 1024;

export async function bundle({ mode }: Context): Promise<ScenarioResult> {
	await ensureBuild(mode);
	const { staticFiles, lazyFiles } = routeJs('/');
	const kb = gzipKb(staticFiles);
	return {
		rows: [
			{ metric: 'js_gzip_kb', value: kb, target: '<= 130', met: kb <= 130, digits: 1 },
			{ metric: 'lazy_js_gzip_kb', value: gzipKb(lazyFiles), digits: 1, extra: true },
			{ metric: 'files', value: staticFiles.length, digits: 0, extra: true }
		]
	};
}
