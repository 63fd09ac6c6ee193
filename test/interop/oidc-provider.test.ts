import express, { type Express } from 'express';
import session from 'express-session';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type EmpowerIDOptions, createClient, empowerid, requireToken, requiresAuth } from '../../src/index.js';
import {
  ALICE,
  type Agent,
  BASE_URL,
  CLIENT_ID,
  ProviderBrowser,
  type TestProvider,
  jwtPayload,
  sessionCookie,
  signIn,
  standardProviderOptions,
  startOidcProvider,
} from './harness.js';

// Interoperability with a certified OpenID provider: panva's oidc-provider runs in-process on a
// random loopback port, and the library is configured as a user would for any standard provider
// (discovery URL, client_secret_basic, bearer userinfo) — no EmpowerID layout, no mock.

let op: TestProvider;
beforeAll(async () => {
  op = await startOidcProvider();
});
afterAll(() => op?.close());
beforeEach(() => op.reset());

const SCOPE = 'openid profile email offline_access';
const ACCESS_TOKEN_TTL_MS = 600_000;

/** A settable clock for the library, so a test can move to just before the access token expires. */
function testClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => (offset += ms) };
}

function buildApp(overrides: Partial<EmpowerIDOptions> = {}): Express {
  const app = express();
  app.use(session({ secret: 'interop', resave: false, saveUninitialized: false, cookie: { sameSite: 'lax', httpOnly: true } }));
  app.use(
    empowerid({
      ...standardProviderOptions(op),
      baseURL: BASE_URL,
      // oidc-provider grants offline_access (a refresh token) only with prompt=consent (OIDC Core 11).
      scope: SCOPE,
      authorizationParams: { prompt: 'consent' },
      discoveryRetryBaseMs: 20,
      ...overrides,
    }),
  );
  app.get('/me', requiresAuth(), (req, res) => {
    const { value, scope, tokenType, expiresAt } = req.empowerid.accessToken ?? {};
    res.json({ user: req.empowerid.user, idToken: req.empowerid.idToken, accessToken: { value, scope, tokenType, expiresAt } });
  });
  app.get('/profile', requiresAuth(), async (req, res) => {
    res.json(await req.empowerid.fetchProfile());
  });
  return app;
}

function me(agent: Agent) {
  return agent.get('/me').set('Accept', 'application/json');
}

describe('sign-in with oidc-provider through the empowerid() router', () => {
  it('goes /login → provider login form → consent → /callback → /me with the ID token claims, regenerating the session', async () => {
    const agent = request.agent(buildApp());
    const browser = new ProviderBrowser(op.issuer);
    const s = await signIn(agent, browser);

    // The authorization request went to the discovered endpoint, with PKCE, state and nonce.
    expect(s.authorizeUrl.origin + s.authorizeUrl.pathname).toBe(`${op.issuer}/auth`);
    const q = s.authorizeUrl.searchParams;
    expect(Object.fromEntries(q)).toMatchObject({
      client_id: CLIENT_ID,
      redirect_uri: `${BASE_URL}/callback`,
      response_type: 'code',
      scope: SCOPE,
      prompt: 'consent',
      code_challenge_method: 'S256',
    });
    expect(q.get('state')).toBeTruthy();
    expect(q.get('nonce')).toBeTruthy();

    // The user saw the provider's own login and consent pages, and came back with code, state and iss.
    expect(s.prompts).toEqual(['login', 'consent']);
    expect(s.callbackUrl.origin + s.callbackUrl.pathname).toBe(`${BASE_URL}/callback`);
    expect(s.callbackUrl.searchParams.get('state')).toBe(q.get('state'));
    expect(s.callbackUrl.searchParams.get('iss')).toBe(op.issuer);
    expect(s.callbackUrl.searchParams.get('code')).toBeTruthy();

    expect(s.callback.status, s.callback.text).toBe(302);
    expect(s.callback.headers.location).toBe('/me');
    const before = sessionCookie(s.login);
    const after = sessionCookie(s.callback);
    expect(before).toBeDefined();
    expect(after).toBeDefined();
    expect(after).not.toBe(before); // no session fixation

    const res = await me(agent).expect(200);
    expect(res.body.user).toMatchObject({
      ...ALICE,
      iss: op.issuer,
      aud: CLIENT_ID,
      nonce: q.get('nonce'),
    });
    expect(jwtPayload(res.body.idToken)).toMatchObject({ sub: ALICE.sub, aud: CLIENT_ID, iss: op.issuer });
    // The session holds exactly what the provider issued.
    expect(res.body.accessToken.value).toBe(op.lastTokenResponse?.access_token);
    expect(res.body.idToken).toBe(op.lastTokenResponse?.id_token);
    expect(res.body.accessToken.tokenType.toLowerCase()).toBe('bearer');
    expect(res.body.accessToken.scope.split(' ').sort()).toEqual(SCOPE.split(' ').sort());

    // The code was exchanged once, with the client in HTTP Basic, and the provider saw no error.
    expect(op.grants).toEqual(['authorization_code']);
    expect(op.requests.filter((r) => r.path === '/token')).toEqual([{ method: 'POST', path: '/token', auth: 'basic' }]);
    expect(op.errors).toEqual([]);

    // A second app session in the same browser reuses the provider's session (SSO): consent only.
    const again = await signIn(request.agent(buildApp()), browser);
    expect(again.prompts).toEqual(['consent']);
    expect(again.callback.status).toBe(302);
  });

  it('a replayed callback makes no second code exchange (the signed-in browser goes on; a stranger is refused)', async () => {
    const agent = request.agent(buildApp());
    const s = await signIn(agent, new ProviderBrowser(op.issuer));
    const replay = await agent.get(s.callbackUrl.pathname + s.callbackUrl.search).set('Accept', 'application/json');
    expect(replay.status).toBe(302);
    const stranger = await request(buildApp())
      .get(s.callbackUrl.pathname + s.callbackUrl.search)
      .set('Accept', 'application/json');
    expect(stranger.status).toBe(400);
    expect(stranger.body.code).toBe('ERR_CALLBACK_NO_TRANSACTION');
    expect(op.grants).toEqual(['authorization_code']);
  });
});

