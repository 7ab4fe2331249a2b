/**
 * The `data` of a postgres_changes event, shaped like Supabase's (realtime.apply_rls output as the
 * server encodes its NewRecord / UpdatedRecord / DeletedRecord structs):
 *   INSERT {columns, commit_timestamp, errors, schema, table, record, type}
 *   UPDATE {columns, commit_timestamp, errors, schema, table, old_record, record, type}
 *   DELETE {columns, commit_timestamp, errors, schema, table, old_record, type}
 * `columns` and the records hold only what the subscriber's role may select; a DELETE on a table
 * with RLS carries only the primary key; a change over the byte limit keeps only values of at most
 * 64 bytes and says `Error 413: Payload Too Large`.
 */
import type { Relation, TupleValue } from './pgoutput.ts';
import { UNCHANGED_TOAST } from './pgoutput.ts';
import type { ChangeType } from './registry.ts';
import type { TypeCache } from './type-cache.ts';
import { toJsonValue, type JsonValue } from './values.ts';

export interface DecodedChange {
	relation: Relation;
	type: ChangeType;
	/** Transaction id (32-bit) from the Begin message. */
	xid: number;
	commitTimestamp: string;
	/** New tuple (INSERT, UPDATE): text, null, or UNCHANGED_TOAST. */
	newValues: Map<string, TupleValue> | null;
	/** Old tuple columns the server sent (replica identity key, or all with FULL). */
	oldValues: Map<string, string | null> | null;
}

export type ChangeData = Record<string, unknown>;

export const ERROR_NO_PRIMARY_KEY = 'Error 400: Bad Request, no primary key';
export const ERROR_UNAUTHORIZED = 'Error 401: Unauthorized';
export const ERROR_TOO_LARGE = 'Error 413: Payload Too Large';
export const ERROR_RLS_FAILED = 'Error 500: Internal Server Error, RLS policy evaluation failed';

/** What Supabase sends when it cannot send the row: schema, table and type only. */
export function errorData(change: DecodedChange, error: string): ChangeData {
	const { schema, table } = change.relation;
	const data: ChangeData = { columns: [], commit_timestamp: null, errors: [error], schema, table };
	if (change.type !== 'DELETE') data.record = {};
	if (change.type !== 'INSERT') data.old_record = {};
	return order(data, change.type);
}

function order(data: ChangeData, type: ChangeType): ChangeData {
	const out: ChangeData = {
		columns: data.columns,
		commit_timestamp: data.commit_timestamp,
		errors: data.errors,
		schema: data.schema,
		table: data.table
	};
	if (type !== 'INSERT') out.old_record = data.old_record;
	if (type !== 'DELETE') out.record = data.record;
	out.type = type;
	return out;
}

/** Keys in the order Supabase's encoder writes a small map: sorted by bytes. */
function sortedObject(entries: Array<[string, JsonValue]>): Record<string, JsonValue> {
	entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
	return Object.fromEntries(entries);
}

const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? 'null');

export interface PayloadOptions {
	/** Columns the role may select, in table order. */
	selectable: string[];
	/** pg_type names of the table's columns, from the catalog (generated columns included). */
	columnTypes: Record<string, string>;
	primaryKey: Set<string>;
	/** The binding's `select`: only these columns and the primary key; null for all. */
	select: string[] | null;
	rlsEnabled: boolean;
	maxRecordBytes: number;
}

export function buildData(change: DecodedChange, types: TypeCache, options: PayloadOptions): ChangeData {
	const { relation, type } = change;
	const typeByName = new Map(relation.columns.map((c) => [c.name, types.get(c.typeOid)]));
	// Supabase lists the catalog's columns; the records hold what the change carried.
	const wanted = options.select && new Set(options.select);
	const selectable = wanted
		? options.selectable.filter((n) => wanted.has(n) || options.primaryKey.has(n))
		: options.selectable;
	const columns = selectable.map((name) => ({
		name,
		type: options.columnTypes[name] ?? typeByName.get(name)?.name
	}));
	const visibleColumns = selectable.filter((name) => typeByName.has(name));
	const json = (name: string, text: string | null): JsonValue =>
		text === null ? null : toJsonValue(typeByName.get(name)!, text);

	let record: Array<[string, JsonValue]> | undefined;
	if (type !== 'DELETE' && change.newValues) {
		record = [];
		for (const name of visibleColumns) {
			const raw = change.newValues.get(name);
			if (raw === undefined) continue;
			if (raw === UNCHANGED_TOAST) {
				// Not resent by the server: take it from the old row when REPLICA IDENTITY FULL sent one.
				if (change.oldValues?.has(name)) record.push([name, json(name, change.oldValues.get(name) ?? null)]);
				continue;
			}
			record.push([name, json(name, raw)]);
		}
	}

	let oldRecord: Array<[string, JsonValue]> | undefined;
	if (type !== 'INSERT') {
		oldRecord = [];
		const old = change.oldValues ?? keyOf(change);
		for (const name of visibleColumns) {
			if (!old.has(name)) continue;
			if (type === 'DELETE' && options.rlsEnabled && !options.primaryKey.has(name)) continue;
			oldRecord.push([name, json(name, old.get(name) ?? null)]);
		}
	}

	let errors: string[] | null = null;
	const size = jsonBytes(record ?? []) + jsonBytes(oldRecord ?? []);
	if (size > options.maxRecordBytes) {
		errors = [ERROR_TOO_LARGE];
		const small = ([, value]: [string, JsonValue]) => jsonBytes(value) <= 64;
		record = record?.filter(small);
		oldRecord = oldRecord?.filter(small);
	}

	return order(
		{
			columns,
			commit_timestamp: change.commitTimestamp,
			errors,
			schema: relation.schema,
			table: relation.table,
			record: record && sortedObject(record),
			old_record: oldRecord && sortedObject(oldRecord)
		},
		type
	);
}

/**
 * Without an old tuple (UPDATE that kept its key under REPLICA IDENTITY DEFAULT), Supabase's
 * decoder reports the identity from the new row: old_record holds the key columns.
 */
function keyOf(change: DecodedChange): Map<string, string | null> {
	const key = new Map<string, string | null>();
	for (const column of change.relation.columns) {
		if (!column.isKey) continue;
		const value = change.newValues?.get(column.name);
		if (typeof value === 'string' || value === null) key.set(column.name, value);
	}
	return key;
}
