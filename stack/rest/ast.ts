// The typed request that the parser produces and the planner resolves.
// Names here are still request text: only the planner turns them into catalog identifiers.

export type JsonArrow = '->' | '->>';
export interface JsonStep {
	arrow: JsonArrow;
	/** An object key, or an array index when `index` is set. */
	key: string;
	index?: number;
}

/** A column reference, optionally followed by a JSON path (`data->a->>b`). */
export interface FieldRef {
	name: string;
	path: JsonStep[];
}

export type SelectItem =
	| { type: 'star' }
	| {
			type: 'field';
			/** `count()` alone has the empty name. */
			field: FieldRef;
			alias?: string;
			cast?: string;
			/** `col.sum()`, `count()`: an aggregate (db-aggregates-enabled), optionally cast after. */
			aggregate?: Aggregate;
			aggregateCast?: string;
	  }
	| {
			type: 'embed';
			/** Table (or view) name, or a foreign-key column / constraint used as the relation name. */
			name: string;
			alias?: string;
			hint?: string;
			inner: boolean;
			spread: boolean;
			select: SelectItem[];
	  };

export const AGGREGATES = ['count', 'sum', 'avg', 'min', 'max'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export const OPERATORS = [
	'eq',
	'neq',
	'gt',
	'gte',
	'lt',
	'lte',
	'like',
	'ilike',
	'match',
	'imatch',
	'is',
	'isdistinct',
	'in',
	'cs',
	'cd',
	'ov',
	'sl',
	'sr',
	'nxr',
	'nxl',
	'adj',
	'fts',
	'plfts',
	'phfts',
	'wfts'
] as const;
export type Operator = (typeof OPERATORS)[number];

/** Operators that accept the `(any)` / `(all)` modifier. */
export const QUANTIFIABLE: ReadonlySet<Operator> = new Set([
	'eq',
	'neq',
	'gt',
	'gte',
	'lt',
	'lte',
	'like',
	'ilike',
	'match',
	'imatch'
]);

export type IsValue = 'null' | 'not_null' | 'true' | 'false' | 'unknown';

export type Condition =
	| {
			type: 'op';
			op: Exclude<Operator, 'in' | 'is' | 'fts' | 'plfts' | 'phfts' | 'wfts'>;
			value: string;
			quant?: 'any' | 'all';
			values?: string[];
	  }
	| { type: 'in'; values: string[] }
	| { type: 'is'; value: IsValue }
	| { type: 'fts'; op: 'fts' | 'plfts' | 'phfts' | 'wfts'; config?: string; value: string };

export interface Filter {
	type: 'filter';
	field: FieldRef;
	negated: boolean;
	cond: Condition;
}

export interface LogicTree {
	type: 'logic';
	op: 'and' | 'or';
	negated: boolean;
	children: (Filter | LogicTree)[];
}

export interface OrderTerm {
	field: FieldRef;
	/** `order=rel(col)`: a column of an embedded to-one resource. */
	relation?: string;
	direction?: 'asc' | 'desc';
	nulls?: 'first' | 'last';
}

/** Filters, order and range that apply at one level of the embedding tree ('' = the root). */
export interface LevelOptions {
	filters: (Filter | LogicTree)[];
	order: OrderTerm[];
	limit?: number;
	offset?: number;
}

export interface QueryParams {
	select: SelectItem[];
	/** Keyed by the embed path joined with '.', '' for the root resource. */
	levels: Map<string, LevelOptions>;
	columns?: string[];
	onConflict?: string[];
}

export interface Preferences {
	return?: 'minimal' | 'representation' | 'headers-only';
	count?: 'exact' | 'planned' | 'estimated';
	resolution?: 'merge-duplicates' | 'ignore-duplicates';
	missing?: 'default' | 'null';
	handling?: 'strict' | 'lenient';
	tx?: 'commit' | 'rollback';
	maxAffected?: number;
	/** Preferences that were not understood (reported under handling=strict). */
	invalid: string[];
}
