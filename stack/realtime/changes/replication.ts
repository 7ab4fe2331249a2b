/**
 * One logical replication stream (pgoutput over a PERMANENT slot, `STACK_REALTIME_SLOT_NAME`) from
 * the publications `supabase_realtime` and `supabase_realtime_messages_publication`.
 *
 * The slot remembers how far the stack has delivered: the engine confirms a transaction (its end
 * position becomes the slot's confirmed_flush_lsn) only after it handed the transaction's changes
 * to the sockets. When the connection drops (Postgres restarting, pg_terminate_backend, a stack
 * restart), the next stream resumes from there, so what was committed meanwhile is delivered, not
 * lost. The slot is recreated only when it is gone (db:reset, dropped by hand) or further behind
 * than `slotMaxLagBytes` (or invalidated by max_slot_wal_keep_size); then `onState` reports a gap
 * and the engine tells every subscriber to refetch.
 */
import type { Client } from 'pg';
import { LogicalReplicationService } from 'pg-logical-replication';
import type { Logger } from '../../log.ts';
import { PgoutputDecoder, type PgoutputMessage } from './pgoutput.ts';
import { OUTPUT_SETTINGS } from './validate.ts';

export const PUBLICATIONS = ['supabase_realtime', 'supabase_realtime_messages_publication'] as const;
const PUBLICATION_CHECK_MS = 2_000;

/** Receives every decoded message of one session, in stream order. */
export type StreamListener = (message: PgoutputMessage, session: number) => void;

/** "16/B374D848" as a number. */
export function parseLsn(lsn: string): bigint {
	const [hi, lo] = lsn.split('/').map((part) => BigInt(`0x${part}`));
	return (hi << 32n) + lo;
}

