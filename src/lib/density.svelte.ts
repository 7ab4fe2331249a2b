/** How many notifications fit on a screen: compact (one line when there is no body) or comfortable. */
export type Density = 'compact' | 'comfortable';

const KEY = 'beacon:density';

class DensitySetting {
	#value = $state<Density>('compact');

	constructor() {
		if (typeof localStorage !== 'undefined' && localStorage.getItem(KEY) === 'comfortable')
			this.#value = 'comfortable';
	}

	get current(): Density {
		return this.#value;
	}

	set current(value: Density) {
		this.#value = value;
		localStorage.setItem(KEY, value);
	}
}

export const density = new DensitySetting();
