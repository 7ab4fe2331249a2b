import { describe, expect, it } from 'vitest';
import { parseArrayLiteral, toJsonValue, type TypeInfo } from './values.ts';

const type = (name: string, category: TypeInfo['category'], element?: TypeInfo): TypeInfo => ({
	oid: 0,
	name,
	category,
	element,
	pgCategory: 'X'
});

describe('toJsonValue (what to_jsonb makes of a column text)', () => {
	it('types scalars like Supabase', () => {
		expect(toJsonValue(type('int4', 'number'), '42')).toBe(42);
		expect(toJsonValue(type('float8', 'number'), 'NaN')).toBe('NaN');
		expect(toJsonValue(type('bool', 'bool'), 't')).toBe(true);
		expect(toJsonValue(type('jsonb', 'json'), '{"a": [1]}')).toEqual({ a: [1] });
		expect(toJsonValue(type('timestamptz', 'timestamptz'), '2026-11-29 10:00:00.123456+00')).toBe(
			'2026-11-29T10:00:00.123456+00:00'
		);
		expect(toJsonValue(type('timestamptz', 'timestamptz'), '2026-11-29 10:00:00+05:30')).toBe(
			'2026-11-29T10:00:00+05:30'
		);
		expect(toJsonValue(type('timestamp', 'timestamp'), '2026-11-29 10:00:00')).toBe('2026-11-29T10:00:00');
		expect(toJsonValue(type('uuid', 'text'), 'a11ce000-0000-4000-8000-000000000001')).toBe(
			'a11ce000-0000-4000-8000-000000000001'
		);
	});

	it('turns arrays into JSON arrays of typed elements', () => {
		expect(toJsonValue(type('_int4', 'array', type('int4', 'number')), '{1,2,NULL}')).toEqual([1, 2, null]);
		expect(toJsonValue(type('_text', 'array', type('text', 'text')), '{a,"b c","d,\\"e"}')).toEqual([
			'a',
			'b c',
			'd,"e'
		]);
		expect(toJsonValue(type('_int4', 'array', type('int4', 'number')), '{{1,2},{3,4}}')).toEqual([
			[1, 2],
			[3, 4]
		]);
	});

	it('parses array literals with bounds and empty arrays', () => {
		expect(parseArrayLiteral('{}')).toEqual([]);
		expect(parseArrayLiteral('[0:1]={x,y}')).toEqual(['x', 'y']);
		expect(parseArrayLiteral('nope')).toBeUndefined();
	});
});
