/**
 * Where subscriptions wait for changes: bindings indexed by table, and within a table by the value
 * of an `eq` filter, so a change to `notifications` with user_id X finds the `user_id=eq.X`
 * bindings in O(1) instead of testing every subscriber's filter.
 */
import type { DeliverChange, SubscriberClaims } from '../changes-api.ts';
import { matchesFilters, type CompiledFilter } from './filters.ts';
import { tableKey, type ResolvedBinding } from './validate.ts';

export interface Subscriber {
	auth: SubscriberClaims;
	/** JSON text of auth.claims, computed once per token. */
	claimsJson: string;
	deliver: DeliverChange;
}

export interface Entry {
	id: number;
	subscriber: Subscriber;
	binding: ResolvedBinding;
}

interface TableIndex {
	plain: Set<Entry>;
	/** column -> canonical value -> entries whose first indexable eq filter is column=eq.value */
	eq: Map<string, Map<string, Set<Entry>>>;
}

export type ChangeType = 'INSERT' | 'UPDATE' | 'DELETE';

export class Registry {
	private readonly tables = new Map<string, TableIndex>();
	/** Bindings on every table of a schema ('*' for every schema). */
	private readonly wildcards = new Map<string, Set<Entry>>();

	add(entry: Entry): void {
		const { schema, table, eq } = entry.binding;
		if (table === '*') {
			let set = this.wildcards.get(schema);
			if (!set) this.wildcards.set(schema, (set = new Set()));
			set.add(entry);
			return;
		}
		const key = tableKey(schema, table);
		let index = this.tables.get(key);
		if (!index) this.tables.set(key, (index = { plain: new Set(), eq: new Map() }));
		if (!eq) {
			index.plain.add(entry);
			return;
		}
		let byValue = index.eq.get(eq.column);
		if (!byValue) index.eq.set(eq.column, (byValue = new Map()));
		let set = byValue.get(eq.value);
		if (!set) byValue.set(eq.value, (set = new Set()));
		set.add(entry);
	}

	remove(entry: Entry): void {
		const { schema, table, eq } = entry.binding;
		if (table === '*') {
			const set = this.wildcards.get(schema);
			set?.delete(entry);
			if (set?.size === 0) this.wildcards.delete(schema);
			return;
		}
		const key = tableKey(schema, table);
		const index = this.tables.get(key);
		if (!index) return;
		if (!eq) index.plain.delete(entry);
		else {
			const byValue = index.eq.get(eq.column);
			const set = byValue?.get(eq.value);
			set?.delete(entry);
			if (set?.size === 0) byValue!.delete(eq.value);
			if (byValue?.size === 0) index.eq.delete(eq.column);
		}
		if (index.plain.size === 0 && index.eq.size === 0) this.tables.delete(key);
	}

	/** Whether anything at all listens to this table (cheap pre-check before decoding values). */
	listens(schema: string, table: string): boolean {
		return this.tables.has(tableKey(schema, table)) || this.wildcards.has(schema) || this.wildcards.has('*');
	}

	/**
	 * Bindings whose event and filters accept a change. `row` holds the canonical text of the
	 * columns the filters are evaluated on (the new row). A DELETE goes to every binding of the
	 * table whose event fits: which filters may discriminate depends on the table's RLS, known only
	 * once its metadata is loaded, so they are applied then (matchesDeleteFilters, ./authorize.ts).
	 */
	match(schema: string, table: string, type: ChangeType, row: Map<string, string | null>): Entry[] {
		const key = tableKey(schema, table);
		const out: Entry[] = [];
		const isDelete = type === 'DELETE';
		const consider = (entry: Entry, filters: CompiledFilter[] | undefined) => {
			const event = entry.binding.event;
			if (event !== '*' && event !== type) return;
			if (isDelete || filters === undefined || matchesFilters(filters, row)) out.push(entry);
		};
		const index = this.tables.get(key);
		if (index) {
			for (const entry of index.plain) consider(entry, entry.binding.filtersByTable.get(key));
			for (const [column, byValue] of index.eq) {
				if (isDelete) {
					for (const set of byValue.values()) for (const entry of set) consider(entry, undefined);
					continue;
				}
				const value = row.get(column);
				if (value == null) continue;
				const set = byValue.get(value);
				if (set) for (const entry of set) consider(entry, entry.binding.filtersByTable.get(key));
			}
		}
		for (const wildcardKey of [schema, '*']) {
			const set = this.wildcards.get(wildcardKey);
			if (!set) continue;
			for (const entry of set) {
				const filters = entry.binding.filtersByTable.get(key);
				// A table that joined the publication after this binding: only unfiltered bindings apply.
				if (filters === undefined && hasFilters(entry.binding)) continue;
				consider(entry, filters ?? []);
			}
		}
		return out;
	}
}

function hasFilters(binding: ResolvedBinding): boolean {
	for (const filters of binding.filtersByTable.values()) if (filters.length > 0) return true;
	return false;
}
