import { describe, expect, it } from 'vitest';
import { compareNewestFirst, matchesView, newerThan, olderThan } from './cursor';
import type { Notification } from '$lib/types';

describe('keyset cursor', () => {
	const c = { created_at: '2026-01-01T10:00:00.123456+00:00', id: 'b' };

	it('builds PostgREST filters that break created_at ties by id', () => {
		expect(olderThan(c)).toBe(
			'created_at.lt."2026-01-01T10:00:00.123456+00:00",and(created_at.eq."2026-01-01T10:00:00.123456+00:00",id.lt."b")'
		);
		expect(newerThan(c)).toContain('id.gt."b"');
	});

	it('orders newest first, then by id descending', () => {
		const older = { created_at: '2026-01-01T09:59:59.999999+00:00', id: 'z' };
		const same = { created_at: c.created_at, id: 'a' };
		expect(compareNewestFirst(c, older)).toBeLessThan(0);
		expect(compareNewestFirst(c, same)).toBeLessThan(0);
		expect(compareNewestFirst(c, { ...c })).toBe(0);
	});
});

describe('matchesView', () => {
	const base = {
		title: 'Deploy finished',
		body: 'Production is green',
		category: 'system',
		read_at: null,
		archived_at: null
	} as Notification;

	it('puts archived rows only in Archived, and read rows out of Unread', () => {
		expect(matchesView(base, { tab: 'all', category: null, query: '' })).toBe(true);
		expect(matchesView({ ...base, archived_at: 'x' }, { tab: 'all', category: null, query: '' })).toBe(false);
		expect(matchesView({ ...base, archived_at: 'x' }, { tab: 'archived', category: null, query: '' })).toBe(
			true
		);
		expect(matchesView({ ...base, read_at: 'x' }, { tab: 'unread', category: null, query: '' })).toBe(false);
	});

	it('filters by category and approximates search by words', () => {
		expect(matchesView(base, { tab: 'all', category: 'mention', query: '' })).toBe(false);
		expect(matchesView(base, { tab: 'all', category: null, query: 'deploy green' })).toBe(true);
		expect(matchesView(base, { tab: 'all', category: null, query: 'deploy red' })).toBe(false);
	});
});
