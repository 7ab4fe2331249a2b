import type { AuthError } from '@supabase/supabase-js';

export type AuthField = 'email' | 'password' | 'form';

/** Turns an auth error into a sentence a person understands, and the field it belongs under. */
export function explainAuthError(error: Pick<AuthError, 'code' | 'status' | 'message'>): {
	field: AuthField;
	message: string;
} {
	switch (error.code) {
		case 'invalid_credentials':
			return { field: 'password', message: "That email and password don't match." };
		case 'email_not_confirmed':
			return { field: 'email', message: 'Confirm your email address first: the link is in your inbox.' };
		case 'user_already_exists':
		case 'email_exists':
			return { field: 'email', message: 'An account with this email already exists. Sign in instead.' };
		case 'weak_password':
			return { field: 'password', message: 'Choose a longer password (at least 6 characters).' };
		case 'email_address_invalid':
		case 'validation_failed':
			return { field: 'email', message: 'Enter a valid email address.' };
		case 'signup_disabled':
			return { field: 'form', message: 'New accounts are switched off on this server.' };
		case 'over_request_rate_limit':
		case 'over_email_send_rate_limit':
			return { field: 'form', message: 'Too many attempts. Wait a minute, then try again.' };
	}
	if (error.status === 429)
		return { field: 'form', message: 'Too many attempts. Wait a minute, then try again.' };
	if (!error.status || error.status >= 500) {
		return { field: 'form', message: "The sign-in service isn't answering. Try again in a moment." };
	}
	return { field: 'form', message: 'Something went wrong. Check what you typed and try again.' };
}
