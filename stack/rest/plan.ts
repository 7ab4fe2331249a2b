// Resolves the parsed request against the schema cache. The result names only catalog objects
// (relations, columns, foreign keys, types); request text survives only as values.

import type {
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
import type { Column, ForeignKey, Relation, SchemaCache } from './schema.ts';

/** A column of the level's relation, with an optional JSON path. */
export interface ColumnRef {
	column: Column;
	path: JsonStep[];
}

export type PlannedCondition =
	| { type: 'filter'; ref: ColumnRef; negated: boolean; cond: Condition }
	/** `embed=is.null` / `embed=not.is.null` on an embedded resource. */
	| { type: 'embedNull'; embed: EmbedPlan; isNull: boolean }
	| { type: 'logic'; op: 'and' | 'or'; negated: boolean; children: PlannedCondition[] };

export type PlannedItem =
	| { type: 'column'; key: string; ref: ColumnRef; cast?: string }
	| { type: 'embed'; key: string; embed: EmbedPlan };

export interface LevelPlan {
	/** Columns available at this level (a relation's, or a function's result columns). */
	columns: Map<string, Column>;
	/** For error messages: the relation (or function) name. */
	label: string;
	relation?: Relation;
	select: PlannedItem[];
	conditions: PlannedCondition[];
	order: { ref: ColumnRef; direction?: 'asc' | 'desc'; nulls?: 'first' | 'last' }[];
	limit?: number;
	offset?: number;
}

export interface EmbedPlan extends LevelPlan {
	relation: Relation;
	/** Pairs of (parent column, child column) that join the child to its parent row. */
	join: [string, string][];
	toOne: boolean;
	inner: boolean;
	/** `...rel(cols)`: the columns are merged into the parent object (to-one only). */
	spread: boolean;
}

interface Candidate {
	fk: ForeignKey;
	/** True when the parent holds the foreign key (many-to-one / one-to-one from the parent). */
	parentHoldsKey: boolean;
	target: Relation;
}

function relationshipCandidates(cache: SchemaCache, parent: Relation): Candidate[] {
	const out: Candidate[] = [];
	for (const fk of cache.foreignKeys) {
		if (fk.schema === parent.schema && fk.table === parent.name) {
			const target = cache.relation(fk.refSchema, fk.refTable);
			if (target) out.push({ fk, parentHoldsKey: true, target });
		}
		if (fk.refSchema === parent.schema && fk.refTable === parent.name) {
			const target = cache.relation(fk.schema, fk.table);
			if (target) out.push({ fk, parentHoldsKey: false, target });
		}
	}
	return out;
}

function describeCandidate(parent: Relation, c: Candidate): Record<string, string> {
	const [from, to] = c.parentHoldsKey ? [c.fk.table, c.fk.refTable] : [c.fk.refTable, c.fk.table];
	return {
		cardinality: c.parentHoldsKey ? 'many-to-one' : 'one-to-many',
		embedding: `${parent.name} with ${c.target.name}`,
		relationship: `${c.fk.constraint} using ${from}(${(c.parentHoldsKey ? c.fk.columns : c.fk.refColumns).join(', ')}) and ${to}(${(c.parentHoldsKey ? c.fk.refColumns : c.fk.columns).join(', ')})`
	};
}

/** PostgREST's embedding rules: by table name, by foreign-key column or constraint name, `!hint` to disambiguate. */
function resolveEmbed(
	cache: SchemaCache,
	parent: Relation,
	name: string,
	hint: string | undefined
): Candidate {
	const all = relationshipCandidates(cache, parent);
	const single = (cols: string[]) => (cols.length === 1 ? cols[0] : undefined);
	let found = all.filter((c) => c.target.name === name);
	if (found.length === 0) {
		// `actor_id(...)` or `notifications_actor_id_fkey(...)` names the relationship itself.
		found = all.filter(
			(c) => c.parentHoldsKey && (single(c.fk.columns) === name || c.fk.constraint === name)
		);
	}
	if (hint !== undefined) {
		found = found.filter(
			(c) => c.fk.constraint === hint || single(c.fk.columns) === hint || single(c.fk.refColumns) === hint
		);
	}
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
		`Try changing '${name}' to one of the following: ${found.map((c) => `'${c.target.name}!${c.fk.constraint}'`).join(', ')}. Find the desired relationship in the 'details' key.`
	);
}

function isUnique(rel: Relation, cols: string[]): boolean {
	return rel.uniqueKeys.some((key) => key.length === cols.length && key.every((k) => cols.includes(k)));
}

export class Planner {
	constructor(
		private readonly cache: SchemaCache,
		private readonly query: QueryParams
	) {}

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
		for (const key of this.query.levels.keys()) {
			if (!used.has(key)) {
				throw new RestError(
					400,
					'PGRST108',
					`'${key}' is not an embedded resource in this request`,
					null,
					`Verify that '${key}' is included in the 'select' query parameter.`
				);
			}
		}
		return level;
	}

	column(level: Pick<LevelPlan, 'columns' | 'label'>, field: FieldRef): ColumnRef {
		const column = level.columns.get(field.name);
		if (!column) throw undefinedColumn(level.label, field.name);
		return { column, path: field.path };
	}

	private fill(level: LevelPlan, items: SelectItem[], path: string[]): void {
		for (const item of items) {
			if (item.type === 'star') {
				for (const column of level.columns.values()) {
					level.select.push({ type: 'column', key: column.name, ref: { column, path: [] } });
				}
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
				const join: [string, string][] = c.parentHoldsKey
					? c.fk.columns.map((col, i) => [col, c.fk.refColumns[i]])
					: c.fk.refColumns.map((col, i) => [col, c.fk.columns[i]]);
				const toOne = c.parentHoldsKey || isUnique(c.target, c.fk.columns);
				if (item.spread && !toOne) {
					throw new RestError(
						400,
						'PGRST119',
						`A spread operation on '${item.name}' is not possible`,
						`'${level.label}' and '${item.name}' do not form a many-to-one or one-to-one relationship`
					);
				}
				const key = item.alias ?? item.name;
				const embed: EmbedPlan = {
					columns: c.target.columns,
					label: c.target.name,
					relation: c.target,
					select: [],
					conditions: [],
					order: [],
					join,
					toOne,
					inner: item.inner,
					spread: item.spread
				};
				const childPath = [...path, key];
				this.fill(embed, item.select, childPath);
				this.applyOptions(embed, this.query.levels.get(childPath.join('.')) ?? { filters: [], order: [] });
				level.select.push({ type: 'embed', key, embed });
			}
		}
		if (path.length === 0) this.applyOptions(level, this.query.levels.get('') ?? { filters: [], order: [] });
	}

	private applyOptions(level: LevelPlan, options: LevelOptions): void {
		for (const node of options.filters) level.conditions.push(this.condition(level, node));
		for (const term of options.order) {
			level.order.push({ ref: this.column(level, term.field), direction: term.direction, nulls: term.nulls });
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
