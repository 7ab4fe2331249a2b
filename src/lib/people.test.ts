import { describe, expect, it } from 'vitest';
import { Directory, initials } from './people';

describe('initials', () => {
	it('takes first and last initials, or two letters of one word', () => {
		expect(initials('Alice Liddell')).toBe('AL');
		expect(initials('bob')).toBe('BO');
		expect(initials('carol.d@example.com')).toBe('CC');
		expect(initials('  ')).toBe('?');
	});
});

describe('Directory', () => {
	it('names the system and unknown senders', () => {
		const d = new Directory([{ id: 'a', display_name: 'Alice', avatar_url: null }]);
		expect(d.name('a')).toBe('Alice');
		expect(d.name(null)).toBe('Beacon');
		expect(d.name('zzz')).toBe('Someone');
	});
});
