// Resolves the parsed request against the schema cache. The result names only catalog objects
// (relations, columns, foreign keys, types); request text survives only as values.

import type {
	Aggregate,
	Condition,
	FieldRef,
	Filter,
	JsonStep,
	LevelOptions,
	LogicTree,
	QueryParams,
	SelectItem
} from './ast.ts';
import { RestError, undefinedColumn } from './errors.ts';
import type { Column, ForeignKey, FunctionDef, Relation, SchemaCache } from './schema.ts';

/** A column of the level's relation, with an optional JSON path. */
export interface ColumnRef {
	column: Column;
	path: JsonStep[];
	/** A computed field: the function called with the row (`column` describes its result). */
	computed?: FunctionDef;
}

export type PlannedCondition =
	| { type: 'filter'; ref: ColumnRef; negated: boolean; cond: Condition }
	/** `embed=is.null` / `embed=not.is.null` on an embedded resource. */
	| { type: 'embedNull'; embed: EmbedPlan; isNull: boolean }
	| { type: 'logic'; op: 'and' | 'or'; negated: boolean; children: PlannedCondition[] };

export type PlannedItem =
	| { type: 'column'; key: string; ref: ColumnRef; cast?: string }
	/** `col.sum()`, `count()`: the level's other columns become its GROUP BY. */
	| { type: 'aggregate'; key: string; fn: Aggregate; ref?: ColumnRef; cast?: string; resultCast?: string }
	| { type: 'embed'; key: string; embed: EmbedPlan };

export interface LevelPlan {
	/** Columns available at this level (a relation's, or a function's result columns). */
	columns: Map<string, Column>;
	/** For error messages: the relation (or function) name. */
	label: string;
	relation?: Relation;
	select: PlannedItem[];
	conditions: PlannedCondition[];
	/** With `embed`, the term orders by the embed's exposed column "o<index>". */
	order: {
		ref: ColumnRef;
		embed?: EmbedPlan;
		index?: number;
		direction?: 'asc' | 'desc';
		nulls?: 'first' | 'last';
	}[];
	limit?: number;
	offset?: number;
}

export interface EmbedPlan extends LevelPlan {
	relation: Relation;
	/** Pairs of (parent column, child column) that join the child to its parent row. */
	join: [string, string][];
	/** A computed relationship: the function called with the parent row gives the child rows. */
	fn?: FunctionDef;
	/** Many-to-many: the junction table, joined to the child and to the parent row. */
	through?: {
		relation: Relation;
		/** (junction column, child column) pairs. */
		toChild: [string, string][];
		/** (junction column, parent column) pairs. */
		toParent: [string, string][];
	};
	toOne: boolean;
	inner: boolean;
	/** `...rel(cols)`: the columns join the parent object (to-many: each an array). */
	spread: boolean;
	/** `rel()`: joined (for filters) but left out of the output. */
	empty: boolean;
	/** Columns the parent orders by (`order=rel(col)`), exposed by the embed as "o0", "o1"... */
	orderBy: ColumnRef[];
}

type Cardinality = 'many-to-one' | 'one-to-many' | 'one-to-one' | 'many-to-many';

/** One of PostgREST's relationships from a parent relation (SchemaCache.hs `Relationship`). */
interface Candidate {
	cardinality: Cardinality;
	target: Relation;
	/** The foreign key's name (empty for many-to-many). */
	constraint: string;
	/** (parent column, target column) pairs; for many-to-many empty (see `junction`). */
	columns: [string, string][];
	junction?: {
		relation: Relation;
		constraints: [string, string];
		toParent: [string, string][];
		toChild: [string, string][];
	};
	/** The foreign key references its own table. */
	self: boolean;
	/** A computed relationship (a function taking the parent's row). */
	fn?: FunctionDef;
}

const zip = (a: string[], b: string[]): [string, string][] => a.map((x, i) => [x, b[i]]);

function isUnique(rel: Relation, cols: string[]): boolean {
	return rel.uniqueKeys.some((key) => key.length === cols.length && key.every((k) => cols.includes(k)));
}

