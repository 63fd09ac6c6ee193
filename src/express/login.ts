import type { NextFunction, Request, Response } from 'express';
import { debug } from '../core/debug.js';
import { safeReturnTo } from '../core/return-to.js';
import { EmpowerIDError } from '../errors.js';
import type { RouterState } from './context.js';
import { addTransaction, promisify, readState, sessionOf, writeState } from './session.js';

const log = debug('login');

/** GET /login: stores a PKCE + state + nonce transaction in the session and redirects to the IdP. */
export function loginHandler(state: RouterState) {
  const { options, client } = state;
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const session = sessionOf(req);
      if (!options.redirectUri) {
        throw new EmpowerIDError('ERR_CONFIG_INVALID', 'empowerid: the login route needs the callback route (routes.callback is false)');
      }
      const returnTo = safeReturnTo(req.query.returnTo, options.baseURL);
      // Only prompt=none is taken from the query: it is how silent re-authentication comes through.
      const prompt = req.query.prompt === 'none' ? 'none' : undefined;
      const { url, transaction } = await client.startLogin({
        redirectUri: options.redirectUri,
        scope: options.scope,
        responseType: options.responseType,
        responseMode: options.responseMode,
        extra: { ...options.authorizationParams },
        returnTo,
        ...(prompt && { prompt }),
      });
      writeState(req, options.sessionKey, addTransaction(readState(req, options.sessionKey), transaction));
      await promisify((cb) => session.save(cb));
      log('redirecting to the IdP (returnTo=%s)', returnTo);
      res.redirect(302, url.href);
    } catch (err) {
      next(err);
    }
  };
}
