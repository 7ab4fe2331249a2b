/**
 * The href to render for a notification's link, or null when it must not be a link.
 * Only absolute http(s) URLs and same-site relative paths pass: `javascript:`, `data:`,
 * protocol-relative `//host` and anything with control characters are refused.
 */
export function safeHref(url: string | null | undefined): string | null {
	if (!url) return null;
	const value = url.trim();
	if (value === '' || value.length > 2048) return null;
	// Browsers strip tabs/newlines inside URLs ("java\tscript:"), so refuse any control character.
	if (/[\u0000-\u001f\u007f\\]/.test(value)) return null; // eslint-disable-line no-control-regex
	if (value.startsWith('/')) {
		return value.startsWith('//') ? null : value;
	}
	let parsed: URL;
	try {
		parsed = new URL(value);
	} catch {
		return null;
	}
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
	if (!parsed.hostname) return null;
	return parsed.href;
}

/** Whether a link typed into the composer is acceptable (empty means no link). */
export function linkError(url: string): string | null {
	if (url.trim() === '') return null;
	return safeHref(url)
		? null
		: 'Use a web address starting with http:// or https://, or a path starting with /';
}

/** Whether an href leaves this site (then it opens in a new tab). */
export function isExternal(href: string): boolean {
	return /^https?:\/\//i.test(href);
}
