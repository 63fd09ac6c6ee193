import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { debug } from '../core/debug.js';
import { EmpowerIDError } from '../errors.js';
import { needsRenewal, routerStateOf } from './context.js';
import { renderError } from './errors.js';
import { readState } from './session.js';

const log = debug('requires-auth');

export interface RequiresAuthOptions {
  /** `render` (default): answer 401 JSON / redirect here. `next`: pass the error to `next(err)`. */
  errors?: 'render' | 'next';
}

/**
 * Protects browser routes. Browsers (`Accept: text/html`) are sent to the login route with
 * `returnTo`; other requests get a 401 JSON answer. Without a refresh token, an expired access
 * token is renewed by a silent (`prompt=none`) login.
 *
 * @example
 * ```ts
 * app.get('/me', requiresAuth(), (req, res) => res.json(req.empowerid.user));
 * ```
 */
export function requiresAuth(options: RequiresAuthOptions = {}): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const state = routerStateOf(req);
    // Every answer of the guard itself (redirect to login, 401) is never cacheable; the route's own
    // answer, after next(), is left to the route.
    const answer = () => res.set('Cache-Control', 'no-store');
    const fail = (err: EmpowerIDError) => {
      answer();
      if (options.errors === 'next') next(err);
      else renderError(err, req, res);
    };
    if (!state) {
      fail(new EmpowerIDError('ERR_CONFIG_INVALID', 'empowerid: requiresAuth() needs app.use(empowerid({...})) mounted before it'));
      return;
    }
    const { loginPath, sessionKey, silentReauth } = state.options;
    const browser = req.method === 'GET' && req.accepts(['json', 'html']) === 'html';
    const tokens = readState(req, sessionKey).tokens;
    if (!tokens) {
      if (browser && loginPath !== false) {
        answer().redirect(302, `${loginPath}?returnTo=${encodeURIComponent(req.originalUrl)}`);
        return;
      }
      fail(new EmpowerIDError('ERR_LOGIN_REQUIRED', 'empowerid: this route needs a signed-in user', { status: 401 }));
      return;
    }
    if (!tokens.refresh_token && silentReauth && browser && loginPath !== false && needsRenewal(req, state)) {
      log('access token expiring without a refresh token; silent re-authentication');
      answer().redirect(302, `${loginPath}?prompt=none&returnTo=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    next();
  };
}
