/**
 * Reading requests the way GoTrue does: the body is JSON whatever the Content-Type, and a field of
 * the wrong type is a bad_json error (Go's json.Unmarshal into a typed struct).
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Context } from 'hono';
import { jsonTooDeep } from '../json-depth.ts';
import { badRequest, ErrorCode } from './errors.ts';
import type { JsonObject } from './users.ts';

export class Params {
	constructor(private readonly body: JsonObject) {}

	#typeError(field: string, expected: string, value: unknown): never {
		const got = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
		throw badRequest(
			ErrorCode.BadJSON,
			`Could not parse request body as JSON: json: cannot unmarshal ${got} into field ${field} of type ${expected}`
		);
	}

	/** A string field; absent or null reads as "" like a Go string. */
	string(field: string): string {
		const value = this.body[field];
		if (value === undefined || value === null) return '';
		if (typeof value !== 'string') this.#typeError(field, 'string', value);
		return value;
	}

	/** A string field where absent (undefined) differs from "" (Go's *string). */
	optionalString(field: string): string | undefined {
		const value = this.body[field];
		if (value === undefined || value === null) return undefined;
		if (typeof value !== 'string') this.#typeError(field, 'string', value);
		return value;
	}

	boolean(field: string): boolean {
		const value = this.body[field];
		if (value === undefined || value === null) return false;
		if (typeof value !== 'boolean') this.#typeError(field, 'bool', value);
		return value;
	}

	/** A boolean field where absent (undefined) differs from false (Go's *bool, or a default true). */
	optionalBoolean(field: string): boolean | undefined {
		const value = this.body[field];
		if (value === undefined || value === null) return undefined;
		if (typeof value !== 'boolean') this.#typeError(field, 'bool', value);
		return value;
	}

	/** A JSON object field (map[string]interface{}); absent or null reads as undefined. */
	object(field: string): JsonObject | undefined {
		const value = this.body[field];
		if (value === undefined || value === null) return undefined;
		if (typeof value !== 'object' || Array.isArray(value)) this.#typeError(field, 'object', value);
		return value as JsonObject;
	}
}

/** The request body as parameters; malformed JSON is GoTrue's 400 bad_json. */
export async function readParams(c: Context): Promise<Params> {
	const text = await c.req.text();
	// Go's decoder words its own nesting limit this way; ours is far lower (see json-depth.ts).
	if (jsonTooDeep(text))
		throw badRequest(ErrorCode.BadJSON, 'Could not parse request body as JSON: exceeded max depth');
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch (error) {
		const reason = text.trim() === '' ? 'unexpected end of JSON input' : (error as Error).message;
		throw badRequest(ErrorCode.BadJSON, `Could not parse request body as JSON: ${reason}`);
	}
	if (parsed === null) return new Params({});
	if (typeof parsed !== 'object' || Array.isArray(parsed)) {
		const got = Array.isArray(parsed) ? 'array' : typeof parsed;
		throw badRequest(
			ErrorCode.BadJSON,
			`Could not parse request body as JSON: json: cannot unmarshal ${got} into an object`
		);
	}
	return new Params(parsed as JsonObject);
}

/** The TCP peer's address, IPv4-mapped IPv6 written as plain IPv4. */
export function peerAddress(c: Context): string {
	const env = c.env as { incoming?: IncomingMessage } | undefined;
	return (env?.incoming?.socket?.remoteAddress ?? 'unknown').replace(/^::ffff:(?=\d)/, '');
}

/**
 * The client's address, what rate limits key on and sessions record. A trusted proxy (the app
 * server signing people in from its backend) names the client in `header`; the nearest hop that
 * is not itself a trusted proxy is the client, so entries a client put in front of the proxy's
 * own cannot move its bucket. From anyone else the header is ignored: it could be forged.
 */
export function clientAddress(c: Context, header: string, trusted: readonly string[]): string {
	const peer = peerAddress(c);
	if (!trusted.includes(peer)) return peer;
	const hops = (c.req.header(header) ?? '')
		.split(',')
		.map((hop) => hop.trim().replace(/^::ffff:(?=\d)/, ''))
		.filter((hop) => isIP(hop) !== 0);
	for (let i = hops.length - 1; i >= 0; i--) if (!trusted.includes(hops[i])) return hops[i];
	return hops[0] ?? peer;
}

/** GoTrue's bearer pattern: `Bearer <token>` with a capital or small b. */
export function bearerToken(c: Context): string | null {
	const match = /^[Bb]earer (\S+)$/.exec(c.req.header('authorization') ?? '');
	return match ? match[1] : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);
