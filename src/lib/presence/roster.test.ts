import { describe, expect, it } from 'vitest';
import { rosterFromState } from './roster';

describe('rosterFromState', () => {
	it('lists each person once, online if any tab is', () => {
		const roster = rosterFromState({
			bob: [
				{ display_name: 'Bob', avatar_url: null, status: 'away' },
				{ display_name: 'Bob', avatar_url: null, status: 'online' }
			],
			alice: [{ display_name: 'Alice', avatar_url: null, status: 'away' }],
			carol: [{ display_name: 'Carol', avatar_url: null, status: 'online' }],
			gone: []
		});
		expect(roster.map((e) => [e.id, e.status, e.tabs])).toEqual([
			['bob', 'online', 2],
			['carol', 'online', 1],
			['alice', 'away', 1]
		]);
	});
});
