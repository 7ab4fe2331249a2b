/**
 * Supabase Realtime for the local stack: the Phoenix WebSocket at /realtime/v1/websocket
 * (broadcast, presence, postgres changes through the changes engine) and the REST broadcast API.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Hono } from 'hono';
import { WebSocketServer } from 'ws';
import type { StackContext } from '../context.ts';
import type { GatewayEnv } from '../gateway/env.ts';
import { Hub, topicKey } from './broadcast.ts';
import type { ChangesEngine } from './changes-api.ts';
import { createChangesEngine } from './changes/index.ts';
import { ERRORS, PAYLOAD_ENCODING, VSN_1, VSN_2, type Vsn } from './constants.ts';
import { raiseOpenFileLimit } from './fds.ts';
import type { Limits } from './limits.ts';
import { createBroadcastApi } from './broadcast-api.ts';
import { Connection, type SocketServer } from './socket.ts';
import { verifyToken } from './tokens.ts';
import type { Json } from './types.ts';

export interface RealtimeService {
	app: Hono<GatewayEnv>;
	handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
	/** Whether the postgres changes stream runs. */
	readonly changesUp: boolean;
	/** Stops; frames already queued to sockets get up to graceMs to go out first. */
	close(graceMs?: number): Promise<void>;
}

const WEBSOCKET_PATH = '/realtime/v1/websocket';