function relationshipCandidates(cache: SchemaCache, parent: Relation): Candidate[] {
	const out: Candidate[] = [];
	const at = (fk: ForeignKey, ref: boolean) =>
		ref
			? fk.refSchema === parent.schema && fk.refTable === parent.name
			: fk.schema === parent.schema && fk.table === parent.name;
	for (const fk of cache.foreignKeys) {
		const self = fk.schema === fk.refSchema && fk.table === fk.refTable;
		// The parent holds the key (many-to-one), or is referenced by it (one-to-many); either is
		// one-to-one when the key's columns are unique on their side.
		for (const holds of [true, false]) {
			if (!at(fk, !holds)) continue;
			const target = holds ? cache.relation(fk.refSchema, fk.refTable) : cache.relation(fk.schema, fk.table);
			if (!target) continue;
			const unique = isUnique(holds ? parent : target, fk.columns);
			out.push({
				cardinality: unique ? 'one-to-one' : holds ? 'many-to-one' : 'one-to-many',
				target,
				constraint: fk.constraint,
				columns: holds ? zip(fk.columns, fk.refColumns) : zip(fk.refColumns, fk.columns),
				self
			});
		}
	}
	for (const fn of parent.computed?.values() ?? []) {
		if (fn.returns.kind !== 'composite' || !fn.returns.relation) continue;
		const cardinality = fn.returnsSet ? 'one-to-many' : 'many-to-one';
		out.push({ cardinality, target: fn.returns.relation, constraint: '', columns: [], self: false, fn });
	}
	// Many-to-many: a junction whose keys to both sides are part of its primary key.
	for (const toParent of cache.foreignKeys) {
		if (!at(toParent, true)) continue;
		const junction = cache.relation(toParent.schema, toParent.table);
		if (!junction) continue;
		for (const toChild of cache.foreignKeys) {
			if (toChild.schema !== junction.schema || toChild.table !== junction.name) continue;
			if (toChild.constraint === toParent.constraint) continue;
			const cols = [...toParent.columns, ...toChild.columns];
			if (!cols.every((c) => junction.primaryKey.includes(c))) continue;
			const target = cache.relation(toChild.refSchema, toChild.refTable);
			if (!target) continue;
			out.push({
				cardinality: 'many-to-many',
				target,
				constraint: '',
				columns: [],
				junction: {
					relation: junction,
					constraints: [toParent.constraint, toChild.constraint],
					toParent: zip(toParent.columns, toParent.refColumns),
					toChild: zip(toChild.columns, toChild.refColumns)
				},
				self: target.schema === parent.schema && target.name === parent.name
			});
		}
	}
	return out;
}

const list = (cols: string[]) => `(${cols.join(', ')})`;

function describeCandidate(parent: Relation, c: Candidate): Record<string, string> {
	const j = c.junction;
	return {
		cardinality: c.cardinality,
		embedding: `${parent.name} with ${c.target.name}`,
		relationship: j
			? `${j.relation.name} using ${j.constraints[0]}${list(j.toParent.map((p) => p[0]))} and ${j.constraints[1]}${list(j.toChild.map((p) => p[0]))}`
			: `${c.constraint} using ${parent.name}${list(c.columns.map((p) => p[0]))} and ${c.target.name}${list(c.columns.map((p) => p[1]))}`
	};
}

/**
 * PostgREST's embedding rules (Plan.hs `findRel`): by table name, foreign-key constraint name or
 * single column; `!hint` to disambiguate; a self-reference by table name is the one-to-many side,
 * by column name the many-to-one side.
 */
