import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseOpenFileLimit, readOpenFileLimit } from './fds.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const linux = process.platform === 'linux';

describe('open-file limit', () => {
	it('reads the "Max open files" row of /proc/<pid>/limits', () => {
		const limits = [
			'Limit                     Soft Limit           Hard Limit           Units     ',
			'Max processes             63432                63432                processes ',
			'Max open files            1024                 524288               files     '
		].join('\n');
		expect(parseOpenFileLimit(limits)).toEqual({ soft: 1024, hard: 524288 });
		expect(parseOpenFileLimit('Max open files unlimited unlimited files')).toEqual({
			soft: Infinity,
			hard: Infinity
		});
		expect(parseOpenFileLimit('nothing here')).toBeNull();
	});

	it.runIf(linux)('raises the soft limit of a process started low up to its hard limit', async () => {
		const current = await readOpenFileLimit();
		expect(current).not.toBeNull();
		const hard = Math.min(current!.hard, 8192);
		const soft = Math.min(256, hard);
		// A child started with a low soft limit raises its own, as the stack does at start.
		const script = [
			"import { raiseOpenFileLimit } from './stack/realtime/fds.ts';",
			'const warnings = [];',
			'const after = await raiseOpenFileLimit(100, { warn: (m) => warnings.push(m), debug: () => {} });',
			'console.log(JSON.stringify({ after, warnings }));'
		].join('\n');
		const out = execFileSync(
			'prlimit',
			[`--nofile=${soft}:${hard}`, process.execPath, '--import', 'tsx', '--input-type=module', '-e', script],
			{ cwd: ROOT, encoding: 'utf8', timeout: 30_000 }
		);
		const { after, warnings } = JSON.parse(out.trim().split('\n').pop()!) as {
			after: { soft: number; hard: number };
			warnings: string[];
		};
		expect(after).toEqual({ soft: hard, hard });
		expect(warnings).toEqual(hard < 356 ? [expect.stringContaining('ulimit -n')] : []);
	});
});
