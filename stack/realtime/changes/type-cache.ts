/**
 * pg_type lookups for the type OIDs pgoutput sends: the name Supabase puts in `columns[].type`
 * and how to turn the column's text into JSON. Types do not change under a running stack except
 * by creation, so entries are cached for good and only unknown OIDs are queried.
 */
import type pg from 'pg';
import { categoryOf, type TypeInfo } from './values.ts';

interface TypeRow {
	oid: number;
	typname: string;
	elem: number;
	base: string;
	category: string;
}

export class TypeCache {
	private readonly types = new Map<number, TypeInfo>();

	constructor(private readonly pool: pg.Pool) {}

	/** Forget everything (a rebuilt database may reuse nothing). */
	clear(): void {
		this.types.clear();
	}

	get(oid: number): TypeInfo {
		return this.types.get(oid) ?? { oid, name: 'unknown', category: 'text', pgCategory: 'X' };
	}

	/** Loads the OIDs not seen yet (and the element types of arrays). */
	async ensure(oids: Iterable<number>): Promise<void> {
		const missing = [...new Set(oids)].filter((oid) => !this.types.has(oid));
		if (missing.length === 0) return;
		const { rows } = await this.pool.query<TypeRow>(
			`select t.oid::int4 as oid, t.typname, bt.typelem::int4 as elem, bt.typname as base, bt.typcategory as category
			   from pg_catalog.pg_type t
			   join pg_catalog.pg_type bt on bt.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
			  where t.oid = any($1::oid[])`,
			[missing]
		);
		// Elements first so arrays can point at them (element types are never arrays themselves).
		const elements = rows.filter((r) => r.category === 'A' && r.elem !== 0).map((r) => r.elem);
		if (elements.length > 0) await this.ensure(elements);
		for (const row of rows) this.add(row);
		for (const oid of missing) {
			if (!this.types.has(oid))
				this.types.set(oid, { oid, name: 'unknown', category: 'text', pgCategory: 'X' });
		}
	}

	private add(row: TypeRow): void {
		const isArray = row.category === 'A' && row.elem !== 0;
		this.types.set(row.oid, {
			oid: row.oid,
			name: row.typname,
			category: categoryOf(row.base, isArray),
			element: isArray ? this.types.get(row.elem) : undefined,
			pgCategory: row.category
		});
	}
}
