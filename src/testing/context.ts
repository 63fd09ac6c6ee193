/**
 * The state one mock server shares with its handlers: registry of users and clients, keys, token
 * store, IdP browser sessions, replay caches and test switches. Handlers receive it as an
 * argument, so there is no module-level state and several mocks can run side by side.
 */
import { randomBytes } from 'node:crypto';
import type { SigningKeys } from './keys.js';
import type { TokenStore } from './tokens.js';
import type { MockClient, MockIdTokenTamper, MockLogoutRecord, MockUser } from './types.js';

/** Lifetimes in seconds, resolved from the options once. */
export interface MockTtls {
  accessToken: number;
  idToken: number;
  refreshToken: number;
  code: number;
}

export interface MockContext {
  /** Base URL `S`. */
  readonly url: string;
  readonly issuer: string;
  readonly ttl: MockTtls;
  /** See `MockEmpowerIDOptions.issueRefreshTokens`. */
  readonly issueRefreshTokens: boolean;
  /** See `MockEmpowerIDOptions.confirmLogout`. */
  readonly confirmLogout: boolean;
  readonly users: ReadonlyMap<string, MockUser>;
  readonly clients: ReadonlyMap<string, MockClient>;
  readonly keys: SigningKeys;
  readonly tokens: TokenStore;
  readonly sessions: IdpSessions;
  /** Seen JWT-bearer `jti`s and SAML assertion IDs. */
  readonly replay: ReplayCache;
  /** Current time in milliseconds (the injectable clock). */
  now(): number;
  autoLogin: string | false;
  lastLogout: MockLogoutRecord | undefined;
  /** Returns and clears the pending ID-token alteration, if any. */
  takeTamper(): MockIdTokenTamper | undefined;
  /** Adds one to a counter. */
  count(name: string): void;
}

/** Random URL-safe identifier with `bytes` of entropy. */
export function randomId(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** The cookie that carries the IdP (single sign-on) session of a browser. */
export const SESSION_COOKIE = 'eid_mock_session';

/**
 * IdP sessions: which user a browser (session cookie) is signed in as, and the applications that
 * browser has been signed out of with `global_logout=false` (the session stays open for the others).
 */
export class IdpSessions {
  private readonly byId = new Map<string, { username: string; signedOutOf: Set<string> }>();

  /** Starts a session for `username`; returns the cookie value. */
  create(username: string): string {
    const id = randomId();
    this.byId.set(id, { username, signedOutOf: new Set() });
    return id;
  }

  /**
   * Username of the session `id`, if it is still open — for `clientId`, if given: a session the
   * browser signed out of that application with is closed for it.
   */
  get(id: string | undefined, clientId?: string): string | undefined {
    const session = id === undefined ? undefined : this.byId.get(id);
    if (!session || (clientId !== undefined && session.signedOutOf.has(clientId))) return undefined;
    return session.username;
  }

  /** Ends the session `id` for every application (`global_logout=true`). */
  end(id: string | undefined): void {
    if (id !== undefined) this.byId.delete(id);
  }

  /** Ends the session `id` for `clientId` only (`global_logout=false`); other applications keep single sign-on. */
  endFor(id: string | undefined, clientId: string): void {
    const session = id === undefined ? undefined : this.byId.get(id);
    session?.signedOutOf.add(clientId);
  }

  /** Ends every session of `username` (every browser). */
  endAllFor(username: string): void {
    for (const [id, session] of this.byId) if (session.username === username) this.byId.delete(id);
  }
}

/**
 * Remembers identifiers until they expire, to refuse replayed assertions. Entries are pruned on
 * every call, so the cache never grows beyond the assertions still inside their lifetime.
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  /** Records `key` until `untilMs`; returns false when it was already recorded (a replay). */
  remember(key: string, untilMs: number, nowMs: number): boolean {
    for (const [k, exp] of this.seen) if (exp <= nowMs) this.seen.delete(k);
    if (this.seen.has(key)) return false;
    this.seen.set(key, untilMs);
    return true;
  }
}
