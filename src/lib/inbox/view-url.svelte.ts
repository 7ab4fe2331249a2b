import { untrack } from 'svelte';
import { goto } from '$app/navigation';
import { page } from '$app/state';
import type { InboxView } from '$lib/types';
import type { Inbox } from './inbox.svelte';
import { viewFromParams, viewToSearch } from './query';

function sameView(a: InboxView, b: InboxView): boolean {
	return a.tab === b.tab && a.category === b.category && a.query === b.query;
}

/**
 * The inbox's view lives in the URL (?tab=&category=&q=): a change of view writes it (a new history
 * entry for tab and category, the same entry while typing a search), and Back/Forward or a pasted link
 * read it. The page's server load reads the query string only for the first render (untracked), so
 * these navigations run no load: the inbox fetches the view itself. Call from a component's script.
 */
export function syncViewWithUrl(inbox: Inbox): void {
	$effect(() => {
		const view = inbox.view;
		const search = viewToSearch(view);
		// Read the current URL without subscribing to it: only a change of view writes history.
		const { pathname, searchParams } = untrack(() => page.url);
		const current = viewFromParams(searchParams);
		if (sameView(current, view)) return;
		const onlyQuery = current.tab === view.tab && current.category === view.category;
		// The same route with another query string: nothing to resolve.
		// eslint-disable-next-line svelte/no-navigation-without-resolve
		void goto(`${pathname}${search}`, {
			replaceState: onlyQuery,
			keepFocus: true,
			noScroll: true
		});
	});
	$effect(() => {
		const wanted = viewFromParams(page.url.searchParams);
		if (
			!sameView(
				wanted,
				untrack(() => inbox.view)
			)
		)
			void inbox.setView(wanted);
	});
}
