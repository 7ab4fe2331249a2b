// Query string + Prefer header -> typed AST (ast.ts). Pure: no schema, no SQL.
// Grammar follows PostgREST's QueryParams.hs as postgrest-js exercises it.

import {
	AGGREGATES,
	OPERATORS,
	QUANTIFIABLE,
	type Aggregate,
	type Condition,
	type FieldRef,
	type Filter,
	type IsValue,
	type JsonStep,
	type LevelOptions,
	type LogicTree,
	type Operator,
	type OrderTerm,
	type Preferences,
	type QueryParams,
	type SelectItem
} from './ast.ts';
import { parseError } from './errors.ts';

/** A tiny cursor with PostgREST-style failure messages. */
class Cursor {
	pos = 0;
	constructor(
		readonly input: string,
		readonly what: string
	) {}
	get eof(): boolean {
		return this.pos >= this.input.length;
	}
	peek(offset = 0): string {
		return this.input[this.pos + offset] ?? '';
	}
	startsWith(text: string): boolean {
		return this.input.startsWith(text, this.pos);
	}
	take(text: string): boolean {
		if (!this.startsWith(text)) return false;
		this.pos += text.length;
		return true;
	}
	expect(text: string, expecting = `"${text}"`): void {
		if (!this.take(text)) this.fail(expecting);
	}
	fail(expecting: string): never {
		const found = this.eof ? 'end of input' : `"${this.peek()}"`;
		throw parseError(this.what, this.input, this.pos, `unexpected ${found} expecting ${expecting}`);
	}
}

const NAME_CHAR = /[\p{L}\p{N}_$ ]/u;

/** An identifier: `"quoted"` or letters, digits, `_`, `$`, spaces and inner dashes. */
function parseName(cur: Cursor, expecting = 'field name'): string {
	if (cur.take('"')) {
		let name = '';
		while (!cur.eof && cur.peek() !== '"') {
			if (cur.peek() === '\\' && cur.peek(1) === '"') cur.pos++;
			name += cur.peek();
			cur.pos++;
		}
		cur.expect('"', 'closing quote');
		if (name === '') cur.fail(expecting);
		return name;
	}
	const start = cur.pos;
	while (!cur.eof) {
		const ch = cur.peek();
		if (NAME_CHAR.test(ch) || (ch === '-' && cur.peek(1) !== '>' && cur.pos > start)) cur.pos++;
		else break;
	}
	if (cur.pos === start) cur.fail(expecting);
	return cur.input.slice(start, cur.pos).trim();
}

function parseJsonPath(cur: Cursor): JsonStep[] {
	const path: JsonStep[] = [];
	for (;;) {
		const arrow = cur.take('->>') ? '->>' : cur.take('->') ? '->' : null;
		if (!arrow) return path;
		const numeric = /^-?\d+/.exec(cur.input.slice(cur.pos));
		const next = cur.input[cur.pos + (numeric?.[0].length ?? 0)] ?? '';
		if (numeric && !NAME_CHAR.test(next)) {
			cur.pos += numeric[0].length;
			path.push({ arrow, key: numeric[0], index: Number(numeric[0]) });
		} else {
			path.push({ arrow, key: parseName(cur, 'json key') });
		}
	}
}

function parseField(cur: Cursor): FieldRef {
	const name = parseName(cur);
	return { name, path: parseJsonPath(cur) };
}

// ---------------------------------------------------------------- select

export function parseSelect(input: string): SelectItem[] {
	if (input === '') return [{ type: 'star' }];
	const cur = new Cursor(input, 'select parameter');
	const items = parseSelectItems(cur);
	if (!cur.eof) cur.fail('"," or end of input');
	return items;
}

/** Aggregates parse always; the planner refuses them (PGRST123) unless db-aggregates-enabled. */
const AGGREGATE_SET: ReadonlySet<string> = new Set(AGGREGATES);

function parseSelectItems(cur: Cursor): SelectItem[] {
	const items: SelectItem[] = [parseSelectItem(cur)];
	while (cur.take(',')) items.push(parseSelectItem(cur));
	return items;
}

