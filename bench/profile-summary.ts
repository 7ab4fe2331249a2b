/**
 * `npx tsx bench/profile-summary.ts <file.cpuprofile> [count]`: where a profiled process spent
 * its CPU, by function (self time) and by file, from a `node --cpu-prof` profile
 * (BENCH_CPU_PROF=<folder> npm run bench -- <scenario> writes one for the stack process).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
	id: number;
	callFrame: { functionName: string; url: string; lineNumber: number };
	hitCount?: number;
}
interface Profile {
	nodes: ProfileNode[];
	startTime: number;
	endTime: number;
	samples: number[];
}

const [file, countArg] = process.argv.slice(2);
if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [count]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length);
const short = (url: string) =>
	url
		.replace(/^file:\/\//, '')
		.replace(/^.*node_modules\//, '~/')
		.replace(/^.*\/(stack|bench|src)\//, '$1/');
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
	const ms = (node.hitCount ?? 0) * msPerSample;
	total += ms;
	const { functionName, url, lineNumber } = node.callFrame;
	const where = url ? short(url) : '(native)';
	const fn = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
	byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
	const pkg = where.startsWith('~/')
		? where
				.split('/')
				.slice(0, where.startsWith('~/@') ? 3 : 2)
				.join('/')
		: where;
	byFile.set(pkg, (byFile.get(pkg) ?? 0) + ms);
}
const top = (m: Map<string, number>, n: number) =>
	[...m]
		.sort((a, b) => b[1] - a[1])
		.slice(0, n)
		.map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}`);
const n = Number(countArg ?? 15);
console.log(
	`${file}: ${(total / 1000).toFixed(1)} s of samples\n\nSelf time by function:\n${top(byFunction, n).join('\n')}`
);
console.log(`\nSelf time by file or package:\n${top(byFile, n).join('\n')}`);
