/**
 * Postgres changes filters: `col=op.value`, several ANDed with commas, `not.` negation, PostgREST
 * quoting. Parsing follows Supabase Realtime (Extensions.PostgresCdcRls.Subscriptions) including
 * its error texts; evaluation happens here in memory on the canonical text of each value (the
 * database canonicalizes the filter value at subscribe time, see ./validate.ts), so equality is a
 * string comparison and an `eq` filter can be an index key.
 *
 * Only the operators Supabase documents for postgres_changes exist: eq, neq, lt, lte, gt, gte and
 * in. Pattern operators (like, ilike, match, imatch) are refused at subscribe time with Supabase's
 * "unsupported operator" text: a pattern from a client would be evaluated on every change, on the
 * event loop, before RLS (a denial of service). Every filter costs one comparison per change.
 */

export const FILTER_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

/** A filter as parsed from the client's string (value of `in` already as an array literal "{a,b}"). */
export interface ParsedFilter {
	column: string;
	op: FilterOp;
	value: string;
	negate: boolean;
}

export class FilterParseError extends Error {}

/** Elixir's `inspect/1` of a string, as Supabase's messages print them. */
export function inspectString(s: string): string {
	return (
		'"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/#\{/g, '\\#{') + '"'
	);
}

const inspectList = (items: string[]) => `[${items.map(inspectString).join(', ')}]`;

/** `[{"user_id", "eq", "abc", false}]`, the filters part of Supabase's subscribe error. */
export function inspectFilters(filters: ParsedFilter[]): string {
	return `[${filters.map((f) => `{${inspectString(f.column)}, ${inspectString(f.op)}, ${inspectString(f.value)}, ${f.negate}}`).join(', ')}]`;
}

/** Splits on top-level commas; stops once there are more than `max` parts (the caller refuses). */
function splitTopLevel(filter: string, max: number): string[] {
	const parts: string[] = [];
	let current = '';
	let depth = 0;
	let quoted = false;
	let prev = '';
	for (let i = 0; i < filter.length; i++) {
		const c = filter[i];
		if (quoted) {
			if (c === '\\' && i + 1 < filter.length) {
				current += c + filter[++i];
				prev = filter[i];
				continue;
			}
			if (c === '"') quoted = false;
			current += c;
			prev = c;
			continue;
		}
		if (c === '"' && (prev === '.' || prev === '(' || prev === ',')) quoted = true;
		else if (c === '(') depth++;
		else if (c === ')') depth = Math.max(0, depth - 1);
		else if (c === ',' && depth === 0) {
			parts.push(current);
			if (parts.length > max) return parts;
			current = '';
			prev = '';
			continue;
		}
		current += c;
		prev = c;
	}
	parts.push(current);
	return parts;
}

/** PostgREST quoting: `"a,b"` -> a,b with backslash escapes; left as is when not well formed. */
function unquote(value: string): string {
	if (!value.startsWith('"')) return value;
	let out = '';
	for (let i = 1; i < value.length; i++) {
		const c = value[i];
		if (c === '"') return i === value.length - 1 ? out : value;
		if (c === '\\' && i + 1 < value.length) out += value[++i];
		else out += c;
	}
	return value;
}

function parseSegment(segment: string): ParsedFilter {
	const trimmed = segment.trim();
	if (trimmed === '')
		throw new FilterParseError('filter must not contain empty segments (check for extra commas)');
	const eq = trimmed.indexOf('=');
	if (eq < 0) throw new FilterParseError(inspectList([trimmed]));
	const column = trimmed.slice(0, eq);
	let rest = trimmed.slice(eq + 1);
	const negate = rest.startsWith('not.');
	if (negate) rest = rest.slice(4);
	const dot = rest.indexOf('.');
	if (dot < 0) throw new FilterParseError(inspectList([rest]));
	const op = rest.slice(0, dot);
	const value = rest.slice(dot + 1);
	if (!(FILTER_OPS as readonly string[]).includes(op)) throw new FilterParseError(inspectList([op, value]));
	if (op === 'in') {
		if (value.length < 2 || !value.startsWith('(') || !value.endsWith(')')) {
			throw new FilterParseError('`in` filter value must be wrapped by parentheses');
		}
		return { column, op, value: `{${value.slice(1, -1)}}`, negate };
	}
	return { column, op: op as FilterOp, value: unquote(value), negate };
}

/** Comma-ANDed filters one binding may carry unless the caller says otherwise. */
export const DEFAULT_MAX_FILTERS = 10;

