import type { IDToken } from 'openid-client';
import type { IntrospectionResponse, UserInfo } from '../core/client.js';

/**
 * Options of `req.empowerid.login()`.
 * @inline
 */
export interface LoginOptions {
  /** Where to come back to after sign-in: a path under `baseURL`. Default: the current URL. */
  returnTo?: string;
  /** Extra authorization parameters, merged over the `authorizationParams` option. */
  authorizationParams?: Record<string, string>;
}

/**
 * Options of `req.empowerid.logout()`.
 * @inline
 */
export interface LogoutOptions {
  /** `local`: this app only; `client`: also this app at the IdP; `global`: every EmpowerID app. Default from `idpLogout`/`globalLogout`. */
  mode?: 'local' | 'client' | 'global';
}

/** The access token of the signed-in user. */
export interface AccessTokenInfo {
  /** The access token itself, for calling APIs as the user. Never log it. */
  readonly value: string;
  /** Milliseconds since the epoch, when the IdP said how long the token lives. */
  readonly expiresAt: number | undefined;
  /** Space-separated scopes granted, when the IdP said. */
  readonly scope: string | undefined;
  /** The token type, usually `Bearer`. */
  readonly tokenType: string;
  /** True once `expiresAt` has passed on the client's clock; false when the lifetime is unknown. */
  isExpired(): boolean;
}

/** ID-token claims; EmpowerID adds `oid` (person GUID), `name`, `email`. */
export type UserClaims = IDToken & {
  /** EmpowerID: the person's GUID. */
  oid?: string;
  /** The person's display name. */
  name?: string;
  /** The person's e-mail address. */
  email?: string;
};

/**
 * `req.empowerid`: set on every request that passed through `empowerid()` or `requireToken()`
 * (added to Express's `Request` type by declaration merging when you import the package).
 *
 * @example
 * app.get('/me', requiresAuth(), async (req, res) => {
 *   const profile = await req.empowerid.fetchProfile();
 *   res.json({ sub: req.empowerid.user?.sub, email: profile.email });
 * });
 */
export interface EmpowerIDRequestContext {
  /** True when the session holds a signed-in user. */
  isAuthenticated(): boolean;
  /** The validated ID-token claims of the signed-in user. */
  readonly user: UserClaims | undefined;
  /** The raw ID token (for `id_token_hint`). */
  readonly idToken: string | undefined;
  /** The signed-in user's access token, when the session holds one. */
  readonly accessToken: AccessTokenInfo | undefined;
  /**
   * Calls userinfo with the session's access token.
   *
   * @see EmpowerID docs: OAuth 2.0 / OIDC, User Info Endpoint
   * @throws {@link EmpowerIDError} `ERR_LOGIN_REQUIRED` without a signed-in user; {@link IdPResponseError}
   *   when the answer is for another subject; the client's errors (see {@link EmpowerIDClient.userinfo}).
   */
  fetchProfile(): Promise<UserInfo>;
  /**
   * Renews the tokens now with the refresh token (shared with concurrent requests).
   *
   * @see EmpowerID docs: OAuth 2.0 / OIDC, Refresh Token Grant
   * @throws {@link EmpowerIDError} `ERR_REFRESH_FAILED` when the session has no refresh token or the
   *   IdP refused it (the sign-in is then ended); {@link IdPUnavailableError} and the client's other
   *   errors when the IdP could not answer (the session is kept).
   */
  refresh(): Promise<void>;
  /**
   * Starts a sign-in from the app's own route: redirects the browser to the IdP and comes back to
   * `returnTo` (a path under baseURL). `authorizationParams` are merged over the option of that name.
   */
  login(options?: LoginOptions): Promise<void>;
  /** Ends the sign-in as `POST /logout` does (`mode`: local, client or global) and redirects. Check the request's origin first if it comes from a form. */
  logout(options?: LogoutOptions): Promise<void>;
  /** Set by `requireToken()`: the tokeninfo (RFC 7662) answer for the bearer token. */
  tokenInfo?: IntrospectionResponse;
  /** Set by `requireToken()`: the userinfo answer for the bearer token. */
  profile?: UserInfo;
}

declare global {
  namespace Express {
    interface Request {
      empowerid: EmpowerIDRequestContext;
    }
  }
}
