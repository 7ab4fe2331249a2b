import { describe, expect, it } from 'vitest';
import { RestError } from './errors.ts';
import { parseQuery } from './parse.ts';
import { Planner } from './plan.ts';
import { SchemaCache, type Column, type Relation } from './schema.ts';
import { deleteSql, insertSql, qualified, readSql, SqlBuilder } from './sql.ts';

function column(name: string, type = 'text'): Column {
	return { name, type, typeOid: 25, nullable: true, hasDefault: false, generated: false };
}

function relation(name: string, columns: string[], primaryKey = ['id']): Relation {
	return {
		schema: 'public',
		name,
		kind: 'table',
		columns: new Map(columns.map((c) => [c, column(c)])),
		primaryKey,
		uniqueKeys: [primaryKey]
	};
}

const profiles = relation('profiles', ['id', 'display_name']);
const notifications = relation('notifications', ['id', 'user_id', 'actor_id', 'title', 'data']);
const cache = new SchemaCache(
	new Map([
		['public.profiles', profiles],
		['public.notifications', notifications]
	]),
	[
		{
			constraint: 'notifications_actor_id_fkey',
			schema: 'public',
			table: 'notifications',
			columns: ['actor_id'],
			refSchema: 'public',
			refTable: 'profiles',
			refColumns: ['id']
		}
	],
	new Map(),
	new Map([['text', 'text']])
);

function read(search: string): { sql: string; params: unknown[] } {
	const query = parseQuery(new URLSearchParams(search));
	const level = new Planner(cache, query).root(notifications.columns, 'notifications', notifications);
	const b = new SqlBuilder();
	const sql = readSql(b, level, { from: qualified('public', 'notifications'), count: true, maxRows: 1000 });
	return { sql, params: b.params };
}

describe('SQL building', () => {
	it('keeps every piece of request text out of the SQL: aliases, keys and values are parameters', () => {
		const evil = `x"; drop table t; --`;
		const { sql, params } = read(
			`select=${encodeURIComponent(`"${evil.replaceAll('"', '\\"')}":title,data->>"${evil.replaceAll('"', '\\"')}",actor:profiles(display_name)`)}` +
				`&title=eq.${encodeURIComponent(evil)}&or=(title.like.*a*,id.in.(1,2))&order=title.desc.nullslast&limit=5`
		);
		expect(sql).not.toContain('drop table');
		expect(sql).not.toContain('"actor"');
		expect(params).toEqual(expect.arrayContaining([evil, 'actor', '%a%', ['1', '2'], 5]));
		expect(sql).toContain('LEFT JOIN LATERAL');
		expect(sql).toContain('ORDER BY "t0"."title" DESC NULLS LAST');
	});

	it('caps the root at maxRows', () => {
		expect(read('select=id').params).toContain(1000);
		expect(read('select=id&limit=5000').params).toContain(1000);
	});

	it('refuses names the catalog does not have', () => {
		const attempt = (search: string) => {
			try {
				read(search);
			} catch (error) {
				return (error as RestError).body.code;
			}
			return 'ok';
		};
		expect(attempt('select=nope')).toBe('42703');
		expect(attempt('nope=eq.1')).toBe('42703');
		expect(attempt('order=nope')).toBe('42703');
		expect(attempt('select=id::nosuchtype')).toBe('42704');
		expect(attempt('select=id,nowhere(*)')).toBe('PGRST200');
		expect(attempt('select=id&nowhere.id=eq.1')).toBe('PGRST108');
		expect(attempt('select=id,profiles(*)&profiles=eq.1')).toBe('PGRST120');
	});

	it('writes with the payload as one parameter and catalog identifiers only', () => {
		const level = new Planner(cache, parseQuery([])).root(
			notifications.columns,
			'notifications',
			notifications
		);
		const b = new SqlBuilder();
		const rows = JSON.stringify([{ title: `'); drop table t; --` }]);
		const sql = insertSql(b, notifications, level, {
			columns: [column('title')],
			rows,
			onConflict: { columns: ['id'], action: 'merge' },
			missingDefault: false,
			representation: false
		});
		expect(sql).toContain('INSERT INTO "public"."notifications" ("title")');
		expect(sql).toContain('ON CONFLICT ("id") DO UPDATE SET "title" = EXCLUDED."title"');
		expect(sql).toContain('RETURNING 1');
		expect(b.params).toEqual([rows]);

		const del = new SqlBuilder();
		const filtered = new Planner(cache, parseQuery([['id', 'eq.7']])).root(
			notifications.columns,
			'notifications',
			notifications
		);
		expect(deleteSql(del, notifications, filtered, filtered.conditions, true)).toMatch(
			/^WITH "pgrst_source" AS \(DELETE FROM "public"\."notifications" AS "t0" WHERE "t0"\."id" = \$1 RETURNING "t0"\.\*\)/
		);
		expect(del.params[0]).toBe('7');
	});
});
