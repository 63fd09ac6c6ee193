import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import session from 'express-session';
import { type JWTPayload, SignJWT, UnsecuredJWT, importJWK } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type EmpowerIDOptions, type Shared, empowerid, memoryShared, requireToken, requiresAuth } from '../../src/index.js';
import {
  ALICE,
  BASE_URL,
  CLIENT_ID,
  ProviderBrowser,
  type TestProvider,
  signIn,
  standardProviderOptions,
  startOidcProvider,
} from './harness.js';

// OpenID Connect Back-Channel Logout 1.0 against oidc-provider: the provider posts a logout_token
// to the app's /backchannel-logout when the user signs out at the provider, and the app's
// sessions of that provider session end, on every instance sharing one `shared`.

const SECRET = 'a back-channel test secret of 32+ characters';
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

let op: TestProvider;
let server: Server;
let shared: Shared;
let appA: Express;
let appB: Express;
let storeB: session.MemoryStore;

function buildApp(store: session.Store, overrides: Partial<EmpowerIDOptions> = {}): Express {
  const app = express();
  app.use(session({ store, secret: 'bcl', resave: false, saveUninitialized: false, cookie: { sameSite: 'lax' } }));
  app.use(empowerid({ ...standardProviderOptions(op), baseURL: BASE_URL, shared, discoveryRetryBaseMs: 20, ...overrides }));
  app.get('/me', requiresAuth(), (req, res) => res.json({ user: req.empowerid.user }));
  app.get('/api', requireToken(), (_req, res) => res.json({ ok: true }));
  return app;
}

beforeAll(async () => {
  // The provider must know where to post, so the app's server listens before the provider starts.
  server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  op = await startOidcProvider({ backchannelLogoutUri: `http://127.0.0.1:${port}/backchannel-logout` });
  shared = memoryShared({ secret: SECRET });
  // Two instances with one shared coordination handle but separate session stores, so instance A
  // still holds a session that the back-channel call to instance B ended.
  appA = buildApp(new session.MemoryStore());
  storeB = new session.MemoryStore();
  appB = buildApp(storeB);
  server.on('request', appB);
});
afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await op?.close();
});
beforeEach(() => op.reset());

async function logoutToken(claims: JWTPayload, options: { key?: 'provider' | 'foreign'; alg?: string } = {}): Promise<string> {
  const base: JWTPayload = {
    iss: op.issuer,
    aud: CLIENT_ID,
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 120,
    jti: randomUUID(),
    events: { [EVENT]: {} },
    sub: ALICE.sub,
    sid: randomUUID(),
    ...claims,
  };
  for (const [k, v] of Object.entries(base)) if (v === undefined) delete base[k];
  if (options.alg === 'none') return new UnsecuredJWT(base).encode();
  const jwk =
    options.key === 'foreign'
      ? { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: op.signingKey.kid }
      : op.signingKey;
  const key = await importJWK(jwk as Parameters<typeof importJWK>[0], 'RS256');
  return new SignJWT(base).setProtectedHeader({ alg: 'RS256', kid: String(op.signingKey.kid), typ: 'logout+jwt' }).sign(key);
}

const introspections = () => op.requests.filter((r) => r.path === '/token/introspection').length;
const callApi = (app: Express, token: string) => request(app).get('/api').set('Accept', 'application/json').auth(token, { type: 'bearer' });

const post = (token: string | undefined) =>
  request(appB)
    .post('/backchannel-logout')
    .type('form')
    .set('Accept', 'application/json')
    .send(token === undefined ? {} : { logout_token: token });

