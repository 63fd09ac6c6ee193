import * as oidc from 'openid-client';
import * as oauth from 'oauth4webapi';
import { CallbackError, ConfigurationError, IdPResponseError, OAuthError } from '../errors.js';
import { checkAtHash } from './at-hash.js';
import { type ClientAuthMethod, type ClientOptions, type ResolvedClientConfig, resolveClientConfig } from './config.js';
import { basicAuth, clientSecretBasic } from './basic-auth.js';
import { debug } from './debug.js';
import { checkPrivateKey, toCryptoKey } from './private-key.js';
import { parseJsonObject, readJsonObject, tolerantTokenFetch } from './responses.js';
import { safeEqual } from './safe-equal.js';
import { MetadataSource } from './endpoints.js';
import * as grants from './grants/index.js';
import { type RawRequest, type RawResponse, defaultFetch, kRawRequest } from './http.js';
import { mapError } from './map-error.js';
import { type TokenSet, toTokenSet } from './tokens.js';
import { TokenCache } from './cache.js';
import { SignInIndex } from './sign-ins.js';
import { type RevocationMember, announceRevocation, joinRevocations, providerOf } from './revocations.js';

const log = debug('client');

/**
 * `code` (default), the hybrid `code id_token`, or the implicit `id_token token` (EmpowerID's
 * docs; RFC 9700 advises against it, so it is an explicit opt-in, answered by `form_post` only).
 */
export type ResponseType = 'code' | 'code id_token' | 'id_token token';

/**
 * How the authorization response comes back. `auto` (default): `form_post` for hybrid and implicit
 * when the provider advertises it, otherwise the query string (EmpowerID's hybrid habit); `query`:
 * no `response_mode` sent, as EmpowerID documents; `form_post`: always ask for it.
 */
export type ResponseMode = 'auto' | 'query' | 'form_post';

/** Everything the callback needs to finish a login; kept server-side (in the session) only. */
export interface LoginTransaction {
  /** The `state` sent with the authorization request; the callback must echo it (RFC 6749 §10.12). */
  state: string;
  /** The `nonce` the ID token must carry (OpenID Connect Core §3.1.2.1). */
  nonce: string;
  /** The PKCE `code_verifier` sent with the code exchange (RFC 7636 §4.1). Secret. */
  codeVerifier: string;
  /** The `redirect_uri` of the authorization request, sent again with the code exchange. */
  redirectUri: string;
  /** The `response_type` the login asked for. */
  responseType: ResponseType;
  /** `form_post` when the response was asked for as a form POST; absent: the query string. */
  responseMode?: 'form_post';
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Where to send the browser after the callback (a same-origin path, checked by the caller). */
  returnTo?: string;
  /** The `prompt` the login asked for (for example `none` for a silent login). */
  prompt?: string;
}

/** The parameters of one sign-in, for {@link EmpowerIDClient.startLogin}. */
export interface AuthorizationRequest {
  /** The callback URL, exactly as registered at the provider. */
  redirectUri: string;
  /** Space-separated scopes. Default `openid`. */
  scope?: string;
  /** Default `code` (with PKCE S256). See {@link ResponseType}. */
  responseType?: ResponseType;
  /** Default `auto`. See {@link ResponseMode}. */
  responseMode?: ResponseMode;
  /** OpenID Connect `prompt`, for example `login` or `none`. */
  prompt?: string;
  /** More authorization parameters (e.g. `login_hint`, `acr_values`). Cannot override PKCE, state or nonce. */
  extra?: Record<string, string>;
  /** Kept in the transaction for the caller: where to go after the callback. Not sent to the IdP. */
  returnTo?: string;
}

/** What {@link EmpowerIDClient.callback} needs: the authorization response and its transaction. */
export interface CallbackParams {
  /** The authorization response parameters: the callback's query (GET) or form body (POST). */
  params: Record<string, unknown>;
  /** The transaction {@link EmpowerIDClient.startLogin} returned, read back from server-side storage. */
  transaction: LoginTransaction;
}

/** The parameters of an RP-initiated logout, for {@link EmpowerIDClient.endSessionUrl}. */
export interface EndSessionRequest {
  /** The ID token of the session being ended (`id_token_hint`). */
  idTokenHint?: string;
  /** Where the IdP sends the browser afterwards; must be registered at the provider. */
  postLogoutRedirectUri?: string;
  /** Echoed back to `postLogoutRedirectUri`. */
  state?: string;
  /** EmpowerID's `global_logout`: end every application's session too. The IdP's default is true. */
  globalLogout?: boolean;
}

/** RFC 7662 answer, with EmpowerID's documented fields typed. */
export interface IntrospectionResponse {
  /** Whether the token is currently active; every other member is meaningful only when true. */
  active: boolean;
  /** The client the token was issued to. */
  client_id?: string;
  /** The person the token was issued for. */
  username?: string;
  /** Space-separated scopes of the token. */
  scope?: string;
  /** Expiry, in seconds since the epoch. */
  exp?: number;
  /** Issue time, in seconds since the epoch. */
  iat?: number;
  /** Not-before time, in seconds since the epoch. */
  nbf?: number;
  /** Subject of the token. */
  sub?: string;
  /** Issuer of the token. */
  iss?: string;
  /** Audience(s) of the token. */
  aud?: string | string[];
  /** Type of the token, for example `Bearer`. */
  token_type?: string;
  [claim: string]: unknown;
}

