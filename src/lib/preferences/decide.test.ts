import { describe, expect, it } from 'vitest';
import { CATEGORIES } from '$lib/types';
import {
	DEFAULT_SETTINGS,
	fromRow,
	hiddenCategories,
	inQuietHours,
	isVisible,
	levelOf,
	localMinutes,
	minutesOf,
	shouldAlert,
	withLevel,
	type Settings
} from './decide';

const quiet = (start: string, end: string, time_zone = 'UTC'): Settings => ({
	...DEFAULT_SETTINGS,
	quiet_hours: true,
	quiet_start: start,
	quiet_end: end,
	time_zone
});
const at = (iso: string) => new Date(iso);

describe('levels', () => {
	it('shows every category by default', () => {
		for (const c of CATEGORIES) expect(levelOf(DEFAULT_SETTINGS, c)).toBe('show');
		expect(hiddenCategories(DEFAULT_SETTINGS)).toEqual([]);
	});

	it('moves a category between show, mute and off, keeping one level per category', () => {
		let s = withLevel(DEFAULT_SETTINGS, 'deploy', 'mute');
		expect(levelOf(s, 'deploy')).toBe('mute');
		expect(isVisible(s, 'deploy')).toBe(true);
		s = withLevel(s, 'deploy', 'off');
		expect(s.muted_categories).toEqual([]);
		expect(s.off_categories).toEqual(['deploy']);
		expect(isVisible(s, 'deploy')).toBe(false);
		expect(hiddenCategories(s)).toEqual(['deploy']);
		s = withLevel(withLevel(s, 'billing', 'off'), 'deploy', 'show');
		expect(s.off_categories).toEqual(['billing']);
	});

	it('keeps the lists in the enum order whatever order they were set in', () => {
		const s = withLevel(withLevel(DEFAULT_SETTINGS, 'system', 'mute'), 'message', 'mute');
		expect(s.muted_categories).toEqual(['message', 'system']);
	});

	it('mute and off never alert; show alerts outside quiet hours', () => {
		const s = withLevel(withLevel(DEFAULT_SETTINGS, 'deploy', 'mute'), 'billing', 'off');
		const now = at('2026-12-03T12:00:00Z');
		expect(shouldAlert(s, 'deploy', now)).toBe(false);
		expect(shouldAlert(s, 'billing', now)).toBe(false);
		expect(shouldAlert(s, 'message', now)).toBe(true);
	});
});

describe('quiet hours', () => {
	it('is off unless switched on', () => {
		expect(inQuietHours({ ...quiet('00:00', '23:59'), quiet_hours: false }, at('2026-12-03T12:00:00Z'))).toBe(
			false
		);
	});

	it('covers a span within one day, start inclusive and end exclusive', () => {
		const s = quiet('13:00', '14:30');
		expect(inQuietHours(s, at('2026-12-03T12:59:59Z'))).toBe(false);
		expect(inQuietHours(s, at('2026-12-03T13:00:00Z'))).toBe(true);
		expect(inQuietHours(s, at('2026-12-03T14:29:00Z'))).toBe(true);
		expect(inQuietHours(s, at('2026-12-03T14:30:00Z'))).toBe(false);
	});

	it('spans midnight when the start is after the end', () => {
		const s = quiet('22:00', '07:00');
		expect(inQuietHours(s, at('2026-12-03T21:59:00Z'))).toBe(false);
		expect(inQuietHours(s, at('2026-12-03T22:00:00Z'))).toBe(true);
		expect(inQuietHours(s, at('2026-12-03T23:59:00Z'))).toBe(true);
		expect(inQuietHours(s, at('2026-12-04T00:00:00Z'))).toBe(true);
		expect(inQuietHours(s, at('2026-12-04T06:59:00Z'))).toBe(true);
		expect(inQuietHours(s, at('2026-12-04T07:00:00Z'))).toBe(false);
		expect(inQuietHours(s, at('2026-12-04T12:00:00Z'))).toBe(false);
	});

	it('reads the wall clock of the chosen time zone, daylight saving included', () => {
		// 22:00-07:00 in New York: 03:00 UTC in December is 22:00 there (UTC-5).
		const ny = quiet('22:00', '07:00', 'America/New_York');
		expect(inQuietHours(ny, at('2026-12-03T02:59:00Z'))).toBe(false);
		expect(inQuietHours(ny, at('2026-12-03T03:00:00Z'))).toBe(true);
		expect(inQuietHours(ny, at('2026-12-03T11:59:00Z'))).toBe(true);
		expect(inQuietHours(ny, at('2026-12-03T12:00:00Z'))).toBe(false);
		// In July New York is UTC-4: 22:00 there is 02:00 UTC.
		expect(inQuietHours(ny, at('2026-07-03T02:00:00Z'))).toBe(true);
		expect(inQuietHours(ny, at('2026-07-03T01:59:00Z'))).toBe(false);
		// Half-hour offsets: Kolkata is UTC+5:30, so 09:00-09:30 there is 03:30-04:00 UTC.
		const kolkata = quiet('09:00', '09:30', 'Asia/Kolkata');
		expect(inQuietHours(kolkata, at('2026-12-03T03:30:00Z'))).toBe(true);
		expect(inQuietHours(kolkata, at('2026-12-03T04:00:00Z'))).toBe(false);
	});

	it('mutes every category that is shown, and leaves off categories off', () => {
		const s = withLevel(quiet('22:00', '07:00', 'Europe/Paris'), 'billing', 'off');
		const night = at('2026-12-03T23:30:00Z'); // 00:30 in Paris
		for (const c of CATEGORIES) expect(shouldAlert(s, c, night)).toBe(false);
		expect(isVisible(s, 'message')).toBe(true);
		expect(isVisible(s, 'billing')).toBe(false);
		expect(shouldAlert(s, 'message', at('2026-12-03T12:00:00Z'))).toBe(true);
	});

	it('treats an unknown time zone as UTC and an empty span as no quiet hours', () => {
		expect(localMinutes(at('2026-12-03T05:07:00Z'), 'Not/A_Zone')).toBe(5 * 60 + 7);
		expect(inQuietHours(quiet('10:00', '10:00'), at('2026-12-03T10:00:00Z'))).toBe(false);
	});
});

describe('rows', () => {
	it('reads times as PostgREST returns them and drops unknown categories', () => {
		const s = fromRow({
			muted_categories: ['deploy', 'nonsense' as never],
			off_categories: ['billing'],
			quiet_hours: true,
			quiet_start: '22:15:00',
			quiet_end: '06:45:00',
			time_zone: 'Europe/Paris'
		});
		expect(s).toEqual({
			muted_categories: ['deploy'],
			off_categories: ['billing'],
			quiet_hours: true,
			quiet_start: '22:15',
			quiet_end: '06:45',
			time_zone: 'Europe/Paris'
		});
		expect(fromRow(null)).toEqual(DEFAULT_SETTINGS);
	});

	it('parses times of day only', () => {
		expect(minutesOf('00:00')).toBe(0);
		expect(minutesOf('23:59:59')).toBe(23 * 60 + 59);
		expect(minutesOf('24:00')).toBeNull();
		expect(minutesOf('7:00')).toBeNull();
	});
});