export async function createRealtime(ctx: StackContext): Promise<RealtimeService> {
	const limits: Limits = ctx.config.realtime;
	const hub = new Hub(limits.presenceTickMs);
	let changes: ChangesEngine | null = null;
	try {
		changes = await createChangesEngine(ctx);
	} catch (error) {
		ctx.log.error('realtime: postgres changes are unavailable:', error);
	}

	await raiseOpenFileLimit(limits.maxConcurrentClients, ctx.log);

	// Every open socket counts against the client limit and its address's share, joined or not
	// (a socket that never joins still holds a file descriptor), from the upgrade on.
	const connections = new Set<Connection>();
	const sockets = new SocketCounter(limits.maxConcurrentClients, limits.maxConnectionsPerIp);
	const server: SocketServer = {
		ctx,
		hub,
		limits,
		changes,
		admitUser: (conn) => connections.has(conn),
		removeConnection(conn) {
			connections.delete(conn);
		}
	};

	// Broadcast from the database: realtime.messages rows arrive through the replication stream.
	changes?.onMessage((msg) => {
		if (msg.extension !== 'broadcast') return;
		try {
			const key = topicKey(msg.topic, msg.private);
			if (msg.binaryPayload) {
				// realtime.send_binary: a binary broadcast frame for vsn 2.0.0 (1.0.0 cannot carry it).
				const meta = JSON.stringify({ id: msg.id });
				const data = msg.binaryPayload;
				hub.broadcast(
					key,
					{ kind: 'bytes', event: msg.event, encoding: PAYLOAD_ENCODING.binary, data, meta },
					undefined,
					msg.id
				);
				return;
			}
			const payload = (msg.payload ?? {}) as Json;
			const id = isObject(payload) && typeof payload.id === 'string' ? payload.id : undefined;
			hub.broadcast(
				key,
				{
					kind: 'json',
					body: { type: 'broadcast', event: msg.event, payload, ...(id ? { meta: { id } } : {}) }
				},
				undefined,
				msg.id
			);
		} catch (error) {
			ctx.log.error('realtime: could not relay a database broadcast:', error);
		}
	});

	const wss = new WebSocketServer({
		noServer: true,
		// Past the payload limit a broadcast is refused politely; far past it the socket is cut.
		maxPayload: limits.maxPayloadBytes * 4 + 64 * 1024,
		perMessageDeflate: false
	});

	// Phoenix closes sockets that stay silent (no heartbeat) for a minute.
	const idleSweep = setInterval(
		() => {
			const deadline = Date.now() - limits.idleTimeoutMs;
			for (const conn of connections) if (conn.lastSeen < deadline) conn.terminate();
		},
		Math.max(1000, Math.min(limits.idleTimeoutMs / 4, 15_000))
	);
	idleSweep.unref();

	async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://localhost');
		if (url.pathname !== WEBSOCKET_PATH && url.pathname !== `${WEBSOCKET_PATH}/`) {
			return refuse(socket, 404, 'Not Found');
		}
		const vsn = url.searchParams.get('vsn') ?? VSN_1;
		if (vsn !== VSN_1 && vsn !== VSN_2) return refuse(socket, 400, 'Bad Request');
		const header = req.headers['apikey'] ?? req.headers['x-api-key'];
		const apiKey = url.searchParams.get('apikey') ?? (Array.isArray(header) ? header[0] : header);
		if (!apiKey) return refuse(socket, 401, 'Unauthorized');
		// The slot is taken before any await, so a burst of upgrades cannot overshoot the limits.
		const address = req.socket.remoteAddress ?? 'unknown';
		if (!sockets.take(address)) return refuse(socket, 429, 'Too Many Requests', ERRORS.tooManyUsers);
		// The slot is the file descriptor's: it is given back when the TCP socket is gone, however
		// that happens (refused below, handshake failed, closed by either side, terminated).
		socket.once('close', () => sockets.release(address));
		const check = await verifyToken(apiKey, ctx.config.jwtSecret);
		if (!check.ok) return refuse(socket, 401, 'Unauthorized');
		if (socket.destroyed) return;
		wss.handleUpgrade(req, socket, head, (ws) => {
			connections.add(new Connection(server, ws, vsn as Vsn, apiKey));
		});
	}

	return {
		app: createBroadcastApi(ctx, hub, limits),
		handleUpgrade(req, socket, head) {
			handleUpgrade(req, socket, head).catch((error: unknown) => {
				ctx.log.error('realtime: upgrade failed:', error);
				refuse(socket, 500, 'Internal Server Error');
			});
		},
		get changesUp() {
			return changes?.streaming ?? false;
		},
		async close(graceMs = 0) {
			clearInterval(idleSweep);
			// Outbound frames already handed to a socket are flushed before it is cut.
			const deadline = Date.now() + graceMs;
			while ([...connections].some((c) => c.buffered > 0) && Date.now() < deadline) {
				await new Promise((resolve) => setTimeout(resolve, 20));
			}
			for (const conn of connections) conn.terminate();
			connections.clear();
			hub.close();
			await new Promise<void>((resolve) => wss.close(() => resolve()));
			await changes?.close();
		}
	};
}

function refuse(socket: Duplex, status: number, text: string, body = text): void {
	if (socket.destroyed) return;
	socket.end(
		`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
	);
	// A client that never closes its side must not keep the descriptor.
	setTimeout(() => socket.destroy(), 2000).unref();
}

/** Open sockets in total and per client address, against their caps. */
export class SocketCounter {
	#total = 0;
	readonly #byAddress = new Map<string, number>();

	constructor(
		readonly maxTotal: number,
		readonly maxPerAddress: number
	) {}

	get total(): number {
		return this.#total;
	}

	/** Counts a socket of `address`; false (nothing counted) when a cap is reached. */
	take(address: string): boolean {
		const mine = this.#byAddress.get(address) ?? 0;
		if (this.#total >= this.maxTotal || mine >= this.maxPerAddress) return false;
		this.#total++;
		this.#byAddress.set(address, mine + 1);
		return true;
	}

	release(address: string): void {
		const mine = this.#byAddress.get(address) ?? 0;
		if (mine === 0) return;
		this.#total--;
		if (mine === 1) this.#byAddress.delete(address);
		else this.#byAddress.set(address, mine - 1);
	}
}

function isObject(value: unknown): value is Record<string, Json> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
