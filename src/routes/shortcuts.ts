export interface ShortcutActions {
	next: () => void;
	previous: () => void;
	open: () => void;
	toggleRead: () => void;
	archive: () => void;
	markAllRead: () => void;
	search: () => void;
	compose: () => void;
	help: () => void;
	/** True while a dialog owns the keyboard. */
	blocked: () => boolean;
}

/** The action a key press means, or null. Typing in a field, or holding Ctrl/Meta/Alt, means none. */
export function shortcutFor(
	e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'target'>
): keyof ShortcutActions | null {
	if (e.ctrlKey || e.metaKey || e.altKey) return null;
	const target = e.target as HTMLElement | null;
	if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)))
		return null;
	switch (e.key) {
		case 'j':
			return 'next';
		case 'k':
			return 'previous';
		case 'r':
			return 'toggleRead';
		case 'R':
			return 'markAllRead';
		case 'e':
			return 'archive';
		case '/':
			return 'search';
		case 'c':
			return 'compose';
		case '?':
			return 'help';
		case 'Enter': {
			// Enter on a button or link does what it always does.
			const tag = target?.tagName;
			return tag === 'BUTTON' || tag === 'A' ? null : 'open';
		}
	}
	return null;
}

export function useShortcuts(actions: ShortcutActions): () => void {
	const onKey = (e: KeyboardEvent) => {
		if (actions.blocked()) return;
		const action = shortcutFor(e);
		if (!action || action === 'blocked') return;
		e.preventDefault();
		actions[action]();
	};
	addEventListener('keydown', onKey);
	return () => removeEventListener('keydown', onKey);
}
