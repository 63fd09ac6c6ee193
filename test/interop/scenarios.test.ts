import { once } from 'node:events';
import { type RequestListener, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClientOptions, type EmpowerIDClient, type EmpowerIDOptions, empowerid, requireToken, requiresAuth } from '../../src/index.js';
import { DEFAULT_USERS, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { ALICE, CLIENT_SECRET, SCENARIO_CLIENT_ID, type TestProvider, parseForm, startOidcProvider } from './harness.js';
import { type SitePage, SiteBrowser } from './site-browser.js';

// One scenario table, two providers: every scenario below is written once and run against the
// mock EmpowerID (EmpowerID mode, the default) and against oidc-provider, a certified OpenID
// provider (`provider: 'oidc'` and nothing else). The app listens on `localhost`, both providers
// on `127.0.0.1`: two sites, so a SameSite=Lax session cookie is not sent with the providers'
// form_post answers, as in a browser.

interface Idp {
  name: string;
  /** Everything the user writes to point the library at this provider. */
  client: ClientOptions;
  user: { sub: string; email: string };
  accessTokenTtlMs: number;
  /** Answers one page of the provider (login form, consent). */
  interact(browser: SiteBrowser, page: SitePage): Promise<SitePage>;
  /** Refresh-token grants the provider has answered so far. */
  refreshGrants(): number;
  close(): Promise<void>;
}

const SCOPE = 'openid profile email offline_access';
const IDP_HOST = '127.0.0.1';

// The app server outlives the apps: each scenario mounts its own app on it.
let appServer: Server;
let appUrl: string;
let current: RequestListener = (_req, res) => res.end();
let offset = 0;
const clock = () => Date.now() + offset;
const warnings: string[] = [];
const onWarning = (w: Error & { code?: string }) => w.code && warnings.push(w.code);

beforeAll(async () => {
  appServer = createServer((req, res) => current(req, res));
  appServer.listen(0, 'localhost');
  await once(appServer, 'listening');
  appUrl = `http://localhost:${(appServer.address() as AddressInfo).port}`;
  process.on('warning', onWarning);
});
afterAll(async () => {
  process.off('warning', onWarning);
  appServer.closeAllConnections();
  appServer.close();
});

async function mockIdp(): Promise<Idp> {
  const mock: MockEmpowerID = await startMockEmpowerID({
    autoLogin: false,
    clients: [
      {
        clientId: SCENARIO_CLIENT_ID,
        clientSecret: CLIENT_SECRET,
        redirectUris: [`${appUrl}/callback`],
        postLogoutRedirectUris: [`${appUrl}/`],
      },
    ],
  });
  const alice = DEFAULT_USERS[0] as (typeof DEFAULT_USERS)[number];
  return {
    name: 'mock EmpowerID',
    client: { server: mock.url, clientId: SCENARIO_CLIENT_ID, clientSecret: CLIENT_SECRET },
    user: { sub: alice.username, email: alice.email },
    accessTokenTtlMs: 3600_000,
    async interact(browser, page) {
      if (!parseForm(page.body)) throw new Error(`unexpected mock page ${page.url} (HTTP ${page.status}): ${page.body.slice(0, 400)}`);
      return browser.submit(page, { username: alice.username, password: alice.password, action: 'login' });
    },
    refreshGrants: () => mock.counts['token:refresh_token'] ?? 0,
    close: () => mock.close(),
  };
}

async function oidcProviderIdp(): Promise<Idp> {
  const op: TestProvider = await startOidcProvider({ appUrl });
  return {
    name: 'oidc-provider',
    client: { provider: 'oidc', server: op.issuer, clientId: SCENARIO_CLIENT_ID, clientSecret: CLIENT_SECRET },
    user: { sub: ALICE.sub, email: ALICE.email },
    accessTokenTtlMs: 600_000,
    async interact(browser, page) {
      if (page.body.includes('op.logoutForm')) return browser.submit(page, { logout: 'yes' }, 'op.logoutForm');
      const prompt = parseForm(page.body)?.fields.prompt;
      if (page.status !== 200 || !prompt)
        throw new Error(`unexpected provider page ${page.url} (HTTP ${page.status}): ${page.body.slice(0, 400)}`);
      if (prompt === 'login') return browser.submit(page, { login: ALICE.sub, password: 'any-password' });
      return browser.submit(page);
    },
    refreshGrants: () => op.grants.filter((g) => g === 'refresh_token').length,
    close: () => op.close(),
  };
}

interface App {
  client: EmpowerIDClient;
}

function mountApp(idp: Idp, overrides: Partial<EmpowerIDOptions> = {}): App {
  const app = express();
  app.use(session({ secret: 'scenarios', resave: false, saveUninitialized: false, cookie: { sameSite: 'lax', httpOnly: true } }));
  const router = empowerid({
    ...idp.client,
    baseURL: appUrl,
    scope: SCOPE,
    // oidc-provider issues a refresh token (offline_access) only with prompt=consent (OIDC Core §11).
    authorizationParams: { prompt: 'consent' },
    discoveryRetryBaseMs: 20,
    clock,
    ...overrides,
  } as EmpowerIDOptions);
  app.use(router);
  app.get('/', (_req, res) => res.send('home'));
  app.get('/me', requiresAuth(), (req, res) => {
    res.json({ user: req.empowerid.user, accessToken: req.empowerid.accessToken?.value });
  });
  app.get('/api', requireToken(), (req, res) => {
    res.json({ tokenInfo: req.empowerid.tokenInfo, profile: req.empowerid.profile });
  });
  current = app;
  return { client: router.client };
}

/** Follows the browser through the providers' pages and the auto-submitted forms back to the app. */
async function drive(browser: SiteBrowser, idp: Idp, page: SitePage): Promise<SitePage> {
  for (let steps = 0; steps < 12; steps += 1) {
    if (SiteBrowser.autoSubmits(page)) page = await browser.submit(page);
    else if (new URL(page.url).hostname === IDP_HOST) page = await idp.interact(browser, page);
    else return page;
  }
  throw new Error(`still not back at the app: ${page.url}`);
}

async function signIn(
  browser: SiteBrowser,
  idp: Idp,
): Promise<{ page: SitePage; me: { user: Record<string, unknown>; accessToken: string } }> {
  const page = await drive(browser, idp, await browser.navigate(`${appUrl}/login?returnTo=%2Fme`));
  if (page.status !== 200 || new URL(page.url).pathname !== '/me')
    throw new Error(`sign-in ended at ${page.url} (HTTP ${page.status}): ${page.body.slice(0, 400)}`);
  return { page, me: JSON.parse(page.body) as { user: Record<string, unknown>; accessToken: string } };
}

function authorizeRequest(browser: SiteBrowser): URLSearchParams {
  const sent = browser.sent.find((r) => new URL(r.url).hostname === IDP_HOST && r.url.includes('response_type='));
  if (!sent) throw new Error('no authorization request was sent');
  return new URL(sent.url).searchParams;
}

const callbackPosts = (browser: SiteBrowser) => browser.sent.filter((r) => r.method === 'POST' && new URL(r.url).pathname === '/callback');

describe.each([
  ['mock EmpowerID', mockIdp],
  ['oidc-provider', oidcProviderIdp],
] as const)('scenario table against %s', (_name, start) => {
  let idp: Idp;
  beforeAll(async () => {
    idp = await start();
  });
  afterAll(() => idp?.close());

  it('login with PKCE (S256), state and nonce: /login → provider → /callback → /me with the ID token claims', async () => {
    mountApp(idp);
    const browser = new SiteBrowser();
    const { me } = await signIn(browser, idp);
    const q = authorizeRequest(browser);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(q.get('state')).toBeTruthy();
    expect(q.get('nonce')).toBeTruthy();
    expect(q.has('response_mode')).toBe(false);
    expect(me.user).toMatchObject({ sub: idp.user.sub, email: idp.user.email });
  });

  it('hybrid code id_token with response_mode=form_post, across sites, with a SameSite=Lax session cookie', async () => {
    mountApp(idp, { responseType: 'code id_token' });
    const browser = new SiteBrowser();
    const { me } = await signIn(browser, idp);
    const q = authorizeRequest(browser);
    expect(q.get('response_type')).toBe('code id_token');
    expect(q.get('response_mode')).toBe('form_post');
    // The provider's form arrived cross-site without the session cookie; the relay brought it.
    const [fromIdp, relayed, ...more] = callbackPosts(browser);
    expect(more).toEqual([]);
    expect(fromIdp).toMatchObject({ crossSite: true });
    expect(fromIdp?.cookies).not.toContain('connect.sid');
    expect(relayed).toMatchObject({ crossSite: false });
    expect(relayed?.cookies).toContain('connect.sid');
    expect(me.user).toMatchObject({ sub: idp.user.sub });
  });

  it('silent refresh with refresh-token rotation: each renewal uses the newest refresh token', async () => {
    mountApp(idp);
    const browser = new SiteBrowser();
    const first = (await signIn(browser, idp)).me.accessToken;
    const before = idp.refreshGrants();
    const tokens = [first];
    try {
      for (let round = 1; round <= 2; round += 1) {
        offset = round * (idp.accessTokenTtlMs - 30_000);
        const page = await browser.navigate(`${appUrl}/me`);
        expect(page.status).toBe(200);
        tokens.push((JSON.parse(page.body) as { accessToken: string }).accessToken);
      }
    } finally {
      offset = 0;
    }
    // Both providers retire a used refresh token and revoke the grant on reuse: a second renewal
    // succeeds only with the rotated one.
    expect(new Set(tokens).size).toBe(3);
    expect(idp.refreshGrants() - before).toBe(2);
  });

  it('RP-initiated logout: the provider session ends too, and the browser comes back to the app', async () => {
    mountApp(idp);
    const browser = new SiteBrowser();
    await signIn(browser, idp);
    // A typed /logout is not same-origin: the app asks for confirmation with a form that POSTs.
    const confirm = await browser.navigate(`${appUrl}/logout`);
    const done = await drive(browser, idp, await browser.submit(confirm));
    expect(new URL(done.url).origin + new URL(done.url).pathname).toBe(`${appUrl}/`);
    const endSession = browser.sent.find((r) => new URL(r.url).hostname === IDP_HOST && new URL(r.url).searchParams.has('id_token_hint'));
    const endParams = new URL(endSession?.url ?? 'http://x/').searchParams;
    expect(endParams.get('post_logout_redirect_uri')).toBe(`${appUrl}/`);
    // global_logout is EmpowerID's own parameter: a standard provider is not sent it.
    expect(endParams.has('global_logout')).toBe(idp.client.provider !== 'oidc');
    expect((await browser.navigate(`${appUrl}/me`, {})).url).not.toBe(`${appUrl}/me`);
    // Signing in again asks for the password again: no provider session is left.
    const again = await browser.navigate(`${appUrl}/login`);
    expect(new URL(again.url).hostname).toBe(IDP_HOST);
    expect(again.body).toMatch(/password/i);
  });

  it('requireToken(): introspection and the userinfo profile for a signed-in user’s access token', async () => {
    mountApp(idp);
    const { me } = await signIn(new SiteBrowser(), idp);
    const ok = await fetch(`${appUrl}/api`, { headers: { authorization: `Bearer ${me.accessToken}` } });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { tokenInfo: Record<string, unknown>; profile: Record<string, unknown> };
    expect(body.tokenInfo).toMatchObject({ active: true, client_id: SCENARIO_CLIENT_ID });
    expect(body.profile).toMatchObject({ email: idp.user.email });
    const bad = await fetch(`${appUrl}/api`, { headers: { authorization: 'Bearer not-a-token-of-this-provider' } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/invalid_token/);
  });

  it('client credentials: an application token the provider introspects as active for this client', async () => {
    const { client } = mountApp(idp);
    const set = await client.clientCredentials();
    expect(set.token_type.toLowerCase()).toBe('bearer');
    expect(await client.introspect(set.access_token)).toMatchObject({ active: true, client_id: SCENARIO_CLIENT_ID });
  });

  it('revocation: a revoked access token is inactive at introspection and refused by requireToken()', async () => {
    const { client } = mountApp(idp);
    const { me } = await signIn(new SiteBrowser(), idp);
    expect((await fetch(`${appUrl}/api`, { headers: { authorization: `Bearer ${me.accessToken}` } })).status).toBe(200);
    await client.revoke(me.accessToken);
    expect((await client.introspect(me.accessToken)).active).toBe(false);
    expect((await fetch(`${appUrl}/api`, { headers: { authorization: `Bearer ${me.accessToken}` } })).status).toBe(401);
  });

  it('token exchange (RFC 8693): a user’s access token becomes a new one acting for the same user', async () => {
    const { client } = mountApp(idp);
    const { me } = await signIn(new SiteBrowser(), idp);
    const exchanged = await client.tokenExchange({ subjectToken: me.accessToken, scope: 'openid' });
    expect(exchanged.issued_token_type).toBe('urn:ietf:params:oauth:token-type:access_token');
    expect(exchanged.access_token).not.toBe(me.accessToken);
    const info = await client.introspect(exchanged.access_token);
    expect(info).toMatchObject({ active: true, sub: idp.user.sub });
  });

  it('implicit id_token token (explicit opt-in): form_post only, no PKCE, ID token validated, one deprecation warning', async () => {
    mountApp(idp, { responseType: 'id_token token' });
    const browser = new SiteBrowser();
    const { me } = await signIn(browser, idp);
    const q = authorizeRequest(browser);
    expect(q.get('response_type')).toBe('id_token token');
    expect(q.get('response_mode')).toBe('form_post');
    expect(q.has('code_challenge')).toBe(false);
    expect(me.user).toMatchObject({ sub: idp.user.sub });
    expect(me.user.at_hash).toEqual(expect.any(String));
    // The access token works at the provider.
    expect((await fetch(`${appUrl}/api`, { headers: { authorization: `Bearer ${me.accessToken}` } })).status).toBe(200);
    expect(warnings.filter((w) => w === 'EMPOWERID_IMPLICIT_FLOW')).toHaveLength(1);
  });
});
