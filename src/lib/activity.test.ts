import { describe, expect, it } from 'vitest';
import { lastPerMinute, perMinute, sparkPath } from './activity';

const now = Date.UTC(2026, 0, 1, 12, 30, 30);
const minutesAgo = (m: number) => now - m * 60_000;

describe('perMinute', () => {
	it('counts arrivals into minute buckets, current minute last', () => {
		const b = perMinute([minutesAgo(0), minutesAgo(0), minutesAgo(2), minutesAgo(61), now + 60_000], now, 60);
		expect(b).toHaveLength(60);
		expect(b[59]).toBe(2);
		expect(b[57]).toBe(1);
		expect(b.reduce((a, c) => a + c, 0)).toBe(3);
	});
});

describe('lastPerMinute', () => {
	it('carries the last sample forward', () => {
		expect(
			lastPerMinute(
				[
					{ t: minutesAgo(2), n: 3 },
					{ t: minutesAgo(0), n: 1 }
				],
				now,
				4
			)
		).toEqual([null, 3, 3, 1]);
	});
});

describe('sparkPath', () => {
	it('draws a path scaled to the box and breaks at gaps', () => {
		expect(sparkPath([0, 2, null, 1], 30, 10, 2)).toBe('M0.0 10.0L10.0 0.0M30.0 5.0');
	});
});

describe('niceTicks', () => {
	it('gives round steps that reach the maximum', async () => {
		const { niceTicks } = await import('./activity');
		expect(niceTicks(1)).toEqual([0, 1]);
		expect(niceTicks(2)).toEqual([0, 1, 2]);
		expect(niceTicks(7)).toEqual([0, 5, 10]);
		expect(niceTicks(12)).toEqual([0, 5, 10, 15]);
		expect(niceTicks(0)).toEqual([0, 1]);
	});
});
