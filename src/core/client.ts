import * as oidc from 'openid-client';
import { CallbackError, OAuthError } from '../errors.js';
import { type ClientOptions, type ResolvedClientConfig, resolveClientConfig } from './config.js';
import { basicAuth, clientSecretBasic } from './basic-auth.js';
import { debug } from './debug.js';
import { checkPrivateKey, toCryptoKey } from './private-key.js';
import { readJsonObject, tolerantTokenFetch } from './responses.js';
import { safeEqual } from './safe-equal.js';
import { MetadataSource } from './endpoints.js';
import * as grants from './grants/index.js';
import { type RawRequest, type RawResponse, defaultFetch, kRawRequest } from './http.js';
import { mapError } from './map-error.js';
import { type TokenSet, toTokenSet } from './tokens.js';
import { TokenCache } from './cache.js';
import { SignInIndex } from './sign-ins.js';

const log = debug('client');

/** `code` (default) or EmpowerID's hybrid `code id_token` (answered in the query string). */
export type ResponseType = 'code' | 'code id_token';

/** Everything the callback needs to finish a login; kept server-side (in the session) only. */
export interface LoginTransaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  responseType: ResponseType;
  /** Milliseconds since the epoch. */
  createdAt: number;
  returnTo?: string;
  prompt?: string;
}

export interface AuthorizationRequest {
  redirectUri: string;
  scope?: string;
  responseType?: ResponseType;
  prompt?: string;
  /** More authorization parameters (e.g. `login_hint`, `acr_values`). Cannot override PKCE, state or nonce. */
  extra?: Record<string, string>;
  returnTo?: string;
}

export interface CallbackParams {
  /** The authorization response parameters: the callback's query (GET) or form body (POST). */
  params: Record<string, unknown>;
  transaction: LoginTransaction;
}

export interface EndSessionRequest {
  idTokenHint?: string;
  postLogoutRedirectUri?: string;
  state?: string;
  /** EmpowerID's `global_logout`: end every application's session too. The IdP's default is true. */
  globalLogout?: boolean;
}

/** RFC 7662 answer, with EmpowerID's documented fields typed. */
export interface IntrospectionResponse {
  active: boolean;
  client_id?: string;
  username?: string;
  scope?: string;
  exp?: number;
  iat?: number;
  nbf?: number;
  sub?: string;
  iss?: string;
  aud?: string | string[];
  token_type?: string;
  [claim: string]: unknown;
}

/** EmpowerID's userinfo answer. Standard OIDC providers answer `sub`, `name`, … instead. */
export interface UserInfo {
  id?: string;
  sub?: string;
  username?: string;
  first_name?: string;
  last_name?: string;
  email?: string;
  organization?: string;
  business_role_locations?: string[];
  [claim: string]: unknown;
}

type Flavour = 'token' | 'hybrid' | 'basic';
const PROTECTED_PARAMS = new Set([
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'client_id',
  'redirect_uri',
  'response_type',
]);

/**
 * The framework-free EmpowerID client. The Express routers are thin callers of these methods.
 *
 * @example
 * ```ts
 * const eid = createClient({ server: 'https://eid.example.com', clientId: '…', clientSecret: '…' });
 * const info = await eid.introspect(accessToken);
 * ```
 */
export class EmpowerIDClient {
  readonly config: ResolvedClientConfig;
  readonly #fetch: typeof globalThis.fetch;
  readonly #metadata: MetadataSource;
  /** The default pool enforces the timeout itself; a caller's fetch gets an abort signal per request. */
  readonly #pooled: boolean;
  #basicHeader: string | undefined;
  readonly #revocationListeners = new Set<(keys: readonly string[]) => void | Promise<void>>();
  readonly #signIns = new SignInIndex();
  #configs: Map<Flavour, Promise<oidc.Configuration>> = new Map();

