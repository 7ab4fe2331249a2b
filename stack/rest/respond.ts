// Answers in PostgREST's media types: JSON arrays, single objects, CSV; Content-Range, the
// 206/416 range statuses and Preference-Applied.

import type { Context } from 'hono';
import type { GatewayEnv } from '../gateway/env.ts';
import type { Preferences } from './ast.ts';
import { RestError } from './errors.ts';

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

export function errorResponse(c: Context<GatewayEnv>, error: RestError): Response {
	for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
	return c.body(JSON.stringify(error.body), error.status as 400, { 'Content-Type': JSON_TYPE });
}

export function respondRead(
	c: Context<GatewayEnv>,
	o: Outcome,
	singular: boolean,
	media: Media,
	prefs: Preferences,
	head: boolean
): Response {
	const offset = Number(new URL(c.req.url).searchParams.get('offset') ?? 0) || 0;
	const total = prefs.count ? o.total : null;
	const totalText = total === null ? '*' : String(total);
	if (total !== null && offset > total && total >= 0 && o.page === 0 && offset > 0) {
		c.header('Content-Range', `*/${total}`);
		throw new RestError(
			416,
			'PGRST103',
			'Requested range not satisfiable',
			`An offset of ${offset} was requested, but there are only ${total} rows.`
		);
	}
	c.header('Content-Range', o.page > 0 ? `${offset}-${offset + o.page - 1}/${totalText}` : `*/${totalText}`);
	if (prefs.count) c.header('Preference-Applied', `count=${prefs.count}`);
	const status = total !== null && offset + o.page < total && !singular ? 206 : 200;
	let body = o.body ?? 'null';
	let type = JSON_TYPE;
	if (singular && body.startsWith('[')) {
		body = JSON.stringify((JSON.parse(body) as unknown[])[0] ?? null);
		type = media === 'object' ? OBJECT_TYPE : JSON_TYPE;
	} else if (media === 'csv') {
		body = toCsv(body);
		type = 'text/csv; charset=utf-8';
	}
	if (head) return c.body(null, status as 200, { 'Content-Type': type });
	return c.body(body, status as 200, { 'Content-Type': type });
}

export function respondWrite(
	c: Context<GatewayEnv>,
	o: Outcome,
	singular: boolean,
	media: Media,
	prefs: Preferences,
	method: string
): Response {
	const totalText = prefs.count ? String(o.total ?? o.page) : '*';
	const representation = prefs.return === 'representation';
	c.header('Content-Range', representation && o.page > 0 ? `0-${o.page - 1}/${totalText}` : `*/${totalText}`);
	const applied = [
		prefs.return && `return=${prefs.return}`,
		prefs.count && `count=${prefs.count}`,
		prefs.resolution && method === 'POST' && `resolution=${prefs.resolution}`
	].filter(Boolean);
	if (applied.length > 0) c.header('Preference-Applied', applied.join(', '));
	const status = method === 'POST' ? 201 : representation ? 200 : 204;
	if (!representation) return c.body(null, status as 201);
	let body = o.body ?? '[]';
	let type = JSON_TYPE;
	if (singular) {
		body = JSON.stringify((JSON.parse(body) as unknown[])[0] ?? null);
		type = OBJECT_TYPE;
	} else if (media === 'csv') {
		body = toCsv(body);
		type = 'text/csv; charset=utf-8';
	}
	return c.body(body, status as 200, { 'Content-Type': type });
}
