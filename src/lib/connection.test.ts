import { describe, expect, it } from 'vitest';
import { connectionState } from './connection.svelte';

describe('connectionState', () => {
	const base = {
		online: true,
		channels: { inbox: 'SUBSCRIBED', room: 'SUBSCRIBED' },
		everLive: true,
		heartbeatLost: false
	};

	it('is live only when every channel is subscribed and heartbeats answer', () => {
		expect(connectionState(base)).toBe('live');
		expect(connectionState({ ...base, heartbeatLost: true })).toBe('reconnecting');
		expect(connectionState({ ...base, channels: { inbox: 'SUBSCRIBED', room: 'CHANNEL_ERROR' } })).toBe(
			'reconnecting'
		);
	});

	it('says connecting before the first join and offline when the browser is', () => {
		expect(connectionState({ ...base, channels: { inbox: '' }, everLive: false })).toBe('connecting');
		expect(connectionState({ ...base, online: false })).toBe('offline');
	});
});
