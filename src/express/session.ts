import type { Request } from 'express';
import type { IDToken } from 'openid-client';
import type { LoginTransaction } from '../core/client.js';
import type { TokenSet } from '../core/tokens.js';
import { debug } from '../core/debug.js';
import type { Sealer } from '../core/seal.js';
import { EmpowerIDError, SharedUnavailableError } from '../errors.js';

const log = debug('session');

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

/**
 * The tokens of the session, opened once per request by {@link openState}. The session itself
 * holds them only sealed (`sealed`, a JWE), so a dump of any session store holds no usable token.
 */
const opened = new WeakMap<Request, { sealed: string; tokens: StoredTokens }>();

/** What the session holds under `sessionKey`. */
interface RawState {
  sealed?: string;
  claims?: IDToken;
  transactions?: LoginTransaction[];
  completed?: SessionState['completed'];
  /** Plaintext tokens written by versions before sealing; sealed on the next request. */
  tokens?: StoredTokens;
}

function rawState(req: Request, key: string): RawState {
  const v = (req as unknown as { session?: Record<string, unknown> }).session?.[key];
  return v && typeof v === 'object' ? (v as RawState) : {};
}

/** The session's state with its tokens opened. Synchronous: {@link openState} ran earlier in the request. */
/** The id express-session gave this request's session. */
export function sessionIdOf(req: Request): string {
  return String((req as unknown as { sessionID?: unknown }).sessionID);
}

export function readState(req: Request, key: string): SessionState {
  const { sealed, tokens: _legacy, ...rest } = rawState(req, key);
  const open = sealed === undefined ? undefined : opened.get(req);
  return open !== undefined && open.sealed === sealed ? { ...rest, tokens: open.tokens } : rest;
}

/**
 * Writes the state; its tokens must be the ones already in the session (or none, which signs the
 * user out). New tokens go through {@link saveTokens}, which seals them.
 */
export function writeState(req: Request, key: string, state: SessionState): void {
  const session = sessionOf(req);
  const { tokens, ...rest } = state;
  const raw: RawState = { ...rest };
  if (tokens !== undefined) {
    const open = opened.get(req);
    if (open === undefined || open.tokens !== tokens)
      throw new Error('empowerid: internal error: new tokens must be sealed with saveTokens()');
    raw.sealed = open.sealed;
  } else delete raw.claims;
  if (raw.sealed === undefined && !raw.transactions?.length) delete session[key];
  else session[key] = raw;
}

/** Seals the state's tokens into the session. */
export async function saveTokens(req: Request, key: string, state: SessionState, sealer: Sealer): Promise<void> {
  const { tokens, ...rest } = state;
  if (tokens === undefined) {
    writeState(req, key, rest);
    return;
  }
  const sealed = await sealer.seal(tokens);
  sessionOf(req)[key] = { ...rest, sealed } satisfies RawState;
  opened.set(req, { sealed, tokens });
}

/**
 * Opens the session's sealed tokens for this request. Tokens that no configured secret opens
 * (the secret was changed without keeping the old one in the list, or the value was altered)
 * sign the user out instead of failing every request.
 */
export async function openState(req: Request, key: string, sealer: Sealer): Promise<void> {
  const raw = rawState(req, key);
  if (raw.tokens !== undefined) {
    const { tokens, ...rest } = raw;
    await saveTokens(req, key, { ...rest, tokens }, sealer);
    return;
  }
  if (raw.sealed === undefined || opened.get(req)?.sealed === raw.sealed) return;
  const tokens = await sealer.open<StoredTokens>(raw.sealed);
  if (tokens === undefined || typeof tokens.access_token !== 'string') {
    log('the session tokens could not be opened with the configured secret; signed out');
    const { sealed: _s, claims: _c, ...rest } = raw;
    writeState(req, key, rest);
    return;
  }
  opened.set(req, { sealed: raw.sealed, tokens });
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

/**
 * A session-store operation (save, regenerate, destroy) as a promise. A store that fails (Redis
 * down behind connect-redis) is a 503 with `Retry-After`, not a 500: the sign-in can be retried.
 */
export function promisify(fn: (cb: (err?: unknown) => void) => void): Promise<void> {
  return new Promise((resolve, reject) =>
    fn((err) => {
      if (!err) resolve();
      else {
        log('session store failed (%s)', (err as Error)?.message);
        reject(
          err instanceof EmpowerIDError
            ? err
            : new SharedUnavailableError('empowerid: the session store is unavailable; retry shortly', { cause: err }),
        );
      }
    }),
  );
}