describe('back-channel logout from oidc-provider', () => {
  it('the user signs out at the provider: it posts a logout_token, and the session ends on both instances', async () => {
    const browser = new ProviderBrowser(op.issuer);
    const agentA = request.agent(appA);
    await signIn(agentA, browser);
    await agentA.get('/me').set('Accept', 'application/json').expect(200);

    // Signing out at the provider itself (not through the app): it asks to confirm, then posts.
    const confirm = await browser.go(`${op.issuer}/session/end?client_id=${encodeURIComponent(CLIENT_ID)}`);
    expect(confirm.body).toContain('op.logoutForm');
    await browser.submit(confirm, { logout: 'yes' }, 'op.logoutForm');
    expect(op.backchannel.failed).toEqual([]);
    expect(op.backchannel.delivered).toBe(1);

    // Instance A's own store still holds the session; it is refused all the same.
    const res = await agentA.get('/me').set('Accept', 'application/json');
    expect(res.status).toBe(401);
  });

  it("the ended session's access token is no longer answered from requireToken()'s cache", async () => {
    const browser = new ProviderBrowser(op.issuer);
    await signIn(request.agent(appA), browser);
    const accessToken = String(op.lastTokenResponse?.access_token);
    // Cached on instance B: a second call does not ask the provider.
    await callApi(appB, accessToken).expect(200);
    await callApi(appB, accessToken).expect(200);
    expect(introspections()).toBe(1);

    const confirm = await browser.go(`${op.issuer}/session/end?client_id=${encodeURIComponent(CLIENT_ID)}`);
    await browser.submit(confirm, { logout: 'yes' }, 'op.logoutForm');
    expect(op.backchannel.delivered).toBe(1);

    // The provider's answer decides again, not the cache: it revoked the grant with its session.
    const res = await callApi(appB, accessToken);
    expect(introspections()).toBe(2);
    expect(res.status).toBe(401);
  });

  it('after a refresh, both the new access token and the one it replaced are evicted', async () => {
    // oidc-provider issues a refresh token only for offline_access with prompt=consent.
    const withRefresh = buildApp(new session.MemoryStore(), {
      scope: 'openid profile offline_access',
      authorizationParams: { prompt: 'consent' },
    });
    const agent = request.agent(withRefresh);
    await signIn(agent, new ProviderBrowser(op.issuer));
    expect(op.lastTokenResponse?.refresh_token).toEqual(expect.any(String));
    const first = String(op.lastTokenResponse?.access_token);
    await agent.post('/refresh').set('Accept', 'application/json').expect(200);
    const second = String(op.lastTokenResponse?.access_token);
    expect(second).not.toBe(first);
    await callApi(appB, first).expect(200);
    await callApi(appB, second).expect(200);
    expect(introspections()).toBe(2);

    // A logout_token with sub only: the provider itself revoked nothing, so both tokens are still
    // active there, and each is asked about again instead of being answered from the cache.
    await post(await logoutToken({ sid: undefined })).expect(200);
    await agent.get('/me').set('Accept', 'application/json').expect(401);
    await callApi(appB, first).expect(200);
    await callApi(appB, second).expect(200);
    expect(introspections()).toBe(4);
  });

  it('a logout_token with only sub ends every session of that user', async () => {
    const browser = new ProviderBrowser(op.issuer);
    const agent = request.agent(appA);
    await signIn(agent, browser);
    await agent.get('/me').set('Accept', 'application/json').expect(200);
    await post(await logoutToken({ sid: undefined })).expect(200);
    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });

  it('a valid token answers 200 with Cache-Control: no-store', async () => {
    const res = await post(await logoutToken({})).expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  const attacks: Array<[string, () => Promise<string | undefined>, RegExp]> = [
    ['no logout_token', async () => undefined, /no logout_token/],
    ['not a JWT', async () => 'garbage', /not a valid signed JWT/],
    ['alg none', () => logoutToken({}, { alg: 'none' }), /not accepted|not a valid/],
    ['signed by a key not in the JWKS (same kid)', () => logoutToken({}, { key: 'foreign' }), /signature/],
    ['another issuer', () => logoutToken({ iss: 'https://evil.example' }), /"iss"/],
    ['another audience', () => logoutToken({ aud: 'another-client' }), /"aud"/],
    ['no iat', () => logoutToken({ iat: undefined }), /"iat"/],
    ['iat ten minutes old', () => logoutToken({ iat: Math.floor(Date.now() / 1000) - 600, exp: undefined }), /"iat"/],
    ['no jti', () => logoutToken({ jti: undefined }), /"jti"/],
    ['no events', () => logoutToken({ events: undefined }), /events/],
    ['events without the back-channel logout member', () => logoutToken({ events: { 'urn:other': {} } }), /events/],
    ['a nonce (an ID token posing as a logout token)', () => logoutToken({ nonce: 'n' }), /nonce/],
    ['neither sid nor sub', () => logoutToken({ sid: undefined, sub: undefined }), /neither "sid" nor "sub"/],
  ];
  it.each(attacks)('refuses %s with 400 ERR_LOGOUT_TOKEN_INVALID', async (_name, make, message) => {
    const res = await post(await make()).expect(400);
    expect(res.body.code).toBe('ERR_LOGOUT_TOKEN_INVALID');
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(message);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('a body that is not a form is 415, not a stack trace', async () => {
    const res = await request(appB)
      .post('/backchannel-logout')
      .set('Content-Type', 'application/json')
      .set('Accept', 'application/json')
      .send('{}');
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('ERR_BODY_INVALID');
  });

  it('refuses a replayed logout_token (same jti), also on another instance', async () => {
    const token = await logoutToken({});
    await post(token).expect(200);
    const again = await request(appA)
      .post('/backchannel-logout')
      .type('form')
      .set('Accept', 'application/json')
      .send({ logout_token: token });
    expect(again.status).toBe(400);
    expect(again.body.error_description).toMatch(/jti replay/);
  });
});
