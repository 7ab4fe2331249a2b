import { describe, expect, it } from 'vitest';
import { shortcutFor } from './shortcuts';

const key = (k: string, target: Partial<HTMLElement> = { tagName: 'BODY' }, mods = {}) =>
	shortcutFor({
		key: k,
		ctrlKey: false,
		metaKey: false,
		altKey: false,
		target: target as EventTarget,
		...mods
	});

describe('shortcutFor', () => {
	it('maps the documented keys', () => {
		expect(key('j')).toBe('next');
		expect(key('k')).toBe('previous');
		expect(key('R')).toBe('markAllRead');
		expect(key('/')).toBe('search');
		expect(key('?')).toBe('help');
		expect(key('Enter', { tagName: 'LI' })).toBe('open');
	});
	it('stays out of the way while typing or with modifiers', () => {
		expect(key('j', { tagName: 'INPUT' })).toBeNull();
		expect(key('r', { tagName: 'TEXTAREA' })).toBeNull();
		expect(key('r', { tagName: 'BODY' }, { ctrlKey: true })).toBeNull();
		expect(key('Enter', { tagName: 'BUTTON' })).toBeNull();
	});
});