function resolveEmbed(
	cache: SchemaCache,
	parent: Relation,
	name: string,
	hint: string | undefined
): Candidate {
	const single = (cols: string[]) => (cols.length === 1 ? cols[0] : undefined);
	const originCol = (c: Candidate) => single(c.columns.map((p) => p[0]));
	const targetCol = (c: Candidate) => single(c.columns.map((p) => p[1]));
	const found = relationshipCandidates(cache, parent).filter((c) => {
		if (c.fn) return name === c.fn.name;
		const isTarget = name === c.target.name;
		if (c.self) {
			if (hint === undefined) {
				return (
					(isTarget && c.cardinality === 'one-to-many') ||
					(originCol(c) === name && c.cardinality === 'many-to-one')
				);
			}
			return isTarget && c.cardinality === 'one-to-many' && targetCol(c) === hint;
		}
		const view = c.target.kind === 'view';
		if (hint === undefined) {
			return isTarget || (!view && c.constraint !== '' && (c.constraint === name || originCol(c) === name));
		}
		return (
			isTarget &&
			((c.constraint !== '' && (c.constraint === hint || originCol(c) === hint || targetCol(c) === hint)) ||
				c.junction?.relation.name === hint)
		);
	});
	if (found.length === 1) return found[0];
	if (found.length === 0) {
		throw new RestError(
			400,
			'PGRST200',
			`Could not find a relationship between '${parent.name}' and '${name}' in the schema cache`,
			`Searched for a foreign key relationship between '${parent.name}' and '${name}'${hint ? ` using the hint '${hint}'` : ''} in the schema '${parent.schema}', but no matches were found.`
		);
	}
	throw new RestError(
		300,
		'PGRST201',
		`Could not embed because more than one relationship was found for '${parent.name}' and '${name}'`,
		found.map((c) => describeCandidate(parent, c)),
		`Try changing '${name}' to one of the following: ${found.map((c) => `'${c.target.name}!${c.junction ? c.junction.relation.name : c.constraint}'`).join(', ')}. Find the desired relationship in the 'details' key.`
	);
}

const notEmbedded = (key: string): RestError =>
	new RestError(
		400,
		'PGRST108',
		`'${key}' is not an embedded resource in this request`,
		null,
		`Verify that '${key}' is included in the 'select' query parameter.`
	);

/** `rel()` (or only empty embeds inside): joined for filters, left out of the output. */
const isEmpty = (embed: EmbedPlan): boolean => embed.select.every((i) => i.type === 'embed' && i.embed.empty);

export class Planner {
	constructor(
		private readonly cache: SchemaCache,
		private readonly query: QueryParams,
		/** db-aggregates-enabled (off on Supabase: PGRST123). */
		private readonly aggregates = false
	) {}

	private castType(name: string | undefined): string | undefined {
		if (name === undefined) return undefined;
		const cast = this.cache.types.get(name.toLowerCase());
		if (!cast) throw new RestError(400, '42704', `type "${name}" does not exist`);
		return cast;
	}

	/** The root level over a relation (tables, views) or a function's result columns. */
	root(columns: Map<string, Column>, label: string, relation?: Relation): LevelPlan {
		const level: LevelPlan = { columns, label, relation, select: [], conditions: [], order: [] };
		this.fill(level, this.query.select, []);
		const used = new Set(['']);
		const visit = (plan: LevelPlan, path: string[]) => {
			for (const item of plan.select) {
				if (item.type === 'embed') {
					const p = [...path, item.key];
					used.add(p.join('.'));
					visit(item.embed, p);
				}
			}
		};
		visit(level, []);
		for (const key of this.query.levels.keys()) if (!used.has(key)) throw notEmbedded(key);
		return level;
	}

	column(level: Pick<LevelPlan, 'columns' | 'label' | 'relation'>, field: FieldRef): ColumnRef {
		const column = level.columns.get(field.name);
		if (column) return { column, path: field.path };
		const fn = level.relation?.computed?.get(field.name);
		if (fn && fn.returns.kind === 'scalar' && !fn.returnsSet) {
			const result: Column = {
				name: fn.name,
				type: fn.returns.type,
				typeOid: 0,
				nullable: true,
				hasDefault: false,
				generated: true
			};
			return { column: result, path: field.path, computed: fn };
		}
		throw undefinedColumn(level.label, field.name);
	}

