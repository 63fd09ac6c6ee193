/**
 * Reuse of client-only tokens (the client credentials grant): a token is handed out again until
 * shortly before it expires, and one request is in flight per distinct parameter set.
 *
 * Built on {@link TokenCache} (bounded LRU, single-flight, failures never cached); this module
 * only decides the key and how long a token may be reused.
 */
import { type CacheStats, TokenCache } from '../cache.js';
import { renewAt, type TokenSet } from '../tokens.js';

/** Options of {@link TokenReuse}. */
export interface TokenReuseOptions {
  /** Distinct parameter sets kept (least recently used evicted). Default 100. */
  maxEntries?: number;
  /** Renew this many seconds before expiry, capped at half the token's lifetime. Default 60. */
  skewSeconds?: number;
  /** Milliseconds since the epoch. Default `Date.now`; use the client's clock. */
  clock?: () => number;
}

/**
 * A bounded, single-flight store of token sets keyed by the request's parameters.
 *
 * A token is reused until its renewal time (expiry − 60 s, but never before half its lifetime);
 * a token without `expires_in` is never reused. A failed request is not remembered: the next call
 * asks again.
 *
 * The package exports its type only: a client's store is reached with `clientCredentialsCache()`.
 *
 * @example
 * ```ts
 * import { clientCredentialsCache } from 'empowerid-express';
 *
 * const reuse = clientCredentialsCache(client);
 * console.log(reuse.stats()); // { hits, loads, entries, … }
 * reuse.clear(); // e.g. after rotating the client secret
 * ```
 */
export class TokenReuse {
  readonly #cache: TokenCache<TokenSet>;
  readonly #clock: () => number;
  readonly #skewSeconds: number;

  constructor(options: TokenReuseOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#skewSeconds = options.skewSeconds ?? 60;
    this.#cache = new TokenCache<TokenSet>({ maxEntries: options.maxEntries ?? 100, clock: this.#clock });
  }

  /** The key of one parameter set: a SHA-256 digest, so no parameter value is kept as a key. */
  static keyFor(parts: readonly (string | undefined)[]): string {
    return TokenCache.keyFor(JSON.stringify(parts.map((p) => p ?? null)));
  }

  /**
   * The token set under `key`, or the result of `load` (shared by every concurrent caller of the
   * same key). `force` drops the stored set first, e.g. after an API refused the token.
   * Every caller gets its own shallow copy.
   */
  async get(key: string, load: () => Promise<TokenSet>, options: { force?: boolean } = {}): Promise<TokenSet> {
    if (options.force) await this.#cache.delete(key);
    const set = await this.#cache.getOrLoad(key, async () => {
      const value = await load();
      return { value, ttlMs: this.#reusableForMs(value) };
    });
    return { ...set };
  }

  /** Counters (hits, loads, entries, …) for metrics and tests. */
  stats(): CacheStats {
    return this.#cache.stats();
  }

  /** Forgets every stored token set. */
  clear(): void {
    this.#cache.clear();
  }

  #reusableForMs(set: TokenSet): number {
    if (set.expires_at === undefined) return 0;
    return renewAt(set.expires_at, set.expires_in, this.#skewSeconds) - this.#clock();
  }
}
