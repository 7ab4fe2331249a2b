// Answers in PostgREST's media types: JSON arrays, single objects, CSV; Content-Range, the
// 206/416 range statuses and Preference-Applied.

import { RestError } from './errors.ts';
import type { ApiRequest } from './request.ts';
import type { Statement } from './statements.ts';

export const JSON_TYPE = 'application/json; charset=utf-8';
export const OBJECT_TYPE = 'application/vnd.pgrst.object+json; charset=utf-8';

export type Media = 'json' | 'object' | 'csv';

export interface Outcome {
	total: number | null;
	page: number;
	body: string | null;
}

/** `application/vnd.pgrst.(array|object)+json;nulls=stripped` (postgrest-js `stripNulls()`). */
export function wantsStrippedNulls(accept: string | undefined): boolean {
	return !!accept && /application\/vnd\.pgrst\.(array|object)\+json;\s*nulls=stripped/i.test(accept);
}

export function negotiate(accept: string | undefined): Media {
	if (!accept) return 'json';
	const types = accept.split(',').map((t) => t.split(';')[0].trim().toLowerCase());
	for (const type of types) {
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
	throw new RestError(406, 'PGRST107', `None of these media types are available: ${types.join(', ')}`);
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

function respondWith(status: number, body: string | null, headers: Record<string, string>): Response {
	return new Response(body, { status, headers });
}

export function errorResponse(error: RestError): Response {
	return respondWith(error.status, JSON.stringify(error.body), {
		...error.headers,
		'Content-Type': JSON_TYPE
	});
}

/** A single object out of the JSON array the statement built. */
const firstOf = (body: string) => JSON.stringify((JSON.parse(body) as unknown[])[0] ?? null);

/** The answer to a read (a table, a view or a function's result). */
export function respondRead(req: ApiRequest, stmt: Statement, o: Outcome): Response {
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
	if (prefer.count) headers['Preference-Applied'] = `count=${prefer.count}`;
	const status = total !== null && offset + o.page < total && !stmt.singular ? 206 : 200;
	let body = o.body ?? 'null';
	let type = JSON_TYPE;
	if (stmt.singular && body.startsWith('[')) {
		body = firstOf(body);
		type = req.media === 'object' ? OBJECT_TYPE : JSON_TYPE;
	} else if (req.media === 'csv') {
		body = toCsv(body);
		type = 'text/csv; charset=utf-8';
	}
	headers['Content-Type'] = type;
	const headersOnly = 'headersOnly' in req.action && req.action.headersOnly;
	return respondWith(status, headersOnly ? null : body, headers);
}

/** The answer to an insert, upsert, update or delete; `o` is null when nothing was written. */
export function respondWrite(req: ApiRequest, stmt: Statement | null, o: Outcome | null): Response {
	const { prefer, method } = req;
	const representation = prefer.return === 'representation';
	const status = method === 'POST' ? 201 : representation ? 200 : 204;
	if (stmt === null || o === null) {
		if (!representation) return respondWith(status, null, {});
		return respondWith(status, '[]', { 'Content-Type': JSON_TYPE });
	}
	const headers: Record<string, string> = {};
	const totalText = prefer.count ? String(o.total ?? o.page) : '*';
	headers['Content-Range'] = representation && o.page > 0 ? `0-${o.page - 1}/${totalText}` : `*/${totalText}`;
	const applied = [
		prefer.return && `return=${prefer.return}`,
		prefer.count && `count=${prefer.count}`,
		prefer.resolution && method === 'POST' && `resolution=${prefer.resolution}`
	].filter(Boolean);
	if (applied.length > 0) headers['Preference-Applied'] = applied.join(', ');
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
export function respond(req: ApiRequest, stmt: Statement | null, o: Outcome | null): Response {
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
			return respondWrite(req, stmt, o);
		case 'openapi':
			throw new Error('the OpenAPI description is answered by handleRoot');
	}
}
