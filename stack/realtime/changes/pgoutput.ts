/**
 * Decoder for the pgoutput logical replication protocol (version 1), keeping every value as the
 * text Postgres' output function produced. pg-logical-replication's own parser runs values through
 * node-pg's global type parsers (Dates lose microseconds, a parser set elsewhere changes our
 * payloads) and folds "unchanged TOAST" into undefined; Supabase's payloads need the raw text.
 * https://www.postgresql.org/docs/17/protocol-logicalrep-message-formats.html
 */

export interface RelationColumn {
	name: string;
	/** Part of the replica identity key. */
	isKey: boolean;
	typeOid: number;
	typeMod: number;
}

export interface Relation {
	oid: number;
	schema: string;
	table: string;
	replicaIdentity: 'default' | 'nothing' | 'full' | 'index';
	columns: RelationColumn[];
}

/** A column's text value, null for SQL NULL, or UNCHANGED_TOAST when the server did not resend it. */
export const UNCHANGED_TOAST: unique symbol = Symbol('unchanged-toast');
export type TupleValue = string | null | typeof UNCHANGED_TOAST;
export type Tuple = TupleValue[];

export type PgoutputMessage =
	| { tag: 'begin'; commitTime: bigint; xid: number; finalLsn: bigint }
	| { tag: 'commit'; commitTime: bigint; commitLsn: bigint; endLsn: bigint }
	| { tag: 'relation'; relation: Relation }
	| { tag: 'insert'; relation: Relation; newTuple: Tuple }
	| { tag: 'update'; relation: Relation; oldTuple: Tuple | null; oldIsKeyOnly: boolean; newTuple: Tuple }
	| { tag: 'delete'; relation: Relation; oldTuple: Tuple; oldIsKeyOnly: boolean }
	| { tag: 'truncate'; relations: Relation[] }
	| { tag: 'message'; prefix: string; content: string }
	| { tag: 'other' };

const IDENTITY: Record<string, Relation['replicaIdentity']> = {
	d: 'default',
	n: 'nothing',
	f: 'full',
	i: 'index'
};

class Reader {
	pos = 0;
	constructor(private readonly buf: Buffer) {}
	u8(): number {
		return this.buf.readUInt8(this.pos++);
	}
	i16(): number {
		const v = this.buf.readInt16BE(this.pos);
		this.pos += 2;
		return v;
	}
	i32(): number {
		const v = this.buf.readInt32BE(this.pos);
		this.pos += 4;
		return v;
	}
	u32(): number {
		const v = this.buf.readUInt32BE(this.pos);
		this.pos += 4;
		return v;
	}
	i64(): bigint {
		const v = this.buf.readBigInt64BE(this.pos);
		this.pos += 8;
		return v;
	}
	cstring(): string {
		const end = this.buf.indexOf(0, this.pos);
		const s = this.buf.toString('utf8', this.pos, end);
		this.pos = end + 1;
		return s;
	}
	bytes(n: number): Buffer {
		const b = this.buf.subarray(this.pos, this.pos + n);
		this.pos += n;
		return b;
	}
}

/** One decoder per replication session: relation ids are only valid within the session. */
export class PgoutputDecoder {
	readonly relations = new Map<number, Relation>();

	decode(buf: Buffer): PgoutputMessage {
		const r = new Reader(buf);
		const tag = String.fromCharCode(r.u8());
		switch (tag) {
			case 'B': {
				const finalLsn = r.i64(); // the commit record's position
				const commitTime = r.i64();
				return { tag: 'begin', commitTime, xid: r.u32(), finalLsn };
			}
			case 'C': {
				r.u8(); // flags
				const commitLsn = r.i64();
				const endLsn = r.i64();
				return { tag: 'commit', commitTime: r.i64(), commitLsn, endLsn };
			}
			case 'R': {
				const oid = r.u32();
				const schema = r.cstring();
				const table = r.cstring();
				const replicaIdentity = IDENTITY[String.fromCharCode(r.u8())] ?? 'default';
				const n = r.i16();
				const columns: RelationColumn[] = [];
				for (let i = 0; i < n; i++) {
					const flags = r.u8();
					columns.push({ isKey: (flags & 1) === 1, name: r.cstring(), typeOid: r.u32(), typeMod: r.i32() });
				}
				const relation: Relation = { oid, schema, table, replicaIdentity, columns };
				this.relations.set(oid, relation);
				return { tag: 'relation', relation };
			}
			case 'I': {
				const relation = this.relation(r.u32());
				r.u8(); // 'N'
				return { tag: 'insert', relation, newTuple: this.tuple(r) };
			}
			case 'U': {
				const relation = this.relation(r.u32());
				let kind = String.fromCharCode(r.u8());
				let oldTuple: Tuple | null = null;
				const oldIsKeyOnly = kind === 'K';
				if (kind === 'K' || kind === 'O') {
					oldTuple = this.tuple(r);
					kind = String.fromCharCode(r.u8());
				}
				return { tag: 'update', relation, oldTuple, oldIsKeyOnly, newTuple: this.tuple(r) };
			}
			case 'D': {
				const relation = this.relation(r.u32());
				const kind = String.fromCharCode(r.u8());
				return { tag: 'delete', relation, oldIsKeyOnly: kind === 'K', oldTuple: this.tuple(r) };
			}
			case 'T': {
				const n = r.i32();
				r.u8(); // options
				const relations: Relation[] = [];
				for (let i = 0; i < n; i++) relations.push(this.relation(r.u32()));
				return { tag: 'truncate', relations };
			}
			case 'M': {
				r.u8(); // flags
				r.i64(); // LSN
				const prefix = r.cstring();
				return { tag: 'message', prefix, content: r.bytes(r.i32()).toString('utf8') };
			}
			default:
				// Origin, Type: nothing Supabase forwards.
				return { tag: 'other' };
		}
	}

	private relation(oid: number): Relation {
		const relation = this.relations.get(oid);
		if (!relation) throw new Error(`pgoutput: change for unknown relation ${oid}`);
		return relation;
	}

	private tuple(r: Reader): Tuple {
		const n = r.i16();
		const values: Tuple = new Array(n);
		for (let i = 0; i < n; i++) {
			const kind = String.fromCharCode(r.u8());
			if (kind === 'n') values[i] = null;
			else if (kind === 'u') values[i] = UNCHANGED_TOAST;
			else {
				// 't' (text) or 'b' (binary; never requested, kept as text for robustness).
				const len = r.i32();
				values[i] = r.bytes(len).toString('utf8');
			}
		}
		return values;
	}
}

/** pgoutput timestamps are microseconds since 2000-01-01 UTC. */
export function pgTimeToDate(micros: bigint): Date {
	return new Date(Number(micros / 1000n) + 946_684_800_000);
}
