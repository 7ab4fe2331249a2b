/**
 * How deeply a JSON text nests, found by one pass over its characters before anything parses or
 * walks it: the recursive steps after JSON.parse (serializing for Postgres, merging metadata) run
 * out of stack on thousands of levels, and a client must not be able to cause that.
 */

/** Deeper than any metadata or row a person writes; far below where recursion runs out. */
export const MAX_JSON_DEPTH = 128;

/** True when `text` opens more than `max` objects/arrays inside each other (strings are skipped). */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
	let depth = 0;
	let inString = false;
	for (let i = 0; i < text.length; i++) {
		const ch = text.charCodeAt(i);
		if (inString) {
			if (ch === 0x5c)
				i++; // backslash: skip the escaped character
			else if (ch === 0x22) inString = false;
		} else if (ch === 0x22) inString = true;
		else if (ch === 0x7b || ch === 0x5b) {
			if (++depth > max) return true;
		} else if (ch === 0x7d || ch === 0x5d) depth--;
	}
	return false;
}
