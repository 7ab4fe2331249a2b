import { describe, expect, it } from 'vitest';
import { parseFilter, parseLogic, parseOrder, parsePrefer, parseQuery, parseSelect } from './parse.ts';
import { RestError } from './errors.ts';

function errorOf(fn: () => unknown): RestError {
	try {
		fn();
	} catch (error) {
		if (error instanceof RestError) return error;
		throw error;
	}
	throw new Error('expected a RestError');
}

describe('select', () => {
	it('parses columns, aliases, casts and json paths', () => {
		expect(parseSelect('id,label:title,created_at::text,data->a->>b')).toEqual([
			{ type: 'field', field: { name: 'id', path: [] }, alias: undefined, cast: undefined },
			{ type: 'field', field: { name: 'title', path: [] }, alias: 'label', cast: undefined },
			{ type: 'field', field: { name: 'created_at', path: [] }, alias: undefined, cast: 'text' },
			{
				type: 'field',
				field: {
					name: 'data',
					path: [
						{ arrow: '->', key: 'a' },
						{ arrow: '->>', key: 'b' }
					]
				},
				alias: undefined,
				cast: undefined
			}
		]);
	});

	it('parses embeds with alias, hint, inner and nesting', () => {
		const [star, embed] = parseSelect('*,actor:profiles!actor_id!inner(display_name,friends(*))');
		expect(star).toEqual({ type: 'star' });
		expect(embed).toMatchObject({
			type: 'embed',
			name: 'profiles',
			alias: 'actor',
			hint: 'actor_id',
			inner: true,
			spread: false,
			select: [{ type: 'field' }, { type: 'embed', name: 'friends', select: [{ type: 'star' }] }]
		});
	});

	it('parses spreads and aggregates', () => {
		expect(parseSelect('id,...profiles!actor_id(name:display_name)')[1]).toMatchObject({
			type: 'embed',
			name: 'profiles',
			hint: 'actor_id',
			spread: true,
			select: [{ type: 'field', alias: 'name' }]
		});
		// Aggregates parse; the planner refuses them unless enabled (PGRST123).
		expect(parseSelect('count()')).toEqual([
			{
				type: 'field',
				field: { name: '', path: [] },
				alias: undefined,
				aggregate: 'count',
				aggregateCast: undefined
			}
		]);
		expect(parseSelect('total:amount::int.sum()::text')[0]).toMatchObject({
			field: { name: 'amount' },
			alias: 'total',
			cast: 'int',
			aggregate: 'sum',
			aggregateCast: 'text'
		});
		expect(errorOf(() => parseSelect('id.drop()')).body.code).toBe('PGRST100');
	});

	it('accepts quoted names', () => {
		expect(parseSelect('"weird,name"')[0]).toMatchObject({ field: { name: 'weird,name' } });
	});

	it('rejects SQL smuggled into the select', () => {
		const error = errorOf(() => parseSelect('id;drop table x'));
		expect(error.status).toBe(400);
		expect(error.body.code).toBe('PGRST100');
		expect(error.body.message).toBe(
			'"failed to parse select parameter (id;drop table x)" (line 1, column 3)'
		);
		expect(errorOf(() => parseSelect('id,(select 1)')).body.code).toBe('PGRST100');
		expect(errorOf(() => parseSelect('rel(id')).body.code).toBe('PGRST100');
	});
});