	private fill(level: LevelPlan, items: SelectItem[], path: string[]): void {
		const embedKeys = new Set<string>();
		for (const item of items) {
			if (item.type === 'star') {
				for (const column of level.columns.values()) {
					level.select.push({ type: 'column', key: column.name, ref: { column, path: [] } });
				}
			} else if (item.type === 'field' && item.aggregate) {
				if (!this.aggregates)
					throw new RestError(400, 'PGRST123', 'Use of aggregate functions is not allowed');
				const ref = item.field.name === '' ? undefined : this.column(level, item.field);
				level.select.push({
					type: 'aggregate',
					key: item.alias ?? item.aggregate,
					fn: item.aggregate,
					ref,
					cast: this.castType(item.cast),
					resultCast: this.castType(item.aggregateCast)
				});
			} else if (item.type === 'field') {
				const ref = this.column(level, item.field);
				const last = item.field.path[item.field.path.length - 1];
				const key = item.alias ?? last?.key ?? item.field.name;
				let cast: string | undefined;
				if (item.cast !== undefined) {
					cast = this.cache.types.get(item.cast.toLowerCase());
					if (!cast) throw new RestError(400, '42704', `type "${item.cast}" does not exist`);
				}
				level.select.push({ type: 'column', key, ref, cast });
			} else {
				if (!level.relation) {
					throw new RestError(
						400,
						'PGRST200',
						`Could not find a relationship between '${level.label}' and '${item.name}' in the schema cache`
					);
				}
				const c = resolveEmbed(this.cache, level.relation, item.name, item.hint);
				const toOne = c.cardinality === 'many-to-one' || c.cardinality === 'one-to-one';
				const key = item.alias ?? item.name;
				// PostgREST names each embed's subquery "<parent>_<name>_<depth>": twice the same is Postgres' 42712.
				if (embedKeys.has(key)) {
					throw new RestError(
						400,
						'42712',
						`table name "${level.relation.name}_${key}_${path.length + 1}" specified more than once`
					);
				}
				embedKeys.add(key);
				const embed: EmbedPlan = {
					columns: c.target.columns,
					label: c.target.name,
					relation: c.target,
					select: [],
					conditions: [],
					order: [],
					join: c.columns,
					fn: c.fn,
					through: c.junction && {
						relation: c.junction.relation,
						toChild: c.junction.toChild,
						toParent: c.junction.toParent.map(([jc, pc]) => [jc, pc])
					},
					toOne,
					inner: item.inner,
					spread: item.spread,
					empty: false,
					orderBy: []
				};
				const childPath = [...path, key];
				this.fill(embed, item.select, childPath);
				embed.empty = isEmpty(embed);
				this.applyOptions(embed, this.query.levels.get(childPath.join('.')) ?? { filters: [], order: [] });
				level.select.push({ type: 'embed', key, embed });
			}
		}
		if (path.length === 0) this.applyOptions(level, this.query.levels.get('') ?? { filters: [], order: [] });
	}

	private applyOptions(level: LevelPlan, options: LevelOptions): void {
		for (const node of options.filters) level.conditions.push(this.condition(level, node));
		for (const term of options.order) {
			const { direction, nulls } = term;
			if (term.relation === undefined) {
				level.order.push({ ref: this.column(level, term.field), direction, nulls });
				continue;
			}
			const item = level.select.find((i) => i.type === 'embed' && i.key === term.relation);
			if (!item || item.type !== 'embed') throw notEmbedded(term.relation);
			const embed = item.embed;
			if (!embed.toOne) {
				throw new RestError(
					400,
					'PGRST118',
					`A related order on '${term.relation}' is not possible`,
					`'${level.label}' and '${term.relation}' do not form a many-to-one or one-to-one relationship`
				);
			}
			embed.orderBy.push(this.column(embed, term.field));
			level.order.push({
				ref: embed.orderBy[embed.orderBy.length - 1],
				embed,
				index: embed.orderBy.length - 1,
				direction,
				nulls
			});
		}
		level.limit = options.limit;
		level.offset = options.offset;
	}

	private condition(level: LevelPlan, node: Filter | LogicTree): PlannedCondition {
		if (node.type === 'logic') {
			return {
				type: 'logic',
				op: node.op,
				negated: node.negated,
				children: node.children.map((c) => this.condition(level, c))
			};
		}
		if (!level.columns.has(node.field.name) && node.field.path.length === 0) {
			const embed = level.select.find((i) => i.type === 'embed' && i.key === node.field.name);
			if (embed && embed.type === 'embed') {
				const c = node.cond;
				if (c.type !== 'is' || (c.value !== 'null' && c.value !== 'not_null')) {
					throw new RestError(
						400,
						'PGRST120',
						`Bad operator on the '${node.field.name}' embedded resource`,
						'Only is null or not is null filters are allowed on embedded resources'
					);
				}
				return { type: 'embedNull', embed: embed.embed, isNull: (c.value === 'null') !== node.negated };
			}
		}
		return { type: 'filter', ref: this.column(level, node.field), negated: node.negated, cond: node.cond };
	}
}
