import { describe, expect, it } from 'vitest';
import type { Notification } from '$lib/types';
import { UnreadTally } from './unread.svelte';

const row = (id: string, updated: string, fields: Partial<Notification> = {}) =>
	({
		id,
		read_at: null,
		archived_at: null,
		created_at: updated,
		updated_at: updated,
		...fields
	}) as Notification;

describe('UnreadTally', () => {
	it('counts inserts, reads and deletes once each', () => {
		const t = new UnreadTally(1);
		t.remember([row('a', '2026-01-01T10:00:00Z')]);
		expect(t.apply({ type: 'INSERT', row: row('b', '2026-01-01T10:01:00Z') })).toBe('counted');
		expect(t.count).toBe(2);
		const read = row('a', '2026-01-01T10:02:00Z', { read_at: '2026-01-01T10:02:00Z' });
		t.apply({ type: 'UPDATE', row: read });
		t.apply({ type: 'UPDATE', row: read });
		expect(t.count).toBe(1);
		t.apply({ type: 'DELETE', id: 'b' });
		expect(t.count).toBe(0);
	});

	it('ignores an insert replayed after a newer version was seen', () => {
		const t = new UnreadTally(0);
		t.remember([row('a', '2026-01-01T10:05:00Z', { read_at: '2026-01-01T10:05:00Z' })]);
		expect(t.apply({ type: 'INSERT', row: row('a', '2026-01-01T10:00:00Z') })).toBe('stale');
		expect(t.count).toBe(0);
	});

	it('does not count an optimistic change twice when the server echoes it', () => {
		const t = new UnreadTally(2);
		t.remember([row('a', '2026-01-01T10:00:00Z'), row('b', '2026-01-01T10:00:00Z')]);
		t.local('a', false);
		expect(t.count).toBe(1);
		t.apply({ type: 'UPDATE', row: row('a', '2026-01-01T10:01:00Z', { read_at: 'x' }) });
		expect(t.count).toBe(1);
		t.markAllRead();
		t.apply({ type: 'UPDATE', row: row('b', '2026-01-01T10:01:00Z', { read_at: 'x' }) });
		expect(t.count).toBe(0);
	});

	it('says when it cannot know', () => {
		const t = new UnreadTally(3);
		expect(t.apply({ type: 'UPDATE', row: row('z', '2026-01-01T10:00:00Z', { read_at: 'x' }) })).toBe(
			'unknown'
		);
		expect(t.apply({ type: 'DELETE', id: 'y' })).toBe('unknown');
		expect(t.count).toBe(3);
	});

	it('refuses a server count asked for before a change it may have missed', () => {
		const t = new UnreadTally(3);
		const asked = t.version;
		t.apply({ type: 'INSERT', row: row('n', '2026-01-01T10:00:00Z') });
		expect(t.count).toBe(4);
		// The count was read before the insert committed: taking it would lose the insert.
		expect(t.resetFrom(asked, 3)).toBe(false);
		expect(t.count).toBe(4);
		expect(t.resetFrom(t.version, 4)).toBe(true);
	});
});
