import type { LogLevel } from './config.ts';

export interface Logger {
	debug(message: string, ...rest: unknown[]): void;
	info(message: string, ...rest: unknown[]): void;
	warn(message: string, ...rest: unknown[]): void;
	error(message: string, ...rest: unknown[]): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export function createLogger(level: LogLevel, scope = 'stack'): Logger {
	const threshold = ORDER[level];
	const at =
		(lvl: Exclude<LogLevel, 'silent'>, sink: (...args: unknown[]) => void) =>
		(message: string, ...rest: unknown[]) => {
			if (ORDER[lvl] >= threshold) sink(`[${scope}] ${message}`, ...rest);
		};
	return {
		debug: at('debug', console.debug),
		info: at('info', console.log),
		warn: at('warn', console.warn),
		error: at('error', console.error)
	};
}
