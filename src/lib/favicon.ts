/** The app icon with the unread count on it, as an SVG data URL (no count: the plain icon). */
export function faviconWithCount(count: number): string {
	const label = count > 99 ? '99+' : String(count);
	const badge =
		count > 0
			? `<circle cx="23" cy="9" r="9" fill="#dc2626"/><text x="23" y="12.5" text-anchor="middle" font-family="system-ui,sans-serif" font-size="${label.length > 2 ? 7 : 10}" font-weight="700" fill="#fff">${label}</text>`
			: '';
	const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="14" fill="#4f46e5"/><circle cx="16" cy="16" r="4.5" fill="#fff"/>${badge}</svg>`;
	return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}
