/** A client object whose every member throws: "X is not bundled in the Beacon dashboard". */
export function unbundled(feature: string, pkg: string): object {
	const fail = () => {
		throw new Error(
			`${feature} is not bundled in the Beacon dashboard: remove ${pkg} from the browser aliases in vite.config.ts to use it`
		);
	};
	// `then` stays undefined so the object is never mistaken for a promise.
	return new Proxy({}, { get: (_target, key) => (key === 'then' ? undefined : fail) });
}