/** EmpowerID's userinfo answer. Standard OIDC providers answer `sub`, `name`, … instead. */
export interface UserInfo {
  /** EmpowerID's person identifier. */
  id?: string;
  /** The standard subject identifier. */
  sub?: string;
  /** The person's login name. */
  username?: string;
  /** Given name (EmpowerID's spelling). */
  first_name?: string;
  /** Family name (EmpowerID's spelling). */
  last_name?: string;
  /** E-mail address. */
  email?: string;
  /** The person's organization in EmpowerID. */
  organization?: string;
  /** EmpowerID business roles and locations of the person. */
  business_role_locations?: string[];
  [claim: string]: unknown;
}

type Flavour = 'token' | 'hybrid' | 'implicit' | 'basic';
const FLAVOUR: Record<ResponseType, Flavour> = { code: 'token', 'code id_token': 'hybrid', 'id_token token': 'implicit' };
let warnedImplicit = false;

/** @internal The one-time deprecation warning of the implicit flow (RFC 9700 §2.1.2). */
export function warnImplicitFlow(): void {
  if (warnedImplicit) return;
  warnedImplicit = true;
  process.emitWarning(
    'empowerid: responseType "id_token token" (the implicit flow) is deprecated by RFC 9700 (OAuth 2.0 Security BCP); use "code"',
    { type: 'DeprecationWarning', code: 'EMPOWERID_IMPLICIT_FLOW' },
  );
}
const PROTECTED_PARAMS = new Set([
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
]);

/**
 * The framework-free EmpowerID (or standard OpenID Connect) client: sign-in with PKCE, refresh,
 * introspection, revocation, userinfo, logout URLs and every EmpowerID grant. The Express routers
 * are thin callers of these methods. Options are validated in the constructor; discovery is lazy
 * (or started by {@link EmpowerIDClient.warmUp}) and retried in the background while the IdP is down.
 *
 * Methods that call the IdP reject with {@link IdPUnavailableError} (unreachable, timeout, 5xx),
 * {@link IdPResponseError} (garbage answer) or {@link OAuthError} (an OAuth error response);
 * a feature whose endpoint the provider does not advertise rejects with {@link ConfigurationError}.
 *
 * @see EmpowerID docs: OAuth 2.0 / OIDC (every grant and endpoint); OpenID Connect Core 1.0; RFC 6749
 *
 * @throws {@link ConfigurationError} from the constructor, naming the invalid option.
 *
 * @example
 * ```ts
 * const eid = createClient({ server: 'https://eid.example.com', clientId: '…', clientSecret: '…' });
 * const info = await eid.introspect(accessToken);
 * ```
 */
