import type { ErrorRequestHandler, Request, Response } from 'express';
import { BearerError, EmpowerIDError, IdPResponseError, IdPUnavailableError, OAuthError } from '../errors.js';

/**
 * Answers this library's errors: the status from the error, `WWW-Authenticate` for bearer
 * errors, `Retry-After` for an unavailable IdP; JSON for APIs, a short page for browsers. Never a
 * stack trace. Errors that are not ours go on to the next handler untouched.
 *
 * @example
 * ```ts
 * app.use(errorHandler());
 * ```
 */
export function errorHandler(): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (!(err instanceof EmpowerIDError) || res.headersSent) {
      next(err);
      return;
    }
    renderError(err, req, res);
  };
}

/** @internal */
export function renderError(err: EmpowerIDError, req: Request, res: Response): void {
  res.status(err.status);
  res.set('Cache-Control', 'no-store');
  if (err instanceof BearerError) res.set('WWW-Authenticate', err.wwwAuthenticate);
  if (err instanceof IdPUnavailableError || err instanceof IdPResponseError) res.set('Retry-After', String(err.retryAfter));
  const body = {
    error: err instanceof BearerError || err instanceof OAuthError ? (err.error ?? 'unauthorized') : errorName(err),
    error_description: publicMessage(err),
    code: err.code,
  };
  if (req.accepts(['json', 'html']) === 'html') {
    res.type('html').send(page(err.status, body.error_description));
    return;
  }
  res.json(body);
}

function errorName(err: EmpowerIDError): string {
  if (err.status === 401) return 'unauthorized';
  if (err.status === 503) return 'temporarily_unavailable';
  if (err.status >= 500) return 'server_error';
  return 'invalid_request';
}

// Messages are written for users: they name the cause but never contain tokens or secrets.
function publicMessage(err: EmpowerIDError): string {
  return err.message.replace(/^empowerid: /, '');
}

function page(status: number, message: string): string {
  const escaped = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const title =
    status === 401 ? 'Sign-in required' : status === 403 ? 'Access denied' : status >= 500 ? 'Sign-in unavailable' : 'Sign-in failed';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${escaped}</p><p><a href="/">Back to the start page</a></p></body></html>`;
}
