import type { Notification } from '$lib/types';

/** A notification row for unit tests: a plain unread message from the system, with `fields` over it. */
export function testRow(
	fields: Partial<Notification> & Pick<Notification, 'id' | 'title' | 'created_at'>
): Notification {
	return {
		user_id: 'u1',
		actor_id: null,
		category: 'message',
		priority: 'normal',
		body: null,
		url: null,
		read_at: null,
		archived_at: null,
		actions: null,
		action_taken: null,
		action_taken_at: null,
		snoozed_until: null,
		group_key: null,
		subject: null,
		updated_at: fields.created_at,
		...fields
	};
}
