import type { Profile } from '$lib/types';

/**
 * What each tab tracks on the room channel under the user's id: only its status. Names are never
 * read from presence (a payload says whatever its sender wrote); they come from profiles.
 */
export interface PresenceMeta {
	status: 'online' | 'away';
}

export interface RosterEntry extends PresenceMeta {
	id: string;
	display_name: string;
	avatar_url: string | null;
	/** How many tabs this person has open. */
	tabs: number;
}

/**
 * One entry per person however many tabs they have open (presence key = user id), named from their
 * profile; a key that is not a known profile is left out. A person is online when any of their tabs
 * is; entries are sorted online first, then by name.
 */
export function rosterFromState(
	state: Record<string, Partial<PresenceMeta>[]>,
	profileOf: (id: string) => Profile | undefined
): RosterEntry[] {
	const entries: RosterEntry[] = [];
	for (const [id, metas] of Object.entries(state)) {
		const profile = profileOf(id);
		if (!metas?.length || !profile) continue;
		const online = metas.some((m) => m?.status !== 'away');
		entries.push({
			id,
			display_name: profile.display_name || 'Someone',
			avatar_url: profile.avatar_url ?? null,
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
