import { describe, expect, it } from 'vitest';
import {
	countInValues,
	inspectFilters,
	matchesDeleteFilters,
	matchesFilters,
	parseFilters,
	type CompiledFilter
} from './filters.ts';

const reason = (filter: string) => {
	try {
		parseFilters(filter);
		return 'parsed';
	} catch (error) {
		return (error as Error).message;
	}
};

describe('parseFilters (Supabase Realtime filter syntax)', () => {
	it('reads one filter, several ANDed filters, not., in lists and quoted values', () => {
		expect(parseFilters('user_id=eq.abc')).toEqual([
			{ column: 'user_id', op: 'eq', value: 'abc', negate: false }
		]);
		expect(parseFilters('id=gt.0,id=lt.100')).toEqual([
			{ column: 'id', op: 'gt', value: '0', negate: false },
			{ column: 'id', op: 'lt', value: '100', negate: false }
		]);
		expect(parseFilters('status=not.in.(draft,archived)')).toEqual([
			{ column: 'status', op: 'in', value: '{draft,archived}', negate: true }
		]);
		expect(parseFilters('name=eq."a,b",x=eq."say \\"hi\\""')).toEqual([
			{ column: 'name', op: 'eq', value: 'a,b', negate: false },
			{ column: 'x', op: 'eq', value: 'say "hi"', negate: false }
		]);
		expect(parseFilters('  ')).toEqual([]);
		expect(parseFilters(undefined)).toEqual([]);
	});

	it("rejects bad filters with Supabase's reasons", () => {
		expect(reason('subject=foo.hey')).toBe('["foo", "hey"]');
		// Supabase offers no pattern operators for postgres_changes: they are unknown operators.
		expect(reason('title=like.%e%e%e%e%#')).toBe('["like", "%e%e%e%e%#"]');
		expect(reason('title=ilike.%a%')).toBe('["ilike", "%a%"]');
		expect(reason('title=match.^(a|a)*$')).toBe('["match", "^(a|a)*$"]');
		expect(reason('title=imatch.x')).toBe('["imatch", "x"]');
		expect(reason('title=is.null')).toBe('["is", "null"]');
		expect(reason('title=not.isdistinct.x')).toBe('["isdistinct", "x"]');
		expect(reason('undefined')).toBe('["undefined"]');
		expect(reason('id=eq')).toBe('["eq"]');
		expect(reason('id=in.1,2')).toBe('`in` filter value must be wrapped by parentheses');
		expect(reason('id=eq.1,,id=eq.2')).toBe(
			'filter must not contain empty segments (check for extra commas)'
		);
	});

	it('caps the filters one binding may AND, before parsing them', () => {
		const many = (n: number) => Array.from({ length: n }, (_, i) => `c${i}=eq.${i}`).join(',');
		expect(parseFilters(many(10))).toHaveLength(10);
		expect(reason(many(11))).toBe('too many filters in one binding. Maximum 10');
		expect(reason(many(5000))).toBe('too many filters in one binding. Maximum 10');
		expect(parseFilters(many(3), 3)).toHaveLength(3);
		expect(() => parseFilters(many(4), 3)).toThrow('Maximum 3');
	});

	it('counts the values of an in list on its text', () => {
		expect(countInValues('{}')).toBe(0);
		expect(countInValues('{a}')).toBe(1);
		expect(countInValues('{a,b,c}')).toBe(3);
		expect(countInValues('{"a,b",c}')).toBe(2);
		expect(countInValues('{"a\\\\",b}')).toBe(2);
		expect(countInValues('{"a\\",b}')).toBe(1);
		expect(countInValues(`{${Array.from({ length: 101 }, (_, i) => i).join(',')}}`)).toBe(101);
	});

	it('prints filters the way Supabase logs them in subscribe errors', () => {
		expect(inspectFilters(parseFilters('user_id=eq.x,a=not.in.(1,2)'))).toBe(
			'[{"user_id", "eq", "x", false}, {"a", "in", "{1,2}", true}]'
		);
	});
});

describe('matchesFilters', () => {
	const f = (partial: Partial<CompiledFilter>): CompiledFilter => ({
		column: 'c',
		op: 'eq',
		negate: false,
		value: null,
		numeric: false,
		...partial
	});
	const row = (value: string | null) => new Map([['c', value]]);

	it('compares canonical text, numbers numerically, and fails on NULL like SQL', () => {
		expect(matchesFilters([f({ value: 'a' })], row('a'))).toBe(true);
		expect(matchesFilters([f({ value: 'a' })], row(null))).toBe(false);
		expect(matchesFilters([f({ op: 'neq', value: 'a', negate: true })], row(null))).toBe(false);
		expect(matchesFilters([f({ op: 'lt', value: '10', numeric: true })], row('9'))).toBe(true);
		expect(
			matchesFilters([f({ op: 'gte', value: '2026-01-01 00:00:00+00' })], row('2026-01-01 00:00:00.5+00'))
		).toBe(true);
		expect(matchesFilters([f({ op: 'in', values: new Set(['a', 'b']) })], row('b'))).toBe(true);
	});

	it('fails a filter on a column the change does not carry', () => {
		expect(matchesFilters([f({ column: 'other', value: 'a' })], row('a'))).toBe(false);
	});

	it('lets a DELETE through filters on columns that may not discriminate', () => {
		const old = new Map<string, string | null>([
			['id', '7'],
			['title', 'secret']
		]);
		const onTitle = (value: string, op: CompiledFilter['op'] = 'eq') => [f({ column: 'title', op, value })];
		// RLS on: only the key may discriminate; a title filter passes whatever the title was.
		const key = new Set(['id']);
		expect(matchesDeleteFilters(onTitle('secret'), old, key)).toBe(true);
		expect(matchesDeleteFilters(onTitle('other'), old, key)).toBe(true);
		expect(matchesDeleteFilters(onTitle('zzz', 'gt'), old, key)).toBe(true);
		expect(matchesDeleteFilters([f({ column: 'id', value: '7' })], old, key)).toBe(true);
		expect(matchesDeleteFilters([f({ column: 'id', value: '8' })], old, key)).toBe(false);
		// RLS off: the old row's columns decide; columns it does not carry pass.
		expect(matchesDeleteFilters(onTitle('other'), old, null)).toBe(false);
		expect(matchesDeleteFilters(onTitle('secret'), old, null)).toBe(true);
		expect(matchesDeleteFilters([f({ column: 'user_id', value: 'x' })], old, null)).toBe(true);
	});
});
