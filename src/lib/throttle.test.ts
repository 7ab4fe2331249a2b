import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeyedThrottle, trailingThrottle } from './throttle';

describe('KeyedThrottle', () => {
	it('allows one action per key per interval', () => {
		let now = 0;
		const t = new KeyedThrottle(2000, () => now);
		expect(t.take('bob')).toBe(true);
		expect(t.take('bob')).toBe(false);
		expect(t.take('carol')).toBe(true);
		now = 1500;
		expect(t.waitFor('bob')).toBe(500);
		now = 2000;
		expect(t.take('bob')).toBe(true);
	});
});

describe('trailingThrottle', () => {
	afterEach(() => vi.useRealTimers());
	it('runs the first call at once and the last of a burst later', () => {
		vi.useFakeTimers();
		const calls: string[] = [];
		const f = trailingThrottle((s: string) => calls.push(s), 1000);
		f('a');
		f('b');
		f('c');
		expect(calls).toEqual(['a']);
		vi.advanceTimersByTime(1000);
		expect(calls).toEqual(['a', 'c']);
	});
});
