/** What each tab tracks on the room channel under the user's id. */
export interface PresenceMeta {
	display_name: string;
	avatar_url: string | null;
	status: 'online' | 'away';
}

export interface RosterEntry extends PresenceMeta {
	id: string;
	/** How many tabs this person has open. */
	tabs: number;
}

/**
 * One entry per person however many tabs they have open (presence key = user id). A person is
 * online when any of their tabs is; entries are sorted online first, then by name.
 */
export function rosterFromState(state: Record<string, Partial<PresenceMeta>[]>): RosterEntry[] {
	const entries: RosterEntry[] = [];
	for (const [id, metas] of Object.entries(state)) {
		if (!metas?.length) continue;
		const online = metas.some((m) => m.status !== 'away');
		const named = metas.find((m) => m.display_name) ?? metas[0];
		entries.push({
			id,
			display_name: named.display_name || 'Someone',
			avatar_url: named.avatar_url ?? null,
			status: online ? 'online' : 'away',
			tabs: metas.length
		});
	}
	return entries.sort(
		(a, b) =>
			Number(a.status === 'away') - Number(b.status === 'away') ||
			a.display_name.localeCompare(b.display_name)
	);
}
