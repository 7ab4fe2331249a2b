import { describe, expect, it } from 'vitest';
import { buildData, errorData, type DecodedChange, type PayloadOptions } from './payload.ts';
import { UNCHANGED_TOAST, type Relation } from './pgoutput.ts';
import type { TypeCache } from './type-cache.ts';
import type { TypeInfo } from './values.ts';

const TYPES: Record<number, TypeInfo> = {
	20: { oid: 20, name: 'int8', category: 'number', pgCategory: 'N' },
	25: { oid: 25, name: 'text', category: 'text', pgCategory: 'S' }
};
const types = { get: (oid: number) => TYPES[oid] } as unknown as TypeCache;

const relation: Relation = {
	oid: 1,
	schema: 'public',
	table: 'items',
	replicaIdentity: 'full',
	columns: [
		{ name: 'id', isKey: true, typeOid: 20, typeMod: -1 },
		{ name: 'owner', isKey: false, typeOid: 25, typeMod: -1 },
		{ name: 'body', isKey: false, typeOid: 25, typeMod: -1 }
	]
};

const options = (partial: Partial<PayloadOptions> = {}): PayloadOptions => ({
	selectable: ['id', 'owner', 'body'],
	columnTypes: { id: 'int8', owner: 'text', body: 'text' },
	primaryKey: new Set(['id']),
	select: null,
	rlsEnabled: true,
	maxRecordBytes: 1024 * 1024,
	...partial
});

const change = (partial: Partial<DecodedChange>): DecodedChange => ({
	relation,
	type: 'INSERT',
	xid: 1,
	commitTimestamp: '2026-11-29T10:00:00.000Z',
	newValues: null,
	oldValues: null,
	...partial
});

describe('buildData', () => {
	it('shapes an INSERT like Supabase, with typed values and only selectable columns', () => {
		const data = buildData(
			change({
				newValues: new Map([
					['id', '7'],
					['owner', 'ann'],
					['body', null]
				])
			}),
			types,
			options({ selectable: ['id', 'owner'] })
		);
		expect(data).toEqual({
			columns: [
				{ name: 'id', type: 'int8' },
				{ name: 'owner', type: 'text' }
			],
			commit_timestamp: '2026-11-29T10:00:00.000Z',
			errors: null,
			schema: 'public',
			table: 'items',
			record: { id: 7, owner: 'ann' },
			type: 'INSERT'
		});
		expect(Object.keys(data)).toEqual([
			'columns',
			'commit_timestamp',
			'errors',
			'schema',
			'table',
			'record',
			'type'
		]);
	});

	it('takes unchanged TOAST values from the old row on UPDATE', () => {
		const data = buildData(
			change({
				type: 'UPDATE',
				newValues: new Map<string, string | null | typeof UNCHANGED_TOAST>([
					['id', '7'],
					['owner', 'bob'],
					['body', UNCHANGED_TOAST]
				]),
				oldValues: new Map([
					['id', '7'],
					['owner', 'ann'],
					['body', 'long']
				])
			}),
			types,
			options()
		);
		expect(data.record).toEqual({ body: 'long', id: 7, owner: 'bob' });
		expect(data.old_record).toEqual({ body: 'long', id: 7, owner: 'ann' });
	});

	it('keeps only the primary key of a DELETE when RLS is on', () => {
		const deleted = change({
			type: 'DELETE',
			oldValues: new Map([
				['id', '7'],
				['owner', 'ann'],
				['body', 'x']
			])
		});
		expect(buildData(deleted, types, options()).old_record).toEqual({ id: 7 });
		expect(buildData(deleted, types, options({ rlsEnabled: false })).old_record).toEqual({
			body: 'x',
			id: 7,
			owner: 'ann'
		});
		expect('record' in buildData(deleted, types, options())).toBe(false);
	});

	it('drops values over 64 bytes when the change is over the limit (Error 413)', () => {
		const data = buildData(
			change({
				newValues: new Map([
					['id', '7'],
					['owner', 'ann'],
					['body', 'x'.repeat(200)]
				])
			}),
			types,
			options({ maxRecordBytes: 100 })
		);
		expect(data.errors).toEqual(['Error 413: Payload Too Large']);
		expect(data.record).toEqual({ id: 7, owner: 'ann' });
	});

	it('narrows to the selected columns plus the key', () => {
		const data = buildData(
			change({
				newValues: new Map([
					['id', '7'],
					['owner', 'ann'],
					['body', 'x']
				])
			}),
			types,
			options({ select: ['body'] })
		);
		expect(data.record).toEqual({ body: 'x', id: 7 });
		expect(data.columns).toEqual([
			{ name: 'id', type: 'int8' },
			{ name: 'body', type: 'text' }
		]);
	});

	it('sends schema, table and type only when the row cannot be sent', () => {
		expect(errorData(change({ type: 'UPDATE' }), 'Error 401: Unauthorized')).toEqual({
			columns: [],
			commit_timestamp: null,
			errors: ['Error 401: Unauthorized'],
			schema: 'public',
			table: 'items',
			old_record: {},
			record: {},
			type: 'UPDATE'
		});
	});
});
