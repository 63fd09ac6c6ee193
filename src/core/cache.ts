/**
 * The introspection cache: bounded, time-boxed, single-flight, failures evicted, stats inspectable.
 *
 * {@link TokenCache} sits on the hot path of the API guard. Its default store, {@link MemoryStore},
 * is a `Map` plus a linked recency list, one small entry object per key and no timers; expiry is
 * checked on read against an injectable clock. A shared store (Redis, …) can replace it through
 * {@link CacheStore}.
 */
import { hash } from 'node:crypto';
import {
  DEFAULT_MAX_ENTRIES,
  MAX_ENTRIES_LIMIT,
  MemoryStore,
  type MemoryStoreOptions,
  isCacheableTtl,
  validateClock,
  validateMaxEntries,
} from './memory-store.js';
import type { CacheBackTier } from './shared.js';

/**
 * A pluggable key/value store. Methods may be synchronous or return promises. The store owns its own
 * bound and expiry: `ttlMs` passed to {@link CacheStore.set} is always a finite number above 0, and a
 * value must not be returned after that many milliseconds.
 *
 * @example
 * ```ts
 * import type { CacheStore } from './core/cache.js';
 *
 * // A sketch over a Redis client (node-redis v4 style).
 * const redisStore: CacheStore<Introspection> = {
 *   async get(key) {
 *     const json = await redis.get(`introspection:${key}`);
 *     return json === null ? undefined : (JSON.parse(json) as Introspection);
 *   },
 *   async set(key, value, ttlMs) {
 *     await redis.set(`introspection:${key}`, JSON.stringify(value), { PX: Math.ceil(ttlMs) });
 *   },
 *   async delete(key) {
 *     await redis.del(`introspection:${key}`);
 *   },
 * };
 * ```
 */
export interface CacheStore<V> {
  /** The value stored under `key`, or `undefined` when there is none or it has expired. */
  get(key: string): V | undefined | Promise<V | undefined>;
  /** Stores `value` under `key` for `ttlMs` milliseconds, replacing any previous value. */
  set(key: string, value: V, ttlMs: number): void | Promise<void>;
  /** Removes `key`; removing an absent key is not an error. */
  delete(key: string): void | Promise<void>;
  /** Removes every entry. Optional: {@link TokenCache.clear} calls it when present. */
  clear?(): void | Promise<void>;
  /** Number of entries, when the store can tell cheaply. Reported as {@link CacheStats.entries}. */
  readonly size?: number;
}

/** Options of {@link TokenCache}. @inline */
export interface TokenCacheOptions<V = unknown> {
  /**
   * Bound of the built-in {@link MemoryStore}: a positive integer no greater than 16,000,000. When
   * full, the least recently used entry is evicted. Not used when `store` is given: bound that store
   * yourself.
   * @defaultValue 100_000
   */
  maxEntries?: number;
  /**
   * Milliseconds since the epoch, read by the built-in store to expire entries. Inject one in tests
   * instead of sleeping. Not used when `store` is given.
   * @defaultValue Date.now
   */
  clock?: () => number;
  /** A shared store to use instead of the built-in {@link MemoryStore}. */
  store?: CacheStore<V>;
  /**
   * A shared back tier (Redis) behind the in-process LRU, which stays in front so a warm lookup
   * remains synchronous. A front miss asks the tier before `load`; a load is written to both; a
   * delete removes the key from the tier and, through its broadcast, from every instance's front.
   * While the tier cannot receive broadcasts the front does not answer alone. Not combined with
   * `store`.
   */
  tier?: CacheBackTier<V>;
  /**
   * What a lookup does when the tier fails (unreachable, slow): `fail` (default) rejects with the
   * tier's error (a 503 at the guard); `load` calls `load` and keeps the answer nowhere.
   */
  onTierFailure?: 'fail' | 'load';
}

