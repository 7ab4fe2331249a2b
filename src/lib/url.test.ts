import { describe, expect, it } from 'vitest';
import { linkError, safeHref } from './url';

describe('safeHref', () => {
	it('allows http(s) and same-site paths', () => {
		expect(safeHref('https://example.com/a?b=1')).toBe('https://example.com/a?b=1');
		expect(safeHref('http://localhost:3000')).toBe('http://localhost:3000/');
		expect(safeHref('/settings#x')).toBe('/settings#x');
	});

	it('refuses script, data, protocol-relative and obfuscated links', () => {
		for (const bad of [
			'javascript:alert(1)',
			'JavaScript:alert(1)',
			' javascript:alert(1)',
			'java\tscript:alert(1)',
			'data:text/html,<script>alert(1)</script>',
			'vbscript:x',
			'//evil.example',
			'/\\evil.example',
			'relative/path',
			'mailto:a@b.c',
			'',
			null
		]) {
			expect(safeHref(bad), String(bad)).toBeNull();
		}
	});

	it('explains what the composer accepts', () => {
		expect(linkError('')).toBeNull();
		expect(linkError('/inbox')).toBeNull();
		expect(linkError('javascript:alert(1)')).toMatch(/http/);
	});
});
