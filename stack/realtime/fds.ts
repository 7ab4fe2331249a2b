/**
 * The process's open-file limit. Every socket is a file descriptor: with the common soft limit of
 * 1024 a few hundred clients plus the database pool exhaust it and new HTTP and WebSocket
 * connections fail. Node has no setrlimit, so at start the stack raises its own soft limit to the
 * hard limit with util-linux's `prlimit --pid` (the same system call, allowed to any process for
 * itself up to the hard limit) and, when that is not possible or still too low for the client
 * limit, logs what to run (`ulimit -n`).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

export interface OpenFileLimit {
	soft: number;
	hard: number;
}

/** File descriptors kept aside for the database pool, replication, HTTP and the log. */
export const FD_HEADROOM = 256;

/** Parses the "Max open files" row of /proc/<pid>/limits ("unlimited" reads as Infinity). */
export function parseOpenFileLimit(limits: string): OpenFileLimit | null {
	const row = limits.split('\n').find((line) => line.startsWith('Max open files'));
	if (!row) return null;
	const [soft, hard] = row
		.slice('Max open files'.length)
		.trim()
		.split(/\s+/)
		.map((v) => (v === 'unlimited' ? Infinity : Number(v)));
	if (!Number.isFinite(soft) && soft !== Infinity) return null;
	return { soft, hard };
}

export async function readOpenFileLimit(pid: number = process.pid): Promise<OpenFileLimit | null> {
	try {
		return parseOpenFileLimit(await readFile(`/proc/${pid}/limits`, 'utf8'));
	} catch {
		return null; // not Linux
	}
}

interface Log {
	warn(...args: unknown[]): void;
	debug(...args: unknown[]): void;
}

/**
 * Raises the soft limit to the hard one when it is lower, then warns if it stays below what
 * `clients` sockets need. Returns the limit in force afterwards (null where it cannot be read).
 */
export async function raiseOpenFileLimit(clients: number, log: Log): Promise<OpenFileLimit | null> {
	const before = await readOpenFileLimit();
	if (!before) return null;
	let now = before;
	if (before.soft < before.hard) {
		const target = before.hard === Infinity ? 'unlimited' : String(before.hard);
		try {
			await promisify(execFile)('prlimit', ['--pid', String(process.pid), `--nofile=${target}:${target}`], {
				timeout: 5000
			});
		} catch (error) {
			log.debug(`realtime: prlimit could not raise the open-file limit: ${(error as Error).message}`);
		}
		now = (await readOpenFileLimit()) ?? before;
		if (now.soft > before.soft)
			log.debug(`realtime: open-file limit raised from ${before.soft} to ${now.soft}`);
	}
	const needed = clients + FD_HEADROOM;
	if (now.soft < needed) {
		log.warn(
			`realtime: the open-file limit is ${now.soft}, below the ${needed} that ${clients} clients need; ` +
				`new connections will fail before the client limit. Raise it before starting the stack ` +
				`(\`ulimit -n ${Math.max(needed, 65536)}\`, or LimitNOFILE= in a systemd unit) or lower STACK_REALTIME_MAX_CLIENTS.`
		);
	}
	return now;
}
