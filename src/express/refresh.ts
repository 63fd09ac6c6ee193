import type { NextFunction, Request, Response } from 'express';
import { EmpowerIDError } from '../errors.js';
import { type RouterState, refreshSession } from './context.js';
import { readState } from './session.js';

/** POST /refresh: renews the tokens now; answers `{ expiresAt }` for single-page apps. */
export function refreshHandler(state: RouterState) {
  const { options } = state;
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (!readState(req, options.sessionKey).tokens) {
        throw new EmpowerIDError('ERR_LOGIN_REQUIRED', 'empowerid: no signed-in user', { status: 401 });
      }
      await refreshSession(req, state, 'explicit');
      const expiresAt = readState(req, options.sessionKey).tokens?.expires_at ?? null;
      res.set('Cache-Control', 'no-store').json({ expiresAt });
    } catch (err) {
      next(err);
    }
  };
}
