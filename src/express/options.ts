import { ConfigurationError } from '../errors.js';
import {
  type ClientOptions,
  type ResolvedClientConfig,
  nonNegativeNumber,
  oneOf,
  optionalBoolean,
  optionalString,
  requiredString,
  resolveClientConfig,
  trimSlash,
} from '../core/config.js';
import type { ResponseMode, ResponseType } from '../core/client.js';
import { safeReturnTo } from '../core/return-to.js';
import type { ErrorPageRenderer } from './error-page.js';
import type { AfterCallback, GetLoginState } from './hooks.js';
import { Shared, memoryShared } from '../core/shared.js';

/** Route paths; `false` turns a route off. */
export interface RouteOptions {
  /** `GET`: starts a sign-in (PKCE S256, state, nonce). Default `/login`; `false` turns it off. */
  login?: string | false;
  /** `GET` and `POST` (form_post): finishes a sign-in; `baseURL` + this is the `redirect_uri`. Default `/callback`; `false` turns it off. */
  callback?: string | false;
  /** `POST`: ends the sign-in (RP-initiated logout at the IdP unless `idpLogout: false`). Default `/logout`; `false` turns it off. */
  logout?: string | false;
  /** `POST`: renews the session's tokens with the refresh token. Default `/refresh`; `false` turns it off. */
  refresh?: string | false;
  /** OpenID Connect Back-Channel Logout: register `baseURL` + this path at the IdP. */
  backchannelLogout?: string | false;
}

/** Options of `empowerid()`. */
export interface EmpowerIDOptions extends ClientOptions {
  /** This app's public URL. `redirect_uri` is `baseURL` + the callback route. */
  baseURL: string;
  /** Default `openid profile email`. */
  scope?: string;
  /**
   * `code` (default), the hybrid `code id_token`, or — an explicit opt-in that logs a deprecation
   * warning once — the implicit `id_token token` (also spelled `token id_token`), form_post only.
   */
  responseType?: ResponseType | 'token id_token';
  /** How the IdP answers hybrid and implicit logins. Default `auto`; see {@link ResponseMode}. */
  responseMode?: ResponseMode;
  /** Paths of the library's routes, relative to where the router is mounted; see {@link RouteOptions}. */
  routes?: RouteOptions;
  /** Where the IdP sends the browser after logout: a path under baseURL. Default `/`. */
  postLogoutRedirect?: string;
  /** `false`: `/logout` only ends the local session. Default `true`. */
  idpLogout?: boolean;
  /** EmpowerID `global_logout`: end every application's session. Default `true`. */
  globalLogout?: boolean;
  /** Revoke the refresh token at tokenrevoke on logout. Default `true`. */
  revokeOnLogout?: boolean;
  /** Renew access tokens this many seconds before expiry (capped at half the lifetime). Default 60. */
  refreshSkewSeconds?: number;
  /** Renew expiring access tokens before the route runs. Default `true`. */
  autoRefresh?: boolean;
  /** Without a refresh token, renew with `prompt=none` through the login route. Default `true`. */
  silentReauth?: boolean;
  /** Key in `req.session` under which this library keeps its state. Default `empowerid`. */
  sessionKey?: string;
  /** `render` (default): the router answers its own errors with a short page or JSON. `next`: pass them on. */
  errors?: 'render' | 'next';
  /**
   * Renders the HTML page browsers see for this library's errors (from the router, `requiresAuth()`
   * and `requireToken()`), e.g. in your app's layout. Default: a small styled page of the library.
   */
  errorPage?: ErrorPageRenderer;
  /** Extra authorization parameters sent on every login (e.g. `{ acr_values: '…' }`). */
  authorizationParams?: Record<string, string>;
  /** Runs after a successful callback, before the session is saved: enrich `req.session`, change `returnTo`, or `{ reject: 'reason' }`. */
  afterCallback?: AfterCallback;
  /** What to keep across the round trip to the IdP (a small JSON object, kept in the session); `afterCallback` gets it as `loginState`. */
  getLoginState?: GetLoginState;
  /** Try a `prompt=none` sign-in once per browser session for visitors who are not signed in here. Default `false`. */
  attemptSilentLogin?: boolean;
  /**
   * What several instances share (refresh lock and results, token cache, back-channel logout
   * index): `redisShared(client, { secret })` from `empowerid-express/redis`. Guards mounted after
   * this router inherit it. Default: this process only.
   */
  shared?: Shared;
  /**
   * Secret(s) sealing the tokens kept in the session, when `shared` is not given (with `shared`,
   * give the secret to it). A list rotates: the first encrypts, all decrypt. At least 32 characters.
   */
  secret?: string | string[];
}