/** Counters of a {@link TokenCache}, for metrics and tests. Counters only grow; `clear()` keeps them. */
export interface CacheStats {
  /** Lookups answered from the store (by {@link TokenCache.getOrLoad} or {@link TokenCache.peek}). */
  hits: number;
  /** {@link TokenCache.getOrLoad} calls the store could not answer, whether they started a load or joined one. */
  misses: number;
  /** Times `load` was called. With single-flight this is at most `misses`, often far fewer. */
  loads: number;
  /** Entries in the store now (expired entries not yet read included), or 0 when the store does not report a size. */
  entries: number;
  /** Loads running now. */
  inflight: number;
  /** Entries the built-in store dropped to stay within `maxEntries`; 0 with a custom store. */
  evictions: number;
  /** Front misses answered by the shared tier (no `load`). */
  tierHits: number;
}

/** Default bound of the built-in store. */
export { DEFAULT_MAX_ENTRIES, MAX_ENTRIES_LIMIT, MemoryStore, type MemoryStoreOptions };

/**
 * A single-flight cache in front of an expensive lookup (token introspection), keyed by a hash of
 * the token.
 *
 * - {@link TokenCache.peek} answers synchronously from the built-in store: the guard's fast path.
 * - {@link TokenCache.getOrLoad} runs `load` once for all concurrent callers of a key, caches the
 *   result for the TTL `load` returns, and never caches a failure.
 *
 * `V` should not include `undefined`: `undefined` means "not cached", so such a value is never stored.
 *
 * If the store itself fails (a custom store's `get` or `set` throws or rejects), the cache fails
 * open to `load`: a failing `get` counts as a miss, and a failing `set` still returns the loaded
 * value to every waiter. The cache only saves work; the identity provider stays the authority.
 *
 * @example
 * ```ts
 * import { TokenCache } from './core/cache.js';
 *
 * const cache = new TokenCache<Introspection>({ maxEntries: 50_000 });
 *
 * async function introspectCached(token: string): Promise<Introspection> {
 *   const key = TokenCache.keyFor(token);
 *   return (
 *     cache.peek(key) ??
 *     cache.getOrLoad(key, async () => {
 *       const value = await introspect(token);
 *       return { value, ttlMs: value.active ? Math.min(60_000, value.exp * 1000 - Date.now()) : 0 };
 *     })
 *   );
 * }
 * ```
 */
export class TokenCache<V> {
  readonly #store: CacheStore<V>;
  /** The built-in store when used, so the fast path can skip promise checks. */
  readonly #memory: MemoryStore<V> | undefined;
  readonly #inflight = new Map<string, Promise<V>>();
  readonly #tier: CacheBackTier<V> | undefined;
  readonly #loadOnTierFailure: boolean;
  #hits = 0;
  #misses = 0;
  #loads = 0;
  #tierHits = 0;