describe('filters', () => {
	it('parses operators with negation and values containing dots', () => {
		expect(parseFilter('title', 'eq.a.b')).toEqual({
			type: 'filter',
			field: { name: 'title', path: [] },
			negated: false,
			cond: { type: 'op', op: 'eq', value: 'a.b' }
		});
		expect(parseFilter('id', 'not.in.(1,"2,3",4)').cond).toEqual({ type: 'in', values: ['1', '2,3', '4'] });
		expect(parseFilter('id', 'not.in.(1)').negated).toBe(true);
		expect(parseFilter('read_at', 'is.NULL').cond).toEqual({ type: 'is', value: 'null' });
		expect(parseFilter('title', 'ilike.*hello*').cond).toEqual({ type: 'op', op: 'ilike', value: '%hello%' });
		expect(parseFilter('title', 'like(any).{a*,*b}').cond).toEqual({
			type: 'op',
			op: 'like',
			value: '',
			quant: 'any',
			values: ['a%', '%b']
		});
		expect(parseFilter('body', 'wfts(english).hello world').cond).toEqual({
			type: 'fts',
			op: 'wfts',
			config: 'english',
			value: 'hello world'
		});
		expect(parseFilter('data->>a', 'eq.1').field).toEqual({
			name: 'data',
			path: [{ arrow: '->>', key: 'a' }]
		});
	});

	it('rejects unknown operators and bad is values', () => {
		const error = errorOf(() => parseFilter('id', 'eqq.1'));
		expect(error.body.code).toBe('PGRST100');
		expect(error.body.message).toBe('"failed to parse filter (eqq.1)" (line 1, column 1)');
		expect(errorOf(() => parseFilter('id', 'is.maybe')).body.code).toBe('PGRST100');
		expect(errorOf(() => parseFilter('id', 'eq(some).1')).body.code).toBe('PGRST100');
		expect(errorOf(() => parseFilter('id;drop', 'eq.1')).body.code).toBe('PGRST100');
	});

	it('parses nested logic trees', () => {
		const tree = parseLogic(
			'or',
			false,
			'(priority.eq.high,and(read_at.is.null,title.not.eq."a,b"),id.in.(1,2))'
		);
		expect(tree).toEqual({
			type: 'logic',
			op: 'or',
			negated: false,
			children: [
				{
					type: 'filter',
					field: { name: 'priority', path: [] },
					negated: false,
					cond: { type: 'op', op: 'eq', value: 'high' }
				},
				{
					type: 'logic',
					op: 'and',
					negated: false,
					children: [
						{
							type: 'filter',
							field: { name: 'read_at', path: [] },
							negated: false,
							cond: { type: 'is', value: 'null' }
						},
						{
							type: 'filter',
							field: { name: 'title', path: [] },
							negated: true,
							cond: { type: 'op', op: 'eq', value: 'a,b' }
						}
					]
				},
				{
					type: 'filter',
					field: { name: 'id', path: [] },
					negated: false,
					cond: { type: 'in', values: ['1', '2'] }
				}
			]
		});
		expect(parseLogic('and', true, '(not.or(a.eq.1,b.eq.2))').children[0]).toMatchObject({
			op: 'or',
			negated: true
		});
		expect(errorOf(() => parseLogic('or', false, '(a.eq.1')).body.code).toBe('PGRST100');
	});
});

describe('order and query', () => {
	it('parses order terms', () => {
		expect(parseOrder('created_at.desc.nullslast,id')).toEqual([
			{ field: { name: 'created_at', path: [] }, direction: 'desc', nulls: 'last' },
			{ field: { name: 'id', path: [] } }
		]);
		expect(errorOf(() => parseOrder('id;select')).body.message).toBe(
			'"failed to parse order (id;select)" (line 1, column 3)'
		);
		expect(errorOf(() => parseOrder('id.sideways')).body.code).toBe('PGRST100');
	});

	it('routes parameters to their embed level', () => {
		const query = parseQuery(
			new URLSearchParams(
				'select=*,actor(*)&user_id=eq.1&actor.display_name=eq.x&actor.order=id&actor.limit=2&or=(a.eq.1,b.eq.2)&limit=10&offset=5&on_conflict=id&columns="a","b"&apikey=k'
			)
		);
		expect(query.levels.get('')).toMatchObject({
			limit: 10,
			offset: 5,
			filters: [{ type: 'filter' }, { type: 'logic' }]
		});
		expect(query.levels.get('actor')).toMatchObject({
			limit: 2,
			order: [{ field: { name: 'id' } }],
			filters: [{ field: { name: 'display_name' } }]
		});
		expect(query.onConflict).toEqual(['id']);
		expect(query.columns).toEqual(['a', 'b']);
		expect(errorOf(() => parseQuery([['limit', '-1']])).body.code).toBe('PGRST100');
	});

	it('reads Prefer tokens from combined headers', () => {
		expect(
			parsePrefer('count=exact, return=representation,resolution=merge-duplicates, missing=default, bogus')
		).toEqual({
			count: 'exact',
			return: 'representation',
			resolution: 'merge-duplicates',
			missing: 'default',
			invalid: ['bogus']
		});
	});
});