export interface ResolvedEmpowerIDOptions {
  readonly client: ResolvedClientConfig;
  readonly baseURL: URL;
  readonly redirectUri: string | undefined;
  /** The login route as a path from the host: baseURL's path + routes.login (an app mounted under a path). */
  readonly loginPath: string | false;
  readonly scope: string;
  readonly responseType: ResponseType;
  readonly responseMode: ResponseMode;
  readonly routes: Readonly<Required<RouteOptions>>;
  readonly postLogoutRedirectUri: string;
  readonly idpLogout: boolean;
  readonly globalLogout: boolean;
  readonly revokeOnLogout: boolean;
  readonly refreshSkewSeconds: number;
  readonly autoRefresh: boolean;
  readonly silentReauth: boolean;
  readonly sessionKey: string;
  readonly errors: 'render' | 'next';
  readonly errorPage: ErrorPageRenderer | undefined;
  readonly authorizationParams: Readonly<Record<string, string>>;
  readonly afterCallback: AfterCallback | undefined;
  readonly getLoginState: GetLoginState | undefined;
  readonly attemptSilentLogin: boolean;
  readonly shared: Shared;
}

export const ROUTER_DEFAULTS = {
  scope: 'openid profile email',
  responseType: 'code',
  responseMode: 'auto',
  routes: { login: '/login', callback: '/callback', logout: '/logout', refresh: '/refresh', backchannelLogout: '/backchannel-logout' },
  postLogoutRedirect: '/',
  idpLogout: true,
  globalLogout: true,
  revokeOnLogout: true,
  refreshSkewSeconds: 60,
  autoRefresh: true,
  silentReauth: true,
  sessionKey: 'empowerid',
  errors: 'render',
  attemptSilentLogin: false,
} as const;

/** Validates `empowerid()` options once; every error names the option. */
export function resolveEmpowerIDOptions(options: EmpowerIDOptions): ResolvedEmpowerIDOptions {
  const client = resolveClientConfig(options);
  const baseURLString = requiredString(options, 'baseURL');
  let baseURL: URL;
  try {
    baseURL = new URL(baseURLString);
  } catch {
    throw new ConfigurationError('baseURL', `must be an absolute URL (got "${baseURLString}")`);
  }
  if (baseURL.protocol !== 'https:' && baseURL.protocol !== 'http:') throw new ConfigurationError('baseURL', 'must be an http(s) URL');
  if (baseURL.search || baseURL.hash) throw new ConfigurationError('baseURL', 'must not contain a query or fragment');
  const routes = resolveRoutes(options.routes);
  const base = trimSlash(baseURL.href);
  const postLogoutRedirectOption = optionalString(options, 'postLogoutRedirect') ?? ROUTER_DEFAULTS.postLogoutRedirect;
  // The same canonical check as returnTo: what is sent to the IdP is the re-serialised path.
  const postLogoutRedirect = safeReturnTo(postLogoutRedirectOption, baseURL, '');
  if (postLogoutRedirect === '') {
    throw new ConfigurationError(
      'postLogoutRedirect',
      'must be a path under baseURL, starting with a single "/" (no "//", "\\" or control characters)',
    );
  }
  if (options.attemptSilentLogin === true && routes.callback === false) {
    throw new ConfigurationError('attemptSilentLogin', 'needs the callback route (routes.callback is false)');
  }
  const authorizationParams = options.authorizationParams ?? {};
  if (typeof authorizationParams !== 'object' || Object.values(authorizationParams).some((v) => typeof v !== 'string')) {
    throw new ConfigurationError('authorizationParams', 'must be an object of string values');
  }
  if (options.errorPage !== undefined && typeof options.errorPage !== 'function') {
    throw new ConfigurationError('errorPage', 'must be a function (info, req) => string of HTML');
  }
  return Object.freeze({
    client,
    baseURL,
    redirectUri: routes.callback === false ? undefined : `${base}${routes.callback}`,
    loginPath: routes.login === false ? false : `${trimSlash(baseURL.pathname)}${routes.login}`,
    scope: optionalString(options, 'scope') ?? ROUTER_DEFAULTS.scope,
    responseType: responseTypeOf(options),
    responseMode: oneOf(options, 'responseMode', ['auto', 'query', 'form_post'] as const) ?? ROUTER_DEFAULTS.responseMode,
    routes: Object.freeze(routes),
    postLogoutRedirectUri: `${base}${postLogoutRedirect}`,
    idpLogout: optionalBoolean(options, 'idpLogout') ?? ROUTER_DEFAULTS.idpLogout,
    globalLogout: optionalBoolean(options, 'globalLogout') ?? ROUTER_DEFAULTS.globalLogout,
    revokeOnLogout: optionalBoolean(options, 'revokeOnLogout') ?? ROUTER_DEFAULTS.revokeOnLogout,
    refreshSkewSeconds: nonNegativeNumber(options, 'refreshSkewSeconds') ?? ROUTER_DEFAULTS.refreshSkewSeconds,
    autoRefresh: optionalBoolean(options, 'autoRefresh') ?? ROUTER_DEFAULTS.autoRefresh,
    silentReauth: optionalBoolean(options, 'silentReauth') ?? ROUTER_DEFAULTS.silentReauth,
    sessionKey: optionalString(options, 'sessionKey') ?? ROUTER_DEFAULTS.sessionKey,
    errors: oneOf(options, 'errors', ['render', 'next'] as const) ?? ROUTER_DEFAULTS.errors,
    errorPage: options.errorPage,
    authorizationParams: Object.freeze({ ...authorizationParams }),
    afterCallback: optionalFunction(options, 'afterCallback') as AfterCallback | undefined,
    getLoginState: optionalFunction(options, 'getLoginState') as GetLoginState | undefined,
    attemptSilentLogin: optionalBoolean(options, 'attemptSilentLogin') ?? ROUTER_DEFAULTS.attemptSilentLogin,
    shared: resolveShared(options),
  });
}

