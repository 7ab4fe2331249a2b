/**
 * One logical replication stream (pgoutput over a TEMPORARY slot) from the publications
 * `supabase_realtime` and `supabase_realtime_messages_publication`. The slot lives as long as the
 * replication connection: when the connection drops (Postgres restart, network), a new one is
 * opened with backoff and a new slot created; changes committed in between are not replayed,
 * as with Supabase Realtime.
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

let slotCounter = 0;

/** "16/B374D848" minus one byte. */
export function previousLsn(lsn: string): string {
	const [hi, lo] = lsn.split('/').map((part) => BigInt(`0x${part}`));
	const value = (hi << 32n) + lo - 1n;
	if (value < 0n) return lsn;
	return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** A pg-logical-replication output plugin (structurally; the package does not export the base class). */
class TemporarySlotPgoutput {
	readonly decoder = new PgoutputDecoder();
	readonly options: { publications: string[] };
	constructor(
		publications: string[],
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
		await client.query(`CREATE_REPLICATION_SLOT "${slotName}" TEMPORARY LOGICAL pgoutput NOEXPORT_SNAPSHOT`);
		const names = this.options.publications.map((p) => p.replace(/"/g, '')).join(',');
		const started = client.query(
			`START_REPLICATION SLOT "${slotName}" LOGICAL 0/0 (proto_version '1', publication_names '${names}', messages 'true')`
		);
		this.onStarted();
		return started;
	}
}

export interface ReplicationStreamOptions {
	dbUrl: string;
	log: Logger;
	/** Publications to stream (only those that exist), creating what is missing. */
	publications: () => Promise<string[]>;
	/** Publications that exist now: a stream started without one restarts once it appears. */
	currentPublications: () => Promise<string[]>;
	onMessage: StreamListener;
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
			const service = this.service;
			this.service = undefined;
			this.ready = false;
			await service?.destroy().catch(() => undefined);
			void this.connect();
		} catch {
			// the database is away: the stream's own error handling reconnects
		}
	}

	/** Resolves once the stream runs (slot created, streaming started), or after timeoutMs. */
	whenReady(timeoutMs: number): Promise<boolean> {
		if (this.ready) return Promise.resolve(true);
		return new Promise((resolve) => {
			const timer = setTimeout(() => resolve(false), timeoutMs);
			this.readyWaiters.push(() => {
				clearTimeout(timer);
				resolve(true);
			});
		});
	}

	get isReady(): boolean {
		return this.ready;
	}

	private async connect(): Promise<void> {
		if (this.closed) return;
		const session = ++this.session;
		const slot = `supabase_realtime_local_${process.pid}_${++slotCounter}`;
		const { log } = this.options;
		const service = new LogicalReplicationService(
			{
				connectionString: this.options.dbUrl,
				application_name: 'realtime_changes',
				options: Object.entries(OUTPUT_SETTINGS)
					.map(([k, v]) => `-c ${k}=${v.replace(/ /g, '\\ ')}`)
					.join(' ')
			},
			// No periodic acknowledgement: the library's adds 1 to a keepalive's position, and a
			// walsender only exits on server shutdown once the client confirms exactly what it sent.
			{ acknowledge: { auto: true, timeoutSeconds: 0 } }
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
			void service.destroy().catch(() => undefined);
			this.scheduleReconnect();
		};
		service.on('data', (_lsn: string, message: PgoutputMessage) => {
			if (this.service === service) this.options.onMessage(message, session);
		});
		service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => {
			// acknowledge() reports lsn + 1: hand it the position just before the server's WAL end.
			if (shouldRespond) void service.acknowledge(previousLsn(lsn)).catch(() => undefined);
		});
		service.on('error', fail);
		try {
			const publications = await this.options.publications();
			this.streamed = publications;
			const plugin = new TemporarySlotPgoutput(publications, () => {
				this.ready = true;
				this.lastFailure = '';
				this.backoffMs = 100;
				log.debug(`realtime changes: streaming ${publications.join(', ')} over temporary slot ${slot}`);
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
		this.backoffMs = Math.min(this.backoffMs * 2, 5_000);
		clearTimeout(this.retryTimer);
		this.retryTimer = setTimeout(() => void this.connect(), delay);
	}

	/** Ends the stream; the temporary slot goes with the connection. */
	async close(): Promise<void> {
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
