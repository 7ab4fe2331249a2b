import type pg from 'pg';
import type { StackConfig } from './config.ts';
import type { DatabaseHealth } from './db/supervisor.ts';
import type { Logger } from './log.ts';

/** What every service of the stack is built from. */
export interface StackContext {
	config: StackConfig;
	/** Superuser (`postgres`) pool; services switch role per request inside a transaction. */
	pool: pg.Pool;
	log: Logger;
	/** Whether PostgreSQL is up (the supervisor's view); absent when nothing supervises it. */
	db?: DatabaseHealth;
}