export class EmpowerIDClient {
  /** The validated, frozen options, with every default filled in. */
  readonly config: ResolvedClientConfig;
  readonly #fetch: typeof globalThis.fetch;
  readonly #metadata: MetadataSource;
  /** The default pool enforces the timeout itself; a caller's fetch gets an abort signal per request. */
  readonly #pooled: boolean;
  /** The pool's request without the `Response` shim, when the fetch is one of {@link createPooledFetch}'s. */
  readonly #raw: RawRequest | undefined;
  /** How introspection authenticates, once decided (after discovery): read without a promise after that. */
  #introspectionAuth: { header: string | undefined } | undefined;
  #basicHeader: string | undefined;
  readonly #revocationListeners = new Set<(keys: readonly string[]) => void | Promise<void>>();
  readonly #signIns = new SignInIndex();
  /** This client's place on the process-wide revocation channel of its IdP (held weakly there). */
  readonly #revocations: RevocationMember = {
    expand: (keys) => keys.flatMap((key) => this.#signIns.take(key)),
    receive: async (keys) => {
      await Promise.all([...this.#revocationListeners].map((listener) => listener(keys)));
    },
  };
  readonly #provider: string;
  #configs: Map<Flavour, Promise<oidc.Configuration>> = new Map();

  constructor(options: ClientOptions | ResolvedClientConfig) {
    this.config =
      Object.isFrozen(options) && options.server instanceof URL
        ? (options as ResolvedClientConfig)
        : resolveClientConfig(options as ClientOptions);
    if (this.config.clientAuthMethod === 'private_key_jwt') checkPrivateKey(this.config.privateKey);
    this.#fetch = this.config.fetch ?? defaultFetch(this.config.timeoutMs);
    this.#pooled = this.config.fetch === undefined;
    this.#raw = (this.#fetch as { [kRawRequest]?: RawRequest })[kRawRequest];
    this.#metadata = new MetadataSource(this.config, this.#fetch);
    this.#provider = providerOf(this.config);
    joinRevocations(this.#provider, this.#revocations);
  }

  /** Starts discovery without waiting; an IdP that is down is retried in the background. */
  warmUp(): void {
    this.#metadata.warmUp();
  }

  /** The provider metadata: discovery merged with EmpowerID's layout and your overrides. */
  metadata(): Promise<oidc.ServerMetadata> {
    return this.#metadata.get();
  }

  /** The raw `fetch` this client sends requests with (pooled keep-alive unless you gave one). */
  get fetch(): typeof globalThis.fetch {
    return this.#fetch;
  }

  /** @internal An openid-client Configuration for one client-authentication flavour. */
  configuration(flavour: Flavour = 'token'): Promise<oidc.Configuration> {
    let c = this.#configs.get(flavour);
    if (!c) {
      c = this.#metadata.get().then(async (metadata) => this.#build(metadata, flavour, await this.#auth(flavour)));
      // A failed discovery must not be remembered here; MetadataSource owns the retry policy.
      c.catch(() => this.#configs.delete(flavour));
      this.#configs.set(flavour, c);
    }
    return c;
  }

  /**
   * Builds the authorization URL with PKCE S256, state and nonce, and the transaction to keep
   * server-side until the callback. Hybrid and implicit logins ask for `response_mode=form_post`
   * when the provider advertises it (see {@link ResponseMode}).
   *
   * @see EmpowerID docs: OAuth 2.0 / OIDC, Authorization Code Grant (with PKCE); RFC 7636; OpenID Connect Core §3.1.2.1
   * @throws {@link ConfigurationError} for a response type other than the three of {@link ResponseType}
   *   (`token` alone included), and when the response type and mode cannot work with the provider
   *   (e.g. hybrid without `form_post` on a standard provider); discovery errors as {@link IdPUnavailableError}.
   *
   * @example
   * const { url, transaction } = await client.startLogin({ redirectUri: 'https://app.example.com/callback' });
   * req.session.login = transaction;
   * res.redirect(url.href);
   */
  async startLogin(request: AuthorizationRequest): Promise<{
    /** The authorization URL to redirect the browser to. */
    url: URL;
    /** Keep server-side (never in a cookie as is) and pass to {@link EmpowerIDClient.callback}. */
    transaction: LoginTransaction;
  }> {
    const responseType = request.responseType ?? 'code';
    // Plain JavaScript can pass anything; `token` alone (EmpowerID's newer page) brings no ID token,
    // so nothing would bind the access token to this login (no nonce, no at_hash; RFC 9700 §2.1.2).
    if (!Object.hasOwn(FLAVOUR, responseType)) {
      throw new ConfigurationError(
        'responseType',
        `must be "code", "code id_token" or "id_token token", not ${JSON.stringify(responseType)} ("token" alone is not offered: no ID token binds it to the login)`,
      );
    }
    const config = await this.configuration(FLAVOUR[responseType]);
    const responseMode = this.#responseMode(await this.#metadata.get(), responseType, request.responseMode ?? 'auto');
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const transaction: LoginTransaction = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier,
      redirectUri: request.redirectUri,
      responseType,
      ...(responseMode === 'form_post' && { responseMode }),
      createdAt: this.config.clock(),
      ...(request.returnTo !== undefined && { returnTo: request.returnTo }),
      ...(request.prompt !== undefined && { prompt: request.prompt }),
    };
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.extra ?? {})) if (!PROTECTED_PARAMS.has(k)) params[k] = v;
    Object.assign(params, {
      redirect_uri: request.redirectUri,
      response_type: responseType,
      scope: request.scope ?? 'openid',
      state: transaction.state,
      nonce: transaction.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    // The implicit flow has no code, so PKCE has nothing to bind.
    if (responseType === 'id_token token') {
      delete params.code_challenge;
      delete params.code_challenge_method;
    }
    if (responseMode === 'form_post') params.response_mode = 'form_post';
    if (request.prompt) params.prompt = request.prompt;
    const url = oidc.buildAuthorizationUrl(config, params);
    log('login: response_type=%s response_mode=%s prompt=%s', responseType, responseMode, request.prompt ?? '-');
    return { url, transaction };
  }

  /**
   * Finishes a login: checks `state`, exchanges the code with the PKCE verifier, and validates
   * the ID token (signature, issuer, audience, nonce, expiry, `c_hash`/`at_hash`).
   *
   * @see EmpowerID docs: OAuth 2.0 / OIDC, Authorization Code Grant; OpenID Connect Core §3.1.3.7 and §3.3.2.12 (hybrid)
   * @throws {@link CallbackError} (`ERR_STATE_MISMATCH`, `ERR_CALLBACK_INVALID`, `ERR_ID_TOKEN_INVALID`);
   *   {@link OAuthError} with `ERR_AUTHORIZATION_DENIED` when the response carries `error=`, or from
   *   the token endpoint; {@link IdPUnavailableError}, {@link IdPResponseError}.
   *
   * @example
   * const tokens = await client.callback({ params: req.query, transaction: req.session.login });
   * console.log(tokens.claims?.sub);
   */
  async callback({ params, transaction }: CallbackParams): Promise<TokenSet> {
    const p = stringParams(params);
    if (p.error) {
      if (p.state !== undefined && !safeEqual(p.state, transaction.state)) {
        throw new CallbackError('ERR_STATE_MISMATCH', 'empowerid: the callback "state" does not match the login request');
      }
      throw new OAuthError(p.error, p.error_description, {
        status: p.error === 'access_denied' ? 403 : 400,
        code: 'ERR_AUTHORIZATION_DENIED',
      });
    }
    if (p.state === undefined) throw new CallbackError('ERR_STATE_MISMATCH', 'empowerid: the callback has no "state" parameter');
    if (!safeEqual(p.state, transaction.state)) {
      throw new CallbackError('ERR_STATE_MISMATCH', 'empowerid: the callback "state" does not match the login request');
    }
    if (transaction.responseType === 'id_token token') return this.#implicit(p, transaction);
    if (!p.code) throw new CallbackError('ERR_CALLBACK_INVALID', 'empowerid: the callback has no "code" parameter');
    const hybrid = transaction.responseType === 'code id_token';
    if (hybrid && !p.id_token) {
      throw new CallbackError('ERR_ID_TOKEN_INVALID', 'empowerid: response_type "code id_token" requires an id_token in the callback');
    }
    const config = await this.configuration(hybrid ? 'hybrid' : 'token');
    // Rebuild the URL from the registered redirect URI, so a proxy's view of the host cannot
    // change the redirect_uri sent to the token endpoint. EmpowerID answers hybrid responses in
    // the query; openid-client reads hybrid parameters from the fragment, so move them there.
    const current = new URL(transaction.redirectUri);
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(p)) search.set(k, v);
    if (hybrid) current.hash = search.toString();
    else for (const [k, v] of search) current.searchParams.set(k, v);
    try {
      const response = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: transaction.codeVerifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
      return this.#issued(toTokenSet(response, this.config.clock(), this.config.clockToleranceSeconds));
    } catch (err) {
      throw mapError(err, 'the token endpoint', 'callback');
    }
  }

  /**
   * Refresh token grant. A rotated refresh token comes back in `refresh_token`.
   *
   * @see EmpowerID docs: OAuth 2.0 / OIDC, Refresh Token Grant; RFC 6749 §6
   * @throws {@link OAuthError} (for example `invalid_grant` for an expired or revoked refresh token),
   *   {@link IdPUnavailableError}, {@link IdPResponseError}.
   *
   * @example
   * const fresh = await client.refresh(tokens.refresh_token!);
   */
  async refresh(refreshToken: string, parameters?: Record<string, string>): Promise<TokenSet> {
    const config = await this.configuration('token');
    try {
      const response = await oidc.refreshTokenGrant(config, refreshToken, parameters);
      return this.#issued(toTokenSet(response, this.config.clock(), this.config.clockToleranceSeconds), refreshToken);
    } catch (err) {
      throw mapError(err, 'the token endpoint');
    }
  }

  /**
   * RP-initiated logout URL, with EmpowerID's `global_logout` (sent to EmpowerID only).
   *
   * @see EmpowerID docs: OAuth 2.0 / OIDC, RP-Initiated Logout; OpenID Connect RP-Initiated Logout 1.0
   * @throws {@link ConfigurationError} (`endpoints.endSession`) when the provider has no `end_session_endpoint`.
   *
   * @example
   * const url = await client.endSessionUrl({ idTokenHint: tokens.id_token, postLogoutRedirectUri: 'https://app.example.com/' });
   * res.redirect(url.href);
   */
  async endSessionUrl(request: EndSessionRequest = {}): Promise<URL> {
    const config = await this.configuration('token');
    this.#need(await this.#metadata.get(), 'end_session_endpoint', 'endSession', 'RP-initiated logout');
    const params: Record<string, string> = {};
    if (request.idTokenHint) params.id_token_hint = request.idTokenHint;
    if (request.postLogoutRedirectUri) params.post_logout_redirect_uri = request.postLogoutRedirectUri;
    if (request.state) params.state = request.state;
    // global_logout is EmpowerID's own parameter; a standard provider gets only the standard ones.
    if (request.globalLogout !== undefined && this.config.provider === 'empowerid') params.global_logout = String(request.globalLogout);
    return oidc.buildEndSessionUrl(config, params);
  }

  /**
   * RFC 7662 introspection at EmpowerID's tokeninfo endpoint (HTTP Basic client credentials).
   * Not cached: use {@link TokenVerifier} or `requireToken()` for that.
   *
   * @see EmpowerID docs: OAuth 2.0 / OIDC, Token Introspection Endpoint; RFC 7662
   * @throws {@link ConfigurationError} (`endpoints.introspection`) when the provider advertises no
   *   introspection endpoint; {@link OAuthError}, {@link IdPUnavailableError}, {@link IdPResponseError}.
   *
   * @example
   * const info = await client.introspect(accessToken);
   * if (!info.active) throw new Error('token is not active');
   */
  async introspect(token: string, tokenTypeHint: 'access_token' | 'refresh_token' = 'access_token'): Promise<IntrospectionResponse> {
    // Once discovered, the metadata is read without a promise: this runs for every uncached token.
    const metadata = this.#metadata.peek() ?? (await this.#metadata.get());
    const endpoint = this.#need(metadata, 'introspection_endpoint', 'introspection', 'token introspection (requireToken())');
    const raw = this.#pooled ? this.#raw : undefined;
    const basic = raw && (this.#introspectionAuth ??= { header: await this.#basicHeaderFor('basic') }).header;
    if (raw && basic !== undefined) return this.#introspectPooled(raw, metadata, endpoint, basic, token, tokenTypeHint);
    const config = await this.configuration('basic');
    try {
      return (await oidc.tokenIntrospection(config, token, { token_type_hint: tokenTypeHint })) as IntrospectionResponse;
    } catch (err) {
      throw mapError(err, 'the tokeninfo endpoint');
    }
  }

  /**
   * The uncached hot path of `requireToken()`. openid-client rebuilds the same request on every
   * call (endpoint URL parsing and checks, two `Headers` objects, `URLSearchParams`), a third of
   * an uncached verification's own CPU in profiles; the request is built here from what is fixed
   * per client, and the answer is still validated by oauth4webapi (openid-client's engine) exactly
   * as `tokenIntrospection()` does it: status, OAuth error bodies and challenges, the JSON
   * content type, a JSON object with a boolean `active`.
   */
  async #introspectPooled(
    raw: RawRequest,
    metadata: oidc.ServerMetadata,
    endpoint: string,
    authorization: string,
    token: string,
    hint: 'access_token' | 'refresh_token',
  ): Promise<IntrospectionResponse> {
    let response: Response;
    try {
      // What the pool's raw request answers passes for a Response (see BufferedResponse).
      response = (await raw(endpoint, {
        method: 'POST',
        headers: { accept: 'application/json', authorization, 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        body: `token=${formValue(token)}&token_type_hint=${hint}`,
      })) as unknown as Response;
    } catch (err) {
      throw mapError(err, 'the tokeninfo endpoint');
    }
    // A signed (RFC 9701) answer was not asked for; its signature is openid-client's to check,
    // so it is refused here rather than read unverified.
    if (/^application\/token-introspection\+jwt/i.test(response.headers.get('content-type') ?? '')) {
      throw new IdPResponseError('empowerid: the tokeninfo endpoint answered a signed JWT, but JSON was asked for');
    }
    try {
      return (await oauth.processIntrospectionResponse(metadata, { client_id: this.config.clientId }, response)) as IntrospectionResponse;
    } catch (err) {
      throw mapError(err, 'the tokeninfo endpoint');
    }
  }

  /** The `Authorization` header of a `flavour` call when it goes out as HTTP Basic; `undefined` otherwise. */
  async #basicHeaderFor(flavour: Flavour): Promise<string | undefined> {
    // Nothing is kept when discovery or the method choice fails: the next call decides again.
    const c = this.config;
    if (!this.#sendsBasic(flavour, this.#method(await this.#metadata.get()))) return undefined;
    return basicAuth(c.clientId, c.clientSecret ?? '', c.basicEncoding);
  }

  #sendsBasic(flavour: Flavour, method: ClientAuthMethod): boolean {
    return (flavour === 'basic' && this.config.provider === 'empowerid') || method === 'client_secret_basic';
  }

  /**
   * RFC 7009 revocation at EmpowerID's tokenrevoke endpoint (HTTP Basic client credentials). On
   * success, caches built on this client forget the token and its sign-in's other tokens.
   *
   * @see EmpowerID docs: OAuth 2.0 / OIDC, Token Revoke Endpoint; RFC 7009
   * @throws {@link ConfigurationError} (`endpoints.revocation`) when the provider advertises no
   *   revocation endpoint; {@link OAuthError}, {@link IdPUnavailableError}, {@link IdPResponseError}.
   *
   * @example
   * await client.revoke(tokens.refresh_token!, 'refresh_token');
   */
  async revoke(token: string, tokenTypeHint: 'access_token' | 'refresh_token' = 'access_token'): Promise<void> {
    const config = await this.configuration('basic');
    this.#need(await this.#metadata.get(), 'revocation_endpoint', 'revocation', 'token revocation');
    try {
      await oidc.tokenRevocation(config, token, { token_type_hint: tokenTypeHint });
    } catch (err) {
      throw mapError(err, 'the tokenrevoke endpoint');
    }
    // Caches built on this client (requireToken's) must not keep answering for a revoked token,
    // nor for the other tokens of its sign-in: EmpowerID revokes a refresh token's whole grant.
    await this.forget(token);
  }

  /**
   * Makes every token cache of this IdP in the process forget these tokens and every token issued
   * to the same sign-in: the caches of the `requireToken()` guards built on this client, and those
   * of every other client with the same `server` (an API guard with its own IdP settings, another
   * client registration). Each client adds the tokens it saw issued to that sign-in. With
   * `shared`, the eviction reaches every instance. Logout calls it;
   * {@link EmpowerIDClient.revoke} calls it after a successful revocation. Rejects only if a
   * cache's store does.
   *
   * @example
   * await client.forget(session.accessToken, session.refreshToken);
   */
  async forget(...tokens: (string | undefined)[]): Promise<void> {
    await this.forgetKeys(tokens.flatMap((token) => (token ? [TokenCache.keyFor(token)] : [])));
  }

  /**
   * @internal {@link EmpowerIDClient.forget} for tokens known only by their cache keys (SHA-256 of
   * each token, {@link TokenCache.keyFor}): a back-channel logout ends sessions whose tokens this
   * instance never held.
   */
  async forgetKeys(tokenKeys: readonly string[]): Promise<void> {
    if (tokenKeys.length === 0) return;
    await announceRevocation(this.#provider, tokenKeys);
  }

  /**
   * @internal Called with the cache keys (SHA-256 of each token, never the token) of every token
   * this client, or any client of the same IdP in the process, revokes or forgets; returns the
   * unsubscribe function.
   */
  onRevoke(listener: (keys: readonly string[]) => void | Promise<void>): () => void {
    this.#revocationListeners.add(listener);
    return () => this.#revocationListeners.delete(listener);
  }

  /** Remembers which tokens belong to one sign-in, so revoking one forgets them all. */
  #issued(set: TokenSet, previousRefreshToken?: string): TokenSet {
    if (set.refresh_token !== undefined || previousRefreshToken !== undefined) {
      const keys = [TokenCache.keyFor(set.access_token)];
      if (set.refresh_token) keys.push(TokenCache.keyFor(set.refresh_token));
      this.#signIns.link(keys, previousRefreshToken === undefined ? undefined : TokenCache.keyFor(previousRefreshToken));
    }
    return set;
  }

  /**
   * The userinfo profile. EmpowerID style (default): POST with Basic client credentials and the
   * token in the `access_token` form field; `bearer` style: the standard OIDC request.
   *
   * @see EmpowerID docs: OAuth 2.0 / OIDC, User Info Endpoint; OpenID Connect Core §5.3
   * @throws {@link ConfigurationError} (`endpoints.userinfo`) when the provider has no userinfo endpoint;
   *   {@link IdPUnavailableError}, {@link IdPResponseError} (including a non-JSON or non-object answer), {@link OAuthError}.
   *
   * @example
   * const profile = await client.userinfo(tokens.access_token);
   * console.log(profile.email);
   */
  async userinfo(accessToken: string): Promise<UserInfo> {
    return (await readJsonObject(await this.#userinfoRequest(accessToken), 'the userinfo endpoint')) as UserInfo;
  }

  /**
   * @internal {@link EmpowerIDClient.userinfo} for a cache of profiles. `known` is asked first
   * with the exact text of a successful answer and returns the profile already parsed from that
   * text, if any: a user's many tokens then cost one JSON parse, not one each. Answers the
   * profile (fresh and mutable, or `known`'s) with the text it came from.
   */
  async userinfoReusing(
    accessToken: string,
    known: (text: string) => UserInfo | undefined,
  ): Promise<{ profile: UserInfo; text: string; reused: boolean }> {
    const response = await this.#userinfoRequest(accessToken);
    const text = await response.text().catch(() => '');
    const seen = response.status >= 200 && response.status < 300 ? known(text) : undefined;
    if (seen !== undefined) return { profile: seen, text, reused: true };
    return { profile: parseJsonObject(response, text, 'the userinfo endpoint') as UserInfo, text, reused: false };
  }

  async #userinfoRequest(accessToken: string): Promise<RawResponse> {
    const metadata = this.#metadata.peek() ?? (await this.#metadata.get());
    const endpoint = this.#need(metadata, 'userinfo_endpoint', 'userinfo', 'the userinfo profile');
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | undefined;
    if (this.config.userinfoStyle === 'empowerid') {
      headers.authorization = this.#basicHeader ??= basicAuth(
        this.config.clientId,
        this.config.clientSecret ?? '',
        this.config.basicEncoding,
      );
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = `access_token=${formValue(accessToken)}`;
    } else {
      headers.authorization = `Bearer ${accessToken}`;
    }
    const init = { method: body === undefined ? 'GET' : 'POST', headers, ...(body !== undefined && { body }) };
    try {
      return this.#raw
        ? await this.#raw(endpoint, init)
        : await this.#fetch(endpoint, { ...init, ...(!this.#pooled && { signal: AbortSignal.timeout(this.config.timeoutMs) }) });
    } catch (err) {
      throw mapError(err, 'the userinfo endpoint');
    }
  }

  /** Stops background discovery retries. */
  close(): void {
    this.#metadata.close();
  }

  /**
   * @internal An openid-client Configuration like {@link configuration}'s (same metadata, fetch,
   * timeout and insecure-HTTP settings) with the given client authentication. Not cached: for
   * per-call credentials, such as EmpowerID's password grant.
   */
  async configurationWith(auth: oidc.ClientAuth): Promise<oidc.Configuration> {
    const config = this.#build(await this.#metadata.get(), 'token', auth);
    // Share the JWKS already fetched, so a per-call configuration does not fetch it again.
    const jwks = oidc.getJwksCache(await this.configuration('token'));
    if (jwks) oidc.setJwksCache(config, jwks);
    return config;
  }

  // Server-side grants: thin delegates to src/core/grants/, one file per grant.

  /**
   * Alias of {@link EmpowerIDClient.startLogin}.
   *
   * @example
   * const { url, transaction } = await client.authorizationUrl({ redirectUri });
   */
  authorizationUrl(request: AuthorizationRequest): Promise<{
    /** The authorization URL to redirect the browser to. */
    url: URL;
    /** Keep server-side (never in a cookie as is) and pass to {@link EmpowerIDClient.callback}. */
    transaction: LoginTransaction;
  }> {
    return this.startLogin(request);
  }

  /**
   * Client credentials grant, with EmpowerID's optional `username`; tokens are reused until shortly
   * before expiry (see {@link ClientCredentialsParams}).
   *
   * @see EmpowerID docs: OAuth 2.0 Client Credential Grant; RFC 6749 §4.4
   * @throws {@link OAuthError}, {@link IdPUnavailableError}, {@link IdPResponseError}.
   *
   * @example
   * const { access_token } = await client.clientCredentials({ scope: 'api' });
   */
  clientCredentials(params: grants.ClientCredentialsParams = {}): Promise<TokenSet> {
    return grants.clientCredentials(this, params).then((set) => this.#issued(set));
  }

  /**
   * Resource owner password grant, EmpowerID style by default (see {@link PasswordParams}).
   *
   * @see EmpowerID docs: OAuth 2.0 / OIDC, Resource Owner Password Grant; RFC 6749 §4.3
   * @throws {@link OAuthError} (`invalid_grant` for wrong credentials), {@link IdPUnavailableError}, {@link IdPResponseError}.
   *
   * @example
   * const tokens = await client.password({ username: 'alice', password: process.env.PASSWORD! });
   */
  password(params: grants.PasswordParams): Promise<TokenSet> {
    return grants.password(this, params).then((set) => this.#issued(set));
  }

  /**
   * JWT bearer grant: a third-party assertion, or EmpowerID's signed with your certificate (see
   * {@link JwtBearerParams}).
   *
   * @see EmpowerID docs: JWT Bearer grant; Asgardeo docs: Configure JWT bearer grant; RFC 7523 §2.1
   * @throws {@link EmpowerIDError} `ERR_ASSERTION_INVALID` for an unusable key or certificate;
   *   {@link OAuthError}, {@link IdPUnavailableError}, {@link IdPResponseError}.
   *
   * @example
   * const tokens = await client.jwtBearer({ assertion: thirdPartyJwt });
   */
  jwtBearer(params: grants.JwtBearerParams): Promise<TokenSet> {
    return grants.jwtBearer(this, params).then((set) => this.#issued(set));
  }

  /**
   * Client certificate grant (a signed SAML assertion; see {@link ClientCertificateParams}).
   *
   * @see EmpowerID docs: OAuth 2.0 / OIDC, Client Certificate Grant
   * @throws {@link EmpowerIDError} `ERR_ASSERTION_INVALID` for an unusable key or certificate;
   *   {@link OAuthError}, {@link IdPUnavailableError}, {@link IdPResponseError}.
   *
   * @example
   * const tokens = await client.clientCertificate({ privateKey: readFileSync('client.key.pem', 'utf8'), certificate: readFileSync('client.cert.pem', 'utf8') });
   */
  clientCertificate(params: grants.ClientCertificateParams): Promise<TokenSet> {
    return grants.clientCertificate(this, params).then((set) => this.#issued(set));
  }

  /**
   * RFC 8693 token exchange (see {@link TokenExchangeParams}).
   *
   * @see EmpowerID docs: OAuth 2.0 / OIDC, Token Exchange Grant; RFC 8693 §2.1
   * @throws {@link OAuthError}, {@link IdPUnavailableError}, {@link IdPResponseError}.
   *
   * @example
   * const tokens = await client.tokenExchange({ subjectToken: userAccessToken });
   */
  tokenExchange(params: grants.TokenExchangeParams): Promise<TokenSet> {
    return grants.tokenExchange(this, params).then((set) => this.#issued(set));
  }

  /**
   * @internal Declares that `feature` will need the metadata endpoint `key`: discovery starts now
   * and, when the provider turns out not to advertise it, a warning (`EMPOWERID_ENDPOINT_MISSING`)
   * names the feature and the option at startup instead of at the first request.
   */
  need(key: keyof oidc.ServerMetadata, option: string, feature: string): void {
    this.#checkOnDiscovery((metadata) => this.#need(metadata, key, option, feature));
  }

  /**
   * @internal Like {@link EmpowerIDClient.need}, for the response mode a hybrid or implicit login
   * asks for: a provider whose metadata cannot answer it the way the server can read (no
   * `form_post`) is named at startup, with the same warning code.
   */
  needResponseMode(responseType: ResponseType, mode: ResponseMode): void {
    if (responseType === 'code') return;
    this.#checkOnDiscovery((metadata) => this.#responseMode(metadata, responseType, mode));
  }

  /** Runs `check` once discovery has succeeded (after retries too); its error becomes the warning. */
  #checkOnDiscovery(check: (metadata: oidc.ServerMetadata) => void): void {
    this.#metadata.whenDiscovered((metadata) => {
      try {
        check(metadata);
      } catch (err) {
        log('provider metadata: %s', (err as Error).message);
        process.emitWarning((err as Error).message, { code: 'EMPOWERID_ENDPOINT_MISSING' });
      }
    });
    this.#metadata.warmUp();
  }

  /** The token endpoint's client authentication: the configured one, or chosen from the metadata. */
  async tokenAuthMethod(): Promise<ClientAuthMethod> {
    return this.#method(await this.#metadata.get());
  }

  #method(metadata: oidc.ServerMetadata): ClientAuthMethod {
    const c = this.config;
    if (!c.clientAuthMethodFromMetadata) return c.clientAuthMethod;
    // OIDC Discovery §3: absent, the provider takes client_secret_basic.
    const supported = metadata.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
    const order: ClientAuthMethod[] = c.privateKey !== undefined ? ['private_key_jwt'] : [];
    if (c.clientSecret !== undefined) order.push('client_secret_basic', 'client_secret_post');
    const chosen = order.find((m) => supported.includes(m));
    if (!chosen) {
      throw new ConfigurationError(
        'clientAuthMethod',
        `cannot be chosen: the provider supports ${supported.join(', ')} at the token endpoint; give a matching clientSecret or privateKey, or set clientAuthMethod`,
      );
    }
    return chosen;
  }

  /** A metadata endpoint a feature needs, or an error naming the feature and the option to set. */
  #need(metadata: oidc.ServerMetadata, key: keyof oidc.ServerMetadata, option: string, feature: string): string {
    const value = metadata[key];
    if (typeof value === 'string' && value) return value;
    throw new ConfigurationError(
      `endpoints.${option}`,
      `is needed for ${feature}, but the provider's metadata has no "${key}"; set endpoints.${option} or turn the feature off`,
    );
  }

  /** Which response mode a login asks for; throws when the answer could never reach the server. */
  #responseMode(metadata: oidc.ServerMetadata, responseType: ResponseType, mode: ResponseMode): 'query' | 'form_post' {
    const modes = metadata.response_modes_supported ?? ['query', 'fragment'];
    const formPost = modes.includes('form_post');
    if (responseType === 'id_token token') {
      if (mode === 'query')
        throw new ConfigurationError('responseMode', 'cannot be "query" for the implicit flow: only form_post is allowed');
      if (!formPost && metadata.response_modes_supported !== undefined) {
        throw new ConfigurationError(
          'responseType',
          '"id_token token" (the implicit flow) needs response_mode=form_post, which the provider does not advertise',
        );
      }
      return 'form_post';
    }
    if (mode === 'form_post') return 'form_post';
    if (mode === 'query' || responseType === 'code') return 'query';
    if (formPost) return 'form_post';
    // A standard provider answers hybrid in the fragment, which never reaches the server.
    if (this.config.provider === 'oidc') {
      throw new ConfigurationError(
        'responseType',
        '"code id_token" (the hybrid flow) needs response_mode=form_post, which the provider does not advertise (a hybrid answer in the fragment never reaches the server); use "code", or responseMode: "form_post" if the provider accepts it unadvertised',
      );
    }
    return 'query';
  }

  /**
   * The implicit `id_token token` answer: the ID token fully validated by openid-client (signature
   * against the JWKS, iss, aud, exp, iat, nonce, state), then `at_hash` against the access token,
   * which OIDC Core §3.2.2.10 requires here.
   */
  async #implicit(p: Record<string, string>, transaction: LoginTransaction): Promise<TokenSet> {
    if (!p.id_token) throw new CallbackError('ERR_ID_TOKEN_INVALID', 'empowerid: the implicit answer has no id_token');
    if (!p.access_token) throw new CallbackError('ERR_CALLBACK_INVALID', 'empowerid: the implicit answer has no access_token');
    const config = await this.configuration('implicit');
    const current = new URL(transaction.redirectUri);
    current.hash = new URLSearchParams(p).toString();
    let claims: oidc.IDToken;
    try {
      claims = await oidc.implicitAuthentication(config, current, transaction.nonce, { expectedState: transaction.state });
    } catch (err) {
      throw mapError(err, 'the authorization response', 'callback');
    }
    if (claims.at_hash === undefined) {
      throw new CallbackError('ERR_ID_TOKEN_INVALID', 'empowerid: the ID token was rejected: the implicit flow requires at_hash');
    }
    checkAtHash(p.id_token, p.access_token, claims.at_hash);
    const now = this.config.clock();
    const expiresIn = Number(p.expires_in);
    const set: TokenSet = {
      access_token: p.access_token,
      token_type: p.token_type ?? 'Bearer',
      id_token: p.id_token,
      claims,
      ...(p.scope !== undefined && { scope: p.scope }),
      ...(Number.isFinite(expiresIn) && expiresIn > 0 && { expires_in: expiresIn, expires_at: now + expiresIn * 1000 }),
    };
    return this.#issued(set);
  }

