import { describe, expect, it } from 'vitest';
import { REPLAY_MAX, replayParams } from './replay.ts';

describe('replay parameters', () => {
	it('defaults the limit to 25 and keeps it within 1..25, as Supabase does', () => {
		expect(replayParams({ since: 5 })).toEqual({ since: 5, limit: REPLAY_MAX });
		expect(replayParams({ since: 5, limit: 1000 })).toEqual({ since: 5, limit: 25 });
		expect(replayParams({ since: 5, limit: 0 })).toEqual({ since: 5, limit: 1 });
		expect(replayParams({ since: 5, limit: 3 })).toEqual({ since: 5, limit: 3 });
	});

	it('finds not valid what is not a map of whole numbers (or a time no clock can show)', () => {
		for (const raw of [
			[],
			'x',
			1,
			{},
			{ since: '5' },
			{ since: 1.5 },
			{ since: 5, limit: '2' },
			{ since: 9e15 }
		]) {
			expect(replayParams(raw), JSON.stringify(raw)).toBeNull();
		}
	});
});