  constructor(options: ClientOptions | ResolvedClientConfig) {
    this.config =
      Object.isFrozen(options) && options.server instanceof URL
        ? (options as ResolvedClientConfig)
        : resolveClientConfig(options as ClientOptions);
    if (this.config.clientAuthMethod === 'private_key_jwt') checkPrivateKey(this.config.privateKey);
    this.#fetch = this.config.fetch ?? defaultFetch(this.config.timeoutMs);
    this.#pooled = this.config.fetch === undefined;
    this.#metadata = new MetadataSource(this.config, this.#fetch);
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
   * server-side until the callback.
   */
  async startLogin(request: AuthorizationRequest): Promise<{ url: URL; transaction: LoginTransaction }> {
    const responseType = request.responseType ?? 'code';
    const config = await this.configuration(responseType === 'code id_token' ? 'hybrid' : 'token');
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const transaction: LoginTransaction = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier,
      redirectUri: request.redirectUri,
      responseType,
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
    if (request.prompt) params.prompt = request.prompt;
    const url = oidc.buildAuthorizationUrl(config, params);
    log('authorization request response_type=%s prompt=%s', responseType, request.prompt ?? '-');
    return { url, transaction };
  }

  /**
   * Finishes a login: checks `state`, exchanges the code with the PKCE verifier, and validates
   * the ID token (signature, issuer, audience, nonce, expiry, `c_hash`/`at_hash`).
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

  /** Refresh token grant. A rotated refresh token comes back in `refresh_token`. */
  async refresh(refreshToken: string, parameters?: Record<string, string>): Promise<TokenSet> {
    const config = await this.configuration('token');
    try {
      const response = await oidc.refreshTokenGrant(config, refreshToken, parameters);
      return this.#issued(toTokenSet(response, this.config.clock(), this.config.clockToleranceSeconds), refreshToken);
    } catch (err) {
      throw mapError(err, 'the token endpoint');
    }
  }

  /** RP-initiated logout URL, with EmpowerID's `global_logout`. */
  async endSessionUrl(request: EndSessionRequest = {}): Promise<URL> {
    const config = await this.configuration('token');
    const params: Record<string, string> = {};
    if (request.idTokenHint) params.id_token_hint = request.idTokenHint;
    if (request.postLogoutRedirectUri) params.post_logout_redirect_uri = request.postLogoutRedirectUri;
    if (request.state) params.state = request.state;
    if (request.globalLogout !== undefined) params.global_logout = String(request.globalLogout);
    return oidc.buildEndSessionUrl(config, params);
  }

  /** RFC 7662 introspection at EmpowerID's tokeninfo endpoint (HTTP Basic client credentials). */
  async introspect(token: string, tokenTypeHint: 'access_token' | 'refresh_token' = 'access_token'): Promise<IntrospectionResponse> {
    const config = await this.configuration('basic');
    try {
      return (await oidc.tokenIntrospection(config, token, { token_type_hint: tokenTypeHint })) as IntrospectionResponse;
    } catch (err) {
      throw mapError(err, 'the tokeninfo endpoint');
    }
  }

  /** RFC 7009 revocation at EmpowerID's tokenrevoke endpoint (HTTP Basic client credentials). */
  async revoke(token: string, tokenTypeHint: 'access_token' | 'refresh_token' = 'access_token'): Promise<void> {
    const config = await this.configuration('basic');
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
   * Makes every cache built on this client (the `requireToken()` guards') forget these tokens and
   * every token issued to the same sign-in, as far as this client saw them issued. Logout calls
   * it; {@link EmpowerIDClient.revoke} calls it after a successful revocation.
   */
  async forget(...tokens: (string | undefined)[]): Promise<void> {
    const keys = new Set<string>();
    for (const token of tokens) if (token) for (const key of this.#signIns.take(TokenCache.keyFor(token))) keys.add(key);
    if (keys.size === 0) return;
    const list = [...keys];
    await Promise.all([...this.#revocationListeners].map((listener) => listener(list)));
  }

  /**
   * @internal Called with the cache keys (SHA-256 of each token, never the token) of every token
   * this client revokes or forgets; returns the unsubscribe function.
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
   */
  async userinfo(accessToken: string): Promise<UserInfo> {
    const metadata = await this.metadata();
    const endpoint = metadata.userinfo_endpoint as string;
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | undefined;
    if (this.config.userinfoStyle === 'empowerid') {
      headers.authorization = this.#basicHeader ??= basicAuth(
        this.config.clientId,
        this.config.clientSecret ?? '',
        this.config.basicEncoding,
      );
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams({ access_token: accessToken }).toString();
    } else {
      headers.authorization = `Bearer ${accessToken}`;
    }
    let response: RawResponse;
    const init = { method: body === undefined ? 'GET' : 'POST', headers, ...(body !== undefined && { body }) };
    try {
      const raw = (this.#fetch as { [kRawRequest]?: RawRequest })[kRawRequest];
      response = raw
        ? await raw(endpoint, init)
        : await this.#fetch(endpoint, { ...init, ...(!this.#pooled && { signal: AbortSignal.timeout(this.config.timeoutMs) }) });
    } catch (err) {
      throw mapError(err, 'the userinfo endpoint');
    }
    return (await readJsonObject(response, 'the userinfo endpoint')) as UserInfo;
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

  /** Alias of {@link startLogin}. */
  authorizationUrl(request: AuthorizationRequest): Promise<{ url: URL; transaction: LoginTransaction }> {
    return this.startLogin(request);
  }

  /** Client credentials grant, with EmpowerID's optional `username`; tokens are reused until shortly before expiry. See {@link grants.clientCredentials}. */
  clientCredentials(params: grants.ClientCredentialsParams = {}): Promise<TokenSet> {
    return grants.clientCredentials(this, params).then((set) => this.#issued(set));
  }

  /** Resource owner password grant, EmpowerID style by default. See {@link grants.password}. */
  password(params: grants.PasswordParams): Promise<TokenSet> {
    return grants.password(this, params).then((set) => this.#issued(set));
  }

  /** JWT bearer grant: a third-party assertion, or EmpowerID's signed with your certificate. See {@link grants.jwtBearer}. */
  jwtBearer(params: grants.JwtBearerParams): Promise<TokenSet> {
    return grants.jwtBearer(this, params).then((set) => this.#issued(set));
  }

  /** Client certificate grant (a signed SAML assertion). See {@link grants.clientCertificate}. */
  clientCertificate(params: grants.ClientCertificateParams): Promise<TokenSet> {
    return grants.clientCertificate(this, params).then((set) => this.#issued(set));
  }

  /** RFC 8693 token exchange. See {@link grants.tokenExchange}. */
  tokenExchange(params: grants.TokenExchangeParams): Promise<TokenSet> {
    return grants.tokenExchange(this, params).then((set) => this.#issued(set));
  }

  // tokeninfo, tokenrevoke and token exchange take HTTP Basic whatever the token endpoint uses,
  // written in the configured basicEncoding (EmpowerID: the literal pair).
  async #auth(flavour: Flavour): Promise<oidc.ClientAuth> {
    const c = this.config;
    if (flavour === 'basic' || c.clientAuthMethod === 'client_secret_basic') return clientSecretBasic(c.clientSecret, c.basicEncoding);
    if (c.clientAuthMethod === 'private_key_jwt') return oidc.PrivateKeyJwt(await toCryptoKey(c.privateKey));
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
    return config;
  }
}

/** Creates the framework-free client. Options are validated here, once. */
export function createClient(options: ClientOptions): EmpowerIDClient {
  return new EmpowerIDClient(options);
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