function parseSelectItem(cur: Cursor): SelectItem {
	if (cur.take('*')) return { type: 'star' };
	const spread = cur.take('...');
	let alias: string | undefined;
	let name = parseName(cur);
	if (!spread && cur.peek() === ':' && cur.peek(1) !== ':') {
		cur.pos++;
		alias = name;
		name = parseName(cur);
	}
	if (!spread && name === 'count' && cur.startsWith('()')) {
		cur.pos += 2;
		const aggregateCast = cur.take('::') ? parseName(cur, 'type name') : undefined;
		return { type: 'field', field: { name: '', path: [] }, alias, aggregate: 'count', aggregateCast };
	}
	if (spread || cur.peek() === '!' || cur.peek() === '(') {
		let hint: string | undefined;
		let inner = false;
		while (cur.take('!')) {
			const word = parseName(cur, 'embed hint');
			if (word === 'inner') inner = true;
			else if (word === 'left') inner = false;
			else if (hint === undefined) hint = word;
			else cur.fail('"inner" or "left"');
		}
		cur.expect('(');
		const select = cur.peek() === ')' ? [] : parseSelectItems(cur);
		cur.expect(')', '"," or ")"');
		return { type: 'embed', name, alias, hint, inner, spread, select };
	}
	const path = parseJsonPath(cur);
	let cast: string | undefined;
	if (cur.take('::')) cast = parseName(cur, 'type name');
	if (!cur.take('.')) return { type: 'field', field: { name, path }, alias, cast };
	const start = cur.pos;
	while (!cur.eof && cur.peek() >= 'a' && cur.peek() <= 'z') cur.pos++;
	const aggregate = cur.input.slice(start, cur.pos);
	if (!AGGREGATE_SET.has(aggregate) || !cur.take('()')) {
		cur.pos = start;
		cur.fail('aggregate function (count(), sum(), avg(), min(), max())');
	}
	const aggregateCast = cur.take('::') ? parseName(cur, 'type name') : undefined;
	return {
		type: 'field',
		field: { name, path },
		alias,
		cast,
		aggregate: aggregate as Aggregate,
		aggregateCast
	};
}

// ---------------------------------------------------------------- filters

const IS_VALUES: ReadonlySet<string> = new Set(['null', 'not_null', 'true', 'false', 'unknown']);
const FTS_OPS: ReadonlySet<string> = new Set(['fts', 'plfts', 'phfts', 'wfts']);
const OPERATOR_SET: ReadonlySet<string> = new Set(OPERATORS);
const OPERATOR_LIST = `operator (${OPERATORS.join(', ')})`;

/** `like`/`ilike` use `*` as the wildcard in URLs. */
function wildcard(op: Operator, value: string): string {
	return op === 'like' || op === 'ilike' ? value.replaceAll('*', '%') : value;
}

/** Items of `(a,b,"c,d")` or `{a,b}`; double quotes protect reserved characters. */
function parseList(cur: Cursor, open: string, close: string): string[] {
	cur.expect(open);
	const values: string[] = [];
	if (cur.take(close)) return values;
	for (;;) {
		let value = '';
		if (cur.take('"')) {
			while (!cur.eof && cur.peek() !== '"') {
				if (cur.peek() === '\\') cur.pos++;
				value += cur.peek();
				cur.pos++;
			}
			cur.expect('"', 'closing quote');
		} else {
			while (!cur.eof && cur.peek() !== ',' && cur.peek() !== close) value += cur.input[cur.pos++];
		}
		values.push(value);
		if (cur.take(close)) return values;
		cur.expect(',', `"," or "${close}"`);
	}
}

/**
 * `[not.]op[(modifier)].value`. In a logic tree (`inTree`) the value ends at `,` or `)` unless
 * double-quoted; in a query parameter it runs to the end of the input.
 */
