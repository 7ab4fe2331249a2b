import { toast } from 'svelte-sonner';
import { publicSettings } from '$lib/env';
import type { Notification } from '$lib/types';
import type { Inbox } from './inbox.svelte';

/** How long the Undo toast stays (and a delete waits). */
export const UNDO_MS = 6_000;

/** Archive (or move back) at once, with a toast to undo it. */
export function archiveWithUndo(inbox: Inbox, row: Notification): void {
	const archived = row.archived_at === null;
	void inbox.setArchived(row.id, archived);
	toast(archived ? 'Archived' : 'Moved to the inbox', {
		description: row.title,
		duration: UNDO_MS,
		action: { label: 'Undo', onClick: () => void inbox.setArchived(row.id, !archived) }
	});
}

/**
 * Hide the row now and delete it when the toast closes (timed out or dismissed); Undo puts it back.
 * Leaving the page before then deletes it too (see `keepDeletesOnLeave`): the reader asked for it.
 */
export function deleteWithUndo(inbox: Inbox, row: Notification): void {
	inbox.deleteLater(row.id);
	let settled = false;
	const commit = () => {
		if (settled) return;
		settled = true;
		void inbox.commitDelete(row.id);
	};
	toast('Deleted', {
		description: row.title,
		duration: UNDO_MS,
		action: {
			label: 'Undo',
			onClick: () => {
				settled = true;
				inbox.undoDelete(row.id);
			}
		},
		onDismiss: commit,
		onAutoClose: commit
	});
}

/**
 * When the page goes away (tab closed, navigation) with deletes still waiting for their toast, send
 * them at once in one request that outlives the page (`keepalive`). Returns the cleanup.
 */
export function keepDeletesOnLeave(inbox: Inbox): () => void {
	const flush = () => {
		const { ids, token } = inbox.takePendingDeletes();
		if (ids.length === 0 || !token) return;
		const { url, key } = publicSettings();
		void fetch(`${url}/rest/v1/notifications?id=in.(${ids.join(',')})`, {
			method: 'DELETE',
			keepalive: true,
			headers: { apikey: key, authorization: `Bearer ${token}` }
		});
	};
	addEventListener('pagehide', flush);
	return () => {
		removeEventListener('pagehide', flush);
		flush();
	};
}
