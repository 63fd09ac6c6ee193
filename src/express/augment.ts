import type { IDToken } from 'openid-client';
import type { IntrospectionResponse, UserInfo } from '../core/client.js';

/** Options of `req.empowerid.login()`. */
export interface LoginOptions {
  returnTo?: string;
  authorizationParams?: Record<string, string>;
}

/** Options of `req.empowerid.logout()`. */
export interface LogoutOptions {
  /** `local`: this app only; `client`: also this app at the IdP; `global`: every EmpowerID app. Default from `idpLogout`/`globalLogout`. */
  mode?: 'local' | 'client' | 'global';
}

/** The access token of the signed-in user. */
export interface AccessTokenInfo {
  readonly value: string;
  /** Milliseconds since the epoch, when the IdP said how long the token lives. */
  readonly expiresAt: number | undefined;
  readonly scope: string | undefined;
  readonly tokenType: string;
  isExpired(): boolean;
}

/** ID-token claims; EmpowerID adds `oid` (person GUID), `name`, `email`. */
export type UserClaims = IDToken & { oid?: string; name?: string; email?: string };

/** `req.empowerid`: set on every request that passed through `empowerid()` or `requireToken()`. */
export interface EmpowerIDRequestContext {
  /** True when the session holds a signed-in user. */
  isAuthenticated(): boolean;
  /** The validated ID-token claims of the signed-in user. */
  readonly user: UserClaims | undefined;
  /** The raw ID token (for `id_token_hint`). */
  readonly idToken: string | undefined;
  readonly accessToken: AccessTokenInfo | undefined;
  /** Calls userinfo with the session's access token. */
  fetchProfile(): Promise<UserInfo>;
  /** Renews the tokens now with the refresh token (shared with concurrent requests). */
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
