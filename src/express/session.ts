import type { Request } from 'express';
import type { IDToken } from 'openid-client';
import type { LoginTransaction } from '../core/client.js';
import type { TokenSet } from '../core/tokens.js';
import { EmpowerIDError } from '../errors.js';

/** What this library keeps in `req.session[sessionKey]`: server-side, never in a cookie. */
export interface SessionState {
  tokens?: StoredTokens;
  claims?: IDToken;
  /** Pending logins, newest last; a few so that two tabs can log in at once. */
  transactions?: LoginTransaction[];
  /** The login this sign-in completed (SHA-256 of its state), so a replayed callback goes on to `returnTo`. */
  completed?: { state: string; returnTo: string }[];
}

export interface StoredTokens {
  access_token: string;
  token_type: string;
  expires_at?: number;
  expires_in?: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

const MAX_TRANSACTIONS = 5;
type SessionBag = Record<string, unknown> & {
  regenerate(cb: (err?: unknown) => void): void;
  save(cb: (err?: unknown) => void): void;
  destroy(cb: (err?: unknown) => void): void;
};

/** The session, or a clear error naming the fix. */
export function sessionOf(req: Request): SessionBag {
  const session = (req as unknown as { session?: SessionBag }).session;
  if (!session || typeof session.regenerate !== 'function') {
    throw new EmpowerIDError(
      'ERR_SESSION_MISSING',
      'empowerid: req.session is missing; mount express-session (app.use(session({...}))) before app.use(empowerid({...}))',
      { status: 500 },
    );
  }
  return session;
}

export function readState(req: Request, key: string): SessionState {
  const v = (req as unknown as { session?: Record<string, unknown> }).session?.[key];
  return v && typeof v === 'object' ? (v as SessionState) : {};
}

export function writeState(req: Request, key: string, state: SessionState): void {
  const session = sessionOf(req);
  if (!state.tokens && !state.transactions?.length) delete session[key];
  else session[key] = state;
}

export function addTransaction(state: SessionState, tx: LoginTransaction): SessionState {
  const list = [...(state.transactions ?? []), tx].slice(-MAX_TRANSACTIONS);
  return { ...state, transactions: list };
}

/** Applies a token answer; a refresh without a new refresh or ID token keeps the old ones. */
export function applyTokens(state: SessionState, set: TokenSet): SessionState {
  const previous = state.tokens;
  const tokens: StoredTokens = {
    access_token: set.access_token,
    token_type: set.token_type,
    ...(set.expires_at !== undefined && { expires_at: set.expires_at }),
    ...(set.expires_in !== undefined && { expires_in: set.expires_in }),
    ...((set.scope ?? previous?.scope) !== undefined && { scope: set.scope ?? previous?.scope }),
  };
  const refresh = set.refresh_token ?? previous?.refresh_token;
  if (refresh) tokens.refresh_token = refresh;
  const idToken = set.id_token ?? previous?.id_token;
  if (idToken) tokens.id_token = idToken;
  return { ...state, tokens, claims: set.claims ?? state.claims };
}

export function promisify(fn: (cb: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => fn((err) => (err ? reject(err) : resolve())));
}
