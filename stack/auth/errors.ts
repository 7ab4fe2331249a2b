/**
 * GoTrue's error responses. The body shape depends on the `X-Supabase-Api-Version` request header
 * (supabase/auth internal/api/errors.go): from 2024-01-01 on it is `{code: 'invalid_credentials',
 * message}` and the version is echoed back (auth-js reads `code` only when it sees that echo);
 * without the header it is the legacy `{code: 400, error_code, msg}`. auth-js always sends
 * 2024-01-01, curl usually sends nothing.
 */
import { HttpError } from '../errors.ts';

export const API_VERSION_HEADER = 'X-Supabase-Api-Version';
const API_VERSION_2024_01_01 = '2024-01-01';

export class AuthError extends HttpError {
	constructor(
		status: number,
		readonly errorCode: string,
		message: string,
		/** Extra top-level fields (weak_password), rendered in both shapes. */
		readonly extra: Record<string, unknown> = {}
	) {
		super(status, { code: status, error_code: errorCode, msg: message, ...extra });
		this.message = message;
		this.name = 'AuthError';
	}
}

/** GoTrue's OAuth-style errors ({error, error_description}), rendered the same in every API version. */
export class OAuthError extends HttpError {
	constructor(error: string, description: string) {
		super(400, { error, error_description: description });
		this.name = 'OAuthError';
	}
}

export const badRequest = (code: string, message: string) => new AuthError(400, code, message);
export const unprocessable = (code: string, message: string) => new AuthError(422, code, message);
export const forbidden = (code: string, message: string) => new AuthError(403, code, message);
export const notFound = (code: string, message: string) => new AuthError(404, code, message);

export function weakPassword(message: string, reasons: string[]): AuthError {
	return new AuthError(422, 'weak_password', message, { weak_password: { reasons } });
}

/** True when the request asked for API version 2024-01-01 or later (a valid YYYY-MM-DD date). */
export function wantsVersion20240101(header: string | undefined): boolean {
	if (!header || !/^\d{4}-\d{2}-\d{2}$/.test(header)) return false;
	const date = Date.parse(`${header}T00:00:00Z`);
	return !Number.isNaN(date) && date >= Date.parse(`${API_VERSION_2024_01_01}T00:00:00Z`);
}

export interface RenderedError {
	status: number;
	body: Record<string, unknown>;
	headers: Record<string, string>;
}

/** The response GoTrue sends for `error`, given the request's API version header. */
export function renderAuthError(error: HttpError, apiVersionHeader: string | undefined): RenderedError {
	const modern = wantsVersion20240101(apiVersionHeader);
	const headers: Record<string, string> = { ...error.headers };
	if (modern) headers[API_VERSION_HEADER] = API_VERSION_2024_01_01;
	if (!(error instanceof AuthError)) return { status: error.status, body: error.body, headers };
	headers['x-sb-error-code'] = error.errorCode;
	const body = modern
		? { code: error.errorCode, message: error.message, ...error.extra }
		: { code: error.status, error_code: error.errorCode, msg: error.message, ...error.extra };
	return { status: error.status, body, headers };
}

/** Anything unexpected, as GoTrue reports it (the cause goes to the log, not the client). */
export function unexpectedFailure(): AuthError {
	return new AuthError(
		500,
		'unexpected_failure',
		'Unexpected failure, please check server logs for more information'
	);
}
