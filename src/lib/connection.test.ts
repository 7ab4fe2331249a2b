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

	it('says catching up while a channel is joined but its database stream reported an error', () => {
		expect(connectionState({ ...base, streamErrors: 1 })).toBe('catching-up');
		expect(connectionState({ ...base, streamErrors: 0 })).toBe('live');
		expect(connectionState({ ...base, streamErrors: 1, online: false })).toBe('offline');
		expect(connectionState({ ...base, streamErrors: 1, heartbeatLost: true })).toBe('reconnecting');
	});
});
