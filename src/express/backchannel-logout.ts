import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { debug } from '../core/debug.js';
import { verifyLogoutToken } from '../core/logout-token.js';
import type { RouterState } from './context.js';
import { formBody } from './form-body.js';

const log = debug('backchannel-logout');

interface SessionStoreLike {
  destroy(id: string, cb: (err?: unknown) => void): void;
}

/**
 * POST /backchannel-logout (OpenID Connect Back-Channel Logout 1.0): the IdP posts a signed
 * `logout_token`; every session of that IdP session (`sid`) or user (`sub`) ends, on every instance
 * sharing the same `shared`. Sessions are destroyed in the session store, and marked ended so that
 * a store that still holds one (another instance's memory) cannot bring it back; their tokens are
 * evicted from the `requireToken()` caches (through `shared`, on every instance).
 */
export function backchannelLogoutHandler(state: RouterState): RequestHandler[] {
  const { options, client, sessions } = state;
  const handler = async (req: Request, res: Response, next: NextFunction) => {
    res.set('Cache-Control', 'no-store');
    try {
      const body = req.body as Record<string, unknown> | undefined;
      const subject = await verifyLogoutToken(client, options.shared, body?.logout_token);
      const { ids, tokenKeys } = await sessions.end(subject);
      const store = (req as unknown as { sessionStore?: SessionStoreLike }).sessionStore;
      if (store) {
        await Promise.all(
          ids.map(
            (id) =>
              new Promise<void>((resolve) =>
                store.destroy(id, (err) => {
                  if (err) log('session not destroyed in the store (%s); refused by its mark', (err as Error).message);
                  resolve();
                }),
              ),
          ),
        );
      }
      // Their tokens stop being accepted by requireToken() too: every cache of this IdP in the
      // process forgets them, and with a shared store so does every instance's.
      await client.forgetKeys(tokenKeys);
      log('back-channel logout ended %d session(s), %d token(s) forgotten', ids.length, tokenKeys.length);
      res.status(200).end();
    } catch (err) {
      next(err);
    }
  };
  return [...formBody('64kb'), handler];
}
