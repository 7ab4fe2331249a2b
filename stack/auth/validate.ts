/** GoTrue's checks on emails, phone numbers and ban durations, with its error texts. */
import { badRequest, ErrorCode } from './errors.ts';

/** The format badoux/checkmail accepts, which GoTrue uses (internal/api/mail.go validateEmail). */
const EMAIL =
	/^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** Returns the email lower-cased, as GoTrue stores it. */
export function validateEmail(email: string): string {
	if (email === '') throw badRequest(ErrorCode.ValidationFailed, 'An email address is required');
	if (email.length > 255) throw badRequest(ErrorCode.ValidationFailed, 'An email address is too long');
	if (!EMAIL.test(email)) {
		throw badRequest(ErrorCode.ValidationFailed, 'Unable to validate email address: invalid format');
	}
	return email.toLowerCase();
}

/** E.164 without the plus, as GoTrue stores phone numbers. */
export function validatePhone(phone: string): string {
	const digits = phone.replace(/^\+/, '').replaceAll(' ', '');
	if (!/^[1-9][0-9]{1,14}$/.test(digits)) {
		throw badRequest(ErrorCode.ValidationFailed, 'Invalid phone number format (E.164 required)');
	}
	return digits;
}

const UNIT_MS: Record<string, number> = {
	ns: 1e-6,
	us: 1e-3,
	µs: 1e-3,
	ms: 1,
	s: 1000,
	m: 60_000,
	h: 3_600_000
};

/**
 * A Go duration ("24h", "1h30m", "90s") in milliseconds, or 0 for "none" (lift a ban), as
 * GoTrue's admin API reads `ban_duration`.
 */
export function parseBanDuration(value: string): number {
	if (value === 'none') return 0;
	const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
	if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) {
		throw badRequest(
			ErrorCode.ValidationFailed,
			`invalid format for ban duration: time: invalid duration "${value}"`
		);
	}
	return parts.reduce((total, [, amount, unit]) => total + Number(amount) * UNIT_MS[unit], 0);
}
