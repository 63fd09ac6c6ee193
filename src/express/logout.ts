import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { debug } from '../core/debug.js';
import type { RouterState } from './context.js';
import { promisify, readState, sessionOf } from './session.js';

const log = debug('logout');

/**
 * GET /logout: the local session is destroyed first, whatever the IdP does; then the browser goes
 * to EmpowerID's logout with `id_token_hint`, `post_logout_redirect_uri`, `state` and
 * `global_logout`. If the IdP's metadata is unavailable, the user still ends up logged out locally.
 */
export function logoutHandler(state: RouterState) {
  const { options, client } = state;
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const session = sessionOf(req);
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
      if (!options.idpLogout) {
        res.redirect(302, options.postLogoutRedirectUri);
        return;
      }
      let target = options.postLogoutRedirectUri;
      try {
        const url = await client.endSessionUrl({
          ...(idToken && { idTokenHint: idToken }),
          postLogoutRedirectUri: options.postLogoutRedirectUri,
          state: randomBytes(16).toString('base64url'),
          globalLogout: options.globalLogout,
        });
        target = url.href;
      } catch (err) {
        log('IdP logout unavailable (%s); local logout only', (err as Error).message);
      }
      res.redirect(302, target);
    } catch (err) {
      next(err);
    }
  };
}
