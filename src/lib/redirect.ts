/** Longer than any path of this app; a cap before any parsing. */
const MAX_LENGTH = 2048;
/** Control characters (browsers drop tabs and newlines inside URLs) and backslashes (read as `/`). */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\\]/;
const BASE = 'http://beacon.invalid';

/**
 * Where to send someone after sign-in: `target` when it is a path on this site, else `/`.
 * The path must start with a single `/`, and neither it nor its percent-decoded form may contain
 * control characters or backslashes, or start with `//` (both read as another host by browsers).
 */
export function safeRedirect(target: string | null | undefined): string {
	if (!target || target.length > MAX_LENGTH) return '/';
	let decoded: string;
	try {
		decoded = decodeURIComponent(target);
	} catch {
		return '/';
	}
	for (const form of [target, decoded]) {
		if (!form.startsWith('/') || form.startsWith('//') || UNSAFE.test(form)) return '/';
	}
	// Whatever the URL parser makes of it must stay on this origin.
	const url = new URL(target, BASE);
	if (url.origin !== BASE) return '/';
	return target;
}
