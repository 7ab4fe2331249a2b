import { describe, expect, it } from 'vitest';
import { dayLabel, groupByDay } from './days';

const at = (y: number, m: number, d: number, h = 12) => new Date(y, m - 1, d, h).getTime();
const iso = (ms: number) => new Date(ms).toISOString();

describe('day groups', () => {
	const now = at(2026, 12, 2, 9);

	it('labels today, yesterday, this week and older in local days', () => {
		expect(dayLabel(iso(at(2026, 12, 2, 0)), now)).toBe('Today');
		expect(dayLabel(iso(at(2026, 12, 1, 23)), now)).toBe('Yesterday');
		expect(dayLabel(iso(at(2026, 11, 30)), now)).toBe('This week');
		expect(dayLabel(iso(at(2026, 11, 26, 0)), now)).toBe('This week');
		expect(dayLabel(iso(at(2026, 11, 25, 23)), now)).toBe('Older');
	});

	it('keeps row order inside a group and never repeats a heading', () => {
		const rows = [
			{ id: 'a', created_at: iso(at(2026, 12, 2, 8)) },
			{ id: 'b', created_at: iso(at(2026, 12, 1)) },
			{ id: 'c', created_at: iso(at(2026, 12, 2, 7)) },
			{ id: 'd', created_at: iso(at(2026, 10, 1)) }
		];
		const groups = groupByDay(rows, now);
		expect(groups.map((g) => [g.label, g.rows.map((r) => r.id)])).toEqual([
			['Today', ['a', 'c']],
			['Yesterday', ['b']],
			['Older', ['d']]
		]);
	});

	it('gives no groups for no rows', () => {
		expect(groupByDay([], now)).toEqual([]);
	});
});
