import type { ErrorRequestHandler, Request, Response } from 'express';
import { debug } from '../core/debug.js';
import { trimSlash } from '../core/config.js';
import {
  BearerError,
  ConfigurationError,
  EmpowerIDError,
  IdPResponseError,
  IdPUnavailableError,
  OAuthError,
  SharedUnavailableError,
} from '../errors.js';
import { routerStateOf } from './context.js';
import { defaultErrorPage, type ErrorPageInfo, type ErrorPageRenderer, errorPageInfo } from './error-page.js';

const log = debug('errors');

/** Options of `errorHandler()`. */
export interface ErrorHandlerOptions {
  /** Renders the page browsers see. Default: the `errorPage` option of `empowerid()`, else the library's page. */
  errorPage?: ErrorPageRenderer;
}

/**
 * Answers this library's errors: the status from the error, `WWW-Authenticate` for bearer
 * errors, `Retry-After` for an unavailable IdP; JSON for APIs, a short page for browsers. Never a
 * stack trace. Errors that are not ours go on to the next handler untouched.
 *
 * @see RFC 6750 §3 (`WWW-Authenticate`); RFC 9110 §10.2.3 (`Retry-After`)
 * @throws {@link ConfigurationError} (`errorHandler`, `errorPage`) for invalid options.
 *
 * @example
 * ```ts
 * app.use(errorHandler());
 * app.use(errorHandler({ errorPage: (info) => myLayout(info.title, info.summary) }));
 * ```
 */
export function errorHandler(options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('errorHandler', 'options must be an object');
  if (options.errorPage !== undefined && typeof options.errorPage !== 'function') {
    throw new ConfigurationError('errorPage', 'must be a function (info, req) => string of HTML');
  }
  return (err, req, res, next) => {
    if (!(err instanceof EmpowerIDError) || res.headersSent) {
      next(err);
      return;
    }
    renderError(err, req, res, options.errorPage);
  };
}

/** @internal */
export function renderError(err: EmpowerIDError, req: Request, res: Response, errorPage?: ErrorPageRenderer): void {
  res.status(err.status);
  res.set('Cache-Control', 'no-store');
  if (err instanceof BearerError) res.set('WWW-Authenticate', err.wwwAuthenticate);
  if (err instanceof IdPUnavailableError || err instanceof IdPResponseError || err instanceof SharedUnavailableError)
    res.set('Retry-After', String(err.retryAfter));
  const body = {
    error: err instanceof BearerError || err instanceof OAuthError ? (err.error ?? 'unauthorized') : errorName(err),
    error_description: publicMessage(err),
    code: err.code,
  };
  if (req.accepts(['json', 'html']) === 'html') {
    res.type('html').send(page(err, body.error, body.error_description, req, errorPage));
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

function page(err: EmpowerIDError, error: string, message: string, req: Request, explicit: ErrorPageRenderer | undefined): string {
  const options = routerStateOf(req)?.options;
  const info: ErrorPageInfo = errorPageInfo(err, error, message, {
    loginPath: options?.loginPath ?? false,
    homeHref: options ? `${trimSlash(options.baseURL.pathname)}/` : '/',
  });
  const render = explicit ?? options?.errorPage;
  if (render) {
    try {
      const html = render(info, req);
      if (typeof html === 'string') return html;
      log('errorPage returned %s, not a string; using the default page', typeof html);
    } catch (e) {
      // The app's renderer failing must not turn a clear error into a 500 without a page.
      log('errorPage threw (%s); using the default page', (e as Error).message);
      warnOnce(e);
    }
  }
  return defaultErrorPage(info);
}

let warned = false;
function warnOnce(e: unknown): void {
  if (warned) return;
  warned = true;
  process.emitWarning(`empowerid: the errorPage renderer threw (${(e as Error)?.message ?? String(e)}); the default error page was shown`, {
    code: 'EMPOWERID_ERROR_PAGE',
  });
}
