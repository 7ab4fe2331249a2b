/**
 * Presence per topic: who is tracked under which key (one meta per channel, so several tabs
 * under one key show as several metas), and the diffs members receive.
 *
 * A join storm would cost N^2 frames with one diff per change, so changes are merged per topic
 * over a short tick and sent as one diff (DESIGN-NOTES: "Presence at scale"). A meta that joins and
 * leaves within one tick cancels out.
 */
import { randomBytes } from 'node:crypto';
import type { JsonObject, PresenceDiff, PresenceEntries, PresenceMeta } from './types.ts';

/** Where a topic's diffs go; the hub implements it. */
export type DiffSink = (topicKey: string, diff: PresenceDiff) => void;

interface TopicPresence {
	/** presence key -> channel id -> meta */
	entries: Map<string, Map<number, PresenceMeta>>;
	joins: Map<string, PresenceMeta[]>;
	leaves: Map<string, PresenceMeta[]>;
	timer: NodeJS.Timeout | null;
}

/** A Phoenix-style presence ref: short, unique, opaque. */
function presenceRef(): string {
	return randomBytes(12).toString('base64url');
}

export class PresenceTracker {
	#topics = new Map<string, TopicPresence>();

	constructor(
		private readonly sink: DiffSink,
		private readonly tickMs: number
	) {}

	/** Tracks (or updates) the channel's meta under its key; 'unchanged' when the payload is the same. */
	track(topicKey: string, channelId: number, key: string, payload: JsonObject): 'tracked' | 'unchanged' {
		const topic = this.#topic(topicKey);
		let byChannel = topic.entries.get(key);
		if (!byChannel) {
			byChannel = new Map();
			topic.entries.set(key, byChannel);
		}
		const previous = byChannel.get(channelId);
		const meta: PresenceMeta = { ...payload, phx_ref: presenceRef() };
		if (previous) {
			if (samePayload(previous, payload)) return 'unchanged';
			meta.phx_ref_prev = previous.phx_ref;
			this.#queue(topicKey, topic, topic.leaves, key, previous);
		}
		byChannel.set(channelId, meta);
		this.#queue(topicKey, topic, topic.joins, key, meta);
		return 'tracked';
	}

	untrack(topicKey: string, channelId: number, key: string): void {
		const topic = this.#topics.get(topicKey);
		const byChannel = topic?.entries.get(key);
		const meta = byChannel?.get(channelId);
		if (!topic || !byChannel || !meta) return;
		byChannel.delete(channelId);
		if (byChannel.size === 0) topic.entries.delete(key);
		// A meta that joined within this tick never reached anyone: drop it instead of sending both.
		const pendingJoins = topic.joins.get(key);
		const index = pendingJoins?.findIndex((m) => m.phx_ref === meta.phx_ref) ?? -1;
		if (pendingJoins && index >= 0) {
			pendingJoins.splice(index, 1);
			if (pendingJoins.length === 0) topic.joins.delete(key);
		} else {
			this.#queue(topicKey, topic, topic.leaves, key, meta);
		}
		this.#dropIfIdle(topicKey, topic);
	}

	/** The topic's current state, as `presence_state` carries it. */
	state(topicKey: string): PresenceEntries {
		const state: PresenceEntries = {};
		const topic = this.#topics.get(topicKey);
		if (!topic) return state;
		for (const [key, byChannel] of topic.entries) state[key] = { metas: [...byChannel.values()] };
		return state;
	}

	/** Sends the topic's pending diff now (before a new member gets the state). */
	flush(topicKey: string): void {
		const topic = this.#topics.get(topicKey);
		if (!topic) return;
		if (topic.timer) clearTimeout(topic.timer);
		topic.timer = null;
		if (topic.joins.size > 0 || topic.leaves.size > 0) {
			const diff: PresenceDiff = { joins: entries(topic.joins), leaves: entries(topic.leaves) };
			topic.joins = new Map();
			topic.leaves = new Map();
			this.sink(topicKey, diff);
		}
		this.#dropIfIdle(topicKey, topic);
	}

	close(): void {
		for (const topic of this.#topics.values()) if (topic.timer) clearTimeout(topic.timer);
		this.#topics.clear();
	}

	#topic(topicKey: string): TopicPresence {
		let topic = this.#topics.get(topicKey);
		if (!topic) {
			topic = { entries: new Map(), joins: new Map(), leaves: new Map(), timer: null };
			this.#topics.set(topicKey, topic);
		}
		return topic;
	}

	#queue(
		topicKey: string,
		topic: TopicPresence,
		into: Map<string, PresenceMeta[]>,
		key: string,
		meta: PresenceMeta
	): void {
		const list = into.get(key);
		if (list) list.push(meta);
		else into.set(key, [meta]);
		if (!topic.timer) topic.timer = setTimeout(() => this.flush(topicKey), this.tickMs);
	}

	#dropIfIdle(topicKey: string, topic: TopicPresence): void {
		if (topic.entries.size === 0 && topic.joins.size === 0 && topic.leaves.size === 0 && !topic.timer) {
			this.#topics.delete(topicKey);
		}
	}
}

function entries(map: Map<string, PresenceMeta[]>): PresenceEntries {
	const out: PresenceEntries = {};
	for (const [key, metas] of map) out[key] = { metas };
	return out;
}

function samePayload(meta: PresenceMeta, payload: JsonObject): boolean {
	const { phx_ref: _ref, phx_ref_prev: _prev, ...rest } = meta;
	return JSON.stringify(rest) === JSON.stringify(payload);
}
