import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { debug } from '../core/debug.js';
import { EmpowerIDError } from '../errors.js';
import { type ClaimCheck, type Claims, claimChecks, isClaimCheck } from './claim-checks.js';
import { needsRenewal, routerStateOf } from './context.js';
import { renderError } from './errors.js';
import { reportOnce } from './report.js';
import { readState } from './session.js';

const log = debug('requires-auth');

/** Options of {@link requiresAuth}. */
export interface RequiresAuthOptions {
  /** `render` (default): answer 401 JSON / redirect here. `next`: pass the error to `next(err)`. */
  errors?: 'render' | 'next';
  /**
   * Checks on the ID-token claims ({@link claimEquals}, {@link claimIncludes}, {@link claimCheck},
   * {@link anyOf} for any-of) that must all pass; a signed-in user who fails one gets a 403 (a page for browsers, JSON otherwise).
   */
  claims?: ClaimCheck | ClaimCheck[];
}

/** @internal Shown when no empowerid() router ran before the guard. */
export const NO_ROUTER =
  'empowerid: requiresAuth() found no empowerid() on this request; mount app.use(empowerid({...})) at the root of the app, before this route (mounted under a path, as in app.use("/auth", empowerid(...)), it only sees requests under that path)';

/**
 * Protects browser routes. Browsers (`Accept: text/html`) are sent to the login route with
 * `returnTo`; other requests get a 401 JSON answer. Without a refresh token, an expired access
 * token is renewed by a silent (`prompt=none`) login. Claim checks may be given directly.
 *
 * Refusals are {@link EmpowerIDError}s answered by the guard (or passed to `next` with
 * `errors: 'next'`): `ERR_LOGIN_REQUIRED` (401) without a sign-in, `ERR_ACCESS_DENIED` (403) when a
 * claim check fails, `ERR_CONFIG_INVALID` when no `empowerid()` router ran before it.
 *
 * @see OpenID Connect Core 1.0 §3.1.2.1 (`prompt=none`)
 * @throws {@link ConfigurationError} at construction for invalid options or claim checks.
 *
 * @example
 * ```ts
 * app.get('/me', requiresAuth(), (req, res) => res.json(req.empowerid.user));
 * app.get('/admin', requiresAuth(claimIncludes('groups', 'admin')), handler);
 * ```
 */
export function requiresAuth(options: RequiresAuthOptions | ClaimCheck | ClaimCheck[] = {}): RequestHandler {
  const settings: RequiresAuthOptions = isClaimCheck(options) || Array.isArray(options) ? { claims: options } : options;
  const checks = claimChecks(settings.claims, 'claims');
  return (req: Request, res: Response, next: NextFunction) => {
    const state = routerStateOf(req);
    // Every answer of the guard itself (redirect to login, 401) is never cacheable; the route's own
    // answer, after next(), is left to the route.
    const answer = () => res.set('Cache-Control', 'no-store');
    const fail = (err: EmpowerIDError) => {
      answer();
      if (settings.errors === 'next') next(err);
      else renderError(err, req, res);
    };
    if (!state) {
      const err = new EmpowerIDError('ERR_CONFIG_INVALID', NO_ROUTER);
      reportOnce(err);
      fail(err);
      return;
    }
    const { loginPath, sessionKey, silentReauth } = state.options;
    const browser = req.method === 'GET' && req.accepts(['json', 'html']) === 'html';
    const stored = readState(req, sessionKey);
    const tokens = stored.tokens;
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
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i] as ClaimCheck;
      if (!check.test((stored.claims ?? {}) as Claims, req)) {
        log('claim check failed: %s', check.description);
        fail(
          new EmpowerIDError('ERR_ACCESS_DENIED', 'empowerid: you are signed in, but your account is not allowed to open this page', {
            status: 403,
          }),
        );
        return;
      }
    }
    next();
  };
}