describe('userinfo (bearer style)', () => {
  it('req.empowerid.fetchProfile() returns the account claims from the userinfo endpoint', async () => {
    const agent = request.agent(buildApp());
    await signIn(agent, new ProviderBrowser(op.issuer));
    op.reset();

    const profile = await agent.get('/profile').set('Accept', 'application/json');
    expect(profile.status, profile.text).toBe(200);
    expect(profile.body).toEqual({ ...ALICE });
    expect(op.requests).toEqual([{ method: 'GET', path: '/me', auth: 'bearer' }]);
    expect(op.errors).toEqual([]);
  });
});

describe('refresh against oidc-provider (rotating refresh tokens)', () => {
  it('renews silently once for concurrent requests, then on POST /refresh, keeping each rotated refresh token', async () => {
    const clock = testClock();
    const app = buildApp({ clock: clock.now });
    const agent = request.agent(app);
    await signIn(agent, new ProviderBrowser(op.issuer));
    const first = (await me(agent).expect(200)).body;
    expect(typeof op.lastTokenResponse?.refresh_token).toBe('string');
    op.reset();

    // 30 s before the access token expires: inside the 60 s skew, so the next requests renew it.
    clock.advance(ACCESS_TOKEN_TTL_MS - 30_000);
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => me(agent)));
    for (const r of concurrent) expect(r.status, r.text).toBe(200);
    const renewed = new Set(concurrent.map((r) => r.body.accessToken.value as string));
    expect(renewed.size).toBe(1);
    expect([...renewed][0]).not.toBe(first.accessToken.value);
    expect([...renewed][0]).toBe(op.lastTokenResponse?.access_token);
    expect(op.grants).toEqual(['refresh_token']); // one refresh for five requests
    expect(op.consumedRefreshTokens).toBe(1); // the provider rotated the refresh token
    for (const r of concurrent) expect(r.body.user.sub).toBe(ALICE.sub);

    // Explicit refreshes: each must present the newest refresh token. Presenting a rotated one is
    // replay to oidc-provider: invalid_grant and the whole grant revoked.
    for (let i = 0; i < 2; i += 1) {
      const refreshed = await agent.post('/refresh').set('Accept', 'application/json');
      expect(refreshed.status, refreshed.text).toBe(200);
      expect(refreshed.body.expiresAt).toBeGreaterThan(clock.now() + ACCESS_TOKEN_TTL_MS - 5_000);
      expect(refreshed.body.expiresAt).toBeLessThanOrEqual(clock.now() + ACCESS_TOKEN_TTL_MS);
    }
    expect(op.grants).toEqual(['refresh_token', 'refresh_token', 'refresh_token']);
    expect(op.consumedRefreshTokens).toBe(3);
    expect(op.requests.filter((r) => r.path === '/token').map((r) => r.auth)).toEqual(['basic', 'basic', 'basic']);
    expect(op.errors).toEqual([]);

    const now = (await me(agent).expect(200)).body;
    expect(now.accessToken.value).toBe(op.lastTokenResponse?.access_token);
    expect(now.user).toMatchObject({ sub: ALICE.sub, iss: op.issuer, aud: CLIENT_ID });
    expect(op.grants).toHaveLength(3); // the fresh token is not renewed again
  });

  it('ends the sign-in when the provider refuses the refresh token (invalid_grant)', async () => {
    const agent = request.agent(buildApp());
    await signIn(agent, new ProviderBrowser(op.issuer));
    const refreshToken = op.lastTokenResponse?.refresh_token as string;
    await createClient(standardProviderOptions(op)).revoke(refreshToken, 'refresh_token');
    op.reset();

    const refused = await agent.post('/refresh').set('Accept', 'application/json');
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('ERR_REFRESH_FAILED');
    expect(op.errors).toEqual([expect.objectContaining({ event: 'grant.error', error: 'invalid_grant' })]);
    const after = await me(agent);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('ERR_LOGIN_REQUIRED');
  });
});

