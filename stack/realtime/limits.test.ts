import { describe, expect, it } from 'vitest';
import { RateWindow } from './limits.ts';

describe('RateWindow', () => {
	it('allows the limit per window and resets after it', () => {
		let now = 1000;
		const window = new RateWindow(2, 1000, () => now);
		expect([window.hit(), window.hit(), window.hit()]).toEqual([true, true, false]);
		now += 999;
		expect(window.hit()).toBe(false);
		now += 1;
		expect(window.hit()).toBe(true);
	});
});
