import { describe, expect, it } from 'vitest';
import { PgoutputDecoder, pgTimeToDate, UNCHANGED_TOAST } from './pgoutput.ts';

const cstr = (s: string) => Buffer.concat([Buffer.from(s), Buffer.from([0])]);
const i16 = (n: number) => {
	const b = Buffer.alloc(2);
	b.writeInt16BE(n);
	return b;
};
const i32 = (n: number) => {
	const b = Buffer.alloc(4);
	b.writeInt32BE(n);
	return b;
};
const text = (s: string) => Buffer.concat([Buffer.from('t'), i32(Buffer.byteLength(s)), Buffer.from(s)]);

const relationMessage = Buffer.concat([
	Buffer.from('R'),
	i32(42),
	cstr('public'),
	cstr('items'),
	Buffer.from('f'),
	i16(2),
	Buffer.from([1]),
	cstr('id'),
	i32(20),
	i32(-1),
	Buffer.from([0]),
	cstr('body'),
	i32(25),
	i32(-1)
]);

describe('PgoutputDecoder', () => {
	it('decodes relations and keeps tuple values as text, NULL and unchanged TOAST apart', () => {
		const decoder = new PgoutputDecoder();
		const rel = decoder.decode(relationMessage);
		expect(rel).toMatchObject({
			tag: 'relation',
			relation: { oid: 42, schema: 'public', table: 'items', replicaIdentity: 'full' }
		});
		const update = decoder.decode(
			Buffer.concat([
				Buffer.from('U'),
				i32(42),
				Buffer.from('O'),
				i16(2),
				text('1'),
				text('héllo'),
				Buffer.from('N'),
				i16(2),
				text('1'),
				Buffer.from('u')
			])
		);
		expect(update).toMatchObject({
			tag: 'update',
			oldIsKeyOnly: false,
			oldTuple: ['1', 'héllo'],
			newTuple: ['1', UNCHANGED_TOAST]
		});
		const del = decoder.decode(
			Buffer.concat([Buffer.from('D'), i32(42), Buffer.from('K'), i16(2), text('1'), Buffer.from('n')])
		);
		expect(del).toMatchObject({ tag: 'delete', oldIsKeyOnly: true, oldTuple: ['1', null] });
	});

	it('converts pgoutput timestamps (microseconds since 2000) to dates', () => {
		expect(pgTimeToDate(0n).toISOString()).toBe('2000-01-01T00:00:00.000Z');
		expect(pgTimeToDate(1_500n).toISOString()).toBe('2000-01-01T00:00:00.001Z');
	});
});