describe('silent re-authentication (prompt=none) at oidc-provider, without a refresh token', () => {
  it('renews through prompt=none while the provider session lives, and falls back to the login on login_required', async () => {
    const clock = testClock();
    // No offline_access, no prompt=consent: oidc-provider issues no refresh token.
    const agent = request.agent(buildApp({ clock: clock.now, scope: 'openid profile email', authorizationParams: {} }));
    const browser = new ProviderBrowser(op.issuer);
    await signIn(agent, browser);
    expect(op.lastTokenResponse?.refresh_token).toBeUndefined();
    const first = (await me(agent).expect(200)).body.accessToken.value as string;

    clock.advance(ACCESS_TOKEN_TTL_MS);
    const page = await agent.get('/me').set('Accept', 'text/html').redirects(0).expect(302);
    expect(page.headers.location).toBe('/login?prompt=none&returnTo=%2Fme');
    const login = await agent
      .get(page.headers.location as string)
      .redirects(0)
      .expect(302);
    const authorizeUrl = new URL(login.headers.location as string);
    expect(authorizeUrl.searchParams.get('prompt')).toBe('none');

    // The provider answers at once, without a page, from its session and the grant already given.
    const silent = await browser.go(authorizeUrl.href);
    expect(silent.leftTo?.searchParams.get('code'), silent.body.slice(0, 300)).toBeTruthy();
    const back = await agent.get(silent.leftTo!.pathname + silent.leftTo!.search).redirects(0);
    expect(back.status, back.text).toBe(302);
    expect(back.headers.location).toBe('/me');
    const renewed = (await me(agent).expect(200)).body;
    expect(renewed.accessToken.value).not.toBe(first);
    expect(renewed.user).toMatchObject({ sub: ALICE.sub, iss: op.issuer, nonce: authorizeUrl.searchParams.get('nonce') });

    // A browser without a provider session: oidc-provider answers error=login_required, and the app
    // sends the user to the interactive login instead of showing an error.
    clock.advance(ACCESS_TOKEN_TTL_MS);
    const again = await agent.get('/me').set('Accept', 'text/html').redirects(0).expect(302);
    const login2 = await agent
      .get(again.headers.location as string)
      .redirects(0)
      .expect(302);
    const refused = await new ProviderBrowser(op.issuer).go(login2.headers.location as string);
    expect(refused.leftTo?.searchParams.get('error')).toBe('login_required');
    const fallback = await agent.get(refused.leftTo!.pathname + refused.leftTo!.search).redirects(0);
    expect(fallback.status, fallback.text).toBe(302);
    expect(fallback.headers.location).toBe('/login?returnTo=%2Fme');
  });
});

