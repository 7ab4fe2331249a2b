import { describe, expect, it } from 'vitest';
import { loadTuning, RateWindow } from './limits.ts';

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

describe('loadTuning', () => {
	it('reads overrides and refuses nonsense', () => {
		expect(loadTuning({ STACK_REALTIME_PRESENCE_TICK_MS: '5' }).presenceTickMs).toBe(5);
		expect(loadTuning({}).maxBufferedBytes).toBe(8 * 1024 * 1024);
		expect(() => loadTuning({ STACK_REALTIME_IDLE_TIMEOUT_MS: 'soon' })).toThrow(/whole number/);
	});
});
