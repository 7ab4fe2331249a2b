import { describe, expect, it } from 'vitest';
import type { CompiledFilter } from './filters.ts';
import { Registry, type Entry, type Subscriber } from './registry.ts';
import { tableKey, type ResolvedBinding } from './validate.ts';

const subscriber: Subscriber = {
	auth: { role: 'authenticated', claims: {} },
	claimsJson: '{}',
	deliver: () => {}
};
const eq = (column: string, value: string): CompiledFilter => ({
	column,
	op: 'eq',
	negate: false,
	value,
	numeric: false
});

let nextId = 1;
function entry(binding: Partial<ResolvedBinding> & { filters?: CompiledFilter[] }): Entry {
	const schema = binding.schema ?? 'public';
	const table = binding.table ?? 'notes';
	const filters = binding.filters ?? [];
	const first = filters.find((f) => f.op === 'eq');
	return {
		id: nextId++,
		subscriber,
		binding: {
			event: binding.event ?? '*',
			schema,
			table,
			filtersByTable: new Map(table === '*' ? [] : [[tableKey(schema, table), filters]]),
			eq: first ? { column: first.column, value: first.value! } : undefined,
			select: null
		}
	};
}

const row = (values: Record<string, string>) => new Map(Object.entries(values));

describe('Registry', () => {
	it('finds eq-filtered bindings by value, plus unfiltered and schema-wide ones, by event', () => {
		const registry = new Registry();
		const alice = entry({ filters: [eq('owner', 'alice')] });
		const bob = entry({ filters: [eq('owner', 'bob')] });
		const everything = entry({});
		const deletes = entry({ event: 'DELETE' });
		const schemaWide = entry({ table: '*' });
		const otherTable = entry({ table: 'other' });
		for (const e of [alice, bob, everything, deletes, schemaWide, otherTable]) registry.add(e);

		const ids = (type: 'INSERT' | 'DELETE', values: Record<string, string>) =>
			registry
				.match('public', 'notes', type, row(values))
				.map((e) => e.id)
				.sort((a, b) => a - b);
		expect(ids('INSERT', { owner: 'alice' })).toEqual([alice.id, everything.id, schemaWide.id]);
		// A DELETE reaches every binding of the table: its filters are applied once the table's RLS
		// is known (matchesDeleteFilters), so that non-key columns cannot discriminate.
		expect(ids('DELETE', { owner: 'bob' })).toEqual([
			alice.id,
			bob.id,
			everything.id,
			deletes.id,
			schemaWide.id
		]);
		expect(registry.listens('public', 'notes')).toBe(true);

		for (const e of [alice, bob, everything, deletes, schemaWide]) registry.remove(e);
		expect(ids('INSERT', { owner: 'alice' })).toEqual([]);
		expect(registry.listens('public', 'notes')).toBe(false);
		expect(registry.listens('public', 'other')).toBe(true);
	});

	it('applies the remaining filters of an indexed binding', () => {
		const registry = new Registry();
		const both = entry({ filters: [eq('owner', 'alice'), eq('kind', 'mention')] });
		registry.add(both);
		expect(registry.match('public', 'notes', 'INSERT', row({ owner: 'alice', kind: 'mention' }))).toEqual([
			both
		]);
		expect(registry.match('public', 'notes', 'INSERT', row({ owner: 'alice', kind: 'comment' }))).toEqual([]);
	});
});
