import { ConfigurationError, EmpowerIDError, IdPResponseError, OAuthError } from '../errors.js';
import { type CacheStats, type CacheStore, TokenCache } from './cache.js';
import type { EmpowerIDClient, IntrospectionResponse, UserInfo } from './client.js';
import { debug } from './debug.js';
import { Interner, internStrings } from './intern.js';
import { type Shared, clientGroup, providerGroup } from './shared.js';
import { TokenPolicy, type TokenPolicyOptions, type VerifiedToken } from './token-policy.js';

export { TokenPolicy, type TokenPolicyOptions, type VerifiedToken } from './token-policy.js';

const log = debug('introspection');

/**
 * What the IdP said about a token, as cached: the introspection answer, the profile once some
 * guard needed it, and until when the answer may be reused. No acceptance decision is stored
 * here: each guard applies its own {@link TokenPolicy} on every hit.
 */
export interface TokenFacts extends VerifiedToken {
  /** Milliseconds since the epoch after which the answer must be asked again. */
  readonly until: number;
}

const INACTIVE: TokenFacts = Object.freeze({ tokenInfo: Object.freeze({ active: false }), profile: undefined, until: 0 });

/** How long and how many introspection answers are kept. Guards that differ here get separate caches. */
export interface TokenCacheSettings {
  /** Longest time an introspection answer is reused, in seconds. Default 300. */
  cacheMaxTtlSeconds?: number;
  /** How long an inactive answer is remembered, in seconds. Default 10. */
  negativeTtlSeconds?: number;
  /** Cache entry cap (LRU). Default 100 000. */
  cacheMaxEntries?: number;
  /** A custom store instead of the in-memory LRU. Not combined with `shared`. */
  store?: CacheStore<TokenFacts>;
  /**
   * Several instances share answers through this (`redisShared()`): the in-process LRU stays in
   * front, Redis behind it, revocations evict every instance's copy. Guards mounted after
   * `empowerid({ shared })` inherit it.
   */
  shared?: Shared;
  /**
   * When the shared store fails (Redis down or slow): `fail` (default) answers 503 with
   * `Retry-After`; `introspect` asks tokeninfo for every request meanwhile and caches nothing.
   */
  onSharedFailure?: 'fail' | 'introspect';
  /**
   * Send userinfo together with tokeninfo for an uncached token instead of after it: one round
   * trip to the IdP instead of two, so an uncached request waits about half as long. The price:
   * a userinfo call for every token that tokeninfo then reports inactive (forged, expired,
   * revoked), whose answer is thrown away, so garbage tokens cost the IdP two calls instead of
   * one. Default `false`.
   */
  concurrentUserinfo?: boolean;
}

/** Options of {@link TokenVerifier}: its cache, and the policy {@link TokenVerifier.verify} applies by default. */
export interface TokenVerifierOptions extends TokenCacheSettings, TokenPolicyOptions {}

/**
 * Introspects bearer tokens at tokeninfo and fetches their profile, with a cache in front:
 * keyed by SHA-256 of the token, TTL capped by the token's own `exp`, a short negative cache for
 * inactive tokens, transport errors never cached, one load in flight per token. The cache holds
 * facts only; every call is judged by the policy it is given.
 *
 * @see EmpowerID docs: OAuth 2.0 / OIDC, Token Introspection Endpoint and User Info Endpoint; RFC 7662
 * @throws {@link ConfigurationError} from the constructor for an invalid cache setting (naming it).
 *   `verify` rejects with {@link BearerError} `ERR_BEARER_INVALID_TOKEN` for a token the policy
 *   refuses, and {@link IdPUnavailableError} / {@link IdPResponseError} when tokeninfo or userinfo
 *   cannot answer (never cached).
 *
 * @example
 * ```ts
 * const verifier = new TokenVerifier(createClient({ server, clientId, clientSecret }));
 * const { tokenInfo, profile } = await verifier.verify(token);
 * const strict = new TokenPolicy({ expectedClientIds: ['web'] }, { clockToleranceSeconds: 0, clock: Date.now });
 * await verifier.verify(token, strict);
 * ```
 */
