import { BearerError, EmpowerIDError, IdPResponseError, OAuthError } from '../errors.js';
import { type CacheStats, type CacheStore, TokenCache } from './cache.js';
import type { EmpowerIDClient, IntrospectionResponse, UserInfo } from './client.js';
import { debug } from './debug.js';
import { Interner, internStrings } from './intern.js';

const log = debug('introspection');

/** What a verified bearer token resolves to. */
export interface VerifiedToken {
  /** The tokeninfo (RFC 7662) answer. */
  tokenInfo: IntrospectionResponse;
  /** The userinfo answer, unless profile fetching is off. */
  profile: UserInfo | undefined;
}

/** A negative answer, cached briefly so a flood of bad tokens does not reach the IdP. */
interface Rejected {
  readonly rejected: string;
}
type CacheEntry = VerifiedToken | Rejected;
const INACTIVE: Rejected = Object.freeze({ rejected: 'the access token is not active' });

export interface TokenVerifierOptions {
  /** Also fetch the userinfo profile. Default `true`. */
  fetchProfile?: boolean;
  /** Longest time an introspection answer is reused, in seconds. Default 300. */
  cacheMaxTtlSeconds?: number;
  /** How long an inactive answer is remembered, in seconds. Default 10. */
  negativeTtlSeconds?: number;
  /** Cache entry cap (LRU). Default 100 000. */
  cacheMaxEntries?: number;
  /** A shared store (e.g. Redis) instead of the in-memory LRU. */
  store?: CacheStore<CacheEntry>;
  /** Expected `iss` of the introspection answer, when the IdP sends one. */
  expectedIssuer?: string;
  /** Accepted `client_id`s of the token (the clients allowed to call this API). */
  expectedClientIds?: string[];
  /** Tolerance for `exp`/`nbf`, in seconds. Default: the client's `clockToleranceSeconds`. */
  clockToleranceSeconds?: number;
}

/**
 * Introspects bearer tokens at tokeninfo and fetches their profile, with a cache in front:
 * keyed by SHA-256 of the token, TTL capped by the token's own `exp`, a short negative cache for
 * inactive tokens, transport errors never cached, one load in flight per token.
 *
 * @example
 * ```ts
 * const verifier = new TokenVerifier(createClient({ server, clientId, clientSecret }));
 * const { tokenInfo, profile } = await verifier.verify(token);
 * ```
 */
export class TokenVerifier {
  readonly client: EmpowerIDClient;
  readonly #cache: TokenCache<CacheEntry>;
  readonly #fetchProfile: boolean;
  readonly #maxTtlMs: number;
  readonly #negativeTtlMs: number;
  readonly #expectedIssuer: string | undefined;
  readonly #expectedClientIds: readonly string[] | undefined;
  readonly #toleranceMs: number;
  readonly #clock: () => number;
  readonly #strings = new Interner<string>(50_000);
  readonly #profiles = new Interner<UserInfo>(10_000);

