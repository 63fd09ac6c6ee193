import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { EmpowerIDClient } from '../core/client.js';
import { TokenCache } from '../core/cache.js';
import { debug } from '../core/debug.js';
import type { RefreshCoordinator } from '../core/refresh-coordinator.js';
import type { SessionIndex } from '../core/session-index.js';
import { renewAt } from '../core/tokens.js';
import { EmpowerIDError, IdPResponseError, OAuthError } from '../errors.js';
import type { AccessTokenInfo, EmpowerIDRequestContext, UserClaims } from './augment.js';
import { loginControl, logoutControl } from './controls.js';
import type { ResolvedEmpowerIDOptions } from './options.js';
import type { TokenSet } from '../core/tokens.js';
import { type SessionState, applyTokens, openState, readState, saveTokens, sessionIdOf, sessionOf, writeState } from './session.js';

const log = debug('context');

/** What the router shares with its guards through the request. */
export interface RouterState {
  options: ResolvedEmpowerIDOptions;
  client: EmpowerIDClient;
  refresher: RefreshCoordinator;
  /** sid/sub → sessions, for back-channel logout. */
  sessions: SessionIndex;
}

const kState = Symbol.for('empowerid-express.router');

export function routerStateOf(req: Request): RouterState | undefined {
  return (req as unknown as Record<symbol, RouterState | undefined>)[kState];
}

/** Attaches `req.empowerid`, then renews an expiring access token before the route runs. */
export function contextMiddleware(state: RouterState): RequestHandler {
  const { options } = state;
  let checkedCookie = false;
  return async (req: Request, res: Response, next: NextFunction) => {
    let failure: unknown;
    try {
      const session = sessionOf(req);
      if (!checkedCookie) {
        checkedCookie = true;
        warnAboutCookie(options, session);
        warnAboutSecret(options, req);
      }
      (req as unknown as Record<symbol, RouterState>)[kState] = state;
      await openState(req, options.sessionKey, options.shared.sealer);
      if (readState(req, options.sessionKey).tokens && (await state.sessions.isEnded(sessionIdOf(req)))) {
        log('session ended by a back-channel logout; signed out');
        const { tokens: _t, claims: _c, ...rest } = readState(req, options.sessionKey);
        writeState(req, options.sessionKey, rest);
      }
      req.empowerid = Object.assign(buildContext(req, state), {
        login: loginControl(req, res, state),
        logout: logoutControl(req, res, state),
      });
      if (options.autoRefresh && needsRenewal(req, state)) {
        if (readState(req, options.sessionKey).tokens?.refresh_token) await refreshSession(req, state, 'silent');
        else log('access token expiring and no refresh token; silent re-authentication happens in requiresAuth()');
      }
    } catch (err) {
      failure = err;
    }
    // Outside the try: an error thrown further down the chain must not come back through here.
    next(failure);
  };
}

export function needsRenewal(req: Request, state: RouterState): boolean {
  const { options } = state;
  const tokens = readState(req, options.sessionKey).tokens;
  if (!tokens?.expires_at) return false;
  return state.client.config.clock() >= renewAt(tokens.expires_at, tokens.expires_in, options.refreshSkewSeconds);
}

/**
 * Renews the session's tokens through the coordinator, so concurrent requests of one session
 * share one call. `invalid_grant` ends the sign-in; other failures (IdP down) keep the session
 * and, in silent mode, let the request continue with the token it has.
 */
export async function refreshSession(
  req: Request,
  { options, refresher, sessions }: RouterState,
  mode: 'silent' | 'explicit',
): Promise<void> {
  const current = readState(req, options.sessionKey);
  const refreshToken = current.tokens?.refresh_token;
  if (!refreshToken) {
    throw new EmpowerIDError('ERR_REFRESH_FAILED', 'empowerid: the session has no refresh token', { status: 400 });
  }
  try {
    const set = await refresher.refresh(refreshToken);
    await saveTokens(req, options.sessionKey, applyTokens(readState(req, options.sessionKey), set), options.shared.sealer);
    // A back-channel logout evicts the tokens the session holds now, and the ones just replaced.
    if (current.claims) {
      await sessions.recordTokens(
        sessionIdOf(req),
        tokenKeys(set.access_token, set.refresh_token, current.tokens?.access_token, refreshToken),
      );
    }
    log('tokens renewed');
  } catch (err) {
    if (err instanceof OAuthError && (err.error === 'invalid_grant' || err.error === 'invalid_client')) {
      log('refresh refused (%s); ending the sign-in', err.error);
      const { tokens: _t, claims: _c, ...rest } = readState(req, options.sessionKey);
      writeState(req, options.sessionKey, rest);
      if (mode === 'explicit') {
        throw new EmpowerIDError('ERR_REFRESH_FAILED', `empowerid: the refresh token was refused (${err.error}); sign in again`, {
          status: 401,
          cause: err,
        });
      }
      return;
    }
    if (mode === 'explicit') throw err;
    log('refresh failed (%s); continuing with the current token', (err as Error).message);
  }
}

