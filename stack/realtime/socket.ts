/**
 * One WebSocket client: decodes frames, answers heartbeats, routes channel events, and writes
 * frames back (dropping a slow consumer whose send buffer grows past the cap).
 * Phoenix socket behaviour: unknown topics get an "unmatched topic" error reply, a second join on
 * a topic closes the first, and frames that do not decode are ignored.
 */
import type { WebSocket } from 'ws';
import { Channel, JoinError, type ChannelConnection, type ChannelServer } from './channel.ts';
import { CLIENT_EVENTS, ERRORS, PHOENIX_TOPIC, SERVER_EVENTS, TOPIC_PREFIX, type Vsn } from './constants.ts';
import { RateWindow } from './limits.ts';
import { decodeFrame, encodeMessage, FrameError } from './serializer.ts';
import { parseJoinPayload } from './join.ts';
import type { PhxMessage, ReplyStatus } from './types.ts';

/** What a socket needs from the server beyond what its channels need. */
export interface SocketServer extends ChannelServer {
	/** Counts the socket as a connected user (max concurrent clients); false when full. */
	admitUser(conn: Connection): boolean;
	removeConnection(conn: Connection): void;
}

let nextConnectionId = 1;

export class Connection implements ChannelConnection {
	readonly id = nextConnectionId++;
	readonly eventRate: RateWindow;
	readonly joinRate: RateWindow;
	readonly channels = new Map<string, Channel>();
	lastSeen = Date.now();
	#closed = false;
	/** Closes the socket unless it sends a heartbeat or a join in time (cleared once it does). */
	#joinTimer: NodeJS.Timeout | null;

	constructor(
		private readonly server: SocketServer,
		private readonly ws: WebSocket,
		readonly vsn: Vsn,
		readonly apiKey: string
	) {
		const { maxEventsPerSecond, maxJoinsPerSecond } = server.limits;
		this.eventRate = new RateWindow(maxEventsPerSecond, 1000);
		this.joinRate = new RateWindow(maxJoinsPerSecond, 1000);
		ws.on('message', (data, isBinary) => this.#onFrame(toBuffer(data), isBinary));
		ws.on('close', () => this.#onClose());
		ws.on('error', (error) => {
			server.ctx.log.debug(`realtime: socket error: ${error.message}`);
		});
		this.#joinTimer = setTimeout(() => {
			server.ctx.log.debug('realtime: closing a socket that sent neither a heartbeat nor a join');
			this.terminate();
		}, server.limits.joinTimeoutMs);
		this.#joinTimer.unref();
	}

	/** The client spoke the protocol (a heartbeat or a join): it is no longer a candidate for the join timeout. */
	#engaged(): void {
		if (this.#joinTimer) clearTimeout(this.#joinTimer);
		this.#joinTimer = null;
	}

	// ---- output ------------------------------------------------------------------------------

	send(frame: Buffer, binary: boolean): void {
		if (this.#closed || this.ws.readyState !== this.ws.OPEN) return;
		if (this.ws.bufferedAmount > this.server.limits.maxBufferedBytes) {
			this.server.ctx.log.warn(`realtime: dropping a slow client (${this.ws.bufferedAmount} bytes queued)`);
			this.ws.terminate();
			return;
		}
		this.ws.send(frame, { binary });
	}

	push(msg: PhxMessage): void {
		this.send(encodeMessage(this.vsn, msg), false);
	}

	forget(channel: Channel): void {
		if (this.channels.get(channel.topic) === channel) this.channels.delete(channel.topic);
	}

	/** Bytes queued to the socket and not yet written (a shutdown waits for them). */
	get buffered(): number {
		return this.ws.bufferedAmount;
	}

	/** Closes the socket (the client reconnects and rejoins). */
	disconnect(): void {
		if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000);
	}

	/** Drops the socket now, releasing its channels before it goes (used on shutdown and idle sweeps). */
	terminate(): void {
		this.#onClose();
		this.ws.terminate();
	}

