import { describe, expect, it } from 'vitest';
import type { Notification } from '$lib/types';
import { actionsOf } from './actions';
import { matchesView } from './cursor';
import { groupRows, groupSummary } from './groups';
import { isSnoozed, snoozeOptions } from './snooze';
import { testRow } from './test-row';
import { isUnread } from './unread.svelte';

let seq = 0;
function row(fields: Partial<Notification> = {}): Notification {
	const ts = `2026-01-01T10:${String(59 - (seq % 60)).padStart(2, '0')}:00.000000+00:00`;
	return testRow({
		id: `00000000-0000-0000-0000-${String(++seq).padStart(12, '0')}`,
		title: `row ${seq}`,
		created_at: ts,
		...fields
	});
}

describe('snooze', () => {
	it('offers later today, tomorrow 9:00 and next Monday 9:00, in local time', () => {
		const wednesday = new Date(2026, 11, 2, 10, 5); // Wed 2 Dec 2026, 10:05
		expect(snoozeOptions(wednesday).map((o) => [o.label, new Date(o.until).toString()])).toEqual([
			['Later today', new Date(2026, 11, 2, 13, 15).toString()],
			['Tomorrow', new Date(2026, 11, 3, 9, 0).toString()],
			['Next week', new Date(2026, 11, 7, 9, 0).toString()]
		]);
	});

	it('leaves out "later today" late in the evening, and a Monday snoozes to the next Monday', () => {
		const mondayNight = new Date(2026, 11, 7, 22, 30);
		expect(snoozeOptions(mondayNight).map((o) => [o.label, new Date(o.until).toString()])).toEqual([
			['Tomorrow', new Date(2026, 11, 8, 9, 0).toString()],
			['Next week', new Date(2026, 11, 14, 9, 0).toString()]
		]);
	});

	it('a snoozed row is in no view and not unread until its time, then both again', () => {
		const until = '2026-01-01T12:00:00.000Z';
		const r = row({ snoozed_until: until });
		const view = { tab: 'unread' as const, category: null, query: '' };
		const before = Date.parse(until) - 1;
		const after = Date.parse(until) + 1;
		expect([isSnoozed(r, before), matchesView(r, view, before), isUnread(r, before)]).toEqual([
			true,
			false,
			false
		]);
		expect([isSnoozed(r, after), matchesView(r, view, after), isUnread(r, after)]).toEqual([
			false,
			true,
			true
		]);
	});
});

describe('actions', () => {
	it('shows at most two well-formed actions, links only to http(s)', () => {
		expect(
			actionsOf([
				{ key: 'approve', label: 'Approve', kind: 'primary' },
				{ key: 'open', label: 'Open', kind: 'link', url: 'https://ci.example.com/1' },
				{ key: 'third', label: 'Third', kind: 'secondary' }
			])
		).toEqual([
			{ key: 'approve', label: 'Approve', kind: 'primary' },
			{ key: 'open', label: 'Open', kind: 'link', url: 'https://ci.example.com/1' }
		]);
		for (const bad of [
			{ key: 'x', label: 'Run', kind: 'link', url: 'javascript:alert(1)' },
			{ key: 'x', label: 'Go', kind: 'link', url: '/relative' },
			{ key: 'x', label: 'Label that is far too long to fit', kind: 'primary' },
			{ key: 'x', label: '   ', kind: 'primary' },
			{ key: 'x', label: 'Odd', kind: 'danger' },
			'Approve',
			null
		]) {
			expect(actionsOf([bad]), JSON.stringify(bad)).toEqual([]);
		}
		expect(actionsOf({ key: 'x' })).toEqual([]);
		expect(actionsOf(null)).toEqual([]);
	});
});

describe('grouping', () => {
	const names: Record<string, string> = { a: 'Alice', b: 'Bob', c: 'Carol' };
	const nameOf = (id: string | null) => (id ? names[id] : 'Beacon');

	it('collapses rows with one key where the newest stands, and keeps single keys as rows', () => {
		const c1 = row({ group_key: 'doc', actor_id: 'c', category: 'comment', subject: 'Q3 roadmap' });
		const other = row({ group_key: 'lonely' });
		const c2 = row({ group_key: 'doc', actor_id: 'b', category: 'comment' });
		const plain = row();
		const c3 = row({ group_key: 'doc', actor_id: 'b', category: 'comment' });
		const c4 = row({ group_key: 'doc', actor_id: 'a', category: 'comment' });
		const items = groupRows([c1, other, c2, plain, c3, c4]);
		expect(items.map((i) => (i.kind === 'row' ? i.row.id : i.rows.map((r) => r.id)))).toEqual([
			[c1.id, c2.id, c3.id, c4.id],
			other.id,
			plain.id
		]);
		const group = items[0];
		if (group.kind !== 'group') throw new Error('expected a group');
		expect(groupSummary(group.rows, nameOf)).toBe('Carol and 2 others commented on Q3 roadmap');
		expect(groupSummary([c2, c4], nameOf)).toBe('Bob and Alice: ' + c2.title);
		expect(groupSummary([c1, c2], nameOf)).toBe('Carol and Bob commented on Q3 roadmap');
	});
});