  // EmpowerID: tokeninfo, tokenrevoke and token exchange take HTTP Basic whatever the token
  // endpoint uses, written in the configured basicEncoding (EmpowerID: the literal pair). A
  // standard provider authenticates the client the same way everywhere.
  async #auth(flavour: Flavour): Promise<oidc.ClientAuth> {
    const c = this.config;
    const method = this.#method(await this.#metadata.get());
    if (this.#sendsBasic(flavour, method)) {
      return clientSecretBasic(c.clientSecret, c.basicEncoding);
    }
    if (method === 'private_key_jwt') return oidc.PrivateKeyJwt(await toCryptoKey(c.privateKey));
    return oidc.ClientSecretPost(c.clientSecret);
  }

  #build(metadata: oidc.ServerMetadata, flavour: Flavour, auth: oidc.ClientAuth): oidc.Configuration {
    const c = this.config;
    const config = new oidc.Configuration(
      metadata,
      c.clientId,
      {
        client_secret: c.clientSecret,
        id_token_signed_response_alg: c.idTokenSigningAlg,
        [oidc.clockTolerance]: c.clockToleranceSeconds,
      },
      auth,
    );
    config[oidc.customFetch] = tolerantTokenFetch(this.#fetch, metadata.token_endpoint) as oidc.CustomFetch;
    // 0 turns off openid-client's per-request abort signal; the default pool has its own timeouts.
    config.timeout = this.#pooled ? 0 : c.timeoutMs / 1000;
    if (Object.values(metadata).some((v) => typeof v === 'string' && v.startsWith('http://'))) {
      oidc.allowInsecureRequests(config);
    }
    // Check ID-token signatures against the JWKS even for tokens from the token endpoint: a
    // token signed by another key or with alg "none" must never start a session.
    if (metadata.jwks_uri) oidc.enableNonRepudiationChecks(config);
    if (flavour === 'hybrid') oidc.useCodeIdTokenResponseType(config);
    if (flavour === 'implicit') {
      warnImplicitFlow();
      oidc.useIdTokenResponseType(config);
    }
    return config;
  }
}

