/**
 * The default store of the token cache: a bounded in-memory LRU with per-entry expiry.
 */
import type { CacheStore } from './cache.js';

export const DEFAULT_MAX_ENTRIES = 100_000;
/** Upper limit of `maxEntries`: a JavaScript `Map` cannot hold more than about 16.7 million entries. */
export const MAX_ENTRIES_LIMIT = 16_000_000;

/**
 * One cached entry: a node of the store's recency list. Five fields, no closure, no timer. `key` is
 * the same string the `Map` holds, not a copy.
 */
class Entry<V> {
  readonly key: string;
  value: V;
  /** Clock reading from which the entry is stale. */
  expiresAt: number;
  /** Neighbour towards the most recently used end. */
  newer: Entry<V> | undefined = undefined;
  /** Neighbour towards the least recently used end. */
  older: Entry<V> | undefined = undefined;
  constructor(key: string, value: V, expiresAt: number) {
    this.key = key;
    this.value = value;
    this.expiresAt = expiresAt;
  }
}

/** Options of {@link MemoryStore}. @inline */
export interface MemoryStoreOptions {
  /** @defaultValue 100_000 */
  maxEntries?: number;
  /** @defaultValue Date.now */
  clock?: () => number;
}

/**
 * A bounded in-memory LRU store with per-entry expiry, the default store of {@link TokenCache}.
 *
 * A `Map` finds entries; a doubly linked list through the entries keeps them in recency order. A
 * read that hits relinks the entry at the most recently used end, and when the store is full the
 * least recently used entry is evicted. Every operation is O(1).
 *
 * The list exists because the cheaper-looking alternative degrades badly in V8: using the `Map`'s
 * own insertion order (delete and re-set on each hit, evict `keys().next()`) leaves deleted slots
 * in the table until the next rehash, so a hot key read over and over and evictions from the front
 * both slow down to tens of microseconds per operation in a 200,000-entry map.
 *
 * Expiry is checked on read against the clock; an expired entry is removed when read and otherwise
 * ages out through the LRU order. There are no timers. Every method is synchronous.
 *
 * @example
 * ```ts
 * import { MemoryStore } from 'empowerid-express';
 *
 * const store = new MemoryStore<string>({ maxEntries: 2 });
 * store.set('a', 'A', 60_000);
 * store.set('b', 'B', 60_000);
 * store.get('a'); // 'A', and 'a' is now the most recently used
 * store.set('c', 'C', 60_000); // evicts 'b'
 * ```
 */
export class MemoryStore<V> implements CacheStore<V> {
  /** Entries dropped to stay within `maxEntries`. */
  evictions = 0;
  readonly #map = new Map<string, Entry<V>>();
  readonly #max: number;
  readonly #clock: () => number;
  /** Most recently used entry. */
  #newest: Entry<V> | undefined = undefined;
  /** Least recently used entry: the next to be evicted. */
  #oldest: Entry<V> | undefined = undefined;

  /**
   * @throws TypeError when `maxEntries` is not a positive integer no greater than 16,000,000, or
   *   `clock` is not a function. The message names the option.
   */
  constructor(options: MemoryStoreOptions = {}) {
    this.#max = validateMaxEntries(options.maxEntries);
    this.#clock = validateClock(options.clock);
  }

  /** Number of entries held, including expired entries not read since they expired. */
  get size(): number {
    return this.#map.size;
  }

  /** The fresh value under `key`, marking it most recently used; an expired entry is removed. */
  get(key: string): V | undefined {
    const entry = this.#map.get(key);
    if (entry === undefined) return undefined;
    if (this.#clock() >= entry.expiresAt) {
      this.#remove(entry);
      return undefined;
    }
    if (entry !== this.#newest) {
      this.#unlink(entry);
      this.#pushNewest(entry);
    }
    return entry.value;
  }

  /**
   * Stores `value` for `ttlMs` milliseconds as the most recently used entry, evicting the least
   * recently used one when full. A `ttlMs` that is not a finite number above 0 removes the key
   * instead.
   */
  set(key: string, value: V, ttlMs: number): void {
    const existing = this.#map.get(key);
    if (!isCacheableTtl(ttlMs)) {
      if (existing !== undefined) this.#remove(existing);
      return;
    }
    const expiresAt = this.#clock() + ttlMs;
    if (existing !== undefined) {
      existing.value = value;
      existing.expiresAt = expiresAt;
      if (existing !== this.#newest) {
        this.#unlink(existing);
        this.#pushNewest(existing);
      }
      return;
    }
    if (this.#map.size >= this.#max && this.#oldest !== undefined) {
      this.#remove(this.#oldest);
      this.evictions++;
    }
    const entry = new Entry(key, value, expiresAt);
    this.#map.set(key, entry);
    this.#pushNewest(entry);
  }

  /** Removes `key`. */
  delete(key: string): void {
    const entry = this.#map.get(key);
    if (entry !== undefined) this.#remove(entry);
  }

  /** Removes every entry. */
  clear(): void {
    this.#map.clear();
    this.#newest = undefined;
    this.#oldest = undefined;
  }

  #remove(entry: Entry<V>): void {
    this.#map.delete(entry.key);
    this.#unlink(entry);
  }

  #unlink(entry: Entry<V>): void {
    const { newer, older } = entry;
    if (newer === undefined) this.#newest = older;
    else newer.older = older;
    if (older === undefined) this.#oldest = newer;
    else older.newer = newer;
    entry.newer = undefined;
    entry.older = undefined;
  }

  #pushNewest(entry: Entry<V>): void {
    const newest = this.#newest;
    entry.older = newest;
    if (newest === undefined) this.#oldest = entry;
    else newest.newer = entry;
    this.#newest = entry;
  }
}

/** A TTL is usable when it is a finite number of milliseconds above 0; anything else means "do not cache". */
export function isCacheableTtl(ttlMs: unknown): ttlMs is number {
  return typeof ttlMs === 'number' && ttlMs > 0 && Number.isFinite(ttlMs);
}

export function validateMaxEntries(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_ENTRIES;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_ENTRIES_LIMIT) {
    throw new TypeError(
      `empowerid: option "maxEntries" must be a positive integer no greater than ${MAX_ENTRIES_LIMIT}; got ${describe(value)}`,
    );
  }
  return value;
}

export function validateClock(value: unknown): () => number {
  if (value === undefined) return Date.now;
  if (typeof value !== 'function') {
    throw new TypeError(`empowerid: option "clock" must be a function returning milliseconds; got ${describe(value)}`);
  }
  return value as () => number;
}

function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  return typeof value;
}
