import type { NextFunction, Request, Response } from 'express';
import { debug } from '../core/debug.js';
import { safeReturnTo } from '../core/return-to.js';
import { ConfigurationError, EmpowerIDError, SharedUnavailableError } from '../errors.js';
import type { RouterState } from './context.js';
import { loginStateOf, type StoredTransaction } from './hooks.js';
import { addTransaction, promisify, readState, sessionOf, writeState } from './session.js';

const log = debug('login');

/** How a login starts: from the login route, from `req.empowerid.login()`, or a silent attempt. */
export interface LoginStart {
  /** A path under baseURL; anything else falls back to `/`. */
  returnTo?: unknown;
  /** Merged over the `authorizationParams` option; PKCE, state, nonce and redirect_uri cannot be overridden. */
  authorizationParams?: Record<string, string>;
  prompt?: 'none';
  silentAttempt?: true;
}

/** GET /login: stores a PKCE + state + nonce transaction in the session and redirects to the IdP. */
export function loginHandler(state: RouterState) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      // Only prompt=none is taken from the query: it is how silent re-authentication comes through.
      await beginLogin(req, res, state, { returnTo: req.query.returnTo, ...(req.query.prompt === 'none' && { prompt: 'none' }) });
    } catch (err) {
      next(err);
    }
  };
}

/** Starts a login: the transaction goes into the session, the browser to the IdP. */
export async function beginLogin(req: Request, res: Response, { options, client }: RouterState, start: LoginStart): Promise<void> {
  const session = sessionOf(req);
  if (!options.redirectUri) {
    throw new EmpowerIDError('ERR_CONFIG_INVALID', 'empowerid: the login route needs the callback route (routes.callback is false)');
  }
  // A sign-in that could not be recorded in the shared store would fail at the callback.
  const { shared } = options;
  if (!shared.local && !shared.backend.connected) throw new SharedUnavailableError('empowerid: Redis is not connected; retry shortly');
  const returnTo = safeReturnTo(start.returnTo, options.baseURL);
  const extra = start.authorizationParams;
  if (extra !== undefined && (extra === null || typeof extra !== 'object' || Object.values(extra).some((v) => typeof v !== 'string'))) {
    throw new ConfigurationError('authorizationParams', 'of login() must be an object of string values');
  }
  const authorizationParams = { ...options.authorizationParams, ...extra };
  const loginState = loginStateOf(options.getLoginState, req, { returnTo, authorizationParams });
  const { url, transaction } = await client.startLogin({
    redirectUri: options.redirectUri,
    scope: options.scope,
    responseType: options.responseType,
    responseMode: options.responseMode,
    extra: authorizationParams,
    returnTo,
    ...(start.prompt && { prompt: start.prompt }),
  });
  const stored: StoredTransaction = {
    ...transaction,
    ...(loginState && { loginState }),
    ...(start.silentAttempt && { silentAttempt: true as const }),
  };
  writeState(req, options.sessionKey, addTransaction(readState(req, options.sessionKey), stored));
  await promisify((cb) => session.save(cb));
  log('redirecting to the IdP (returnTo=%s%s)', returnTo, start.silentAttempt ? ', silent attempt' : '');
  // Set here, not by the login route: login(), attemptSilentLogin and the route all redirect with
  // a fresh `state` and a session cookie, whoever started them.
  res.set('Cache-Control', 'no-store');
  res.redirect(302, url.href);
}
