import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ResolvedEmpowerIDOptions } from './options.js';

/**
 * Deployment mistakes only a request can show: the session cookie express-session will not set
 * (a `secure` cookie over plain http, or behind a TLS proxy Express does not trust). Sign-in then
 * fails at the callback with "no login is in progress", far from the cause, so each is warned
 * about once, at the first request that shows it, as `EMPOWERID_COOKIE_NOT_SET`.
 */
export function deploymentChecks(options: ResolvedEmpowerIDOptions): RequestHandler {
  const httpsApp = options.baseURL.protocol === 'https:';
  let warnedHttpBase = false;
  let warnedProxy = false;
  return (req: Request, _res: Response, next: NextFunction) => {
    if (warnedHttpBase && warnedProxy) {
      next();
      return;
    }
    const secure = (req as unknown as { session?: { cookie?: { secure?: unknown } } }).session?.cookie?.secure;
    if (secure === true && !httpsApp && !warnedHttpBase) {
      warnedHttpBase = true;
      process.emitWarning(
        `empowerid: the session cookie is "secure" but baseURL (${options.baseURL.origin}) is plain http; express-session does not set a secure cookie over http, so sign-in fails with "no login is in progress". For local development use cookie: { secure: "auto" }, or serve the app over https`,
        { code: 'EMPOWERID_COOKIE_NOT_SET' },
      );
    }
    if (secure !== undefined && secure !== false && httpsApp && !req.secure && !warnedProxy) {
      warnedProxy = true;
      const forwarded = req.headers['x-forwarded-proto'];
      process.emitWarning(
        forwarded !== undefined
          ? `empowerid: baseURL is https and this request came through a proxy (X-Forwarded-Proto: ${String(forwarded)}), but Express does not trust the proxy, so req.secure is false and express-session sets no secure session cookie; sign-in then fails with "no login is in progress". Add app.set("trust proxy", 1) (the number of proxies in front of the app)`
          : 'empowerid: baseURL is https but this request reached the app over plain http without X-Forwarded-Proto, so express-session sets no secure session cookie; sign-in then fails with "no login is in progress". Behind a TLS proxy, have it send X-Forwarded-Proto and add app.set("trust proxy", 1)',
        { code: 'EMPOWERID_COOKIE_NOT_SET' },
      );
    }
    next();
  };
}
