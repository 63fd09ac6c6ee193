/**
 * Public types of the mock EmpowerID server (`empowerid-express/testing`).
 *
 * Kept in their own file so every module of the mock can import them without importing the
 * server (no cycles), and so the public surface is readable in one place.
 */

/** A person known to the mock IdP. Shaped like EmpowerID's userinfo answer. */
export interface MockUser {
  /** Login name; becomes the ID token `sub` and the userinfo `username`. */
  username: string;
  /** The password the login form and the password grant accept. */
  password: string;
  /** Person GUID; becomes the ID token `oid`, the token response `id` and the userinfo `id`. */
  id: string;
  /** Display name; the ID token `name`. */
  name: string;
  /** Given name, in the userinfo answer. */
  first_name: string;
  /** Family name, in the userinfo answer. */
  last_name: string;
  /** E-mail address; the ID token and userinfo `email`. */
  email: string;
  /** Organization, in the userinfo answer. */
  organization: string;
  /** Business roles and locations, in the userinfo answer. */
  business_role_locations: string[];
}

/** An OAuth application registered in the mock IdP. */
export interface MockClient {
  /** The OAuth application's client ID. */
  clientId: string;
  /** The OAuth application's client secret. */
  clientSecret: string;
  /**
   * The application's display name, shown on the sign-in card ("to continue to …") and the logout
   * confirmation, as EmpowerID shows the OAuth application's name. Default: the `clientId`.
   */
  name?: string;
  /** Registered Callback URLs; `redirect_uri` must match one exactly. */
  redirectUris: string[];
  /**
   * More URLs accepted as `post_logout_redirect_uri` (exact match), besides `redirectUris`: the
   * docs ask for the post-logout URI to be registered in the Callback URLs, so those always count.
   */
  postLogoutRedirectUris?: string[];
  /** PEM X.509 certificate registered for the jwt-bearer and certificate-bearer grants. */
  certificate?: string;
  /** Username a client_credentials (and jwt/certificate-bearer) token is issued to. Default: first user. */
  owner?: string;
}

/** Options of {@link startMockEmpowerID}. Every field is optional. */
export interface MockEmpowerIDOptions {
  /** TCP port; default 0 (a random free port). */
  port?: number;
  /** Interface to listen on; default `'127.0.0.1'`. */
  host?: string;
  /** Default: `DEFAULT_USERS`. */
  users?: MockUser[];
  /** Default: `[DEFAULT_CLIENT]`. */
  clients?: MockClient[];
  /** Seconds; default 3600. */
  accessTokenTTL?: number;
  /** Seconds; default 3600. */
  idTokenTTL?: number;
  /** Seconds; default 86400. */
  refreshTokenTTL?: number;
  /** Seconds; default 60. */
  codeTTL?: number;
  /** Username that `/authorize` signs in without showing the login form (tests); default false. */
  autoLogin?: string | false;
  /** ID token / introspection `iss`; default `'EmpowerID'` (the docs' plain string, not a URL). */
  issuer?: string;
  /** Milliseconds since the epoch; default `Date.now`. Lets tests move time. */
  clock?: () => number;
  /** Artificial delay before every response, in milliseconds; default 0. */
  latencyMs?: number;
  /**
   * Whether the authorization code grant issues a refresh token; default true. `false` behaves like
   * an IdP that grants none to this client, so a relying party must renew by silent login.
   */
  issueRefreshTokens?: boolean;
  /**
   * Ask before a logout that ends the EmpowerID session everywhere (`global_logout`, the default):
   * a confirmation card naming the application, "Sign out" or "Stay signed in" (back to the
   * application, the IdP session kept). Default false: log out at once, as tests expect.
   */
  confirmLogout?: boolean;
}

/** What the last RP-initiated logout request carried (see {@link MockEmpowerID.lastLogout}). */
export interface MockLogoutRecord {
  /** The raw query parameters of the logout request. */
  params: Record<string, string>;
  /**
   * `global_logout` as interpreted (default true): true ended the browser's IdP session for every
   * application, false only for the calling one.
   */
  global: boolean;
  /** Client identified by `id_token_hint`'s `aud` or `client_id`, if any. */
  clientId?: string;
  /** User whose IdP session was ended (from the session cookie or the hint's `sub`), if any. */
  username?: string;
}

/** Failure modes for {@link MockEmpowerID.setOutage}. */
export type MockOutageMode = false | 'down' | 'garbage' | 'slow';

/** Alteration applied to the next ID token issued (see {@link MockEmpowerID.tamperNextIdToken}). */
export interface MockIdTokenTamper {
  /** Merged over the real claims, e.g. `{ exp: 1 }` or `{ nonce: 'x' }`. */
  claims?: Record<string, unknown>;
  /**
   * `'foreign-key'`: a fresh RSA key not in the JWKS, same `kid`; `'none'`: an unsecured JWT;
   * `'hs256-public-key'`: HS256 keyed with the published RSA public key (algorithm confusion).
   */
  signWith?: 'foreign-key' | 'none' | 'hs256-public-key';
}

/** A running mock EmpowerID server. */
export interface MockEmpowerID {
  /** Base URL `S`, e.g. `http://127.0.0.1:43123` (no trailing slash). */
  readonly url: string;
  /** The `iss` of every ID token (default `'EmpowerID'`). */
  readonly issuer: string;
  /**
   * Requests per endpoint (`discovery`, `jwks`, `authorize`, `login`, `token`, `tokeninfo`,
   * `tokenrevoke`, `userinfo`, `logout`) and per grant (`token:<grant_type>`). Failing requests
   * and requests answered by an outage count too.
   */
  readonly counts: Record<string, number>;
  /** The last logout request, or undefined when none was made. */
  readonly lastLogout: MockLogoutRecord | undefined;
  /** Sets every counter back to 0. */
  resetCounts(): void;
  /**
   * `'down'`: 503 with an HTML body (like a proxy in front of a dead IdP); `'garbage'`: 200 with
   * an HTML body; `'slow'`: every response waits 30 s; `false`: normal.
   */
  setOutage(mode: MockOutageMode): void;
  /** Changes the `autoLogin` option at run time. */
  setAutoLogin(username: string | false): void;
  /** The next ID token issued (hybrid authorize or token endpoint) is altered, for negative tests. */
  tamperNextIdToken(t: MockIdTokenTamper): void;
  /** Mints an access token directly (for API-guard tests), as if issued to `clientId` for `username`. */
  issueAccessToken(o: { username: string; clientId?: string; scope?: string; ttl?: number }): Promise<string>;
  /** Revokes every access/refresh token and code of `username` and ends their IdP sessions. */
  revokeAllFor(username: string): void;
  /** Stops listening, drops open connections and pending slow responses. */
  close(): Promise<void>;
}
