// Answers in PostgREST's media types: JSON arrays, single objects, CSV; Content-Range, the
// 206/416 range statuses and Preference-Applied.

import { RestError } from './errors.ts';
import type { Preferences } from './ast.ts';
import type { ApiRequest } from './request.ts';
import type { Statement } from './statements.ts';

export const JSON_TYPE = 'application/json; charset=utf-8';
export const OBJECT_TYPE = 'application/vnd.pgrst.object+json; charset=utf-8';

export type Media = 'json' | 'object' | 'csv';

export interface Outcome {
	total: number | null;
	page: number;
	body: string | null;
	/** Rows an upsert inserted rather than updated (201 vs 200). */
	inserted?: number;
	/** text/csv reads: the rows in Postgres' record text form, one per line. */
	csv?: string;
}

/** `Preference-Applied`, in PostgREST's order; `max-affected` only counts with handling=strict. */
export function preferenceApplied(
	prefer: Preferences,
	parts: { resolution?: boolean; missing?: boolean; ret?: boolean; maxAffected?: boolean }
): string | undefined {
	const applied = [
		parts.resolution && prefer.resolution && `resolution=${prefer.resolution}`,
		parts.missing && prefer.missing && `missing=${prefer.missing}`,
		parts.ret && prefer.return && `return=${prefer.return}`,
		prefer.count && `count=${prefer.count}`,
		prefer.tx && `tx=${prefer.tx}`,
		prefer.handling && `handling=${prefer.handling}`,
		parts.maxAffected &&
			prefer.handling === 'strict' &&
			prefer.maxAffected !== undefined &&
			`max-affected=${prefer.maxAffected}`
	].filter(Boolean);
	return applied.length > 0 ? applied.join(', ') : undefined;
}

/** `application/vnd.pgrst.(array|object)+json;nulls=stripped` (postgrest-js `stripNulls()`). */
export function wantsStrippedNulls(accept: string | undefined): boolean {
	return !!accept && /application\/vnd\.pgrst\.(array|object)\+json;\s*nulls=stripped/i.test(accept);
}

/**
 * How PostgREST names an Accept entry in PGRST107. Execution plans (`explain()`) are one: Supabase
 * runs PostgREST with db-plan-enabled off, so they are never available.
 */
function mediaName(entry: string): string {
	const [type, ...params] = entry.split(';').map((p) => p.trim());
	const plan = /^application\/vnd\.pgrst\.plan(?:\+(json|text))?$/i.exec(type);
	if (!plan) return type.toLowerCase();
	const param = (name: string) =>
		params
			.find((p) => p.toLowerCase().startsWith(`${name}=`))
			?.slice(name.length + 1)
			.replace(/^"|"$/g, '');
	const options = param('options');
	return (
		`application/vnd.pgrst.plan+${(plan[1] ?? 'text').toLowerCase()}; for="${param('for') || 'application/json'}"` +
		(options ? `; options=${options}` : '')
	);
}

export function negotiate(accept: string | undefined): Media {
	if (!accept) return 'json';
	const entries = accept.split(',');
	for (const entry of entries) {
		const type = entry.split(';')[0].trim().toLowerCase();
		if (type === 'application/vnd.pgrst.object+json' || type === 'application/vnd.pgrst.object')
			return 'object';
		if (
			type === 'application/json' ||
			type === 'application/vnd.pgrst.array+json' ||
			type === '*/*' ||
			type === 'application/*'
		)
			return 'json';
		if (type === 'text/csv') return 'csv';
	}
	throw new RestError(
		406,
		'PGRST107',
		`None of these media types are available: ${entries.map(mediaName).join(', ')}`
	);
}

/** PostgREST's CSV header: the first row's keys, unquoted ('' without rows). */
function csvHeader(body: string): string {
	const first = (JSON.parse(body) as unknown[])[0];
	return typeof first === 'object' && first !== null ? Object.keys(first).join(',') : '';
}

function toCsv(body: string): string {
	const cell = (v: unknown) => {
		if (v === null || v === undefined) return '';
		const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
		return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
	};
	const parsed = JSON.parse(body) as unknown;
	// A scalar function's result (`unread_count`) is one bare value, not rows.
	if (!Array.isArray(parsed)) return cell(parsed);
	const rows = parsed.map((r) => (typeof r === 'object' && r !== null ? r : { value: r })) as Record<
		string,
		unknown
	>[];
	if (rows.length === 0) return '';
	const keys = Object.keys(rows[0]);
	return [keys.join(','), ...rows.map((r) => keys.map((k) => cell(r[k])).join(','))].join('\n');
}

/**
 * An answer: status, headers and body. The handler hands it to Hono (`c.body`), which merges the
 * gateway's headers without copying a Response.
 */