function optionalFunction(options: object, name: string): unknown {
  const v = (options as Record<string, unknown>)[name];
  if (v !== undefined && typeof v !== 'function') throw new ConfigurationError(name, 'must be a function');
  return v;
}

function responseTypeOf(options: EmpowerIDOptions): ResponseType {
  const type = oneOf(options, 'responseType', ['code', 'code id_token', 'id_token token', 'token id_token'] as const);
  if (type === undefined) return ROUTER_DEFAULTS.responseType;
  if (type === 'id_token token' || type === 'token id_token') {
    if (options.responseMode === 'query') {
      throw new ConfigurationError('responseMode', 'cannot be "query" with the implicit flow: its tokens come back by form_post only');
    }
    return 'id_token token';
  }
  return type;
}

function resolveRoutes(value: RouteOptions | undefined): Required<RouteOptions> {
  if (value !== undefined && (value === null || typeof value !== 'object')) throw new ConfigurationError('routes', 'must be an object');
  const out = { ...ROUTER_DEFAULTS.routes } as Required<RouteOptions>;
  for (const key of Object.keys(value ?? {})) {
    if (!(key in out)) throw new ConfigurationError(`routes.${key}`, `is not a route (routes: ${Object.keys(out).join(', ')})`);
    const v = (value as Record<string, unknown>)[key];
    if (v === false) (out as Record<string, string | false>)[key] = false;
    else if (typeof v === 'string' && v.startsWith('/') && !v.startsWith('//')) (out as Record<string, string | false>)[key] = v;
    else throw new ConfigurationError(`routes.${key}`, 'must be a path starting with "/", or false');
  }
  return out;
}

function resolveShared(options: EmpowerIDOptions): Shared {
  if (options.shared === undefined) return memoryShared(options.secret === undefined ? {} : { secret: options.secret });
  if (!(options.shared instanceof Shared)) {
    throw new ConfigurationError('shared', 'must come from redisShared() (empowerid-express/redis) or memoryShared()');
  }
  if (options.secret !== undefined)
    throw new ConfigurationError('secret', 'is given to redisShared()/memoryShared() when "shared" is set; remove it here');
  return options.shared;
}
