import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { EmpowerIDClient, warnImplicitFlow } from '../core/client.js';
import { debug } from '../core/debug.js';
import { RefreshCoordinator } from '../core/refresh-coordinator.js';
import { SessionIndex } from '../core/session-index.js';
import { callbackHandler } from './callback.js';
import { type RouterState, contextMiddleware } from './context.js';
import { errorHandler } from './errors.js';
import { formBody } from './form-body.js';
import { loginHandler } from './login.js';
import { logoutGetHandler, logoutPostHandler } from './logout.js';
import { deploymentChecks } from './deployment-checks.js';
import { checkMount } from './mount.js';
import { checkOptionNames, EMPOWERID_OPTION_NAMES } from './option-names.js';
import { type EmpowerIDOptions, resolveEmpowerIDOptions } from './options.js';
import { refreshHandler } from './refresh.js';
import { reportErrors } from './report.js';
import { silentLogin } from './silent-login.js';
import { backchannelLogoutHandler } from './backchannel-logout.js';

const log = debug('router');
let warnedHttp = false;

/**
 * The sign-in router: `GET /login`, `GET|POST /callback`, `POST /logout` (and a `GET /logout` that
 * only logs out a same-origin fetch), `POST /refresh`, and
 * `req.empowerid` on every request after it. Options are validated here, at startup.
 *
 * Errors of the routes (state mismatch, IdP down, a cross-site logout, …) are answered by the
 * router itself, or passed to `next(err)` with `errors: 'next'`.
 *
 * @see EmpowerID docs: OAuth 2.0 / OIDC, Authorization Code Grant (with PKCE), Refresh Token Grant, RP-Initiated Logout;
 *   OpenID Connect Core 1.0 §3; RFC 9700 (OAuth 2.0 Security Best Current Practice)
 * @throws {@link ConfigurationError} at construction, naming the invalid option.
 *
 * @example
 * ```ts
 * app.use(session({ secret, resave: false, saveUninitialized: false }));
 * app.use(empowerid({ server: 'https://eid.example.com', clientId, clientSecret, baseURL: 'https://app.example.com' }));
 * ```
 */
export function empowerid(options: EmpowerIDOptions): Router & {
  /** The router's framework-free client, for grants, introspection or revocation outside a request. */
  client: EmpowerIDClient;
} {
  // Before any other check: a misspelt `clientSecert` is named as such, not as a missing clientSecret.
  checkOptionNames(options, EMPOWERID_OPTION_NAMES, 'empowerid()');
  const resolved = resolveEmpowerIDOptions(options);
  const client = new EmpowerIDClient(resolved.client);
  if (resolved.client.server.protocol === 'http:' && !warnedHttp) {
    warnedHttp = true;
    process.emitWarning(`empowerid: the identity provider ${resolved.client.server.origin} is reached over plain http; development only`, {
      code: 'EMPOWERID_INSECURE_HTTP',
    });
  }
  const { routes } = resolved;
  if (resolved.responseType === 'id_token token') warnImplicitFlow();
  // Discovery starts now, but an IdP that is down must not stop the app from starting.
  client.warmUp();
  // What the features need from the provider's metadata is named at startup, once discovery
  // completes; each use still fails with ERR_CONFIG_INVALID (logout: a local logout only).
  if (resolved.idpLogout && routes.logout) client.need('end_session_endpoint', 'endSession', 'RP-initiated logout (idpLogout)');
  if (resolved.revokeOnLogout && routes.logout) {
    client.need('revocation_endpoint', 'revocation', 'revoking the refresh token at logout (revokeOnLogout)');
  }
  client.needResponseMode(resolved.responseType, resolved.responseMode);
  // Logout and revocation here reach the token caches of every instance.
  resolved.shared.attach(client);
  const state: RouterState = {
    options: resolved,
    client,
    refresher: new RefreshCoordinator(client, resolved.shared),
    sessions: new SessionIndex(resolved.shared),
  };
  const router = express.Router() as Router & { client: EmpowerIDClient };

  router.use(checkMount(resolved));
  router.use(deploymentChecks(resolved));
  router.use(contextMiddleware(state));
  if (resolved.attemptSilentLogin) router.use(silentLogin(state));
  const authRoutes = [routes.login, routes.callback, routes.logout, routes.refresh].filter((r): r is string => r !== false);
  // Once for every answer of the auth routes, errors included: they set cookies or carry one-time values.
  if (authRoutes.length) router.all(authRoutes, noStore);
  if (routes.login) router.get(routes.login, loginHandler(state));
  if (routes.callback) {
    router.get(routes.callback, callbackHandler(state));
    router.post(routes.callback, ...formBody('64kb'), callbackHandler(state));
  }
  if (routes.logout) {
    // GET also answers HEAD (Express); that handler never logs out on HEAD.
    router.get(routes.logout, logoutGetHandler(state));
    router.post(routes.logout, ...logoutPostHandler(state));
  }
  if (routes.refresh) router.post(routes.refresh, refreshHandler(state));
  if (routes.backchannelLogout) router.post(routes.backchannelLogout, ...backchannelLogoutHandler(state));
  router.use(reportErrors());
  if (resolved.errors === 'render') router.use(errorHandler());
  log('routes login=%s callback=%s logout=%s refresh=%s', routes.login, routes.callback, routes.logout, routes.refresh);

  router.client = client;
  return router;
}

/** @internal Marks an answer as never cacheable (RFC 9111 §5.2.2.5), before any handler writes it. */
export function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.set('Cache-Control', 'no-store');
  next();
}
