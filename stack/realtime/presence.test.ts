import { afterEach, describe, expect, it } from 'vitest';
import { PresenceTracker } from './presence.ts';
import type { PresenceDiff } from './types.ts';

describe('PresenceTracker', () => {
	let tracker: PresenceTracker;
	afterEach(() => tracker.close());

	function recorder() {
		const diffs: PresenceDiff[] = [];
		tracker = new PresenceTracker((_topic, diff) => diffs.push(diff), 10_000);
		return diffs;
	}

	it('keeps one meta per channel, several under one key', () => {
		recorder();
		tracker.track('t', 1, 'alice', { tab: 1 });
		tracker.track('t', 2, 'alice', { tab: 2 });
		const state = tracker.state('t');
		expect(state.alice.metas.map((m) => m.tab)).toEqual([1, 2]);
		expect(state.alice.metas[0].phx_ref).not.toBe(state.alice.metas[1].phx_ref);
	});

	it('merges a tick of changes into one diff', () => {
		const diffs = recorder();
		tracker.track('t', 1, 'a', { n: 1 });
		tracker.track('t', 2, 'b', { n: 2 });
		tracker.flush('t');
		expect(diffs).toHaveLength(1);
		expect(Object.keys(diffs[0].joins)).toEqual(['a', 'b']);
		expect(diffs[0].leaves).toEqual({});
	});

	it('cancels a join and leave within one tick', () => {
		const diffs = recorder();
		tracker.track('t', 1, 'a', { n: 1 });
		tracker.untrack('t', 1, 'a');
		tracker.flush('t');
		expect(diffs).toEqual([]);
		expect(tracker.state('t')).toEqual({});
	});

	it('sends an update as a leave of the old meta and a join of the new one', () => {
		const diffs = recorder();
		tracker.track('t', 1, 'a', { n: 1 });
		tracker.flush('t');
		expect(tracker.track('t', 1, 'a', { n: 1 })).toBe('unchanged');
		tracker.track('t', 1, 'a', { n: 2 });
		tracker.flush('t');
		const [first, second] = diffs;
		const old = first.joins.a.metas[0];
		expect(second.leaves.a.metas).toEqual([old]);
		expect(second.joins.a.metas[0]).toMatchObject({ n: 2, phx_ref_prev: old.phx_ref });
	});
});
