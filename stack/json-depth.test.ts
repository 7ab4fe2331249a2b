import { describe, expect, it } from 'vitest';
import { jsonTooDeep, MAX_JSON_DEPTH } from './json-depth.ts';

const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('jsonTooDeep', () => {
	it('allows nesting up to the limit and refuses one level more', () => {
		expect(jsonTooDeep(nested(MAX_JSON_DEPTH))).toBe(false);
		expect(jsonTooDeep(nested(MAX_JSON_DEPTH + 1))).toBe(true);
		expect(jsonTooDeep('{"a":{"b":[1,{"c":2}]}}', 4)).toBe(false);
		expect(jsonTooDeep('{"a":{"b":[1,{"c":2}]}}', 3)).toBe(true);
	});

	it('does not count brackets inside strings, escaped quotes included', () => {
		expect(jsonTooDeep(JSON.stringify({ a: '[[[[[[', b: 'say \\"{{{{"' }), 1)).toBe(false);
		expect(jsonTooDeep(JSON.stringify(['"[', ['x']]), 1)).toBe(true);
	});

	it('reads 5,000 levels without recursion', () => {
		expect(jsonTooDeep(nested(5000))).toBe(true);
	});
});