/**
 * Creates the framework-free client. Options are validated here, once.
 *
 * @see EmpowerID docs: OAuth 2.0 / OIDC, OAuth Discovery Endpoint; OpenID Connect Discovery 1.0
 * @throws {@link ConfigurationError} naming the invalid option.
 *
 * @example
 * import { createClient } from 'empowerid-express';
 *
 * const client = createClient({ server: 'https://eid.example.com', clientId: 'app', clientSecret: process.env.SECRET });
 * const { access_token } = await client.clientCredentials();
 */
export function createClient(options: ClientOptions): EmpowerIDClient {
  return new EmpowerIDClient(options);
}

/**
 * `value` as an application/x-www-form-urlencoded field value. Tokens (base64url, JWTs) hold only
 * characters that the encoding leaves as they are, so the common case is a test, not a copy.
 */
function formValue(value: string): string {
  return /^[A-Za-z0-9._-]*$/.test(value) ? value : new URLSearchParams({ v: value }).toString().slice(2);
}

function stringParams(params: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params ?? {})) {
    if (typeof v === 'string') out[k] = v;
    else if (v !== undefined)
      throw new CallbackError('ERR_CALLBACK_INVALID', `empowerid: the callback parameter "${k}" is repeated or malformed`);
  }
  return out;
}