export interface Reply {
	status: number;
	body: string | null;
	headers: Record<string, string>;
}

function respondWith(status: number, body: string | null, headers: Record<string, string>): Reply {
	return { status, body, headers };
}

export function errorResponse(error: RestError): Reply {
	return respondWith(error.status, JSON.stringify(error.body), {
		...error.headers,
		'Content-Type': JSON_TYPE
	});
}

/** A single object out of the JSON array the statement built. */
const firstOf = (body: string) => JSON.stringify((JSON.parse(body) as unknown[])[0] ?? null);

/** The answer to a read (a table, a view or a function's result). */
export function respondRead(req: ApiRequest, stmt: Statement, o: Outcome): Reply {
	const { offset, prefer } = req;
	const headers: Record<string, string> = {};
	const total = prefer.count ? o.total : null;
	const totalText = total === null ? '*' : String(total);
	if (total !== null && offset > total && total >= 0 && o.page === 0 && offset > 0) {
		throw new RestError(
			416,
			'PGRST103',
			'Requested range not satisfiable',
			`An offset of ${offset} was requested, but there are only ${total} rows.`,
			null,
			{ 'Content-Range': `*/${total}` }
		);
	}
	headers['Content-Range'] = o.page > 0 ? `${offset}-${offset + o.page - 1}/${totalText}` : `*/${totalText}`;
	const applied = preferenceApplied(prefer, { maxAffected: req.action.type === 'rpc' });
	if (applied) headers['Preference-Applied'] = applied;
	const one = stmt.singular || stmt.single === true;
	const status = total !== null && offset + o.page < total && !one ? 206 : 200;
	let body = o.body ?? 'null';
	let type = JSON_TYPE;
	if (one && body.startsWith('[')) {
		body = firstOf(body);
		type = req.media === 'object' ? OBJECT_TYPE : JSON_TYPE;
	} else if (req.media === 'csv') {
		body = o.csv === undefined ? toCsv(body) : `${csvHeader(body)}\n${o.csv}`;
		type = 'text/csv; charset=utf-8';
	}
	headers['Content-Type'] = type;
	const headersOnly = 'headersOnly' in req.action && req.action.headersOnly;
	return respondWith(status, headersOnly ? null : body, headers);
}

/** The answer to an insert, upsert, update, delete or PUT; `o` is null when nothing was written. */
export function respondWrite(req: ApiRequest, stmt: Statement | null, o: Outcome | null): Reply {
	const { prefer, action } = req;
	const representation = prefer.return === 'representation';
	const creates = action.type === 'insert' || action.type === 'upsert';
	let status = representation ? 200 : 204;
	// An upsert that only updated answers 200 (PostgREST: 201 once a row was inserted).
	if (creates)
		status =
			action.type === 'upsert' && action.resolution === 'merge-duplicates' && (o ? (o.inserted ?? 0) : 1) <= 0
				? 200
				: 201;
	if (action.type === 'put' && representation) status = (o?.inserted ?? 0) > 0 ? 201 : 200;
	if (stmt === null || o === null) {
		if (!representation) return respondWith(status, null, {});
		return respondWith(status, '[]', { 'Content-Type': JSON_TYPE });
	}
	const headers: Record<string, string> = {};
	if (action.type !== 'put') {
		const totalText = prefer.count ? String(o.total ?? o.page) : '*';
		headers['Content-Range'] =
			representation && o.page > 0 ? `0-${o.page - 1}/${totalText}` : `*/${totalText}`;
	}
	const applied = preferenceApplied(prefer, {
		resolution: creates,
		missing: creates || action.type === 'update',
		ret: true,
		maxAffected: action.type === 'update' || action.type === 'delete'
	});
	if (applied) headers['Preference-Applied'] = applied;
	if (!representation) return respondWith(status, null, headers);
	let body = o.body ?? '[]';
	let type = JSON_TYPE;
	if (stmt.singular) {
		body = firstOf(body);
		type = OBJECT_TYPE;
	} else if (req.media === 'csv') {
		body = toCsv(body);
		type = 'text/csv; charset=utf-8';
	}
	headers['Content-Type'] = type;
	return respondWith(status, body, headers);
}

/** The answer for a request's action, once its statement ran. */
export function respond(req: ApiRequest, stmt: Statement | null, o: Outcome | null): Reply {
	switch (req.action.type) {
		case 'read':
			return respondRead(req, stmt!, o!);
		case 'rpc':
			if (stmt!.returnsVoid) return respondWith(204, null, {});
			return respondRead(req, stmt!, o!);
		case 'insert':
		case 'upsert':
		case 'update':
		case 'delete':
		case 'put':
			return respondWrite(req, stmt, o);
		case 'openapi':
			throw new Error('the OpenAPI description is answered by handleRoot');
	}
}
