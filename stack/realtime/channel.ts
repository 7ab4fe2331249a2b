/**
 * One joined `realtime:<name>` channel of one socket: join (limits, token, private authorization,
 * postgres changes), broadcast, presence, access token refresh and expiry, leave.
 * Semantics and texts follow supabase/realtime's realtime_channel.ex and its handlers.
 */
import { randomUUID } from 'node:crypto';
import type { StackContext } from '../context.ts';
import { AuthorizationUnavailable, canWrite, readPolicies, type ReadPolicies } from './authorization.ts';
import { toOutgoing, topicKey, type Hub, type Member } from './broadcast.ts';
import {
	ChangesError,
	ChangesUnavailable,
	STREAM_TEXTS,
	type ChangeBinding,
	type ChangesEngine,
	type ChangeSubscription,
	type SubscriberClaims
} from './changes-api.ts';
import {
	ERROR_CODES,
	ERRORS,
	EXTENSIONS,
	PAYLOAD_ENCODING,
	SERVER_EVENTS,
	VSN_2,
	REPLICATION_NOT_READY,
	REPLICATION_READY,
	SUBSCRIBED_TO_POSTGRES,
	type Vsn
} from './constants.ts';
import type { Limits, RateWindow } from './limits.ts';
import { REPLAY_ERRORS, replayParams, storedBroadcasts, type StoredBroadcast } from './replay.ts';
import { encodeUserBroadcast } from './serializer.ts';
import { secondsSinceExpiry, verifyToken, type VerifiedToken } from './tokens.ts';
import type { JoinRequest } from './join.ts';
import type { JsonObject, PhxMessage, ReplyStatus, ServerPush, SystemPayload } from './types.ts';

/** What a channel needs from its socket. */
export interface ChannelConnection {
	readonly vsn: Vsn;
	/** The token the socket connected with (its apikey). */
	readonly apiKey: string;
	readonly eventRate: RateWindow;
	push(msg: PhxMessage): void;
	send(frame: Buffer, binary: boolean): void;
	/** The channel is gone: drop it from the socket's table. */
	forget(channel: Channel): void;
}

/** What a channel needs from the server. */
export interface ChannelServer {
	readonly ctx: StackContext;
	readonly hub: Hub;
	readonly limits: Limits;
	readonly changes: ChangesEngine | null;
}

/** A join refusal: the reply's reason. */
export class JoinError extends Error {}

/** A Phoenix `{:error, reason}` from Supabase's join: `Code: text`. */
function refusal(code: string, message: string): JoinError {
	return new JoinError(`${code}: ${message}`);
}

/** Long-lived tokens are re-checked at least hourly (as Supabase does), not timed to their far-off exp. */
const MAX_TIMER_MS = 60 * 60 * 1000;
let nextChannelId = 1;

type State = 'joining' | 'joined' | 'closed';

export class Channel implements Member {
	readonly id = nextChannelId++;
	readonly subTopic: string;
	#state: State = 'joining';
	#queue: Promise<void> = Promise.resolve();
	#private = false;
	#selfBroadcast = false;
	#ack = false;
	#presenceKey = '';
	#presenceEnabled = false;
	#replicationReady = false;
	#tracked = false;
	#key = '';
	#token = '';
	#auth: VerifiedToken | null = null;
	#read: ReadPolicies | null = null;
	#broadcastWrite: boolean | null = null;
	#presenceWrite: boolean | null = null;
	#changes: ChangeSubscription | null = null;
	#expiryTimer: NodeJS.Timeout | null = null;
	#presenceCalls = 0;
	#presenceWindowEnds = 0;
	/** What goes out right after the join reply (presence state, the postgres changes system message). */
	#afterJoinReply: (() => void) | null = null;
	/** Ids of the database messages replayed on joining (not sent again when relayed live). */
	#replayedIds: Set<string> | null = null;

	constructor(
		private readonly conn: ChannelConnection,
		private readonly server: ChannelServer,
		readonly topic: string,
		readonly joinRef: string | null
	) {
		this.subTopic = topic.slice(topic.indexOf(':') + 1);
	}

	get vsn(): Vsn {
		return this.conn.vsn;
	}

	get joined(): boolean {
		return this.#state === 'joined';
	}

	get closed(): boolean {
		return this.#state === 'closed';
	}