describe('RP-initiated logout at oidc-provider', () => {
  it('/logout sends id_token_hint, post_logout_redirect_uri and state; the provider accepts them and returns the browser', async () => {
    const agent = request.agent(buildApp());
    const browser = new ProviderBrowser(op.issuer);
    await signIn(agent, browser);
    const { idToken } = (await me(agent).expect(200)).body;

    const logout = await agent.post('/logout').redirects(0).expect(302);
    const end = new URL(logout.headers.location as string);
    expect(end.origin + end.pathname).toBe(`${op.issuer}/session/end`);
    expect(end.searchParams.get('id_token_hint')).toBe(idToken);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${BASE_URL}/`);
    const state = end.searchParams.get('state');
    expect(state).toBeTruthy();
    // src/core/client.ts leaves client_id out when there is a hint, but openid-client's
    // buildEndSessionUrl adds it back. Both are valid (RP-Initiated Logout 1.0 §2); what matters is
    // that it matches the hint's audience, or oidc-provider refuses the request.
    expect([null, CLIENT_ID]).toContain(end.searchParams.get('client_id'));

    // The provider validates the hint and the registered URI, then asks the user to confirm.
    const confirm = await browser.go(end.href);
    expect(confirm.status, confirm.body.slice(0, 500)).toBe(200);
    expect(confirm.body).toContain('op.logoutForm');
    const done = await browser.submit(confirm, { logout: 'yes' }, 'op.logoutForm');
    expect(done.leftTo?.href).toBe(`${BASE_URL}/?state=${encodeURIComponent(state as string)}`);
    expect(op.endSessions).toBe(1);
    expect(op.errors).toEqual([]);

    // Both sessions are over: the app's, and the provider's, so the next sign-in asks for the login
    // again. (The grant's tokens stay valid: with offline_access, oidc-provider keeps the grant past
    // logout by design.)
    expect((await me(agent)).status).toBe(401);
    const again = await signIn(request.agent(buildApp()), browser);
    expect(again.prompts).toEqual(['login', 'consent']);
  });

  it('without a signed-in user, /logout sends client_id instead of a hint, and the provider still returns the browser', async () => {
    const logout = await request(buildApp()).post('/logout').redirects(0).expect(302);
    const end = new URL(logout.headers.location as string);
    expect(end.origin + end.pathname).toBe(`${op.issuer}/session/end`);
    expect(end.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(end.searchParams.has('id_token_hint')).toBe(false);
    const state = end.searchParams.get('state') as string;

    const browser = new ProviderBrowser(op.issuer);
    const page = await browser.go(end.href); // no provider session: an auto-submitting form
    expect(page.status).toBe(200);
    const done = await browser.submit(page);
    expect(done.leftTo?.href).toBe(`${BASE_URL}/?state=${encodeURIComponent(state)}`);
    expect(op.errors).toEqual([]);
  });
});

describe('requireToken() with oidc-provider introspection', () => {
  it('accepts the provider’s opaque access tokens, checks scopes, and answers 401 invalid_token for unknown and revoked ones', async () => {
    const agent = request.agent(buildApp());
    await signIn(agent, new ProviderBrowser(op.issuer));
    const userToken = (await me(agent).expect(200)).body.accessToken.value as string;
    expect(userToken.split('.')).toHaveLength(1); // opaque, not a JWT: only introspection can tell

    const options = { ...standardProviderOptions(op), expectedIssuer: op.issuer, expectedClientIds: [CLIENT_ID] };
    const guard = requireToken(options);
    const api = express();
    api.get('/api/me', guard, (req, res) => res.json({ tokenInfo: req.empowerid.tokenInfo, profile: req.empowerid.profile }));
    api.get('/api/email', requireToken({ ...options, scopes: ['email'] }), (_req, res) => res.json({ ok: true }));
    api.get('/api/reports', requireToken({ ...options, scopes: ['api:read'] }), (_req, res) => res.json({ ok: true }));
    api.get('/api/machine', requireToken({ ...options, fetchProfile: false }), (req, res) => res.json(req.empowerid.tokenInfo));
    op.reset();

    const ok = await request(api).get('/api/me').auth(userToken, { type: 'bearer' });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.tokenInfo).toMatchObject({ active: true, sub: ALICE.sub, client_id: CLIENT_ID, iss: op.issuer });
    expect(ok.body.tokenInfo.scope.split(' ').sort()).toEqual(SCOPE.split(' ').sort());
    expect(ok.body.tokenInfo.exp).toBeGreaterThan(Date.now() / 1000);
    expect(ok.body.profile).toEqual({ ...ALICE });
    // (Each API-only guard has its own client, so discovery requests are left out.)
    expect(op.requests.filter((r) => !r.path.startsWith('/.well-known/'))).toEqual([
      { method: 'POST', path: '/token/introspection', auth: 'basic' },
      { method: 'GET', path: '/me', auth: 'bearer' },
    ]);

    await request(api).get('/api/email').auth(userToken, { type: 'bearer' }).expect(200);
    const forbidden = await request(api).get('/api/reports').auth(userToken, { type: 'bearer' }).expect(403);
    expect(forbidden.headers['www-authenticate']).toContain('error="insufficient_scope"');

    const unknown = await request(api).get('/api/me').auth('not-a-token-the-provider-issued', { type: 'bearer' }).expect(401);
    expect(unknown.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(unknown.body.error).toBe('invalid_token');

    // A machine token (client_credentials) has no user, so no userinfo; introspection alone.
    const eid = createClient(standardProviderOptions(op));
    const machine = await eid.clientCredentials({ scope: 'api:read' });
    const m = await request(api).get('/api/machine').auth(machine.access_token, { type: 'bearer' });
    expect(m.status, m.text).toBe(200);
    expect(m.body).toMatchObject({ active: true, client_id: CLIENT_ID, scope: 'api:read', iss: op.issuer });
    expect(m.body.sub).toBeUndefined();

    // Revoked at the provider (through the guard's verifier, which also evicts its cache entry).
    await guard.verifier!.revoke(userToken);
    const revoked = await request(api).get('/api/me').auth(userToken, { type: 'bearer' }).expect(401);
    expect(revoked.headers['www-authenticate']).toContain('error="invalid_token"');
    // Revoked elsewhere before the API ever saw it.
    const other = await eid.clientCredentials({ scope: 'api:read', forceNew: true });
    await eid.revoke(other.access_token);
    await request(api).get('/api/machine').auth(other.access_token, { type: 'bearer' }).expect(401);
    expect(op.errors).toEqual([]);
  });
});

describe('createClient() against oidc-provider with client_secret_basic', () => {
  it('client_credentials, introspect and revoke', async () => {
    const eid = createClient(standardProviderOptions(op));
    const before = Date.now();
    const tokens = await eid.clientCredentials({ scope: 'api:read' });
    expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 600, scope: 'api:read' });
    expect(tokens.access_token).toBe(op.lastTokenResponse?.access_token);
    expect(tokens.expires_at).toBeGreaterThanOrEqual(before + ACCESS_TOKEN_TTL_MS);
    expect(tokens.expires_at).toBeLessThanOrEqual(Date.now() + ACCESS_TOKEN_TTL_MS);
    expect((await eid.clientCredentials({ scope: 'api:read' })).access_token).toBe(tokens.access_token); // reused: no second request
    expect(op.grants).toEqual(['client_credentials']);

    const info = await eid.introspect(tokens.access_token);
    expect(info).toMatchObject({ active: true, client_id: CLIENT_ID, scope: 'api:read', token_type: 'Bearer', iss: op.issuer });
    await expect(eid.revoke(tokens.access_token)).resolves.toBeUndefined();
    expect(await eid.introspect(tokens.access_token)).toEqual({ active: false });

    expect(op.requests.map((r) => `${r.method} ${r.path} ${r.auth}`)).toEqual([
      'GET /.well-known/openid-configuration undefined',
      'POST /token basic',
      'POST /token/introspection basic',
      'POST /token/revocation basic',
      'POST /token/introspection basic',
    ]);
    expect(op.errors).toEqual([]);
  });

  it('maps the provider’s refusal of a wrong secret to invalid_client', async () => {
    const eid = createClient({ ...standardProviderOptions(op), clientSecret: 'wrong' });
    await expect(eid.clientCredentials()).rejects.toMatchObject({ code: 'ERR_OAUTH_ERROR', error: 'invalid_client' });
    await expect(eid.introspect('anything')).rejects.toMatchObject({ code: 'ERR_OAUTH_ERROR', error: 'invalid_client' });
    expect(op.errors.map((e) => `${e.event} ${e.error}`)).toEqual(['grant.error invalid_client', 'introspection.error invalid_client']);
  });
});
