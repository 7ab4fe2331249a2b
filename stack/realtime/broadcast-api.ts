/**
 * The REST broadcast API under /realtime/v1/api:
 * - POST /api/broadcast {messages: [{topic, event, payload, private}]} -> 202 (realtime-js send() fallback)
 * - POST /api/broadcast/:topic/events/:event[?private=true] with a JSON or binary body -> 202 (httpSend())
 * Private messages go out only when the caller's INSERT policy on realtime.messages allows the topic;
 * the rest are skipped silently, as Supabase does.
 */
import { Hono, type Context } from 'hono';
import type { StackContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import type { GatewayEnv } from '../gateway/env.ts';
import { canWrite } from './authorization.ts';
import { topicKey, type Hub } from './broadcast.ts';
import { EXTENSIONS, PAYLOAD_ENCODING } from './constants.ts';
import type { Limits } from './limits.ts';
import { verifyToken, type VerifiedToken } from './tokens.ts';
import type { Json, OutgoingBroadcast } from './types.ts';

interface ApiMessage {
	topic: string;
	event: string;
	payload: Json;
	private: boolean;
}

export function createBroadcastApi(ctx: StackContext, hub: Hub, limits: Limits): Hono<GatewayEnv> {
	const app = new Hono<GatewayEnv>();

	/** The caller: the bearer token when it sends one, else its API key. */
	async function caller(c: Context<GatewayEnv>): Promise<VerifiedToken> {
		const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
		const token = bearer ?? c.get('apiKey') ?? c.req.header('apikey') ?? '';
		const check = await verifyToken(token, ctx.config.jwtSecret);
		if (!check.ok) throw new HttpError(401, { message: `${check.code}: ${check.message}` });
		return check;
	}

	/** Whether the caller may send on a private topic (cached per request). */
	function writeCheck(auth: VerifiedToken) {
		const decided = new Map<string, Promise<boolean>>();
		return (topic: string): Promise<boolean> => {
			let allowed = decided.get(topic);
			if (!allowed) {
				allowed = canWrite(
					ctx.pool,
					{ topic, role: auth.role, claims: auth.claims },
					EXTENSIONS.broadcast
				).catch(() => false);
				decided.set(topic, allowed);
			}
			return allowed;
		};
	}

	app.post('/api/broadcast', async (c) => {
		const auth = await caller(c);
		const messages = parseMessages(await c.req.json().catch(() => undefined));
		const mayWrite = writeCheck(auth);
		for (const message of messages) {
			if (Buffer.byteLength(JSON.stringify(message.payload)) > limits.maxPayloadBytes) continue;
			if (message.private && !(await mayWrite(message.topic))) continue;
			hub.broadcast(topicKey(message.topic, message.private), {
				kind: 'json',
				body: { type: 'broadcast', event: message.event, payload: message.payload }
			});
		}
		return c.body(null, 202);
	});

	app.post('/api/broadcast/:topic/events/:event', async (c) => {
		const auth = await caller(c);
		const topic = c.req.param('topic');
		const event = c.req.param('event');
		const isPrivate = c.req.query('private') === 'true';
		const body = Buffer.from(await c.req.arrayBuffer());
		if (body.length > limits.maxPayloadBytes) {
			throw new HttpError(413, { message: 'Payload too large' });
		}
		let outgoing: OutgoingBroadcast;
		if ((c.req.header('content-type') ?? '').startsWith('application/octet-stream')) {
			outgoing = { kind: 'bytes', event, encoding: PAYLOAD_ENCODING.binary, data: body };
		} else {
			let payload: Json;
			try {
				payload = JSON.parse(body.toString('utf8')) as Json;
			} catch {
				throw new HttpError(400, { message: 'The body must be JSON (or application/octet-stream).' });
			}
			outgoing = { kind: 'json', body: { type: 'broadcast', event, payload } };
		}
		if (isPrivate && !(await writeCheck(auth)(topic))) return c.body(null, 202);
		hub.broadcast(topicKey(topic, isPrivate), outgoing);
		return c.body(null, 202);
	});

	return app;
}

function parseMessages(body: unknown): ApiMessage[] {
	const list =
		typeof body === 'object' && body !== null ? (body as { messages?: unknown }).messages : undefined;
	if (!Array.isArray(list)) {
		throw new HttpError(422, {
			errors: { messages: ["can't be blank"] },
			message: '`messages` must be a list'
		});
	}
	return list.map((item, index) => {
		const m = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
		if (typeof m.topic !== 'string' || m.topic === '' || typeof m.event !== 'string' || m.event === '') {
			throw new HttpError(422, {
				errors: { messages: [`message ${index} needs a topic and an event`] },
				message: `message ${index} needs a topic and an event`
			});
		}
		return {
			topic: m.topic,
			event: m.event,
			payload: (m.payload ?? {}) as Json,
			private: m.private === true
		};
	});
}
