import { describe, expect, it } from 'vitest';
import { JOIN_ERRORS, parseJoinPayload } from './join.ts';

const limits = { maxBindingsPerJoin: 3 };
const read = (raw: unknown) => parseJoinPayload(raw, limits);

describe('parseJoinPayload', () => {
	it('reads what realtime-js sends into a typed value', () => {
		expect(
			read({
				config: {
					broadcast: { self: true, ack: false, replication_ready: true },
					presence: { key: 'me', enabled: true },
					postgres_changes: [
						{ event: 'INSERT', schema: 'public', table: 'notifications', filter: 'user_id=eq.1' },
						null,
						{ event: '*', schema: 'public', select: ['id', 2, 'title'] }
					],
					private: true
				},
				access_token: 'jwt',
				version: 'realtime-js/2.119.1'
			})
		).toEqual({
			ok: true,
			value: {
				private: true,
				broadcast: { self: true, ack: false, replay: undefined, replicationReady: true },
				presence: { key: 'me', enabled: true },
				postgresChanges: [
					{ event: 'INSERT', schema: 'public', table: 'notifications', filter: 'user_id=eq.1' },
					{ event: '*', schema: 'public', select: ['id', 'title'] }
				],
				accessToken: 'jwt'
			}
		});
	});

	it('reads fields of the wrong type as absent, as Supabase does', () => {
		const defaults = {
			private: false,
			broadcast: { self: false, ack: false, replay: undefined, replicationReady: false },
			presence: { key: undefined, enabled: false },
			postgresChanges: [],
			accessToken: undefined
		};
		for (const raw of [undefined, null, 5, 'x', [], {}, { config: 7 }, { config: { broadcast: [] } }]) {
			expect(read(raw)).toEqual({ ok: true, value: defaults });
		}
		expect(
			read({
				config: { private: 'yes', presence: { key: 42, enabled: 1 }, broadcast: { self: 'true' } },
				access_token: 12,
				user_token: 'older'
			})
		).toEqual({ ok: true, value: { ...defaults, accessToken: 'older' } });
		expect(read({ config: { postgres_changes: [{ table: 5, filter: null, select: 'id' }] } })).toEqual({
			ok: true,
			value: { ...defaults, postgresChanges: [{ select: 'id' }] }
		});
	});

	it('refuses what cannot be read, and more bindings than the cap before reading any', () => {
		expect(read({ config: { postgres_changes: 'all' } })).toEqual({
			ok: false,
			reason: JOIN_ERRORS.notAList
		});
		expect(read({ config: { postgres_changes: [{}, 'x'] } })).toEqual({
			ok: false,
			reason: JOIN_ERRORS.notAMap
		});
		expect(read({ config: { postgres_changes: [{}, {}, {}] } }).ok).toBe(true);
		expect(read({ config: { postgres_changes: new Array(2000).fill('x') } })).toEqual({
			ok: false,
			reason: JOIN_ERRORS.tooManyBindings(3)
		});
	});
});
