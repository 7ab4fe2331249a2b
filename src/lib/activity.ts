/** Counts per minute over the last `minutes`, oldest first; the last bucket is the current minute. */
export function perMinute(times: readonly number[], now: number, minutes = 60): number[] {
	const buckets = new Array<number>(minutes).fill(0);
	const end = Math.floor(now / 60_000);
	for (const t of times) {
		const age = end - Math.floor(t / 60_000);
		if (age >= 0 && age < minutes) buckets[minutes - 1 - age]++;
	}
	return buckets;
}

/** The last known value per minute (a step line), carrying values forward; null before the first sample. */
export function lastPerMinute(
	samples: readonly { t: number; n: number }[],
	now: number,
	minutes = 60
): (number | null)[] {
	const end = Math.floor(now / 60_000);
	const out = new Array<number | null>(minutes).fill(null);
	let i = 0;
	let current: number | null = null;
	const sorted = [...samples].sort((a, b) => a.t - b.t);
	for (let m = 0; m < minutes; m++) {
		const minute = end - (minutes - 1 - m);
		while (i < sorted.length && Math.floor(sorted[i].t / 60_000) <= minute) current = sorted[i++].n;
		out[m] = current;
	}
	return out;
}

/** An SVG path through the points, scaled into width x height (y grows down). */
export function sparkPath(
	values: readonly (number | null)[],
	width: number,
	height: number,
	max: number
): string {
	const step = values.length > 1 ? width / (values.length - 1) : width;
	let d = '';
	let pen = false;
	values.forEach((v, i) => {
		if (v === null) {
			pen = false;
			return;
		}
		const x = (i * step).toFixed(1);
		const y = (height - (max > 0 ? (v / max) * height : 0)).toFixed(1);
		d += `${pen ? 'L' : 'M'}${x} ${y}`;
		pen = true;
	});
	return d;
}

/** Round, whole-number y-axis ticks from 0 to at least `max` (about `count` + 1 of them). */
export function niceTicks(max: number, count = 3): number[] {
	if (max <= 0) return [0, 1];
	const raw = max / count;
	const magnitude = 10 ** Math.floor(Math.log10(raw));
	const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude);
	const ticks: number[] = [];
	for (let v = 0; v < max + step; v += step) ticks.push(v);
	return ticks;
}
