import type { Json } from '$lib/database.types';
import { safeHref } from '$lib/url';

/** A button a notification offers (the schema's notifications_actions_format allows at most two). */
export type NotificationAction =
	| { key: string; label: string; kind: 'primary' | 'secondary' }
	| { key: string; label: string; kind: 'link'; url: string };

export const MAX_ACTIONS = 2;
export const ACTION_LABEL_MAX = 24;

/**
 * The actions of a row as the UI may show them: the schema checks them on write, and this checks
 * again what arrived over the network (at most two, short labels, links only to http(s)).
 */
export function actionsOf(value: Json | null | undefined): NotificationAction[] {
	if (!Array.isArray(value)) return [];
	const actions: NotificationAction[] = [];
	for (const item of value.slice(0, MAX_ACTIONS)) {
		if (!item || typeof item !== 'object' || Array.isArray(item)) continue;
		const { key, label, kind, url } = item;
		if (typeof key !== 'string' || typeof label !== 'string' || !label.trim()) continue;
		if (label.length > ACTION_LABEL_MAX || actions.some((a) => a.key === key)) continue;
		if (kind === 'primary' || kind === 'secondary') actions.push({ key, label, kind });
		else if (kind === 'link' && typeof url === 'string' && /^https?:\/\//i.test(url)) {
			const href = safeHref(url);
			if (href) actions.push({ key, label, kind, url: href });
		}
	}
	return actions;
}
