/**
 * The wire vocabulary of Supabase Realtime over the Phoenix channel protocol, in one place.
 * Sources: @supabase/realtime-js (lib/constants.ts, lib/serializer.ts), @supabase/phoenix, and
 * supabase/realtime (realtime_channel.ex) for the error texts.
 */

export const VSN_1 = '1.0.0';
export const VSN_2 = '2.0.0';
export type Vsn = typeof VSN_1 | typeof VSN_2;

export const PHOENIX_TOPIC = 'phoenix';
export const TOPIC_PREFIX = 'realtime:';

/** Events a client sends. */
export const CLIENT_EVENTS = {
	heartbeat: 'heartbeat',
	join: 'phx_join',
	leave: 'phx_leave',
	broadcast: 'broadcast',
	presence: 'presence',
	accessToken: 'access_token'
} as const;

/** Events the server sends. */
export const SERVER_EVENTS = {
	reply: 'phx_reply',
	close: 'phx_close',
	error: 'phx_error',
	broadcast: 'broadcast',
	presenceState: 'presence_state',
	presenceDiff: 'presence_diff',
	postgresChanges: 'postgres_changes',
	system: 'system'
} as const;

/** Binary frame kinds of the 2.0.0 serializer. */
export const BINARY_KINDS = { userBroadcastPush: 3, userBroadcast: 4 } as const;
export const PAYLOAD_ENCODING = { binary: 0, json: 1 } as const;
export type PayloadEncoding = (typeof PAYLOAD_ENCODING)[keyof typeof PAYLOAD_ENCODING];

/** Error texts, as Supabase Realtime words them (join replies carry `Code: text`). */
export const ERRORS = {
	topicRequired: 'TopicNameRequired: You must provide a topic name',
	unmatchedTopic: 'unmatched topic',
	tooManyChannels: 'ChannelRateLimitReached: Too many channels',
	tooManyJoins: 'ClientJoinRateLimitReached: Too many joins per second',
	tooManyUsers: 'ConnectionRateLimitReached: Too many connected users',
	tooManyMessages: 'Too many messages per second',
	presenceClientRateLimit: 'Client presence rate limit exceeded',
	presencePayloadNotMap: 'Presence track payload must be a map',
	trackSizeExceeded: 'Track message size exceeded',
	payloadSizeExceeded: 'payload_size_exceeded',
	missingClaims: 'Fields `role` and `exp` are required in JWT',
	malformedJwt: 'The token provided is not a valid JWT',
	signature: 'Failed to validate JWT signature',
	databaseUnavailable: 'Realtime was unable to connect to the project database',
	unknown: 'Unknown Error on Channel',
	expired: (secondsAgo: number) => `Token has expired ${secondsAgo} seconds ago`,
	unauthorizedRead: (topic: string) =>
		`You do not have permissions to read from this Channel topic: ${topic}`,
	readRevoked: (topic: string) => `You no longer have permission to read from this Channel topic: ${topic}`
} as const;

/** Codes prefixed to join refusals (`Code: text`). */
export const ERROR_CODES = {
	invalidJwt: 'InvalidJWTToken',
	malformedJwt: 'MalformedJWT',
	signature: 'JwtSignatureError',
	unauthorized: 'Unauthorized'
} as const;

export const SUBSCRIBED_TO_POSTGRES = 'Subscribed to PostgreSQL';
export const REPLICATION_READY = 'Replication connection established';
export const REPLICATION_NOT_READY = 'Replication connection was not established in time';

/** realtime.messages extensions a private channel is authorized for. */
export const EXTENSIONS = { broadcast: 'broadcast', presence: 'presence' } as const;
