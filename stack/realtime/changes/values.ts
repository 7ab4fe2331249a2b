/**
 * Turns a column's text (as its type's output function wrote it) into the JSON value Supabase
 * sends. Supabase builds records with `to_jsonb(value::type)`, so: numbers for the numeric types,
 * booleans, parsed json/jsonb, XSD-style timestamps ("2026-11-29T10:00:00.123456+00:00"), JSON
 * arrays for arrays, and the text itself for everything else (uuid, text, time, interval, ...).
 * realtime-js then converts by the column's type name (see its lib/transformers.ts).
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** How to_jsonb treats a type (after resolving domains to their base type). */
export type JsonCategory =
	'bool' | 'number' | 'json' | 'date' | 'timestamp' | 'timestamptz' | 'array' | 'text';

export interface TypeInfo {
	oid: number;
	/** pg_type.typname: what Supabase puts in `columns[].type` ('int4', 'timestamptz', '_text'). */
	name: string;
	category: JsonCategory;
	/** Element type of an array type. */
	element?: TypeInfo;
	/** pg_type.typcategory of the base type ('N' numeric, 'S' string, 'B' boolean, 'D' date/time...). */
	pgCategory: string;
}

const BY_BASE_NAME: Record<string, JsonCategory> = {
	bool: 'bool',
	int2: 'number',
	int4: 'number',
	int8: 'number',
	float4: 'number',
	float8: 'number',
	numeric: 'number',
	json: 'json',
	jsonb: 'json',
	date: 'date',
	timestamp: 'timestamp',
	timestamptz: 'timestamptz'
};

export function categoryOf(baseTypeName: string, isArray: boolean): JsonCategory {
	if (isArray) return 'array';
	return BY_BASE_NAME[baseTypeName] ?? 'text';
}

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

export function toJsonValue(type: TypeInfo, text: string): JsonValue {
	switch (type.category) {
		case 'bool':
			return text === 't' ? true : text === 'f' ? false : text;
		case 'number':
			// NaN and Infinity are not JSON numbers: to_jsonb keeps them as strings.
			return JSON_NUMBER.test(text) ? Number(text) : text;
		case 'json':
			try {
				return JSON.parse(text) as JsonValue;
			} catch {
				return text;
			}
		case 'date':
			return text;
		case 'timestamp':
			return xsdDateTime(text, false);
		case 'timestamptz':
			return xsdDateTime(text, true);
		case 'array': {
			const element = type.element;
			const parsed = parseArrayLiteral(text);
			if (parsed === undefined || !element) return text;
			return mapArray(parsed, element);
		}
		default:
			return text;
	}
}

type Nested = Array<string | null | Nested>;

function mapArray(values: Nested, element: TypeInfo): JsonValue[] {
	return values.map((v) =>
		v === null ? null : Array.isArray(v) ? mapArray(v, element) : toJsonValue(element, v)
	);
}

/** "2026-11-29 10:00:00.5+00" -> "2026-11-29T10:00:00.5+00:00" (ISO DateStyle in, XSD out). */
function xsdDateTime(text: string, withZone: boolean): string {
	if (text === 'infinity' || text === '-infinity') return text;
	let out = text.replace(' ', 'T');
	if (withZone && /[+-]\d\d$/.test(out)) out += ':00';
	return out;
}

/**
 * Parses a Postgres array literal ("{1,2}", '{"a b",NULL}', "{{1,2},{3,4}}", "[0:1]={1,2}") into
 * nested arrays of element texts. Returns undefined when the text is not an array literal.
 */
export function parseArrayLiteral(text: string): Nested | undefined {
	let i = 0;
	if (text[0] === '[') {
		const eq = text.indexOf('=');
		if (eq < 0) return undefined;
		i = eq + 1;
	}
	if (text[i] !== '{') return undefined;

	const parseLevel = (): Nested => {
		const out: Nested = [];
		i++; // '{'
		if (text[i] === '}') {
			i++;
			return out;
		}
		for (;;) {
			if (text[i] === '{') {
				out.push(parseLevel());
			} else if (text[i] === '"') {
				i++;
				let s = '';
				while (i < text.length && text[i] !== '"') {
					if (text[i] === '\\') i++;
					s += text[i++];
				}
				i++; // closing quote
				out.push(s);
			} else {
				let s = '';
				while (i < text.length && text[i] !== ',' && text[i] !== '}') s += text[i++];
				out.push(s === 'NULL' ? null : s);
			}
			if (text[i] === ',') {
				i++;
				continue;
			}
			i++; // '}'
			return out;
		}
	};
	return parseLevel();
}
