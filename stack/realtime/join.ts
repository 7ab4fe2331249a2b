/**
 * The `phx_join` payload, read once at the edge into a typed value: nothing past this point
 * looks at what the client sent. Fields of the wrong type are read as absent, as Supabase's
 * realtime_channel.ex reads them (a non-boolean `private` is false, a non-string presence key
 * gets a random one); what cannot be read at all, or would cost unbounded work (more
 * postgres_changes bindings than the cap), refuses the join with a reason.
 *
 * Payload (realtime-js RealtimeChannel.ts):
 *   { config: { broadcast: { self, ack, replay, replication_ready }, presence: { key, enabled },
 *               postgres_changes: [{ event, schema, table, filter, select }], private },
 *     access_token, version }
 */
import type { ChangeBinding } from './changes-api.ts';

export interface JoinRequest {
	private: boolean;
	broadcast: {
		self: boolean;
		ack: boolean;
		/** `replay` as sent (private channels; read where replay is served). */
		replay: unknown;
		replicationReady: boolean;
	};
	/** key: undefined when the client gave none (the channel picks a random one). */
	presence: { key: string | undefined; enabled: boolean };
	postgresChanges: ChangeBinding[];
	/** The user's token from `access_token` (or the older `user_token`), if any. */
	accessToken: string | undefined;
}

export type JoinParse = { ok: true; value: JoinRequest } | { ok: false; reason: string };

export interface JoinLimits {
	maxBindingsPerJoin: number;
}

export const JOIN_ERRORS = {
	notAList: 'InvalidJoinPayload: `postgres_changes` must be a list of bindings',
	notAMap: 'InvalidJoinPayload: each `postgres_changes` binding must be a map',
	tooManyBindings: (max: number) =>
		`TooManyPostgresChangesBindings: a channel may carry at most ${max} postgres_changes bindings`
} as const;

type Obj = Record<string, unknown>;

const isObject = (value: unknown): value is Obj =>
	typeof value === 'object' && value !== null && !Array.isArray(value);
const objectOr = (value: unknown): Obj => (isObject(value) ? value : {});
const stringOr = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Reads a join payload; refuses it with a reason when it cannot be read or is over a cap. */
export function parseJoinPayload(raw: unknown, limits: JoinLimits): JoinParse {
	const payload = objectOr(raw);
	const config = objectOr(payload.config);
	const broadcast = objectOr(config.broadcast);
	const presence = objectOr(config.presence);

	const bindings = parseBindings(config.postgres_changes, limits.maxBindingsPerJoin);
	if (typeof bindings === 'string') return { ok: false, reason: bindings };

	const token = stringOr(payload.access_token) || stringOr(payload.user_token);
	return {
		ok: true,
		value: {
			private: config.private === true,
			broadcast: {
				self: broadcast.self === true,
				ack: broadcast.ack === true,
				replay: broadcast.replay,
				replicationReady: broadcast.replication_ready === true
			},
			presence: { key: stringOr(presence.key) || undefined, enabled: presence.enabled === true },
			postgresChanges: bindings,
			accessToken: token || undefined
		}
	};
}

/** The bindings, or the refusal's reason. The cap is checked before any binding is read. */
function parseBindings(raw: unknown, max: number): ChangeBinding[] | string {
	if (raw === undefined || raw === null) return [];
	if (!Array.isArray(raw)) return JOIN_ERRORS.notAList;
	if (raw.length > max) return JOIN_ERRORS.tooManyBindings(max);
	const out: ChangeBinding[] = [];
	for (const item of raw as unknown[]) {
		// realtime-js leaves holes for bindings removed before the join: skip them, as Supabase does.
		if (item === null || item === undefined) continue;
		if (!isObject(item)) return JOIN_ERRORS.notAMap;
		const binding: ChangeBinding = {};
		for (const key of ['event', 'schema', 'table', 'filter'] as const) {
			const value = stringOr(item[key]);
			if (value !== undefined) binding[key] = value;
		}
		if (typeof item.select === 'string') binding.select = item.select;
		else if (Array.isArray(item.select)) {
			binding.select = (item.select as unknown[]).filter((c): c is string => typeof c === 'string');
		}
		out.push(binding);
	}
	return out;
}
