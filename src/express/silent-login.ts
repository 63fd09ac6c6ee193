import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { trimSlash } from '../core/config.js';
import { debug } from '../core/debug.js';
import type { RouterState } from './context.js';
import { beginLogin } from './login.js';
import { readState } from './session.js';

const log = debug('silent-login');

/**
 * `attemptSilentLogin`: the first page a browser opens that is not signed in here is sent once to
 * the IdP with `prompt=none`. Signed in there, the visitor comes back signed in; not signed in,
 * `login_required` sends them back to the page, anonymous. A session cookie (no expiry: one per
 * browser session) remembers that the attempt was made, even when no session was saved.
 */
export function silentLogin(state: RouterState): RequestHandler {
  const { options } = state;
  const cookieName = `${options.sessionKey}.silent`;
  const cookiePath = trimSlash(options.baseURL.pathname) || '/';
  const secure = options.baseURL.protocol === 'https:';
  const own = new Set(Object.values(options.routes).filter((r): r is string => r !== false));
  return async (req: Request, res: Response, next: NextFunction) => {
    if (
      req.method !== 'GET' ||
      own.has(req.path) ||
      readState(req, options.sessionKey).tokens !== undefined ||
      hasCookie(req.headers.cookie, cookieName) ||
      // Top-level page loads only: not fetch(), images, frames or API clients.
      (req.headers['sec-fetch-mode'] !== undefined && req.headers['sec-fetch-mode'] !== 'navigate') ||
      req.accepts(['json', 'html']) !== 'html'
    ) {
      next();
      return;
    }
    try {
      res.cookie(cookieName, '1', { httpOnly: true, sameSite: 'lax', secure, path: cookiePath });
      log('silent login attempt for %s', req.path);
      await beginLogin(req, res, state, { returnTo: req.originalUrl, prompt: 'none', silentAttempt: true });
    } catch (err) {
      next(err);
    }
  };
}

function hasCookie(header: string | undefined, name: string): boolean {
  if (!header) return false;
  for (const part of header.split(';')) if (part.trim().startsWith(`${name}=`)) return true;
  return false;
}
