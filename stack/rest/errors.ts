// PostgREST's error vocabulary: {code, message, details, hint} with its HTTP statuses.
// Codes and texts follow PostgREST's Error.hs and docs/references/errors.rst.

export interface RestErrorBody {
	code: string;
	message: string;
	details: unknown;
	hint: string | null;
}

export class RestError extends Error {
	readonly status: number;
	readonly body: RestErrorBody;
	readonly headers: Record<string, string>;

	constructor(
		status: number,
		code: string,
		message: string,
		details: unknown = null,
		hint: string | null = null,
		headers: Record<string, string> = {}
	) {
		super(message);
		this.status = status;
		this.body = { code, message, details, hint };
		this.headers = headers;
	}
}

/** PGRST100: a query-string parameter could not be parsed. */
export function parseError(what: string, input: string, position: number, details: string): RestError {
	return new RestError(
		400,
		'PGRST100',
		`"failed to parse ${what} (${input})" (line 1, column ${position + 1})`,
		details
	);
}

export const invalidBody = (message = 'Empty or invalid json'): RestError =>
	new RestError(400, 'PGRST102', message);

export const unacceptableSchema = (schema: string, exposed: string[]): RestError =>
	new RestError(
		406,
		'PGRST106',
		`Invalid schema: ${schema}`,
		null,
		`Only the following schemas are exposed: ${exposed.join(', ')}`
	);

export const singularity = (rows: number): RestError =>
	new RestError(
		406,
		'PGRST116',
		'Cannot coerce the result to a single JSON object',
		`The result contains ${rows} rows`
	);

export const tableNotFound = (schema: string, table: string, suggestion?: string): RestError =>
	new RestError(
		404,
		'PGRST205',
		`Could not find the table '${schema}.${table}' in the schema cache`,
		null,
		suggestion ? `Perhaps you meant the table '${schema}.${suggestion}'` : null
	);

export const columnNotFound = (table: string, column: string): RestError =>
	new RestError(400, 'PGRST204', `Could not find the '${column}' column of '${table}' in the schema cache`);

/** What Postgres says (42703) when a selected or filtered column does not exist. */
export const undefinedColumn = (table: string, column: string): RestError =>
	new RestError(400, '42703', `column ${table}.${column} does not exist`);

export const jwtError = (code: 'PGRST301' | 'PGRST303', message: string): RestError =>
	new RestError(401, code, message, null, null, {
		'WWW-Authenticate': `Bearer error="invalid_token", error_description=${JSON.stringify(message)}`
	});

/** The HTTP status PostgREST gives a Postgres SQLSTATE (docs/references/errors.rst). */
export function statusForSqlState(code: string, message: string, authenticated: boolean): number {
	if (code === '42501') return authenticated ? 403 : 401;
	if (code === '23503' || code === '23505') return 409;
	if (code === '25006') return 405;
	if (code === '42883') return 404;
	if (code === '42P01') return 404;
	if (code === '42P17') return 500;
	if (code === 'P0001') return 400;
	if (code === '53400') return 500;
	if (code === '57P01') return 503;
	if (code === '22023') return message.startsWith('role') && message.endsWith('does not exist') ? 401 : 400;
	if (code === '21000') return message.endsWith('requires a WHERE clause') ? 400 : 500;
	if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
	const prefix = code.slice(0, 2);
	const byClass: Record<string, number> = {
		'08': 503,
		'09': 500,
		'0L': 403,
		'0P': 403,
		'25': 500,
		'28': 403,
		'2D': 500,
		'38': 500,
		'39': 500,
		'3B': 500,
		'40': 500,
		'53': 503,
		'54': 500,
		'55': 500,
		'57': 500,
		'58': 500,
		F0: 500,
		HV: 500,
		P0: 500,
		XX: 500
	};
	return byClass[prefix] ?? 400;
}

interface PgErrorLike {
	code?: string;
	message: string;
	detail?: string;
	hint?: string;
}

export function isPgError(error: unknown): error is PgErrorLike & Error {
	return (
		error instanceof Error &&
		typeof (error as PgErrorLike).code === 'string' &&
		/^[0-9A-Z]{5}$/.test((error as PgErrorLike).code ?? '')
	);
}

/** A Postgres error as PostgREST passes it through, including `RAISE SQLSTATE 'PGRST'` full control. */
export function fromPgError(error: PgErrorLike, authenticated: boolean): RestError {
	const code = error.code ?? 'XX000';
	if (code === 'PGRST') {
		try {
			const msg = JSON.parse(error.message) as Partial<RestErrorBody>;
			const det = JSON.parse(error.detail ?? '') as { status?: number; headers?: Record<string, string> };
			if (typeof msg.code === 'string' && typeof msg.message === 'string' && typeof det.status === 'number') {
				return new RestError(
					det.status,
					msg.code,
					msg.message,
					msg.details ?? null,
					msg.hint ?? null,
					det.headers ?? {}
				);
			}
		} catch {
			// falls through to PGRST121 below
		}
		return new RestError(500, 'PGRST121', 'Could not parse JSON in the "RAISE SQLSTATE \'PGRST\'" error');
	}
	const status = statusForSqlState(code, error.message, authenticated);
	const headers: Record<string, string> = status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
	return new RestError(status, code, error.message, error.detail ?? null, error.hint ?? null, headers);
}
