import type { Request, Response } from 'express';
import type { LoginOptions, LogoutOptions } from './augment.js';
import type { RouterState } from './context.js';
import { beginLogin } from './login.js';
import { endSession, modeOf } from './logout.js';

/** `req.empowerid.login()`: the login route's work, started from any route of the app. */
export function loginControl(req: Request, res: Response, state: RouterState) {
  return (options: LoginOptions = {}): Promise<void> =>
    beginLogin(req, res, state, {
      returnTo: options.returnTo ?? req.originalUrl,
      ...(options.authorizationParams !== undefined && { authorizationParams: options.authorizationParams }),
    });
}

/** `req.empowerid.logout()`: the same {@link endSession} as `POST /logout`. */
export function logoutControl(req: Request, res: Response, state: RouterState) {
  return (options: LogoutOptions = {}): Promise<void> => endSession(req, res, state, modeOf(options.mode, state));
}
