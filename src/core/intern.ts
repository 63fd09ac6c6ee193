/**
 * Shares equal values between cache entries. Thousands of cached tokens belong to far fewer users,
 * clients and scopes; without sharing, each entry would carry its own copy of the same profile and
 * strings, and memory per entry would be dominated by duplicates. Bounded: when full it starts over
 * (entries already cached keep their references, so nothing breaks, sharing just restarts).
 */
export class Interner<T> {
  readonly #max: number;
  #map = new Map<string, T>();

  constructor(max = 10_000) {
    this.#max = max;
  }

  /** The shared instance under `key`, if there is one. */
  find(key: string): T | undefined {
    return this.#map.get(key);
  }

  /** The shared instance equal to `value` under `key`. */
  get(key: string, value: T): T {
    const found = this.#map.get(key);
    if (found !== undefined) return found;
    if (this.#map.size >= this.#max) this.#map = new Map();
    this.#map.set(key, value);
    return value;
  }
}

/** Replaces string fields of a flat object with shared copies; other values are left alone. */
export function internStrings<O extends Record<string, unknown>>(object: O, strings: Interner<string>): O {
  for (const key of Object.keys(object)) {
    const v = object[key];
    if (typeof v === 'string' && v.length <= 256) (object as Record<string, unknown>)[key] = strings.get(v, v);
  }
  return object;
}
