import { describe, expect, it } from 'vitest';
import { safeRedirect } from './redirect';

describe('safeRedirect', () => {
	it('follows paths on this site', () => {
		expect(safeRedirect('/')).toBe('/');
		expect(safeRedirect('/?tab=unread')).toBe('/?tab=unread');
		expect(safeRedirect('/issues/42#comment-8')).toBe('/issues/42#comment-8');
		expect(safeRedirect('/search?q=a%20b')).toBe('/search?q=a%20b');
	});

	it('sends anything else home', () => {
		for (const target of [
			null,
			undefined,
			'',
			'https://evil.example',
			'evil.example',
			'//evil.example',
			'/\\evil.example',
			'\\\\evil.example',
			// The reported one, as searchParams.get decodes it: a tab between the slashes.
			'/\t/127.0.0.1:5191/phish',
			'/\n/evil.example',
			'/%0A',
			'/x\r\nSet-Cookie: a=b',
			// Still encoded after the first decoding.
			'/%2F/evil.example',
			'/%5Cevil.example',
			'/%09/evil.example',
			'%2F%2Fevil.example',
			'/%E0%A4%A', // malformed
			'javascript:alert(1)',
			`/${'a'.repeat(3000)}`
		]) {
			expect(safeRedirect(target), String(target)).toBe('/');
		}
	});
});
