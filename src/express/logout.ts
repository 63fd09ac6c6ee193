import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { trimSlash } from '../core/config.js';
import { debug } from '../core/debug.js';
import { EmpowerIDError } from '../errors.js';
import type { RouterState } from './context.js';
import { formBody } from './form-body.js';
import { sendLogoutConfirmation } from './logout-page.js';
import { originVerdict } from './same-origin.js';
import { promisify, readState, sessionOf } from './session.js';

const log = debug('logout');

/**
 * What a logout ends: `local` only this app's session; `client` also this app at the IdP
 * (`global_logout=false`); `global` every EmpowerID application (`global_logout=true`).
 */
export type LogoutMode = 'local' | 'client' | 'global';
const MODES: ReadonlySet<unknown> = new Set(['local', 'client', 'global']);

/**
 * POST /logout, the main route: accepted only from this app's own pages (see {@link originVerdict});
 * a cross-site POST is a 403 and the session stays. Optional form field `mode`.
 */
export function logoutPostHandler(state: RouterState): RequestHandler[] {
  const { options } = state;
  // The origin is checked before the body is read: a cross-site request gets nothing parsed.
  const sameOriginOnly = (req: Request, _res: Response, next: NextFunction) => {
    if (originVerdict(req, options.baseURL) !== 'cross-site') {
      next();
      return;
    }
    log('cross-site logout refused (Sec-Fetch-Site=%s)', req.headers['sec-fetch-site'] ?? '-');
    next(
      new EmpowerIDError('ERR_CROSS_SITE_REQUEST', 'empowerid: logout must be requested from a page of this application', { status: 403 }),
    );
  };
  const logout = async (req: Request, res: Response, next: NextFunction) => {
    try {
      const body = req.body as Record<string, unknown> | undefined;
      await endSession(req, res, state, modeOf(body?.mode, state));
    } catch (err) {
      next(err);
    }
  };
  // A logout form has one short field; anything bigger is not one.
  return [sameOriginOnly, ...formBody('4kb'), logout];
}

/**
 * GET /logout: a same-origin fetch (`Sec-Fetch-Site: same-origin`) logs out as POST does; anything
 * else (a link from another site, an `<img>`, a bookmark, `HEAD`) gets a confirmation page whose one
 * button POSTs. A GET from another site therefore never ends a session.
 */
export function logoutGetHandler(state: RouterState) {
  const { options } = state;
  const action = `${trimSlash(options.baseURL.pathname)}${options.routes.logout}`;
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const raw = req.query.mode;
      const mode = modeOf(raw, state);
      if (req.method === 'GET' && req.headers['sec-fetch-site'] === 'same-origin') {
        await endSession(req, res, state, mode);
        return;
      }
      sendLogoutConfirmation(res, action, raw === undefined ? undefined : mode, `${trimSlash(options.baseURL.pathname)}/`);
    } catch (err) {
      next(err);
    }
  };
}

/** @internal The logout mode asked for, or the one the options imply. */
export function modeOf(value: unknown, { options }: RouterState): LogoutMode {
  if (value === undefined) return options.idpLogout ? (options.globalLogout ? 'global' : 'client') : 'local';
  if (!MODES.has(value)) {
    throw new EmpowerIDError('ERR_REQUEST_INVALID', 'empowerid: logout "mode" must be local, client or global', { status: 400 });
  }
  return value as LogoutMode;
}

/**
 * The logout itself, shared by both routes: the local session is destroyed first, whatever the IdP
 * does; the refresh token is revoked; then (unless `local`) the browser goes to EmpowerID's logout
 * with `id_token_hint`, `post_logout_redirect_uri`, `state` and `global_logout`. If the IdP's
 * metadata is unavailable, the user still ends up logged out locally.
 */
export async function endSession(req: Request, res: Response, { options, client }: RouterState, mode: LogoutMode): Promise<void> {
  const session = sessionOf(req);
  // Whoever calls it (the route or req.empowerid.logout()): the answer clears the session and its
  // redirect carries id_token_hint and a fresh state.
  res.set('Cache-Control', 'no-store');
  const { id_token: idToken, refresh_token: refreshToken, access_token: accessToken } = readState(req, options.sessionKey).tokens ?? {};
  await promisify((cb) => session.destroy(cb));
  // Guards on this instance must stop accepting the session's tokens now, even when the
  // sign-in happened on another instance (so this client never saw them issued).
  await client.forget(accessToken, refreshToken);
  if (refreshToken && options.revokeOnLogout) {
    // A refresh token outlives the session; revoke it so a leaked copy is worthless. Best effort:
    // an IdP that is down must not keep the user from logging out.
    await client.revoke(refreshToken, 'refresh_token').catch((err: Error) => log('refresh token not revoked (%s)', err.message));
  }
  if (mode === 'local') {
    res.redirect(302, options.postLogoutRedirectUri);
    return;
  }
  let target = options.postLogoutRedirectUri;
  try {
    const url = await client.endSessionUrl({
      ...(idToken && { idTokenHint: idToken }),
      postLogoutRedirectUri: options.postLogoutRedirectUri,
      state: randomBytes(16).toString('base64url'),
      globalLogout: mode === 'global',
    });
    target = url.href;
  } catch (err) {
    log('IdP logout unavailable (%s); local logout only', (err as Error).message);
  }
  res.redirect(302, target);
}