/**
 * The sign-in's tokens go into the (freshly regenerated) session, sealed, and the session is
 * indexed under the ID token's `sid` and `sub` for back-channel logout, with its tokens' cache keys.
 */
export async function establishSession(
  req: Request,
  state: RouterState,
  set: TokenSet,
  extra: Omit<SessionState, 'tokens'> = {},
): Promise<void> {
  const key = state.options.sessionKey;
  await saveTokens(req, key, { ...applyTokens({}, set), ...extra }, state.options.shared.sealer);
  if (set.claims) await state.sessions.record(sessionIdOf(req), set.claims, tokenKeys(set.access_token, set.refresh_token));
}

/** The cache keys of tokens (SHA-256, what the index keeps), without the absent ones. */
function tokenKeys(...tokens: (string | undefined)[]): string[] {
  return tokens.flatMap((token) => (token ? [TokenCache.keyFor(token)] : []));
}

// Once: without a secret, the tokens are sealed under a key that dies with the process.
function warnAboutSecret(options: ResolvedEmpowerIDOptions, req: Request): void {
  if (options.shared.sealer.configured || req.app?.get('env') !== 'production') return;
  process.emitWarning(
    'empowerid: no "secret" is set, so session tokens are sealed under a random key of this process: sign-ins do not survive a restart nor reach another instance. Set empowerid({ secret }) or redisShared(client, { secret })',
    { code: 'EMPOWERID_NO_SECRET' },
  );
}

// Loud once: a session cookie without `secure` on an https app can leak over plain http.
function warnAboutCookie(options: ResolvedEmpowerIDOptions, session: Record<string, unknown>): void {
  const cookie = session.cookie as { secure?: boolean | 'auto'; httpOnly?: boolean; sameSite?: boolean | string } | undefined;
  if (options.baseURL.protocol === 'https:' && cookie && !cookie.secure) {
    process.emitWarning(
      'empowerid: baseURL is https but the session cookie is not "secure"; set cookie: { secure: true } (and app.set("trust proxy", 1) behind a proxy)',
      {
        code: 'EMPOWERID_INSECURE_COOKIE',
      },
    );
  }
  if (cookie && (cookie.sameSite === 'strict' || cookie.sameSite === true)) {
    process.emitWarning(
      'empowerid: the session cookie is sameSite "strict"; browsers drop it on the redirect back from the IdP, so /callback finds no login in progress. Use sameSite: "lax"',
      { code: 'EMPOWERID_INSECURE_COOKIE' },
    );
  } else if (cookie && !cookie.sameSite) {
    process.emitWarning('empowerid: the session cookie has no sameSite attribute; set cookie: { sameSite: "lax" }', {
      code: 'EMPOWERID_INSECURE_COOKIE',
    });
  }
  if (cookie && cookie.httpOnly === false) {
    process.emitWarning('empowerid: the session cookie is not httpOnly; scripts on the page can read it', {
      code: 'EMPOWERID_INSECURE_COOKIE',
    });
  }
}

function buildContext(req: Request, state: RouterState): Omit<EmpowerIDRequestContext, 'login' | 'logout'> {
  const key = state.options.sessionKey;
  return {
    isAuthenticated: () => Boolean(readState(req, key).tokens),
    get user() {
      const s = readState(req, key);
      return s.tokens ? (s.claims as UserClaims | undefined) : undefined;
    },
    get idToken() {
      return readState(req, key).tokens?.id_token;
    },
    get accessToken(): AccessTokenInfo | undefined {
      const t = readState(req, key).tokens;
      if (!t) return undefined;
      return {
        value: t.access_token,
        expiresAt: t.expires_at,
        scope: t.scope,
        tokenType: t.token_type,
        isExpired: () => t.expires_at !== undefined && state.client.config.clock() >= t.expires_at,
      };
    },
    fetchProfile: async () => {
      const t = readState(req, key).tokens;
      if (!t) throw new EmpowerIDError('ERR_LOGIN_REQUIRED', 'empowerid: no signed-in user', { status: 401 });
      const profile = await state.client.userinfo(t.access_token);
      // OIDC Core §5.3.2: a userinfo `sub` that is not the ID token's belongs to someone else.
      const sub = readState(req, key).claims?.sub;
      if (profile.sub !== undefined && sub !== undefined && profile.sub !== sub) {
        throw new IdPResponseError('empowerid: the userinfo answer is for another subject than the signed-in user');
      }
      return profile;
    },
    refresh: () => refreshSession(req, state, 'explicit'),
  };
}