export class TokenVerifier {
  /** The client whose tokeninfo and userinfo endpoints this verifier calls. */
  readonly client: EmpowerIDClient;
  /** The policy {@link TokenVerifier.verify} applies when none is given. */
  readonly policy: TokenPolicy;
  readonly #cache: TokenCache<TokenFacts>;
  readonly #maxTtlMs: number;
  readonly #negativeTtlMs: number;
  readonly #concurrentUserinfo: boolean;
  readonly #clock: () => number;
  readonly #strings = new Interner<string>(50_000);
  readonly #profiles = new Interner<UserInfo>(10_000);
  readonly #knownProfile = (text: string): UserInfo | undefined => this.#profiles.find(text);
  readonly #profileFlights = new Map<string, Promise<TokenFacts>>();
  /** The same facts without the profile, for guards that did not ask for it. */
  readonly #bare = new WeakMap<TokenFacts, VerifiedToken>();

  constructor(client: EmpowerIDClient, options: TokenVerifierOptions = {}) {
    this.client = client;
    this.#clock = client.config.clock;
    this.#maxTtlMs = seconds(options, 'cacheMaxTtlSeconds', 300) * 1000;
    this.#negativeTtlMs = seconds(options, 'negativeTtlSeconds', 10) * 1000;
    if (options.shared !== undefined && options.store !== undefined) {
      throw new ConfigurationError('store', 'cannot be combined with "shared"; the shared tier sits behind the in-memory cache');
    }
    if (options.onSharedFailure !== undefined && options.onSharedFailure !== 'fail' && options.onSharedFailure !== 'introspect') {
      throw new ConfigurationError('onSharedFailure', 'must be "fail" or "introspect"');
    }
    if (options.concurrentUserinfo !== undefined && typeof options.concurrentUserinfo !== 'boolean') {
      throw new ConfigurationError('concurrentUserinfo', 'must be true or false');
    }
    this.#concurrentUserinfo = options.concurrentUserinfo === true;
    this.#cache = new TokenCache<TokenFacts>({
      clock: this.#clock,
      ...(options.cacheMaxEntries !== undefined && { maxEntries: options.cacheMaxEntries }),
      ...(options.store !== undefined && { store: options.store }),
      ...(options.shared !== undefined && {
        // Per client (named the same on every instance) and lifetime settings; evictions are heard
        // by every token cache of the IdP, whichever client it belongs to.
        tier: options.shared.cacheTier<TokenFacts>(
          clientGroup(client.config),
          `${this.#maxTtlMs}:${this.#negativeTtlMs}`,
          providerGroup(client.config),
        ),
        onTierFailure: options.onSharedFailure === 'introspect' ? 'load' : 'fail',
      }),
    });
    this.policy = this.policyFor(options);
    // Any revocation or logout through any client of this IdP in the process (this one, the
    // router's, another registration's), not only through this verifier, evicts the token and the
    // other tokens of its sign-in.
    client.onRevoke((keys) => this.#evictKeys(keys));
  }

  /** A policy with this verifier's client defaults (clock, tolerance). */
  policyFor(options: TokenPolicyOptions): TokenPolicy {
    return new TokenPolicy(options, { clockToleranceSeconds: this.client.config.clockToleranceSeconds, clock: this.#clock });
  }

  /** Resolves a token `policy` accepts, or throws `BearerError` (invalid_token) or an IdP error (503). */
  async verify(token: string, policy: TokenPolicy = this.policy, key: string = TokenCache.keyFor(token)): Promise<VerifiedToken> {
    let facts = this.#cache.peek(key) ?? (await this.#cache.getOrLoad(key, () => this.#load(token, policy.needsProfile)));
    policy.check(facts.tokenInfo);
    if (policy.needsProfile && facts.profile === undefined) {
      facts = await this.#withProfile(token, key, facts);
      policy.check(facts.tokenInfo);
    }
    return this.#view(facts, policy);
  }

  /**
   * The cached answer for a token as `policy` sees it, synchronously, or `undefined` when it must
   * be loaded (not cached, or cached without the profile this policy needs). Lets the guard
   * answer a warm request without a promise. Throws like `verify` when the policy refuses it.
   */
  cached(key: string, policy: TokenPolicy = this.policy): VerifiedToken | undefined {
    const facts = this.#cache.peek(key);
    if (facts === undefined) return undefined;
    policy.check(facts.tokenInfo);
    if (policy.needsProfile && facts.profile === undefined) return undefined;
    return this.#view(facts, policy);
  }

  /** Forgets a token (after revocation elsewhere). */
  evict(token: string): Promise<void> | void {
    return this.#evictKeys([TokenCache.keyFor(token)]);
  }

  /** Revokes a token at tokenrevoke; every verifier of the client forgets it and its sign-in. */
  async revoke(token: string, hint: 'access_token' | 'refresh_token' = 'access_token'): Promise<void> {
    await this.client.revoke(token, hint); // evicts through the listener registered above
  }

  /** The cache's counters (hits, misses, loads, entries, …), for metrics. */
  stats(): CacheStats {
    return this.#cache.stats();
  }

  #view(facts: TokenFacts, policy: TokenPolicy): VerifiedToken {
    if (policy.needsProfile || facts.profile === undefined) return facts;
    let bare = this.#bare.get(facts);
    if (bare === undefined) {
      bare = Object.freeze({ tokenInfo: facts.tokenInfo, profile: undefined });
      this.#bare.set(facts, bare);
    }
    return bare;
  }

  #evictKeys(keys: readonly string[]): Promise<void> | void {
    const pending: Promise<void>[] = [];
    for (const key of keys) {
      this.#profileFlights.delete(key);
      const done = this.#cache.delete(key);
      if (done) pending.push(done);
    }
    if (pending.length) return Promise.all(pending).then(() => undefined);
  }

  async #load(token: string, withProfile: boolean): Promise<{ value: TokenFacts; ttlMs: number }> {
    const early = withProfile && this.#concurrentUserinfo ? this.#userinfo(token) : undefined;
    // Read only once tokeninfo has spoken: an unread failure must not surface as unhandled.
    early?.catch(() => {});
    let info: IntrospectionResponse;
    try {
      info = await this.client.introspect(token, 'access_token');
    } catch (err) {
      throw asServiceError(err, 'tokeninfo');
    }
    if (info === null || typeof info !== 'object' || info.active !== true) {
      log('inactive token');
      return { value: INACTIVE, ttlMs: this.#negativeTtlMs };
    }
    Object.freeze(internStrings(info, this.#strings));
    const now = this.#clock();
    // A malformed exp is the policy's to refuse; it is not cached for long either way.
    const ttlMs =
      info.exp === undefined
        ? this.#maxTtlMs
        : typeof info.exp === 'number'
          ? Math.min(this.#maxTtlMs, info.exp * 1000 - now)
          : Math.min(this.#maxTtlMs, this.#negativeTtlMs);
    const facts: TokenFacts = { tokenInfo: info, profile: undefined, until: now + ttlMs };
    if (!withProfile) return { value: facts, ttlMs };
    const value = await this.#fetchProfile(token, facts, early);
    return { value, ttlMs: value === INACTIVE ? this.#negativeTtlMs : ttlMs };
  }

  /** Adds the profile to a cached answer that was loaded without it (one userinfo call per token). */
  #withProfile(token: string, key: string, facts: TokenFacts): Promise<TokenFacts> {
    let flight = this.#profileFlights.get(key);
    if (flight === undefined) {
      flight = this.#fetchProfile(token, facts).then(async (value) => {
        if (this.#profileFlights.get(key) === flight) {
          this.#profileFlights.delete(key);
          const ttlMs = value === INACTIVE ? this.#negativeTtlMs : value.until - this.#clock();
          await this.#cache.set(key, value, ttlMs);
        }
        return value;
      });
      const forget = () => {
        if (this.#profileFlights.get(key) === flight) this.#profileFlights.delete(key);
      };
      flight.then(undefined, forget);
      this.#profileFlights.set(key, flight);
    }
    return flight;
  }

  async #fetchProfile(token: string, facts: TokenFacts, started?: Promise<UserInfo>): Promise<TokenFacts> {
    try {
      const profile = await (started ?? this.#userinfo(token));
      return { tokenInfo: facts.tokenInfo, profile, until: facts.until };
    } catch (err) {
      // The IdP's own word that the token is no good: remembered like an inactive answer.
      if (err instanceof OAuthError && (err.error === 'invalid_token' || err.status === 401)) return INACTIVE;
      throw asServiceError(err, 'userinfo');
    }
  }

  /**
   * The profile, shared by every entry whose userinfo answer had the same text (a user's many
   * tokens): parsed once, and frozen so one handler cannot change another's view.
   */
  async #userinfo(token: string): Promise<UserInfo> {
    const { profile, text, reused } = await this.client.userinfoReusing(token, this.#knownProfile);
    if (reused) return profile;
    if (Array.isArray(profile.business_role_locations)) Object.freeze(profile.business_role_locations);
    return this.#profiles.get(text, Object.freeze(profile));
  }
}

function seconds(options: TokenCacheSettings, name: 'cacheMaxTtlSeconds' | 'negativeTtlSeconds', fallback: number): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigurationError(name, 'must be a number of seconds, 0 or more');
  }
  return value;
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
