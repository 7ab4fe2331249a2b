import { describe, expect, it } from 'vitest';
import { DEFAULT_JWT_SECRET, loadConfig } from './config.ts';

describe('loadConfig', () => {
	it('defaults to the Supabase CLI local settings', () => {
		const config = loadConfig({});
		expect(config.apiPort).toBe(54321);
		expect(config.dbPort).toBe(54322);
		expect(config.jwtSecret).toBe(DEFAULT_JWT_SECRET);
		expect(config.jwtExpiry).toBe(3600);
		expect(config.apiUrl).toBe('http://127.0.0.1:54321');
		expect(config.dbUrl).toBe('postgresql://postgres:postgres@127.0.0.1:54322/postgres');
		expect(config.auth.minPasswordLength).toBe(6);
		expect(config.realtime.maxChannelsPerClient).toBe(100);
		expect(config.realtime.maxBufferedBytes).toBe(8 * 1024 * 1024);
	});

	it('reads overrides from the environment', () => {
		const config = loadConfig({
			STACK_API_PORT: '6000',
			STACK_DB_PORT: '6001',
			STACK_REALTIME_PRESENCE_TICK_MS: '5'
		});
		expect(config.apiUrl).toBe('http://127.0.0.1:6000');
		expect(config.dbPort).toBe(6001);
		expect(config.realtime.presenceTickMs).toBe(5);
	});

	it('refuses nonsense with a sentence naming the setting', () => {
		expect(() => loadConfig({ STACK_REALTIME_IDLE_TIMEOUT_MS: 'soon' })).toThrow(
			/STACK_REALTIME_IDLE_TIMEOUT_MS must be a whole number/
		);
		expect(() => loadConfig({ STACK_DB_PORT: '70000' })).toThrow(/STACK_DB_PORT must be a port number/);
		expect(() => loadConfig({ STACK_JWT_SECRET: 'short' })).toThrow(/at least 32 characters/);
		expect(() => loadConfig({ STACK_LOG_LEVEL: 'loud' })).toThrow(/STACK_LOG_LEVEL must be one of/);
	});

	it('refuses to serve other networks with the published demo secret unless told to', () => {
		expect(() => loadConfig({ STACK_HOST: '0.0.0.0' })).toThrow(
			/STACK_HOST=0\.0\.0\.0 .*demo secret.*STACK_JWT_SECRET.*STACK_ALLOW_PUBLIC_DEMO_SECRETS=1/s
		);
		expect(loadConfig({ STACK_HOST: '0.0.0.0', STACK_ALLOW_PUBLIC_DEMO_SECRETS: '1' }).host).toBe('0.0.0.0');
		const own = loadConfig({ STACK_HOST: '0.0.0.0', STACK_JWT_SECRET: 'x'.repeat(40) });
		// Postgres keeps the published postgres/postgres password, so it stays on loopback.
		expect(own.dbHost).toBe('127.0.0.1');
		expect(own.dbUrl).toBe('postgresql://postgres:postgres@127.0.0.1:54322/postgres');
		expect(loadConfig({ STACK_HOST: '127.0.0.2' }).dbHost).toBe('127.0.0.2');
	});
});