	#reply(msg: PhxMessage, status: ReplyStatus, response: unknown): void {
		this.push({
			joinRef: msg.joinRef,
			ref: msg.ref,
			topic: msg.topic,
			event: SERVER_EVENTS.reply,
			payload: { status, response }
		});
	}

	/** Phoenix's answer to a message for a topic this socket has not joined (no join_ref). */
	#unmatched(msg: PhxMessage): void {
		this.#reply({ ...msg, joinRef: null }, 'error', { reason: ERRORS.unmatchedTopic });
	}

	// ---- input -------------------------------------------------------------------------------

	#onFrame(data: Buffer, isBinary: boolean): void {
		this.lastSeen = Date.now();
		let msg: PhxMessage;
		try {
			msg = decodeFrame(data, isBinary, this.vsn);
		} catch (error) {
			if (error instanceof FrameError)
				this.server.ctx.log.debug(`realtime: ignoring a frame: ${error.message}`);
			else this.server.ctx.log.error('realtime: could not decode a frame:', error);
			return;
		}
		try {
			this.#route(msg, data.length);
		} catch (error) {
			this.server.ctx.log.error('realtime: unexpected error handling a frame:', error);
		}
	}

	#route(msg: PhxMessage, frameBytes: number): void {
		if (msg.topic === PHOENIX_TOPIC) {
			if (msg.event === CLIENT_EVENTS.heartbeat) {
				this.#engaged();
				this.#reply(msg, 'ok', {});
			}
			return;
		}
		if (msg.event === CLIENT_EVENTS.join) {
			this.#engaged();
			return this.#join(msg);
		}
		const channel = this.channels.get(msg.topic);
		if (!channel) {
			if (msg.event === CLIENT_EVENTS.leave) return this.#reply(msg, 'ok', {});
			return this.#unmatched(msg);
		}
		if (msg.event === CLIENT_EVENTS.leave) {
			// A leave for an earlier join of this topic raced a server close: Phoenix does not answer.
			if (msg.joinRef && channel.joinRef && msg.joinRef !== channel.joinRef) return;
			channel.enqueue(async () => channel.leave(msg.ref));
			return;
		}
		channel.enqueue(() => channel.handle(msg, frameBytes));
	}

	#join(msg: PhxMessage): void {
		if (!msg.topic.startsWith(TOPIC_PREFIX)) return this.#unmatched(msg);
		const existing = this.channels.get(msg.topic);
		if (existing) {
			// Phoenix closes the earlier join of the same topic before joining again.
			if (existing.joined) {
				this.push({
					joinRef: existing.joinRef,
					ref: existing.joinRef,
					topic: existing.topic,
					event: SERVER_EVENTS.close,
					payload: {}
				});
			}
			existing.teardown();
		}
		const channel = new Channel(this, this.server, msg.topic, msg.joinRef ?? msg.ref);
		this.channels.set(msg.topic, channel);
		channel.enqueue(async () => {
			const reason = this.#joinRefusal(channel);
			if (reason) {
				channel.teardown();
				// Every join refusal waits first, as Supabase's join_error does (CHANNEL_ERROR_BACKOFF_MS).
				await pause(this.server.limits.joinErrorBackoffMs);
				this.#reply(msg, 'error', { reason });
				if (reason === ERRORS.tooManyJoins) this.disconnect();
				return;
			}
			const request = parseJoinPayload(msg.payload, this.server.limits);
			if (!request.ok) {
				channel.teardown();
				await pause(this.server.limits.joinErrorBackoffMs);
				this.#reply(msg, 'error', { reason: request.reason });
				return;
			}
			try {
				const response = await channel.join(request.value);
				if (channel.closed) return;
				this.#reply(msg, 'ok', response);
				channel.joinReplied();
			} catch (error) {
				channel.teardown();
				// A join the server could not handle still gets its answer, or the client waits 10 s for it.
				if (!(error instanceof JoinError)) {
					this.server.ctx.log.error(`realtime: unexpected error joining ${msg.topic}:`, error);
					this.#reply(msg, 'error', { reason: ERRORS.unknown });
					return;
				}
				await pause(this.server.limits.joinErrorBackoffMs);
				this.#reply(msg, 'error', { reason: error.message });
			}
		});
	}

	/** Checks the limits a join must pass. */
	#joinRefusal(channel: Channel): string | null {
		if (channel.subTopic === '') return ERRORS.topicRequired;
		if (!this.server.admitUser(this)) return ERRORS.tooManyUsers;
		// Supabase checks joins/s (per tenant) before channels; per connection, a client opening its
		// 101st channel within a second would then hear about joins, so channels are checked first.
		const others = this.channels.size - (this.channels.get(channel.topic) === channel ? 1 : 0);
		if (others >= this.server.limits.maxChannelsPerClient) return ERRORS.tooManyChannels;
		if (!this.joinRate.hit()) return ERRORS.tooManyJoins;
		return null;
	}

	#onClose(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#engaged();
		for (const channel of [...this.channels.values()]) channel.teardown();
		this.channels.clear();
		this.server.removeConnection(this);
	}
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
	if (Buffer.isBuffer(data)) return data;
	if (Array.isArray(data)) return Buffer.concat(data);
	return Buffer.from(data);
}

function pause(ms: number): Promise<void> {
	return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
