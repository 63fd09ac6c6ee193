// The example app: an Express app signed in with empowerid-express, using only its public API.
import { randomBytes } from 'node:crypto';
import express from 'express';
import session from 'express-session';
import { empowerid, errorHandler, requiresAuth, requireToken } from 'empowerid-express';
import { layout } from './views/layout.js';
import { apiPage, errorPage, homePage, profileErrorPage, profilePage, signedOutPage, signOutPage, tokensPage } from './views/pages.js';

/** A role no demo user holds, so the API page can show what a 403 looks like. */
export const RESTRICTED_ROLE = 'Payroll Administrator in Headquarters';

/**
 * @param {{
 *   config: ReturnType<typeof import('./config.js').loadConfig>,
 *   idp: { provider?: 'empowerid' | 'oidc', server: string, clientId: string, clientSecret: string, discoveryUrl?: string },
 *   demoUsers?: Array<{ username: string, password: string, name: string, organization: string, business_role_locations: string[] }>,
 * }} o
 */
export function createApp({ config, idp, demoUsers }) {
  const standard = idp.provider === 'oidc';
  const idpInfo = {
    url: idp.server,
    standard,
    label: standard ? 'your OpenID provider' : demoUsers ? 'EmpowerID (mock)' : 'EmpowerID',
  };
  const app = express();
  app.disable('x-powered-by');
  // Behind a TLS-terminating proxy, the secure cookie needs the proxy's X-Forwarded-Proto.
  if (config.baseURL.startsWith('https:')) app.set('trust proxy', 1);

  app.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'same-origin',
    });
    next();
  });
  app.use('/static', express.static(new URL('./public', import.meta.url).pathname, { maxAge: '1h' }));
  app.use(
    session({
      secret: config.sessionSecret ?? randomBytes(32).toString('hex'),
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.baseURL.startsWith('https:') },
    }),
  );

  const page = (req, title, active, body, script = false) =>
    layout({ title, active, body, script, user: req.empowerid?.user, idp: idpInfo });

  const auth = empowerid({
    ...idp,
    baseURL: config.baseURL,
    postLogoutRedirect: '/signed-out',
    refreshSkewSeconds: config.refreshSkewSeconds,
    // The library's error pages (cancelled, failed, expired sign-in…) in this app's layout.
    errorPage: (info, req) => page(req, info.title, undefined, errorPage(info)),
  });
  app.use(auth);

  app.get('/', (req, res) => {
    res.send(page(req, 'Home', 'home', homePage({ user: req.empowerid.user, demoUsers, idp: idpInfo })));
  });

  app.get('/profile', requiresAuth(), async (req, res) => {
    res.set('Cache-Control', 'no-store');
    let profile;
    try {
      profile = await req.empowerid.fetchProfile();
    } catch (err) {
      // The user is signed in; only the IdP's userinfo answer is missing. Not a sign-in failure.
      console.error(`Could not load the profile of ${req.empowerid.user?.sub}: ${err.message}`);
      res.status(502).send(page(req, 'Could not load your profile', 'profile', profileErrorPage({ idp: idpInfo, code: err.code })));
      return;
    }
    res.send(page(req, 'Profile', 'profile', profilePage({ user: req.empowerid.user, profile })));
  });

  app.get('/tokens', requiresAuth(), async (req, res) => {
    const accessToken = req.empowerid.accessToken;
    let introspection;
    let introspectionError;
    let introspectionEndpoint;
    try {
      introspectionEndpoint = (await auth.client.metadata()).introspection_endpoint;
      introspection = await auth.client.introspect(accessToken.value);
    } catch (err) {
      introspectionError = `The identity provider could not be asked: ${err.message}`;
    }
    const body = tokensPage({
      accessToken,
      introspection,
      introspectionError,
      introspectionEndpoint,
      idp: idpInfo,
      refreshSkewSeconds: config.refreshSkewSeconds,
    });
    res.set('Cache-Control', 'no-store').send(page(req, 'Tokens', 'tokens', body, true));
  });

  app.get('/api', requiresAuth(), (req, res) => {
    res.set('Cache-Control', 'no-store').send(page(req, 'API', 'api', apiPage({ restrictedRole: RESTRICTED_ROLE, idp: idpInfo }), true));
  });

  // The browser's copy of the access token for the API page, as a single-page app would hold it.
  // Same-origin only (no CORS), never cached. Passing through empowerid() renews it when due.
  app.get('/session/access-token', requiresAuth(), (req, res) => {
    const t = req.empowerid.accessToken;
    res.set('Cache-Control', 'no-store').json({ accessToken: t.value, expiresAt: t.expiresAt ?? null });
  });

  app.get('/api/me', requireToken(), (req, res) => {
    const { profile = {}, tokenInfo = {} } = req.empowerid;
    res.json({
      // EmpowerID's userinfo names (username, first_name…) or the standard claims (OIDC Core §5.1).
      username: profile.username ?? profile.preferred_username ?? tokenInfo.username ?? tokenInfo.sub,
      name: [profile.first_name, profile.last_name].filter(Boolean).join(' ') || profile.name || undefined,
      email: profile.email,
      organization: profile.organization,
      roles: profile.business_role_locations ?? [],
      token: { client_id: tokenInfo.client_id, scope: tokenInfo.scope, exp: tokenInfo.exp },
    });
  });

  app.get('/api/payroll', requireToken({ roles: [RESTRICTED_ROLE] }), (_req, res) => {
    res.json({ period: '2026-12', employees: 42, total: { currency: 'EUR', amount: 187_400 } });
  });

  app.get('/sign-out', (req, res) => {
    if (!req.empowerid.isAuthenticated()) {
      res.redirect(303, '/signed-out');
      return;
    }
    res.set('Cache-Control', 'no-store').send(page(req, 'Sign out', undefined, signOutPage({ idp: idpInfo })));
  });

  app.get('/signed-out', (req, res) => {
    // The IdP comes back with ?state=…; show the page at its plain address.
    if (Object.keys(req.query).length) {
      res.redirect(303, '/signed-out');
      return;
    }
    res.send(page(req, 'Signed out', undefined, signedOutPage({ idp: idpInfo })));
  });

  app.use((req, res) => {
    res
      .status(404)
      .send(
        page(
          req,
          'Page not found',
          undefined,
          errorPage({ title: 'Page not found', summary: `There is no page at ${req.path}.`, homeHref: '/' }),
        ),
      );
  });
  app.use(errorHandler());
  // Anything else: a friendly page for people, the details in the server's log.
  app.use((err, req, res, _next) => {
    console.error(err);
    if (res.headersSent) return;
    res
      .status(500)
      .send(
        page(
          req,
          'Something went wrong',
          undefined,
          errorPage({ title: 'Something went wrong', summary: 'The app hit an unexpected error. It has been logged.', homeHref: '/' }),
        ),
      );
  });
  return { app, client: auth.client };
}
