import { describe, expect, it } from 'vitest';
import { relativeTime, timeKey } from './time';

describe('timeKey', () => {
	it('reads PostgREST and Realtime spellings of the same instant alike', () => {
		const a = timeKey('2026-01-01T10:00:00.123456+00:00');
		expect(timeKey('2026-01-01 10:00:00.123456+00')).toBe(a);
		expect(timeKey('2026-01-01T11:00:00.123456+01:00')).toBe(a);
		expect(timeKey('2026-01-01T10:00:00.123456Z')).toBe(a);
		expect(a % 1_000_000).toBe(123456);
	});
	it('handles timestamps without a fraction', () => {
		expect(timeKey('2026-01-01T10:00:00+00:00')).toBe(Date.UTC(2026, 0, 1, 10) * 1000);
	});
});

describe('relativeTime', () => {
	const now = Date.UTC(2026, 0, 1, 12);
	const at = (msAgo: number) => new Date(now - msAgo).toISOString();
	it('says just now, then minutes, hours and days', () => {
		expect(relativeTime(at(10_000), now)).toBe('just now');
		expect(relativeTime(at(5 * 60_000), now)).toBe('5 min. ago');
		expect(relativeTime(at(3 * 3600_000), now)).toBe('3 hr. ago');
		expect(relativeTime(at(26 * 3600_000), now)).toBe('yesterday');
	});
});
