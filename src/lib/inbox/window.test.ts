import { describe, expect, it } from 'vitest';
import type { Notification } from '$lib/types';
import { matchesView } from './cursor';
import { testRow } from './test-row';
import { InboxWindow } from './window.svelte';

let seq = 0;
function row(minute: number, fields: Partial<Notification> = {}): Notification {
	const ts = `2026-01-01T10:${String(minute).padStart(2, '0')}:00.000000+00:00`;
	return testRow({
		id: `00000000-0000-0000-0000-${String(++seq).padStart(12, '0')}`,
		title: `row ${minute}`,
		created_at: ts,
		...fields
	});
}
const titles = (w: InboxWindow) => w.rows.map((r) => r.title);

describe('InboxWindow', () => {
	it('keeps rows newest first and merges a row seen twice once', () => {
		const w = new InboxWindow();
		const a = row(1);
		const b = row(2);
		w.reset([b, a], false);
		expect(w.apply({ type: 'INSERT', row: a })).toBe('ignored');
		const c = row(3);
		expect(w.apply({ type: 'INSERT', row: c })).toBe('inserted');
		expect(titles(w)).toEqual(['row 3', 'row 2', 'row 1']);
	});

	it('lets the newer updated_at win whatever the arrival order', () => {
		const w = new InboxWindow();
		const a = row(1);
		w.reset([a], false);
		const read = {
			...a,
			read_at: '2026-01-01T10:05:00+00:00',
			updated_at: '2026-01-01T10:05:00.000001+00:00'
		};
		expect(w.apply({ type: 'UPDATE', row: read })).toBe('updated');
		expect(w.apply({ type: 'UPDATE', row: a })).toBe('ignored');
		expect(w.get(a.id)?.read_at).not.toBeNull();
	});

	it('buffers changes during a catch-up and applies them after its rows', () => {
		const w = new InboxWindow();
		const a = row(1);
		w.reset([a], false);
		w.beginCatchUp();
		const live = row(5);
		expect(w.apply({ type: 'INSERT', row: live })).toBe('ignored');
		expect(w.apply({ type: 'DELETE', id: a.id })).toBe('ignored');
		expect(titles(w)).toEqual(['row 1']);
		const missed = row(3);
		// The catch-up read still sees `a` (deleted after the read started) and also returns `live`.
		const outcomes = w.finishCatchUp({ rows: [missed, live, a] });
		expect(outcomes).toEqual(['ignored', 'removed']);
		expect(titles(w)).toEqual(['row 5', 'row 3']);
		expect(w.catchingUp).toBe(false);
	});

	it('drops ids the catch-up found deleted and never brings a deleted row back', () => {
		const w = new InboxWindow();
		const a = row(1);
		const b = row(2);
		w.reset([b, a], false);
		w.beginCatchUp();
		w.finishCatchUp({ rows: [b], checked: [a.id, b.id], present: new Set([b.id]) });
		expect(titles(w)).toEqual(['row 2']);
		w.apply({ type: 'DELETE', id: b.id });
		w.apply({ type: 'UPDATE', row: { ...b, updated_at: '2026-01-01T11:00:00+00:00' } });
		expect(w.rows).toHaveLength(0);
	});

	it('leaves rows older than the loaded window to the next page', () => {
		const w = new InboxWindow();
		w.reset([row(9), row(8)], true);
		expect(w.apply({ type: 'INSERT', row: row(1) })).toBe('ignored');
		expect(w.apply({ type: 'INSERT', row: row(10) })).toBe('inserted');
		w.appendPage([row(7), row(6)], false);
		expect(w.apply({ type: 'INSERT', row: row(2) })).toBe('inserted');
		expect(titles(w)).toEqual(['row 10', 'row 9', 'row 8', 'row 7', 'row 6', 'row 2']);
		expect(w.tail?.created_at).toContain('10:02');
	});

	it('removes a row that stops matching the view (read in another tab while on Unread)', () => {
		const view = { tab: 'unread' as const, category: null, query: '' };
		const w = new InboxWindow((r) => matchesView(r, view));
		const a = row(1);
		w.reset([a], false);
		const read = { ...a, read_at: '2026-01-01T10:02:00+00:00', updated_at: '2026-01-01T10:02:00+00:00' };
		expect(w.apply({ type: 'UPDATE', row: read })).toBe('removed');
		expect(w.rows).toHaveLength(0);
	});

	it('orders rows created in the same millisecond by microseconds then id', () => {
		const w = new InboxWindow();
		const a = row(1, { created_at: '2026-01-01 10:01:00.000100+00' });
		const b = row(1, { created_at: '2026-01-01T10:01:00.000200+00:00' });
		const c = row(1, { created_at: '2026-01-01T10:01:00.000200+00:00' });
		w.reset([a, b, c], false);
		expect(w.rows.map((r) => r.id)).toEqual([c.id, b.id, a.id]);
	});

	it('keeps optimistic patches until the server sends a newer version', () => {
		const w = new InboxWindow();
		const a = row(1);
		w.reset([a], false);
		w.patch(a.id, { read_at: 'now' });
		expect(w.apply({ type: 'UPDATE', row: a })).toBe('ignored');
		expect(w.get(a.id)?.read_at).toBe('now');
	});

	it('puts back a row whose local edit or delete the server refused', () => {
		const view = { tab: 'all' as const, category: null, query: '' };
		const w = new InboxWindow((r) => matchesView(r, view));
		const a = row(1);
		const b = row(2);
		w.reset([b, a], false);
		const before = w.patch(a.id, { archived_at: 'now' });
		expect(w.rows).toHaveLength(1);
		w.restore(before!);
		const deleted = w.forget(b.id);
		w.restore(deleted!);
		expect(titles(w)).toEqual(['row 2', 'row 1']);
		expect(w.get(a.id)?.archived_at).toBeNull();
	});
});