export function formatLsn(value: bigint): string {
	return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** "16/B374D848" minus one byte. */
export function previousLsn(lsn: string): string {
	const value = parseLsn(lsn) - 1n;
	return value < 0n ? lsn : formatLsn(value);
}

/** A standby status update: written up to `write`, durably handled (confirmed) up to `flush`. */
export function standbyStatus(write: bigint, flush: bigint, now = Date.now()): Buffer {
	const buf = Buffer.alloc(34);
	buf.write('r', 0);
	buf.writeBigUInt64BE(write, 1);
	buf.writeBigUInt64BE(flush, 9);
	buf.writeBigUInt64BE(flush, 17);
	buf.writeBigInt64BE(BigInt(now - 946_684_800_000) * 1000n, 25);
	buf.writeUInt8(0, 33);
	return buf;
}

/** A pg-logical-replication output plugin (structurally; the package does not export the base class). */
class SlotPgoutput {
	readonly decoder = new PgoutputDecoder();
	readonly options: { publications: string[] };
	constructor(
		publications: string[],
		private readonly create: boolean,
		private readonly onStarted: () => void
	) {
		this.options = { publications };
	}
	get name(): string {
		return 'pgoutput';
	}
	parse(buffer: Buffer): PgoutputMessage {
		return this.decoder.decode(buffer);
	}
	async start(client: Client, slotName: string): Promise<unknown> {
		// NOEXPORT_SNAPSHOT: we never read the slot's snapshot, and exporting one would hold it open.
		if (this.create)
			await client.query(`CREATE_REPLICATION_SLOT "${slotName}" LOGICAL pgoutput NOEXPORT_SNAPSHOT`);
		const names = this.options.publications.map((p) => p.replace(/"/g, '')).join(',');
		// 0/0: the server starts from the slot's confirmed position.
		const started = client.query(
			`START_REPLICATION SLOT "${slotName}" LOGICAL 0/0 (proto_version '1', publication_names '${names}', messages 'true')`
		);
		this.onStarted();
		return started;
	}
}

/** What the slot looks like before a session starts. */
export interface SlotInfo {
	activePid: number | null;
	/** Bytes of WAL between the slot's confirmed position and the current end. */
	lagBytes: number;
	/** 'lost' once max_slot_wal_keep_size invalidated it. */
	walStatus: string | null;
	plugin: string | null;
}

export interface ReplicationStreamOptions {
	dbUrl: string;
	log: Logger;
	slotName: string;
	maxLagBytes: number;
	/** The slot's state on the database the stream connects to (null when there is none). */
	slotInfo: () => Promise<SlotInfo | null>;
	dropSlot: () => Promise<void>;
	/** Publications to stream (only those that exist), creating what is missing. */
	publications: () => Promise<string[]>;
	/** Publications that exist now: a stream started without one restarts once it appears. */
	currentPublications: () => Promise<string[]>;
	onMessage: StreamListener;
	/** The stream went down, or (up) runs again; gap: the slot was recreated, changes may be missing. */
	onState: (state: 'up' | 'down', gap: boolean) => void;
	/** True when every message received so far has been handled (so a keepalive position may be confirmed). */
	idle: () => boolean;
}

export class ReplicationStream {
	private service: LogicalReplicationService | undefined;
	private session = 0;
	private closed = false;
	private retryTimer: NodeJS.Timeout | undefined;
	private watchTimer: NodeJS.Timeout | undefined;
	private streamed: string[] = [];
	private backoffMs = 100;
	private readyWaiters: Array<() => void> = [];
	private ready = false;
	private lastFailure = '';
	/** A session ran before: a missing slot now means a gap. */
	private everStreamed = false;
	private reportedDown = false;
	private written = 0n;
	private confirmed = 0n;

	constructor(private readonly options: ReplicationStreamOptions) {}

	start(): void {
		void this.connect();
		// A database rebuilt under us (db:reset) may get its publications after we reconnected.
		this.watchTimer = setInterval(() => void this.watchPublications(), PUBLICATION_CHECK_MS);
		this.watchTimer.unref();
	}

	private async watchPublications(): Promise<void> {
		if (!this.ready || this.closed) return;
		try {
			const now = await this.options.currentPublications();
			if (!this.ready || now.join(',') === this.streamed.join(',')) return;
			this.options.log.info(
				`realtime changes: publications are now ${now.join(', ')}; restarting the stream`
			);
			this.restart();
		} catch {
			// the database is away: the stream's own error handling reconnects
		}
	}

	/** Ends the current session and starts another, which resumes from the last confirmed position. */
	restart(): void {
		const service = this.service;
		this.service = undefined;
		this.ready = false;
		void service?.destroy().catch(() => undefined);
		clearTimeout(this.retryTimer);
		this.retryTimer = setTimeout(() => void this.connect(), 0);
	}

	/** Resolves once the stream runs (slot ready, streaming started), or after timeoutMs. */
	whenReady(timeoutMs: number): Promise<boolean> {
		if (this.ready) return Promise.resolve(true);
		return new Promise((resolve) => {
			const timer = setTimeout(() => resolve(false), timeoutMs);
			this.readyWaiters.push(() => {
				clearTimeout(timer);
				resolve(this.ready);
			});
		});
	}

	get isReady(): boolean {
		return this.ready;
	}

	/** Everything up to `lsn` (a transaction's end) was delivered: the slot may forget it. */
	confirm(lsn: bigint): void {
		if (lsn <= this.confirmed) return;
		this.confirmed = lsn;
		if (lsn > this.written) this.written = lsn;
		this.sendStatus();
	}

	private sendStatus(): void {
		const connection = (this.service as unknown as { _connection?: { sendCopyFromChunk(b: Buffer): void } })
			?._connection;
		if (!this.ready || !connection) return;
		try {
			connection.sendCopyFromChunk(standbyStatus(this.written, this.confirmed));
		} catch {
			// the connection is going away; the next session resumes from the server's confirmed position
		}
	}

	/** Finds the slot; drops it when it cannot be resumed. Returns whether it must be created, and if that is a gap. */
	private async prepareSlot(): Promise<{ create: boolean; gap: boolean }> {
		const { slotInfo, dropSlot, slotName, maxLagBytes, log } = this.options;
		const slot = await slotInfo();
		if (!slot) {
			if (this.everStreamed)
				log.warn(`realtime changes: replication slot ${slotName} is gone; recreating it`);
			return { create: true, gap: this.everStreamed };
		}
		if (slot.activePid !== null) {
			throw new Error(
				`replication slot ${slotName} is in use by process ${slot.activePid} (another stack on this cluster? give it its own STACK_REALTIME_SLOT_NAME)`
			);
		}
		const why =
			slot.plugin !== 'pgoutput'
				? `it uses the ${slot.plugin} plugin`
				: slot.walStatus === 'lost'
					? 'Postgres invalidated it (max_slot_wal_keep_size)'
					: slot.lagBytes > maxLagBytes
						? `it is ${slot.lagBytes} bytes behind (STACK_REALTIME_SLOT_MAX_LAG_BYTES=${maxLagBytes})`
						: null;
		if (!why) return { create: false, gap: false };
		log.warn(
			`realtime changes: recreating replication slot ${slotName}: ${why}; subscribers are told to refetch`
		);
		await dropSlot();
		return { create: true, gap: true };
	}

	private async connect(): Promise<void> {
		if (this.closed) return;
		const session = ++this.session;
		const slot = this.options.slotName;
		const { log } = this.options;
		const service = new LogicalReplicationService(
			{
				connectionString: this.options.dbUrl,
				application_name: 'realtime_changes',
				options: Object.entries(OUTPUT_SETTINGS)
					.map(([k, v]) => `-c ${k}=${v.replace(/ /g, '\\ ')}`)
					.join(' ')
			},
			// Nothing automatic: a position is confirmed only once the engine delivered up to it.
			{ acknowledge: { auto: false, timeoutSeconds: 0 } }
		);
		this.service = service;
		let failed = false;
		const fail = (error: unknown) => {
			if (failed || this.closed || this.service !== service) return;
			failed = true;
			const wasStreaming = this.ready;
			this.ready = false;
			const reason = (error as Error)?.message ?? String(error);
			// Say it once per cause; a database that stays away would otherwise log every retry.
			(reason === this.lastFailure ? log.debug : log.warn)(
				`realtime changes: replication stream ${wasStreaming ? 'lost' : 'not started'} (${reason}); retrying`
			);
			this.lastFailure = reason;
			if (!this.reportedDown && this.everStreamed) {
				this.reportedDown = true;
				this.options.onState('down', false);
			}
			void service.destroy().catch(() => undefined);
			this.scheduleReconnect();
		};
		service.on('data', (lsn: string, message: PgoutputMessage) => {
			if (this.service !== service) return;
			const at = parseLsn(lsn);
			if (at > this.written) this.written = at;
			this.options.onMessage(message, session);
		});
		service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => {
			if (this.service !== service) return;
			const at = parseLsn(lsn);
			if (at > this.written) this.written = at;
			// Nothing received is still waiting for delivery: the server's position is safe to confirm
			// (the slot then does not hold WAL for unrelated writes).
			if (this.options.idle() && at > this.confirmed) this.confirmed = at;
			if (shouldRespond || this.options.idle()) this.sendStatus();
		});
		service.on('error', fail);
		try {
			const publications = await this.options.publications();
			this.streamed = publications;
			const { create, gap } = await this.prepareSlot();
			if (this.service !== service) return;
			const plugin = new SlotPgoutput(publications, create, () => {
				this.ready = true;
				this.lastFailure = '';
				this.backoffMs = 100;
				const resumed = this.everStreamed;
				this.everStreamed = true;
				log.debug(
					`realtime changes: streaming ${publications.join(', ')} from ${create ? 'new' : 'existing'} slot ${slot}`
				);
				if (resumed || gap) {
					this.reportedDown = false;
					this.options.onState('up', gap);
				}
				for (const resolve of this.readyWaiters.splice(0)) resolve();
			});
			// Resolves when the server ends the stream, rejects when the connection fails.
			await service.subscribe(plugin, slot);
			fail(new Error('replication stream ended'));
		} catch (error) {
			fail(error);
		}
	}

	private scheduleReconnect(): void {
		if (this.closed) return;
		const delay = this.backoffMs;
		this.backoffMs = Math.min(this.backoffMs * 2, 1_000);
		clearTimeout(this.retryTimer);
		this.retryTimer = setTimeout(() => void this.connect(), delay);
	}

	/** Ends the stream after confirming what was delivered; the slot stays for the next start. */
	async close(): Promise<void> {
		this.sendStatus();
		this.closed = true;
		this.ready = false;
		clearTimeout(this.retryTimer);
		clearInterval(this.watchTimer);
		const service = this.service;
		this.service = undefined;
		await service?.destroy().catch(() => undefined);
		for (const resolve of this.readyWaiters.splice(0)) resolve();
	}
}