	/** Runs `work` after everything queued before it, so a channel handles its messages in order. */
	enqueue(work: () => Promise<void>): void {
		this.#queue = this.#queue.then(work).catch((error: unknown) => {
			this.server.ctx.log.error(`realtime: unexpected error on ${this.topic}:`, error);
			if (!this.closed) this.shutdown(ERRORS.unknown);
		});
	}

	// ---- join -------------------------------------------------------------------------------

	/** Joins; throws JoinError with the reply's reason when refused. */
	async join(request: JoinRequest): Promise<Record<string, unknown>> {
		this.#private = request.private;
		this.#selfBroadcast = request.broadcast.self;
		this.#ack = request.broadcast.ack;
		this.#presenceKey = request.presence.key ?? randomUUID();
		this.#presenceEnabled = request.presence.enabled;
		this.#replicationReady = request.broadcast.replicationReady;
		this.#key = topicKey(this.subTopic, this.#private);

		const token = request.accessToken;
		this.#token = token && !token.startsWith('sb_') ? token : this.conn.apiKey;
		this.#auth = await this.#verify(this.#token);

		if (this.#private) {
			this.#read = await this.#readPolicies();
			if (!this.#read.broadcast && !this.#read.presence) {
				throw refusal(ERROR_CODES.unauthorized, ERRORS.unauthorizedRead(this.subTopic));
			}
		}

		const replay = await this.#storedForReplay(request.broadcast.replay);

		const bindings = request.postgresChanges;
		const response = { postgres_changes: [] as Array<Record<string, unknown>> };
		let changesOutcome: SystemPayload | null = null;
		if (bindings.length > 0) {
			const { ids, outcome } = await this.#subscribeChanges(bindings);
			response.postgres_changes = bindings.map((b, i) => ({ ...b, id: ids[i] }));
			changesOutcome = outcome;
		}
		if (this.closed) {
			this.#changes?.close();
			throw new JoinError(ERRORS.unknown);
		}

		this.#state = 'joined';
		// Members joining mid-tick get the state; pending diffs go out first so nobody sees them twice.
		if (this.#presenceEnabled) this.server.hub.presence.flush(this.#key);
		this.server.hub.join(this.#key, this);
		this.#scheduleExpiry();
		this.#afterJoinReply = () => {
			for (const message of replay) this.#replay(message);
			if (this.receivesPresence()) this.#pushPresenceState();
			if (changesOutcome) this.#push({ event: SERVER_EVENTS.system, payload: changesOutcome });
			if (this.#replicationReady) void this.#notifyReplicationReady();
		};
		return response;
	}

	/**
	 * `broadcast.replay`: the stored broadcasts to send right after the join reply. Refused on a
	 * public channel, without the broadcast read policy, or with parameters Supabase rejects.
	 */
	async #storedForReplay(raw: unknown): Promise<StoredBroadcast[]> {
		if (raw === undefined || raw === null) return [];
		if (this.#private && !this.#read?.broadcast) {
			throw refusal(ERROR_CODES.unauthorized, ERRORS.unauthorizedRead(this.subTopic));
		}
		if (!this.#private) throw refusal(REPLAY_ERRORS.code, REPLAY_ERRORS.publicChannel);
		const params = replayParams(raw);
		if (!params) throw refusal(REPLAY_ERRORS.code, REPLAY_ERRORS.invalidParams);
		let stored: StoredBroadcast[];
		try {
			stored = await storedBroadcasts(this.server.ctx.pool, this.subTopic, params);
		} catch (error) {
			this.server.ctx.log.warn(`realtime: replay on ${this.topic} failed: ${(error as Error).message}`);
			throw refusal(REPLAY_ERRORS.code, REPLAY_ERRORS.failed);
		}
		// A message replayed here and then relayed live (it committed during the join) comes once.
		this.#replayedIds = new Set(stored.map((message) => message.id));
		return stored;
	}

	/** Sends one replayed message as Supabase does: its meta says replayed, with the message id. */
	#replay(message: StoredBroadcast): void {
		const meta = { replayed: true, id: message.id };
		if (!message.binaryPayload) {
			const payload = {
				type: 'broadcast',
				event: message.event,
				payload: message.payload,
				meta
			} as JsonObject;
			this.#push({ event: SERVER_EVENTS.broadcast, payload });
			return;
		}
		// Bytes travel only in vsn 2.0.0 binary frames; 1.0.0 sockets get nothing (as in Supabase).
		if (this.vsn !== VSN_2) return;
		const frame = encodeUserBroadcast(
			this.topic,
			message.event,
			PAYLOAD_ENCODING.binary,
			message.binaryPayload,
			JSON.stringify(meta)
		);
		if (frame) this.conn.send(frame, true);
	}

	replayed(id: string): boolean {
		return this.#replayedIds?.has(id) ?? false;
	}

	/** Pushes what follows the join reply (presence state, the postgres changes system message). */
	joinReplied(): void {
		const next = this.#afterJoinReply;
		this.#afterJoinReply = null;
		next?.();
	}

	/** `broadcast.replication_ready`: say when changes can flow, or close the channel if they cannot in time. */
	async #notifyReplicationReady(): Promise<void> {
		const timeout = this.server.limits.replicationReadyTimeoutMs;
		const engine = this.server.changes;
		const ready = engine
			? await engine.replicationReady(timeout).catch(() => false)
			: await new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeout).unref());
		if (this.closed) return;
		if (ready)
			this.#push({ event: SERVER_EVENTS.system, payload: this.#system('system', 'ok', REPLICATION_READY) });
		else this.shutdown(REPLICATION_NOT_READY);
	}

	async #verify(token: string): Promise<VerifiedToken> {
		const check = await verifyToken(token, this.server.ctx.config.jwtSecret);
		if (!check.ok) throw refusal(check.code, check.message);
		return check;
	}

	async #readPolicies(): Promise<ReadPolicies> {
		try {
			return await readPolicies(this.server.ctx.pool, this.#authorizationContext());
		} catch (error) {
			if (error instanceof AuthorizationUnavailable) {
				this.server.ctx.log.warn(`realtime: authorization check failed: ${error.message}`);
				throw new JoinError(ERRORS.databaseUnavailable);
			}
			throw error;
		}
	}

	#authorizationContext() {
		const auth = this.#requireAuth();
		return { topic: this.subTopic, role: auth.role, claims: auth.claims };
	}

	#requireAuth(): VerifiedToken {
		if (!this.#auth) throw new Error('channel has no verified token');
		return this.#auth;
	}

	#subscriber(): SubscriberClaims {
		const auth = this.#requireAuth();
		return { role: auth.role, claims: auth.claims };
	}

	async #subscribeChanges(bindings: ChangeBinding[]): Promise<{ ids: number[]; outcome: SystemPayload }> {
		const fail = (message: string) => ({
			ids: bindings.map(() => Math.floor(Math.random() * 2 ** 31)),
			outcome: this.#system('postgres_changes', 'error', message)
		});
		const engine = this.server.changes;
		if (!engine) return fail(ERRORS.databaseUnavailable);
		try {
			const subscription = await engine.subscribe(
				bindings,
				this.#subscriber(),
				(ids, data) => {
					if (this.joined) this.#push({ event: SERVER_EVENTS.postgresChanges, payload: { ids, data } }, null);
				},
				// The stream broke or came back: tell the client (it refetches on the ok after an error).
				({ status, message }) => {
					if (this.joined)
						this.#push({
							event: SERVER_EVENTS.system,
							payload: this.#system('postgres_changes', status, message)
						});
				}
			);
			this.#changes = subscription;
			return {
				ids: subscription.ids,
				outcome: this.#system('postgres_changes', 'ok', SUBSCRIBED_TO_POSTGRES)
			};
		} catch (error) {
			// A join while the database is away is refused (the client rejoins with backoff), not "ok".
			if (error instanceof ChangesUnavailable) throw new JoinError(STREAM_TEXTS.joinUnavailable);
			if (error instanceof ChangesError) return fail(error.message);
			this.server.ctx.log.error('realtime: postgres changes subscription failed:', error);
			return fail(ERRORS.databaseUnavailable);
		}
	}

	// ---- messages from the client -------------------------------------------------------------

	/** Handles a push on this (joined) channel. */
	async handle(msg: PhxMessage, frameBytes: number): Promise<void> {
		if (this.closed) return;
		switch (msg.event) {
			case 'broadcast':
				return this.#onBroadcast(msg, frameBytes);
			case 'presence':
				return this.#onPresence(msg, frameBytes);
			case 'access_token':
				return this.#onAccessToken(msg.payload);
			default:
				// Supabase counts and ignores unexpected events.
				this.#countEvent();
		}
	}

	#countEvent(): boolean {
		if (this.conn.eventRate.hit()) return true;
		this.shutdown(ERRORS.tooManyMessages);
		return false;
	}

	async #onBroadcast(msg: PhxMessage, frameBytes: number): Promise<void> {
		const outgoing = toOutgoing(msg.payload);
		if (!outgoing) return;
		if (outgoing.kind === 'refused') {
			if (this.#countEvent()) this.#reply(msg.ref, 'error', { reason: outgoing.reason });
			return;
		}
		if (this.#private) {
			if (this.#broadcastWrite === null) this.#broadcastWrite = await this.#canWrite(EXTENSIONS.broadcast);
			// Supabase drops what the policies refuse, without a reply.
			if (!this.#broadcastWrite || this.closed) return;
		}
		if (!this.#countEvent()) return;
		if (frameBytes > this.server.limits.maxPayloadBytes) {
			if (this.#ack) this.#reply(msg.ref, 'error', ERRORS.payloadSizeExceeded);
			return;
		}
		this.server.hub.broadcast(this.#key, outgoing, this.#selfBroadcast ? undefined : this);
		if (this.#ack) this.#reply(msg.ref, 'ok', {});
	}

	async #canWrite(extension: 'broadcast' | 'presence'): Promise<boolean> {
		try {
			return await canWrite(this.server.ctx.pool, this.#authorizationContext(), extension);
		} catch (error) {
			this.server.ctx.log.warn(`realtime: write authorization failed: ${String(error)}`);
			return false;
		}
	}

	async #onPresence(msg: PhxMessage, frameBytes: number): Promise<void> {
		const payload = isObject(msg.payload) ? msg.payload : {};
		if (typeof payload.event !== 'string') return this.#reply(msg.ref, 'ok', {});
		if (!this.#withinPresenceLimit()) return this.shutdown(ERRORS.presenceClientRateLimit);
		const event = payload.event.toLowerCase();
		const presence = this.server.hub.presence;
		if (event === 'untrack') {
			presence.untrack(this.#key, this.id, this.#presenceKey);
			this.#tracked = false;
			return this.#reply(msg.ref, 'ok', {});
		}
		if (event !== 'track') return this.#reply(msg.ref, 'error', {});
		const meta = payload.payload === undefined ? {} : payload.payload;
		if (!isObject(meta)) return this.#reply(msg.ref, 'error', { reason: ERRORS.presencePayloadNotMap });
		if (this.#private) {
			if (this.#presenceWrite === null) this.#presenceWrite = await this.#canWrite(EXTENSIONS.presence);
			if (this.closed) return;
			if (!this.#presenceWrite) return this.#reply(msg.ref, 'error', {});
		}
		if (frameBytes > this.server.limits.maxPayloadBytes) return this.shutdown(ERRORS.trackSizeExceeded);
		if (!this.#presenceEnabled) {
			// This track turns presence on: the member never got the state, so it gets it now,
			// before its own join goes out in the next diff.
			presence.flush(this.#key);
			this.#presenceEnabled = true;
			if (this.receivesPresence()) this.#pushPresenceState();
		}
		presence.track(this.#key, this.id, this.#presenceKey, meta as JsonObject);
		this.#tracked = true;
		this.#reply(msg.ref, 'ok', {});
	}

	#withinPresenceLimit(): boolean {
		const now = Date.now();
		if (now > this.#presenceWindowEnds) {
			this.#presenceCalls = 1;
			this.#presenceWindowEnds = now + this.server.limits.presenceWindowMs;
			return true;
		}
		if (this.#presenceCalls >= this.server.limits.presenceCallsPer30s) return false;
		this.#presenceCalls++;
		return true;
	}

	async #onAccessToken(payload: unknown): Promise<void> {
		const token = isObject(payload) ? payload.access_token : undefined;
		if (typeof token !== 'string' || token.startsWith('sb_') || token === this.#token) return;
		const check = await verifyToken(token, this.server.ctx.config.jwtSecret);
		if (this.closed) return;
		if (!check.ok) return this.shutdown(check.message);
		const previous = this.#read;
		this.#token = token;
		this.#auth = check;
		this.#broadcastWrite = null;
		this.#presenceWrite = null;
		if (this.#private) {
			let read: ReadPolicies;
			try {
				read = await readPolicies(this.server.ctx.pool, this.#authorizationContext());
			} catch {
				return this.shutdown(ERRORS.databaseUnavailable);
			}
			if (this.closed) return;
			this.#read = read;
			if ((previous?.broadcast && !read.broadcast) || (previous?.presence && !read.presence)) {
				return this.shutdown(ERRORS.readRevoked(this.subTopic));
			}
		}
		this.#scheduleExpiry();
		if (this.#changes) {
			try {
				await this.#changes.update(this.#subscriber());
			} catch (error) {
				const message = error instanceof ChangesError ? error.message : ERRORS.databaseUnavailable;
				this.#push({
					event: SERVER_EVENTS.system,
					payload: this.#system('postgres_changes', 'error', message)
				});
			}
		}
	}

	// ---- token expiry ------------------------------------------------------------------------

	#scheduleExpiry(): void {
		if (this.#expiryTimer) clearTimeout(this.#expiryTimer);
		this.#expiryTimer = null;
		const exp = this.#auth?.exp;
		if (exp === undefined) return;
		const delay = Math.min(Math.max(0, exp * 1000 - Date.now()), MAX_TIMER_MS);
		this.#expiryTimer = setTimeout(() => this.#checkExpiry(), delay);
		this.#expiryTimer.unref();
	}

	#checkExpiry(): void {
		const exp = this.#auth?.exp;
		if (this.closed || exp === undefined) return;
		if (Date.now() >= exp * 1000) this.shutdown(ERRORS.expired(secondsSinceExpiry(exp)));
		else this.#scheduleExpiry();
	}

	// ---- member of the hub -------------------------------------------------------------------

	receivesBroadcast(): boolean {
		return this.joined && (!this.#private || this.#read?.broadcast === true);
	}

	receivesPresence(): boolean {
		return this.joined && this.#presenceEnabled && (!this.#private || this.#read?.presence === true);
	}

	send(frame: Buffer, binary: boolean): void {
		this.conn.send(frame, binary);
	}

	// ---- leaving -----------------------------------------------------------------------------

	/** The client left: reply ok, then phx_close as Phoenix does. */
	leave(ref: string | null): void {
		this.#reply(ref, 'ok', {});
		this.#close();
	}

	/** Stops the channel from the server side: a system error, then phx_close. */
	shutdown(message: string): void {
		if (this.closed) return;
		this.#push({ event: SERVER_EVENTS.system, payload: this.#system('system', 'error', message) });
		this.#close();
	}

	/** Closes without telling the client: another join replaced it, or the socket is gone. */
	teardown(): void {
		if (this.closed) return;
		this.#state = 'closed';
		this.#release();
	}

	#close(): void {
		if (this.closed) return;
		const wasJoined = this.joined;
		this.#state = 'closed';
		if (wasJoined) this.#push({ event: SERVER_EVENTS.close, payload: {} }, this.joinRef, this.joinRef);
		this.#release();
	}

	#release(): void {
		if (this.#expiryTimer) clearTimeout(this.#expiryTimer);
		this.#expiryTimer = null;
		this.server.hub.leave(this.#key, this);
		if (this.#tracked) this.server.hub.presence.untrack(this.#key, this.id, this.#presenceKey);
		this.#tracked = false;
		this.#changes?.close();
		this.#changes = null;
		this.conn.forget(this);
	}

	// ---- output ------------------------------------------------------------------------------

	#pushPresenceState(): void {
		this.#push({ event: SERVER_EVENTS.presenceState, payload: this.server.hub.presence.state(this.#key) });
	}

	#system(extension: SystemPayload['extension'], status: ReplyStatus, message: string): SystemPayload {
		return { extension, status, message, channel: this.subTopic };
	}

	#push(push: ServerPush, joinRef: string | null = this.joinRef, ref: string | null = null): void {
		this.conn.push({ joinRef, ref, topic: this.topic, ...push });
	}

	#reply(ref: string | null, status: ReplyStatus, response: unknown): void {
		this.#push({ event: SERVER_EVENTS.reply, payload: { status, response } }, this.joinRef, ref);
	}
}

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
