import { describe, expect, it } from 'vitest';
import {
	inspectFilters,
	likeToRegExp,
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
		expect(reason('undefined')).toBe('["undefined"]');
		expect(reason('id=eq')).toBe('["eq"]');
		expect(reason('id=in.1,2')).toBe('`in` filter value must be wrapped by parentheses');
		expect(reason('id=eq.1,,id=eq.2')).toBe(
			'filter must not contain empty segments (check for extra commas)'
		);
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
		expect(matchesFilters([f({ op: 'is', keyword: 'null' })], row(null))).toBe(true);
		expect(matchesFilters([f({ op: 'isdistinct', value: 'a' })], row(null))).toBe(true);
	});

	it('fails a filter on a column the change does not carry', () => {
		expect(matchesFilters([f({ column: 'other', value: 'a' })], row('a'))).toBe(false);
	});

	it('turns LIKE patterns into anchored expressions', () => {
		expect(likeToRegExp('%foo_', false).test('xxfooZ')).toBe(true);
		expect(likeToRegExp('a.c', false).test('abc')).toBe(false);
		expect(likeToRegExp('FOO%', true).test('foobar')).toBe(true);
	});
});