  /**
   * @throws TypeError when an option is invalid: `maxEntries` not a positive integer no greater than
   *   16,000,000, `clock` not a function, or `store` lacking `get`, `set` or `delete`. The message
   *   names the option.
   */
  constructor(options: TokenCacheOptions<V> = {}) {
    if (options.tier !== undefined && options.store !== undefined) {
      throw new TypeError('empowerid: options "store" and "tier" cannot be combined; the tier sits behind the built-in store');
    }
    if (options.onTierFailure !== undefined && options.onTierFailure !== 'fail' && options.onTierFailure !== 'load') {
      throw new TypeError('empowerid: option "onTierFailure" must be "fail" or "load"');
    }
    this.#tier = options.tier;
    this.#loadOnTierFailure = options.onTierFailure === 'load';
    if (options.store === undefined) {
      const memory = new MemoryStore<V>(options);
      this.#memory = memory;
      this.#store = memory;
    } else {
      // Validated even though unused, so a typo is reported the same way with either store.
      validateMaxEntries(options.maxEntries);
      validateClock(options.clock);
      this.#store = validateStore(options.store);
      this.#memory = options.store instanceof MemoryStore ? options.store : undefined;
    }
    const memory = this.#memory;
    if (this.#tier && memory) {
      // Another instance deleted the key (revocation, logout): drop this instance's copy and detach its load.
      this.#tier.onEvict((key) => {
        if (key === undefined) {
          memory.clear();
          this.#inflight.clear();
        } else {
          memory.delete(key);
          this.#inflight.delete(key);
        }
      });
    }
  }

  /**
   * The cache key of a token: its SHA-256 digest, base64url-encoded (43 characters). The raw token is
   * never used as a key, so a store dump or a key in a log does not leak a usable credential.
   *
   * @example
   * ```ts
   * TokenCache.keyFor('mF_9.B5f-4.1JqM'); // 43 base64url characters
   * ```
   */
  static keyFor(token: string): string {
    if (typeof token !== 'string') throw new TypeError('empowerid: TokenCache.keyFor expects the token as a string');
    // One-shot `hash` (Node >= 20.12) gives the same digest as createHash().update().digest() in about
    // 60% of the time, and this runs on every guarded request.
    return hash('sha256', token, 'base64url');
  }

  /**
   * The fresh cached value under `key`, synchronously, or `undefined`. Only the built-in
   * {@link MemoryStore} can answer synchronously; with another store this always returns `undefined`
   * without touching the store. Counts a hit when it answers; a miss is counted by the
   * {@link TokenCache.getOrLoad} call that should follow.
   *
   * @example
   * ```ts
   * const value = cache.peek(key) ?? (await cache.getOrLoad(key, load));
   * ```
   */
  peek(key: string): V | undefined {
    const memory = this.#memory;
    if (memory === undefined) return undefined;
    // Evictions from other instances may be lost meanwhile: the front must not answer alone.
    if (this.#tier !== undefined && !this.#tier.trustworthy) return undefined;
    const value = memory.get(key);
    if (value !== undefined) this.#hits++;
    return value;
  }

  /**
   * Returns the cached value, or runs `load` once for all concurrent callers of the same key
   * (single-flight). `load` returns the value and how long it may be cached in milliseconds; a
   * `ttlMs` that is not a finite number above 0 means "do not cache". A rejected load is not cached
   * and its error is passed to every waiter; the next call loads again.
   *
   * @param key - use {@link TokenCache.keyFor}, never the raw token.
   *
   * @example
   * ```ts
   * const value = await cache.getOrLoad(TokenCache.keyFor(token), async () => ({
   *   value: await introspect(token),
   *   ttlMs: 30_000,
   * }));
   * ```
   */
  getOrLoad(key: string, load: () => Promise<{ value: V; ttlMs: number }>): Promise<V> {
    const memory = this.#memory;
    if (memory !== undefined) {
      const value = this.#tier !== undefined && !this.#tier.trustworthy ? undefined : memory.get(key);
      if (value !== undefined) {
        this.#hits++;
        return Promise.resolve(value);
      }
      return this.#joinOrLoad(key, load);
    }
    let cached: V | undefined | Promise<V | undefined>;
    try {
      cached = this.#store.get(key);
    } catch {
      cached = undefined;
    }
    if (!isThenable(cached)) {
      if (cached !== undefined) {
        this.#hits++;
        return Promise.resolve(cached);
      }
      return this.#joinOrLoad(key, load);
    }
    return Promise.resolve(cached).then(
      (value) => {
        if (value !== undefined) {
          this.#hits++;
          return value;
        }
        return this.#joinOrLoad(key, load);
      },
      () => this.#joinOrLoad(key, load),
    );
  }

  /**
   * Stores `value` under `key` for `ttlMs` (a `ttlMs` that is not a finite number above 0 stores
   * nothing). For replacing an entry with a fuller answer; a store failure is swallowed like in
   * {@link TokenCache.getOrLoad}: the cache only saves work.
   */
  set(key: string, value: V, ttlMs: number): Promise<void> | void {
    if (value === undefined || !isCacheableTtl(ttlMs)) return;
    try {
      const done = this.#store.set(key, value, ttlMs);
      const shared = this.#tier?.set(key, value, ttlMs);
      if (isThenable(done) || shared !== undefined)
        return Promise.all([done, shared]).then(
          () => undefined,
          () => {},
        );
    } catch {
      // Fail open, as above.
    }
  }

  /**
   * Removes `key` from the store. A load in flight for `key` is detached: its callers still get its
   * result, but it is not stored, so a token revoked during a load does not come back.
   */
  delete(key: string): Promise<void> | void {
    this.#inflight.delete(key);
    const done = this.#store.delete(key);
    if (this.#tier === undefined) return done;
    return this.#tier.delete(key);
  }

  /**
   * Empties the store (when it has `clear`) and detaches every load in flight, whose results will
   * not be stored. Counters are kept.
   */
  clear(): void {
    this.#inflight.clear();
    const done = this.#store.clear?.();
    // A custom store's clear failing must not become an unhandled rejection.
    if (isThenable(done)) done.then(undefined, () => {});
  }

  /** A snapshot of the counters. */
  stats(): CacheStats {
    const size = this.#store.size;
    return {
      hits: this.#hits,
      misses: this.#misses,
      loads: this.#loads,
      entries: typeof size === 'number' ? size : 0,
      inflight: this.#inflight.size,
      evictions: this.#memory?.evictions ?? 0,
      tierHits: this.#tierHits,
    };
  }

  #joinOrLoad(key: string, direct: () => Promise<{ value: V; ttlMs: number }>): Promise<V> {
    this.#misses++;
    const running = this.#inflight.get(key);
    if (running !== undefined) return running;
    const counted = () => {
      this.#loads++;
      return direct();
    };
    const load = this.#tier === undefined ? counted : () => this.#throughTier(key, this.#tier as CacheBackTier<V>, counted);
    const inflight = this.#inflight;
    const store = this.#store;
    // Declared before it is assigned so the load can check that it is still the current flight.
    let flight: Promise<V> | undefined;
    // eslint-disable-next-line prefer-const -- TypeScript needs the declaration before the closure.
    flight = (async () => {
      // Inside the async function, a `load` that throws synchronously becomes a rejection too.
      const { value, ttlMs } = await load();
      // Store only if this flight is still the current one (not detached by delete/clear).
      if (inflight.get(key) === flight && value !== undefined && isCacheableTtl(ttlMs)) {
        try {
          const done = store.set(key, value, ttlMs);
          if (isThenable(done)) await done;
        } catch {
          // Fail open: the value is good even if the store could not keep it.
        }
      }
      return value;
    })();
    inflight.set(key, flight);
    const settle = (): void => {
      if (inflight.get(key) === flight) inflight.delete(key);
    };
    // First reaction registered, so the key is free before any waiter resumes.
    flight.then(settle, settle);
    return flight;
  }

  /** The tier's answer, or `load`'s written to the tier; `ttlMs` 0 keeps it out of the front. */
  async #throughTier(
    key: string,
    tier: CacheBackTier<V>,
    load: () => Promise<{ value: V; ttlMs: number }>,
  ): Promise<{ value: V; ttlMs: number }> {
    let found: { value: V; ttlMs: number } | undefined;
    try {
      found = await tier.get(key);
    } catch (err) {
      if (!this.#loadOnTierFailure) throw err;
      const { value } = await load();
      return { value, ttlMs: 0 };
    }
    if (found !== undefined) {
      this.#tierHits++;
      return tier.trustworthy ? found : { value: found.value, ttlMs: 0 };
    }
    const loaded = await load();
    if (loaded.value !== undefined && isCacheableTtl(loaded.ttlMs)) {
      try {
        await tier.set(key, loaded.value, loaded.ttlMs);
      } catch {
        // The answer is good; other instances will ask the IdP themselves.
      }
    }
    return tier.trustworthy ? loaded : { value: loaded.value, ttlMs: 0 };
  }
}

function validateStore<V>(value: CacheStore<V>): CacheStore<V> {
  const candidate = value as Partial<CacheStore<V>> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.get !== 'function' ||
    typeof candidate.set !== 'function' ||
    typeof candidate.delete !== 'function'
  ) {
    throw new TypeError('empowerid: option "store" must be an object with get, set and delete methods');
  }
  return value;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function'
  );
}
