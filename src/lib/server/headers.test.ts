import { describe, expect, it } from 'vitest';
import { supabaseSources, withConnectSources } from './headers';

describe('supabaseSources', () => {
	it('gives the origin and its WebSocket form', () => {
		expect(supabaseSources('http://127.0.0.1:54321')).toEqual([
			'http://127.0.0.1:54321',
			'ws://127.0.0.1:54321'
		]);
		expect(supabaseSources('https://abc.supabase.co/')).toEqual([
			'https://abc.supabase.co',
			'wss://abc.supabase.co'
		]);
	});
});

describe('withConnectSources', () => {
	it('extends connect-src, or adds it', () => {
		expect(withConnectSources("default-src 'self'; connect-src 'self'", ['https://x'])).toBe(
			"default-src 'self'; connect-src 'self' https://x"
		);
		expect(withConnectSources("default-src 'self';", ['https://x', 'wss://x'])).toBe(
			"default-src 'self'; connect-src 'self' https://x wss://x"
		);
	});
});