function parseCondition(cur: Cursor, inTree: boolean): { negated: boolean; cond: Condition } {
	const negated = cur.take('not.');
	const opStart = cur.pos;
	while (!cur.eof && /[a-z]/.test(cur.peek())) cur.pos++;
	const opName = cur.input.slice(opStart, cur.pos);
	if (!OPERATOR_SET.has(opName)) {
		cur.pos = opStart;
		cur.fail(OPERATOR_LIST);
	}
	const op = opName as Operator;
	let modifier: string | undefined;
	if (cur.peek() === '(') {
		cur.pos++;
		const start = cur.pos;
		while (!cur.eof && cur.peek() !== ')') cur.pos++;
		modifier = cur.input.slice(start, cur.pos);
		cur.expect(')');
		const ok = FTS_OPS.has(op)
			? /^[\w.-]+$/.test(modifier)
			: QUANTIFIABLE.has(op) && (modifier === 'any' || modifier === 'all');
		if (!ok) {
			cur.pos = start;
			cur.fail(FTS_OPS.has(op) ? 'text search configuration' : '"any" or "all"');
		}
	}
	cur.expect('.');
	if (op === 'in') return { negated, cond: { type: 'in', values: parseList(cur, '(', ')') } };
	if (modifier === 'any' || modifier === 'all') {
		const values = parseList(cur, '{', '}').map((v) => wildcard(op, v));
		return { negated, cond: { type: 'op', op: op as never, value: '', quant: modifier, values } };
	}
	const value = inTree ? parseTreeValue(cur) : cur.input.slice(cur.pos);
	if (!inTree) cur.pos = cur.input.length;
	if (op === 'is') {
		const v = value.toLowerCase();
		if (!IS_VALUES.has(v))
			throw parseError(
				cur.what,
				cur.input,
				cur.pos - value.length,
				`unexpected "${value}" expecting null, not_null, true, false or unknown`
			);
		return { negated, cond: { type: 'is', value: v as IsValue } };
	}
	if (FTS_OPS.has(op)) {
		return { negated, cond: { type: 'fts', op: op as 'fts', config: modifier, value } };
	}
	return { negated, cond: { type: 'op', op: op as never, value: wildcard(op, value) } };
}

function parseTreeValue(cur: Cursor): string {
	if (cur.take('"')) {
		let value = '';
		while (!cur.eof && cur.peek() !== '"') {
			if (cur.peek() === '\\') cur.pos++;
			value += cur.peek();
			cur.pos++;
		}
		cur.expect('"', 'closing quote');
		return value;
	}
	const start = cur.pos;
	let depth = 0;
	while (!cur.eof) {
		const ch = cur.peek();
		if ((ch === ',' || ch === ')') && depth === 0) break;
		if (ch === '{' || ch === '(') depth++;
		if (ch === '}' || ch === ')') depth--;
		cur.pos++;
	}
	return cur.input.slice(start, cur.pos);
}

/**
 * Whether a query-string value is a filter (`eq.1`, `not.in.(1,2)`, `fts(english).cat`) rather
 * than a plain value (an argument of GET /rpc).
 */
export function hasOperator(value: string): boolean {
	const rest = value.startsWith('not.') ? value.slice(4) : value;
	let end = 0;
	while (end < rest.length && rest.charCodeAt(end) >= 97 && rest.charCodeAt(end) <= 122) end++;
	if (!OPERATOR_SET.has(rest.slice(0, end))) return false;
	if (rest[end] === '(') {
		const close = rest.indexOf(')', end);
		if (close < 0) return false;
		end = close + 1;
	}
	return rest[end] === '.';
}

/** A filter parameter value such as `eq.5`, `not.in.(1,2)` or `fts(english).cat`. */
export function parseFilter(key: string, value: string): Filter {
	const fieldCur = new Cursor(key, 'filter');
	const field = parseField(fieldCur);
	if (!fieldCur.eof) fieldCur.fail('json path or end of input');
	const cur = new Cursor(value, 'filter');
	const { negated, cond } = parseCondition(cur, false);
	return { type: 'filter', field, negated, cond };
}

/** `(a.eq.1,or(b.gt.2,not.c.is.null))` as sent for `or=` / `and=` / `not.or=`. */
export function parseLogic(op: 'and' | 'or', negated: boolean, value: string): LogicTree {
	const cur = new Cursor(value, 'logic tree');
	const tree = parseLogicBody(cur, op, negated);
	if (!cur.eof) cur.fail('end of input');
	return tree;
}

function parseLogicBody(cur: Cursor, op: 'and' | 'or', negated: boolean): LogicTree {
	cur.expect('(');
	const children: (Filter | LogicTree)[] = [];
	do {
		const save = cur.pos;
		const not = cur.take('not.');
		const nested = cur.take('and(') ? 'and' : cur.take('or(') ? 'or' : null;
		if (nested) {
			cur.pos--;
			children.push(parseLogicBody(cur, nested, not));
			continue;
		}
		cur.pos = save;
		const field = parseField(cur);
		cur.expect('.', '"." followed by an operator');
		const { negated: neg, cond } = parseCondition(cur, true);
		children.push({ type: 'filter', field, negated: neg, cond });
	} while (cur.take(','));
	cur.expect(')', '"," or ")"');
	return { type: 'logic', op, negated, children };
}

// ---------------------------------------------------------------- order, ranges, lists