  constructor(client: EmpowerIDClient, options: TokenVerifierOptions = {}) {
    this.client = client;
    // Any revocation through this client, not only through this verifier, evicts the token.
    client.onRevoke((token) => this.evict(token));
    this.#clock = client.config.clock;
    this.#cache = new TokenCache<CacheEntry>({
      clock: this.#clock,
      ...(options.cacheMaxEntries !== undefined && { maxEntries: options.cacheMaxEntries }),
      ...(options.store !== undefined && { store: options.store }),
    });
    this.#fetchProfile = options.fetchProfile ?? true;
    this.#maxTtlMs = (options.cacheMaxTtlSeconds ?? 300) * 1000;
    this.#negativeTtlMs = (options.negativeTtlSeconds ?? 10) * 1000;
    this.#expectedIssuer = options.expectedIssuer;
    this.#expectedClientIds = options.expectedClientIds;
    this.#toleranceMs = (options.clockToleranceSeconds ?? client.config.clockToleranceSeconds) * 1000;
  }

  /** Resolves an active token, or throws `BearerError` (invalid_token) or an IdP error (503). */
  async verify(token: string, key: string = TokenCache.keyFor(token)): Promise<VerifiedToken> {
    return this.#settle(this.#cache.peek(key) ?? (await this.#cache.getOrLoad(key, () => this.#load(token))));
  }

  /**
   * The cached answer for a token, synchronously, or `undefined` when it must be loaded. Lets the
   * guard answer a warm request without a promise. Throws like `verify` for a cached rejection.
   */
  cached(token: string, key: string = TokenCache.keyFor(token)): VerifiedToken | undefined {
    const entry = this.#cache.peek(key);
    return entry === undefined ? undefined : this.#settle(entry);
  }

  #settle(entry: CacheEntry): VerifiedToken {
    if ('rejected' in entry) throw invalid(entry.rejected);
    // A cached answer is re-checked against the clock: its TTL may outlive a tolerance window.
    this.#checkTimes(entry.tokenInfo);
    return entry;
  }

  /** Forgets a token (after revocation elsewhere). */
  evict(token: string): Promise<void> | void {
    return this.#cache.delete(TokenCache.keyFor(token));
  }

  /** Revokes a token at tokenrevoke and evicts it from the cache. */
  async revoke(token: string, hint: 'access_token' | 'refresh_token' = 'access_token'): Promise<void> {
    await this.client.revoke(token, hint); // evicts through the listener below
  }

  stats(): CacheStats {
    return this.#cache.stats();
  }

  async #load(token: string): Promise<{ value: CacheEntry; ttlMs: number }> {
    let info: IntrospectionResponse;
    try {
      info = await this.client.introspect(token, 'access_token');
    } catch (err) {
      throw asServiceError(err, 'tokeninfo');
    }
    if (info.active !== true) {
      log('inactive token');
      return { value: INACTIVE, ttlMs: this.#negativeTtlMs };
    }
    const rejected = this.#checkClaims(info);
    if (rejected) return { value: { rejected }, ttlMs: this.#negativeTtlMs };
    this.#checkTimes(info);
    let profile: UserInfo | undefined;
    if (this.#fetchProfile) {
      try {
        const fetched = await this.client.userinfo(token);
        // Shared between entries and requests, so frozen: one handler cannot change another's view.
        if (Array.isArray(fetched.business_role_locations)) Object.freeze(fetched.business_role_locations);
        profile = this.#profiles.get(JSON.stringify(fetched), Object.freeze(fetched));
      } catch (err) {
        if (err instanceof OAuthError && (err.error === 'invalid_token' || err.status === 401)) {
          return { value: INACTIVE, ttlMs: this.#negativeTtlMs };
        }
        throw asServiceError(err, 'userinfo');
      }
    }
    Object.freeze(internStrings(info, this.#strings));
    const now = this.#clock();
    const ttlMs = typeof info.exp === 'number' ? Math.min(this.#maxTtlMs, info.exp * 1000 - now) : this.#maxTtlMs;
    return { value: { tokenInfo: info, profile }, ttlMs };
  }

  #checkClaims(info: IntrospectionResponse): string | undefined {
    if (this.#expectedIssuer !== undefined && info.iss !== undefined && info.iss !== this.#expectedIssuer) {
      return 'the access token was issued by another issuer';
    }
    if (this.#expectedClientIds && !(typeof info.client_id === 'string' && this.#expectedClientIds.includes(info.client_id))) {
      return 'the access token was issued to a client this API does not accept';
    }
    return undefined;
  }

  #checkTimes(info: IntrospectionResponse): void {
    const now = this.#clock();
    if (typeof info.exp === 'number' && now - this.#toleranceMs >= info.exp * 1000) throw invalid('the access token has expired');
    if (typeof info.nbf === 'number' && now + this.#toleranceMs < info.nbf * 1000) throw invalid('the access token is not valid yet');
  }
}

function invalid(description: string): BearerError {
  return new BearerError('ERR_BEARER_INVALID_TOKEN', description);
}

// Whatever went wrong talking to the IdP is the service's problem, not the caller's token: a 503,
// never a pass and never a 500. invalid_client means this API's own credentials are wrong.
function asServiceError(err: unknown, where: string): EmpowerIDError {
  if (err instanceof OAuthError) {
    const hint =
      where === 'userinfo'
        ? 'check clientId and clientSecret, and userinfoStyle ("bearer" for a standard OpenID Connect provider)'
        : 'check clientId and clientSecret';
    return new IdPResponseError(`empowerid: ${where} refused this API's request (${err.error}); ${hint}`, { cause: err });
  }
  if (err instanceof EmpowerIDError) return err;
  return new IdPResponseError(`empowerid: ${where} failed`, { cause: err });
}
