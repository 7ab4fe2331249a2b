/**
 * nginx's lingering close, for an answer sent before its request has fully arrived: a refusal (no
 * key, too large) or a request Node's HTTP parser rejects (headers over 16 KB, malformed). Closing
 * a socket that still has unread input makes the kernel answer with a reset, and a reset can reach
 * a client that is still uploading before it has read the answer: it sees EPIPE or ECONNRESET and
 * never the 413. So the answer goes out with a FIN, and what the client still sends is read and
 * dropped until it closes its side, within bounds (nginx: `lingering_time` 30 s,
 * `lingering_timeout` 5 s), so a client cannot hold the socket or the CPU for long.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface LingerLimits {
	/** Close at the latest this long after the answer was sent. */
	maxMs: number;
	/** Close once the client has sent nothing for this long. */
	idleMs: number;
	/** Close once the client has sent this many more bytes. */
	maxBytes: number;
}

export const LINGER: LingerLimits = { maxMs: 30_000, idleMs: 5_000, maxBytes: 16 * 1024 * 1024 };

const CHECK_MS = 100;
const lingering = new WeakSet<Socket>();

/**
 * Makes the server's close of this request's socket a lingering one. Node's HTTP server closes
 * the socket with `destroySoon()` once a `Connection: close` response is written; hono's body
 * cleanup does the same when its own short drain gives up. Both get the lingering close instead.
 */
export function lingerOnClose(request: IncomingMessage, limits: LingerLimits = LINGER): void {
	const socket = request.socket;
	if (lingering.has(socket)) return;
	lingering.add(socket);
	socket.destroySoon = () => {
		// The HTTP parser goes on reading the rest of the body and the request drops it, as Node's own
		// dump of an unread body does: the body stream the app was handed would pause it at once
		// (nobody reads it).
		request.removeAllListeners('data');
		request.resume();
		lingerThenClose(socket, limits);
	};
}

/**
 * Node's answer to a request its parser rejects (`clientError`), with a JSON body like every other
 * refusal of the gateway, and a lingering close. Node calls this again for every later read of a
 * rejected connection; those are dropped.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
	if (lingering.has(socket) || socket.destroyed) return;
	lingering.add(socket);
	// A client that went away, or a response already part-way out on this connection: nothing to say.
	const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
	if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
		socket.destroy();
		return;
	}
	const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? 400;
	const body = JSON.stringify({ message: STATUS_CODES[status] ?? 'Bad Request' });
	socket.write(
		`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n` +
			`Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
	);
	lingerThenClose(socket);
}

/** The statuses Node's own `clientError` answer uses. */
const CLIENT_ERROR_STATUS: Record<string, number> = {
	HPE_HEADER_OVERFLOW: 431,
	HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
	ERR_HTTP_REQUEST_TIMEOUT: 408
};

/**
 * Ends our side once what is written has gone out, and goes on reading (the server's sockets
 * allow half-open) until the client closes its side or a limit is reached.
 */
function lingerThenClose(socket: Socket, limits: LingerLimits = LINGER): void {
	if (socket.destroyed || socket.writableEnded) return;
	const startedAt = Date.now();
	const firstByte = socket.bytesRead;
	let lastBytes = firstByte;
	let lastActivity = startedAt;
	const check = setInterval(
		() => {
			const now = Date.now();
			const bytes = socket.bytesRead;
			if (bytes !== lastBytes) {
				lastBytes = bytes;
				lastActivity = now;
			}
			const over =
				now - startedAt >= limits.maxMs ||
				now - lastActivity >= limits.idleMs ||
				bytes - firstByte > limits.maxBytes;
			if (over) socket.destroy();
		},
		Math.min(CHECK_MS, limits.idleMs)
	);
	check.unref();
	socket.once('close', () => clearInterval(check));
	socket.end();
	socket.resume();
}
