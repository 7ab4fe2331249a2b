import { describe, expect, it } from 'vitest';
import { faviconWithCount } from './favicon';

const svgOf = (url: string) => decodeURIComponent(url.replace('data:image/svg+xml,', ''));

describe('faviconWithCount', () => {
	it('draws no badge at zero', () => {
		expect(svgOf(faviconWithCount(0))).not.toContain('<text');
	});
	it('draws the count, capped at 99+', () => {
		expect(svgOf(faviconWithCount(7))).toContain('>7</text>');
		expect(svgOf(faviconWithCount(1234))).toContain('>99+</text>');
	});
});
