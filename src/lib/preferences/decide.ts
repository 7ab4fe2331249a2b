/**
 * What a reader's notification preferences decide, as pure functions of the stored row and the
 * time: whether a category is listed (show and mute are, off is not) and whether an arrival may
 * alert (toast, sound, desktop): only a shown category outside quiet hours.
 */
import type { Tables } from '$lib/database.types';
import { CATEGORIES, type Category } from '$lib/types';

export type Level = 'show' | 'mute' | 'off';
export const LEVELS: readonly Level[] = ['show', 'mute', 'off'];

/** The settings of a public.notification_preferences row (times as "HH:MM"). */
export type Settings = Pick<
	Tables<'notification_preferences'>,
	'muted_categories' | 'off_categories' | 'quiet_hours' | 'quiet_start' | 'quiet_end' | 'time_zone'
>;

/** A reader without a row: everything shown, quiet hours off (with sensible times ready). */
export const DEFAULT_SETTINGS: Settings = {
	muted_categories: [],
	off_categories: [],
	quiet_hours: false,
	quiet_start: '22:00',
	quiet_end: '08:00',
	time_zone: 'UTC'
};

/** The settings of a row as PostgREST or Realtime return it ("22:00:00" becomes "22:00"). */
export function fromRow(row: Partial<Settings> | null | undefined): Settings {
	if (!row) return DEFAULT_SETTINGS;
	const known = (list: unknown): Category[] =>
		Array.isArray(list) ? CATEGORIES.filter((c) => list.includes(c)) : [];
	return {
		muted_categories: known(row.muted_categories),
		off_categories: known(row.off_categories),
		quiet_hours: row.quiet_hours === true,
		quiet_start: hhmm(row.quiet_start) ?? DEFAULT_SETTINGS.quiet_start,
		quiet_end: hhmm(row.quiet_end) ?? DEFAULT_SETTINGS.quiet_end,
		time_zone: typeof row.time_zone === 'string' && row.time_zone ? row.time_zone : 'UTC'
	};
}

export function levelOf(settings: Settings, category: Category): Level {
	if (settings.off_categories.includes(category)) return 'off';
	if (settings.muted_categories.includes(category)) return 'mute';
	return 'show';
}

/** The settings with one category moved to `level` (lists kept in the enum's order). */
export function withLevel(settings: Settings, category: Category, level: Level): Settings {
	const pick = (list: readonly Category[], keep: boolean) =>
		CATEGORIES.filter((c) => (c === category ? keep : list.includes(c)));
	return {
		...settings,
		muted_categories: pick(settings.muted_categories, level === 'mute'),
		off_categories: pick(settings.off_categories, level === 'off')
	};
}

/** Listed in the inbox and counted as unread (show or mute). */
export function isVisible(settings: Settings, category: Category): boolean {
	return levelOf(settings, category) !== 'off';
}

/** The categories the inbox leaves out. */
export function hiddenCategories(settings: Settings): Category[] {
	return CATEGORIES.filter((c) => !isVisible(settings, c));
}

/** Minutes after midnight of "HH:MM" or "HH:MM:SS", or null when it is not a time of day. */
export function minutesOf(time: string): number | null {
	const m = /^(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$/.exec(time);
	if (!m) return null;
	const [h, min] = [Number(m[1]), Number(m[2])];
	return h < 24 && min < 60 ? h * 60 + min : null;
}

function hhmm(time: unknown): string | null {
	return typeof time === 'string' && minutesOf(time) !== null ? time.slice(0, 5) : null;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** Minutes after midnight of `now` on the wall clock of `timeZone` (UTC when the zone is unknown). */
export function localMinutes(now: Date | number, timeZone: string): number {
	let format = formats.get(timeZone);
	if (!format) {
		try {
			format = new Intl.DateTimeFormat('en-GB', {
				timeZone,
				hour: '2-digit',
				minute: '2-digit',
				hourCycle: 'h23'
			});
		} catch {
			const utc = new Date(now);
			return utc.getUTCHours() * 60 + utc.getUTCMinutes();
		}
		formats.set(timeZone, format);
	}
	let hour = 0;
	let minute = 0;
	for (const part of format.formatToParts(now)) {
		if (part.type === 'hour') hour = Number(part.value);
		else if (part.type === 'minute') minute = Number(part.value);
	}
	return hour * 60 + minute;
}

/** Whether `now` falls in the quiet hours: from start (inclusive) to end (exclusive), across midnight when start > end. */
export function inQuietHours(settings: Settings, now: Date | number): boolean {
	if (!settings.quiet_hours) return false;
	const start = minutesOf(settings.quiet_start);
	const end = minutesOf(settings.quiet_end);
	if (start === null || end === null || start === end) return false;
	const at = localMinutes(now, settings.time_zone);
	return start < end ? at >= start && at < end : at >= start || at < end;
}

/** Whether an arrival of `category` may toast, sound and raise a desktop alert. */
export function shouldAlert(settings: Settings, category: Category, now: Date | number): boolean {
	return levelOf(settings, category) === 'show' && !inQuietHours(settings, now);
}