/**
 * Parses a binding's filter string; throws FilterParseError with Supabase's reason text, or with
 * ours when the binding ANDs more than `maxFilters` filters.
 */
export function parseFilters(filter: string | undefined, maxFilters = DEFAULT_MAX_FILTERS): ParsedFilter[] {
	if (filter === undefined) return [];
	const trimmed = filter.trim();
	if (trimmed === '') return [];
	const segments = splitTopLevel(trimmed, maxFilters);
	if (segments.length > maxFilters) {
		throw new FilterParseError(`too many filters in one binding. Maximum ${maxFilters}`);
	}
	return segments.map(parseSegment);
}

/** A filter ready to evaluate: values canonicalized by the database, the column's kind known. */
export interface CompiledFilter {
	column: string;
	op: FilterOp;
	negate: boolean;
	/** Canonical text of the value (eq, neq, lt..gte); null for SQL NULL. */
	value: string | null;
	/** Canonical texts of an `in` list. */
	values?: Set<string>;
	/** Compare as numbers rather than as text. */
	numeric: boolean;
}

function compare(a: string, b: string, numeric: boolean): number {
	if (numeric) {
		const x = Number(a);
		const y = Number(b);
		if (!Number.isNaN(x) && !Number.isNaN(y)) return x < y ? -1 : x > y ? 1 : 0;
	}
	return a < b ? -1 : a > b ? 1 : 0;
}

/** SQL three-valued result of one filter on a column's canonical text (null = SQL NULL). */
function evaluateOne(f: CompiledFilter, v: string | null): boolean | null {
	if (v === null) return null;
	let r: boolean | null;
	switch (f.op) {
		case 'eq':
			r = f.value === null ? null : f.numeric ? compare(v, f.value, true) === 0 : v === f.value;
			break;
		case 'neq':
			r = f.value === null ? null : f.numeric ? compare(v, f.value, true) !== 0 : v !== f.value;
			break;
		case 'lt':
			r = f.value === null ? null : compare(v, f.value, f.numeric) < 0;
			break;
		case 'lte':
			r = f.value === null ? null : compare(v, f.value, f.numeric) <= 0;
			break;
		case 'gt':
			r = f.value === null ? null : compare(v, f.value, f.numeric) > 0;
			break;
		case 'gte':
			r = f.value === null ? null : compare(v, f.value, f.numeric) >= 0;
			break;
		case 'in':
			r = f.values?.has(v) ?? false;
			break;
	}
	if (r === null) return null;
	return f.negate ? !r : r;
}

/**
 * True when every filter holds on the row. `row` maps column names to canonical text; a filter on
 * a column the row does not carry (key-only old tuple, unchanged TOAST) fails, as in Supabase.
 */
export function matchesFilters(filters: CompiledFilter[], row: Map<string, string | null>): boolean {
	for (const f of filters) {
		if (!row.has(f.column)) return false;
		if (evaluateOne(f, row.get(f.column) ?? null) !== true) return false;
	}
	return true;
}

/**
 * Whether a DELETE reaches a filtered binding, as Supabase's apply_rls decides: filters are
 * evaluated only on old-row columns that may discriminate, `keyColumns` (the primary key on a
 * table with RLS, where a delete is not RLS-checked and must not tell a subscriber anything about
 * other columns; null for every column the old row carries). A filter on any other column lets the
 * delete through, so it cannot be used to probe a deleted row's values.
 */
export function matchesDeleteFilters(
	filters: CompiledFilter[],
	oldRow: Map<string, string | null>,
	keyColumns: ReadonlySet<string> | null
): boolean {
	for (const f of filters) {
		if ((keyColumns && !keyColumns.has(f.column)) || !oldRow.has(f.column)) continue;
		if (evaluateOne(f, oldRow.get(f.column) ?? null) !== true) return false;
	}
	return true;
}

/**
 * How many elements an `in` list ("{a,b}" after parsing) holds, counted on its text (quotes and
 * backslash escapes respected) so an oversized list is refused before the database casts it.
 */
export function countInValues(list: string): number {
	const inner = list.slice(1, -1);
	if (inner.trim() === '') return 0;
	let count = 1;
	let quoted = false;
	let depth = 0;
	for (let i = 0; i < inner.length; i++) {
		const c = inner[i];
		if (c === '\\') i++;
		else if (c === '"') quoted = !quoted;
		else if (quoted) continue;
		else if (c === '{') depth++;
		else if (c === '}') depth = Math.max(0, depth - 1);
		else if (c === ',' && depth === 0) count++;
	}
	return count;
}
