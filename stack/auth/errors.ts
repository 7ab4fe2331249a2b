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

/** GoTrue's error codes (internal/api/apierrors/errorcode.go), the ones this stack answers with. */
export const ErrorCode = {
	AnonymousProviderDisabled: 'anonymous_provider_disabled',
	BadJSON: 'bad_json',
	BadJWT: 'bad_jwt',
	EmailExists: 'email_exists',
	EmailNotConfirmed: 'email_not_confirmed',
	EmailProviderDisabled: 'email_provider_disabled',
	FlowStateNotFound: 'flow_state_not_found',
	InvalidCredentials: 'invalid_credentials',
	ManualLinkingDisabled: 'manual_linking_disabled',
	MFAFactorNotFound: 'mfa_factor_not_found',
	MFAPhoneEnrollNotEnabled: 'mfa_phone_enroll_not_enabled',
	MFATOTPEnrollNotEnabled: 'mfa_totp_enroll_not_enabled',
	MFAWebAuthnEnrollNotEnabled: 'mfa_webauthn_enroll_not_enabled',
	NoAuthorization: 'no_authorization',
	NotAdmin: 'not_admin',
	NotFound: 'not_found',
	OTPDisabled: 'otp_disabled',
	OTPExpired: 'otp_expired',
	OverEmailSendRateLimit: 'over_email_send_rate_limit',
	OverRequestRateLimit: 'over_request_rate_limit',
	PasskeyDisabled: 'passkey_disabled',
	PhoneExists: 'phone_exists',
	PhoneProviderDisabled: 'phone_provider_disabled',
	ProviderDisabled: 'provider_disabled',
	ReauthenticationNotValid: 'reauthentication_not_valid',
	RefreshTokenAlreadyUsed: 'refresh_token_already_used',
	RefreshTokenNotFound: 'refresh_token_not_found',
	SamePassword: 'same_password',
	SAMLProviderDisabled: 'saml_provider_disabled',
	SessionExpired: 'session_expired',
	SessionNotFound: 'session_not_found',
	SignupDisabled: 'signup_disabled',
	SSOProviderDisabled: 'sso_provider_disabled',
	UnexpectedFailure: 'unexpected_failure',
	UserAlreadyExists: 'user_already_exists',
	UserBanned: 'user_banned',
	UserNotFound: 'user_not_found',
	ValidationFailed: 'validation_failed',
	WeakPassword: 'weak_password',
	Web3ProviderDisabled: 'web3_provider_disabled'
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class AuthError extends HttpError {
	constructor(
		status: number,
		readonly errorCode: ErrorCode,
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

export const badRequest = (code: ErrorCode, message: string) => new AuthError(400, code, message);
export const unprocessable = (code: ErrorCode, message: string) => new AuthError(422, code, message);
export const forbidden = (code: ErrorCode, message: string) => new AuthError(403, code, message);
export const notFound = (code: ErrorCode, message: string) => new AuthError(404, code, message);

export function weakPassword(message: string, reasons: string[]): AuthError {
	return new AuthError(422, ErrorCode.WeakPassword, message, { weak_password: { reasons } });
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
		ErrorCode.UnexpectedFailure,
		'Unexpected failure, please check server logs for more information'
	);
}
