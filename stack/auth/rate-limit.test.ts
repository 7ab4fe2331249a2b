import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.ts';

function clock(start = 0) {
	let now = start;
	return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('RateLimiter', () => {
	it('lets a burst of 30 through, then refills at limit per window (GoTrue: 30 per 5 minutes)', () => {
		const time = clock();
		const limiter = new RateLimiter(30, 300, time.now);
		for (let i = 0; i < 30; i++) expect(limiter.take('10.0.0.1')).toBe(true);
		expect(limiter.take('10.0.0.1')).toBe(false);
		time.advance(9_999);
		expect(limiter.take('10.0.0.1')).toBe(false);
		time.advance(1);
		expect(limiter.take('10.0.0.1')).toBe(true);
		expect(limiter.take('10.0.0.1')).toBe(false);
	});

	it('caps the burst at 30 even for larger limits, and at the limit for smaller ones', () => {
		expect(new RateLimiter(150, 300).burst).toBe(30);
		expect(new RateLimiter(2, 300).burst).toBe(2);
	});

	it('counts each address on its own', () => {
		const limiter = new RateLimiter(1, 300, clock().now);
		expect(limiter.take('a')).toBe(true);
		expect(limiter.take('a')).toBe(false);
		expect(limiter.take('b')).toBe(true);
	});

	it('is off when the limit is 0', () => {
		const limiter = new RateLimiter(0, 300, clock().now);
		for (let i = 0; i < 100; i++) expect(limiter.take('a')).toBe(true);
	});
});
