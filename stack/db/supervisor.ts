/**
 * Keeps PostgreSQL running under the stack: a postmaster that exits unexpectedly (kill -9, OOM
 * killer, crash) is started again on the same data folder, where Postgres runs crash recovery, and
 * a postmaster that stops answering is reported as down. Health, the gateway's 503s and realtime
 * read `up` from here.
 */
import pg from 'pg';
import type { Logger } from '../log.ts';
import type { Cluster } from './postgres.ts';

export type DatabaseState = 'up' | 'down';

/** What the rest of the stack may ask about the database. */
export interface DatabaseHealth {
	readonly state: DatabaseState;
	/** Runs `select 1` on a fresh connection; true when it answers within timeoutMs. */
	probe(timeoutMs?: number): Promise<boolean>;
	onChange(listener: (state: DatabaseState) => void): void;
}

/** Unanswered probes in a row before a running postmaster counts as unreachable. */
const PROBE_FAILURES_DOWN = 2;
const PROBE_TIMEOUT_MS = 1_500;

export class DatabaseSupervisor implements DatabaseHealth {
	#state: DatabaseState = 'up';
	#listeners: Array<(state: DatabaseState) => void> = [];
	#timer: NodeJS.Timeout | undefined;
	#failures = 0;
	#restarting: Promise<void> | undefined;
	#stopped = false;
	#downSince = 0;

	constructor(
		private readonly cluster: Cluster,
		private readonly dbUrl: string,
		private readonly log: Logger,
		private readonly intervalMs = 500
	) {}

	get state(): DatabaseState {
		return this.#state;
	}

	onChange(listener: (state: DatabaseState) => void): void {
		this.#listeners.push(listener);
	}

	start(): void {
		this.cluster.onUnexpectedExit((how) => {
			if (this.#stopped) return;
			this.#set('down', `PostgreSQL exited unexpectedly (${how}); restarting it on the same data`);
			void this.#restart();
		});
		const tick = async () => {
			if (this.#stopped) return;
			// Generous: a busy machine (tests, builds) must not make a slow answer look like an outage.
			const ok = await this.probe(PROBE_TIMEOUT_MS);
			if (this.#stopped) return;
			if (ok) {
				this.#failures = 0;
				if (!this.#restarting) this.#set('up');
			} else if (++this.#failures >= PROBE_FAILURES_DOWN && this.#state === 'up') {
				this.#set('down', 'PostgreSQL is not answering; requests get 503 until it does');
			}
			this.#timer = setTimeout(() => void tick(), this.intervalMs);
			this.#timer.unref();
		};
		this.#timer = setTimeout(() => void tick(), this.intervalMs);
		this.#timer.unref();
	}

	async probe(timeoutMs = 1_000): Promise<boolean> {
		const client = new pg.Client({
			connectionString: this.dbUrl,
			connectionTimeoutMillis: timeoutMs,
			query_timeout: timeoutMs,
			application_name: 'stack_health'
		});
		client.on('error', () => undefined);
		try {
			await client.connect();
			await client.query('select 1');
			return true;
		} catch {
			return false;
		} finally {
			void client.end().catch(() => undefined);
		}
	}

	/** Stops watching (an intended stop is not a crash). */
	stop(): void {
		this.#stopped = true;
		clearTimeout(this.#timer);
	}

	/** Waits for a restart in progress, so a stop does not race it. */
	async settled(): Promise<void> {
		await this.#restarting?.catch(() => undefined);
	}

	#set(state: DatabaseState, line?: string): void {
		if (state === this.#state) return;
		this.#state = state;
		if (state === 'down') {
			this.#downSince = Date.now();
			if (line) this.log.warn(line);
		} else {
			this.log.info(`PostgreSQL is back (down for ${((Date.now() - this.#downSince) / 1000).toFixed(1)} s)`);
		}
		for (const listener of this.#listeners) {
			try {
				listener(state);
			} catch (error) {
				this.log.error('database state listener failed:', error);
			}
		}
	}

	#restart(): Promise<void> {
		this.#restarting ??= (async () => {
			// Backends of the dead postmaster still hold its shared memory for a moment: retry.
			for (let attempt = 1, delay = 100; !this.#stopped; attempt++, delay = Math.min(delay * 2, 2_000)) {
				try {
					await this.cluster.restart();
					this.#failures = 0;
					return;
				} catch (error) {
					if (attempt === 5) this.log.warn(`PostgreSQL does not start again yet: ${String(error)}`);
					await new Promise((resolve) => setTimeout(resolve, delay));
				}
			}
		})().finally(() => {
			this.#restarting = undefined;
			if (!this.#stopped) this.#set('up');
		});
		return this.#restarting;
	}
}
