import { describe, expect, it } from 'vitest';
import type { Profile } from '$lib/types';
import { rosterFromState } from './roster';

const profiles = new Map<string, Profile>(
	['Alice', 'Bob', 'Carol'].map((name) => [
		name.toLowerCase(),
		{ id: name.toLowerCase(), display_name: name, avatar_url: null }
	])
);
const profileOf = (id: string) => profiles.get(id);

describe('rosterFromState', () => {
	it('lists each person once, online if any tab is', () => {
		const roster = rosterFromState(
			{
				bob: [{ status: 'away' }, { status: 'online' }],
				alice: [{ status: 'away' }],
				carol: [{ status: 'online' }],
				gone: []
			},
			profileOf
		);
		expect(roster.map((e) => [e.id, e.status, e.tabs])).toEqual([
			['bob', 'online', 2],
			['carol', 'online', 1],
			['alice', 'away', 1]
		]);
	});

	it('names people from their profile, never from the presence payload', () => {
		const forged = { status: 'online', display_name: 'IT Admin', avatar_url: 'https://evil.example/a.png' };
		const roster = rosterFromState({ bob: [forged as never] }, profileOf);
		expect(roster).toEqual([{ id: 'bob', display_name: 'Bob', avatar_url: null, status: 'online', tabs: 1 }]);
	});

	it('leaves out keys that are not a known profile', () => {
		const roster = rosterFromState(
			{ 'it-admin': [{ status: 'online' }], alice: [{ status: 'online' }] },
			profileOf
		);
		expect(roster.map((e) => e.id)).toEqual(['alice']);
	});
});
