import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { trimSlash } from '../core/config.js';
import { EmpowerIDError } from '../errors.js';
import type { ResolvedEmpowerIDOptions } from './options.js';

/**
 * `redirect_uri`, the login path and the logout form's action are built at startup from `baseURL`
 * and `routes`, so the router must run where `baseURL` says: at the root of the app, or inside a
 * sub-app mounted at `baseURL`'s path. Mounted anywhere else (`app.use('/auth', empowerid(...))`)
 * the IdP would send the browser to a URL the router does not serve, so every request through it
 * is refused with the fix, instead of a sign-in that fails later for a reason nobody can see.
 */
export function checkMount(options: ResolvedEmpowerIDOptions): RequestHandler {
  const prefix = trimSlash(options.baseURL.pathname);
  let refusal: EmpowerIDError | undefined;
  return (req: Request, _res: Response, next: NextFunction) => {
    const mountedAt = req.baseUrl;
    if (mountedAt === '' || mountedAt === prefix) {
      next();
      return;
    }
    refusal ??= new EmpowerIDError('ERR_CONFIG_INVALID', mountMessage(mountedAt, options));
    next(refusal);
  };
}

/** @internal */
export function mountMessage(mountedAt: string, options: ResolvedEmpowerIDOptions): string {
  const base = trimSlash(options.baseURL.href);
  const routes = Object.entries(options.routes)
    .filter(([, path]) => path !== false)
    .map(([name, path]) => `${name}: "${mountedAt}${path as string}"`)
    .join(', ');
  return (
    `empowerid: empowerid() is mounted under "${mountedAt}" (app.use("${mountedAt}", empowerid(...))), ` +
    `but its redirect_uri is ${options.redirectUri ?? `${base}${options.routes.callback}`}, which this mount does not serve. ` +
    `Mount it at the root, app.use(empowerid({...})), and to serve its routes under "${mountedAt}" set routes: { ${routes} } ` +
    `(and register ${base}${mountedAt}${options.routes.callback || '/callback'} at the identity provider)`
  );
}
