/**
 * A hand-drawn SVG of latency distributions: latency (log scale) against percentile, with the
 * percentile axis stretched towards the tail (1 / (1 - p)), as HdrHistogram plots do.
 */
import { histogram } from './lib.ts';

const COLORS = ['#2563eb', '#93c5fd', '#dc2626', '#fca5a5', '#16a34a', '#86efac', '#9333ea', '#f59e0b'];
const PERCENTILES = [0, 10, 25, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98, 99, 99.5, 99.9];

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function latencyChart(
	series: Record<string, number[]>,
	title = 'Beacon: latency by percentile'
): string {
	const W = 900;
	const H = 480;
	const left = 70;
	const right = 260;
	const top = 40;
	const bottom = 50;
	const plotW = W - left - right;
	const plotH = H - top - bottom;
	const curves = Object.entries(series)
		.filter(([, samples]) => samples.length > 0)
		.map(([label, samples]) => {
			const h = histogram(samples);
			return { label, count: h.count, points: PERCENTILES.map((p) => [p, Math.max(0.01, h.at(p))] as const) };
		});
	const values = curves.flatMap((c) => c.points.map(([, v]) => v));
	const yMin = 10 ** Math.floor(Math.log10(Math.min(...values, 1)));
	const yMax = 10 ** Math.ceil(Math.log10(Math.max(...values, 10)));
	const xOf = (p: number) => left + (Math.log10(1 / (1 - p / 100)) / 3) * plotW; // 0 .. 99.9 %
	const yOf = (v: number) =>
		top + plotH - ((Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotH;
	const out: string[] = [];
	out.push(
		`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
		`<rect width="${W}" height="${H}" fill="#fff"/>`,
		`<text x="${left}" y="24" font-size="15" font-weight="600">${escape(title)}</text>`
	);
	for (const p of [0, 50, 90, 99, 99.9]) {
		const x = xOf(p).toFixed(1);
		out.push(
			`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + plotH}" stroke="#e5e7eb"/>`,
			`<text x="${x}" y="${top + plotH + 18}" text-anchor="middle" fill="#374151">p${p}</text>`
		);
	}
	for (let v = yMin; v <= yMax; v *= 10) {
		const y = yOf(v).toFixed(1);
		out.push(
			`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`,
			`<text x="${left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#374151">${v >= 1 ? v : v.toFixed(2)} ms</text>`
		);
	}
	out.push(
		`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#9ca3af"/>`,
		`<text x="${left + plotW / 2}" y="${H - 12}" text-anchor="middle" fill="#374151">percentile</text>`
	);
	curves.forEach((c, i) => {
		const color = COLORS[i % COLORS.length];
		const d = c.points
			.map(([p, v], j) => `${j ? 'L' : 'M'}${xOf(p).toFixed(1)},${yOf(v).toFixed(1)}`)
			.join(' ');
		out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
		const ly = top + 10 + i * 20;
		out.push(
			`<line x1="${left + plotW + 16}" x2="${left + plotW + 36}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="3"/>`,
			`<text x="${left + plotW + 42}" y="${ly}" dominant-baseline="middle">${escape(c.label)} (n=${c.count})</text>`
		);
	});
	out.push('</svg>');
	return `${out.join('\n')}\n`;
}