export function parseOrder(input: string): OrderTerm[] {
	const cur = new Cursor(input, 'order');
	const terms: OrderTerm[] = [];
	do {
		const first = parseField(cur);
		let term: OrderTerm = { field: first };
		if (first.path.length === 0 && cur.take('(')) {
			term = { field: parseField(cur), relation: first.name };
			cur.expect(')');
		}
		if (cur.take('.asc')) term.direction = 'asc';
		else if (cur.take('.desc')) term.direction = 'desc';
		if (cur.take('.nullsfirst')) term.nulls = 'first';
		else if (cur.take('.nullslast')) term.nulls = 'last';
		terms.push(term);
	} while (cur.take(','));
	if (!cur.eof) cur.fail('".asc", ".desc", ".nullsfirst", ".nullslast", "," or end of input');
	return terms;
}

function parseCount(what: 'limit' | 'offset', value: string): number {
	if (!/^\d{1,15}$/.test(value)) {
		throw parseError(`${what} parameter`, value, 0, `unexpected "${value}" expecting a non-negative integer`);
	}
	return Number(value);
}

/** `columns=` / `on_conflict=`: comma-separated, optionally quoted names. */
export function parseNameList(what: string, input: string): string[] {
	const cur = new Cursor(input, what);
	const names = [parseName(cur)];
	while (cur.take(',')) names.push(parseName(cur));
	if (!cur.eof) cur.fail('"," or end of input');
	return names;
}

// ---------------------------------------------------------------- query string

const IGNORED = new Set(['apikey']);

/**
 * Splits the query string into select, per-level filters/order/range and write options.
 * `skip` holds parameter names consumed elsewhere (function arguments of GET /rpc).
 */
export function parseQuery(
	params: Iterable<[string, string]>,
	skip: ReadonlySet<string> = new Set()
): QueryParams {
	const query: QueryParams = { select: [{ type: 'star' }], levels: new Map() };
	const level = (path: string[]): LevelOptions => {
		const key = path.join('.');
		let found = query.levels.get(key);
		if (!found) query.levels.set(key, (found = { filters: [], order: [] }));
		return found;
	};
	for (const [key, value] of params) {
		if (IGNORED.has(key) || skip.has(key)) continue;
		if (key === 'select') {
			query.select = parseSelect(value);
			continue;
		}
		if (key === 'columns') {
			query.columns = parseNameList('columns parameter', value);
			continue;
		}
		if (key === 'on_conflict') {
			query.onConflict = parseNameList('on_conflict parameter', value);
			continue;
		}
		const parts = key.split('.');
		const last = parts[parts.length - 1];
		if (last === 'or' || last === 'and') {
			const negated = parts[parts.length - 2] === 'not';
			const path = parts.slice(0, negated ? -2 : -1);
			level(path).filters.push(parseLogic(last, negated, value));
		} else if (last === 'order') {
			level(parts.slice(0, -1)).order.push(...parseOrder(value));
		} else if (last === 'limit' || last === 'offset') {
			level(parts.slice(0, -1))[last] = parseCount(last, value);
		} else {
			level(parts.slice(0, -1)).filters.push(parseFilter(last, value));
		}
	}
	return query;
}

// ---------------------------------------------------------------- Prefer

export function parsePrefer(header: string | undefined | null): Preferences {
	const prefs: Preferences = { invalid: [] };
	if (!header) return prefs;
	for (const raw of header.split(',')) {
		const token = raw.trim();
		if (token === '') continue;
		const [name, value = ''] = token.split('=', 2).map((s) => s.trim());
		if (name === 'return' && (value === 'minimal' || value === 'representation' || value === 'headers-only'))
			prefs.return = value;
		else if (name === 'count' && (value === 'exact' || value === 'planned' || value === 'estimated'))
			prefs.count = value;
		else if (name === 'resolution' && (value === 'merge-duplicates' || value === 'ignore-duplicates'))
			prefs.resolution = value;
		else if (name === 'missing' && (value === 'default' || value === 'null')) prefs.missing = value;
		else if (name === 'handling' && (value === 'strict' || value === 'lenient')) prefs.handling = value;
		else if (name === 'tx' && (value === 'commit' || value === 'rollback')) prefs.tx = value;
		else if (name === 'max-affected' && /^\d+$/.test(value)) prefs.maxAffected = Number(value);
		else if (name === 'timezone' || name === 'params') continue;
		else prefs.invalid.push(token);
	}
	return prefs;
}
