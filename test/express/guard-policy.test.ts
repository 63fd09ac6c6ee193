import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import session from 'express-session';
import { createClient, empowerid, requireToken, type RequireTokenOptions } from '../../src/index.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { BASE_URL, buildApp, sessionCookie, signIn } from '../helpers/sign-in.js';

// What the IdP said about a token is shared; what a guard accepts is that guard's own policy,
// whatever guard served the token first.

// An API of the same IdP with a client registration of its own.
const API_CLIENT = { clientId: 'orders-api', clientSecret: 'orders-api-secret', redirectUris: ['http://127.0.0.1:4000/callback'] };
let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice', clients: [DEFAULT_CLIENT, API_CLIENT] });
});
afterAll(() => mock.close());
beforeEach(() => mock.resetCounts());

const token = () => mock.issueAccessToken({ username: 'alice', scope: 'openid orders' });

/** An app with empowerid() and several guards built without IdP settings (they share its client). */
function appWith(guards: Record<string, RequireTokenOptions>, clock?: () => number): Express {
  const app = buildApp(mock, clock ? { clock } : {});
  for (const [path, options] of Object.entries(guards)) {
    app.get(path, requireToken(options), (req, res) => {
      res.json({ profile: req.empowerid.profile ?? null, client: req.empowerid.tokenInfo?.client_id });
    });
  }
  return app;
}

describe('guard policy is per guard, on every hit', () => {
  it('expectedClientIds is applied even when a plain guard cached the token first', async () => {
    const app = appWith({ '/open': {}, '/mine': { expectedClientIds: ['another-client'] } });
    const t = await token();
    await request(app).get('/open').set('Authorization', `Bearer ${t}`).expect(200);
    const res = await request(app).get('/mine').set('Authorization', `Bearer ${t}`).expect(401);
    expect(res.body.code).toBe('ERR_BEARER_INVALID_TOKEN');
    // The fact was shared: one introspection served both guards.
    expect(mock.counts.tokeninfo).toBe(1);
  });

  it('a strict guard that ran first does not refuse tokens for a plain guard', async () => {
    const app = appWith({ '/open': {}, '/mine': { expectedClientIds: ['another-client'] } });
    const t = await token();
    await request(app).get('/mine').set('Authorization', `Bearer ${t}`).expect(401);
    await request(app).get('/open').set('Authorization', `Bearer ${t}`).expect(200);
  });

  it('expectedIssuer is per guard', async () => {
    const app = appWith({ '/open': {}, '/iss': { expectedIssuer: 'https://someone-else.example' } });
    const t = await token();
    await request(app).get('/open').set('Authorization', `Bearer ${t}`).expect(200);
    await request(app).get('/iss').set('Authorization', `Bearer ${t}`).expect(401);
  });

  it('a guard with fetchProfile: false never calls userinfo, and a profile guard after it still gets the profile', async () => {
    const app = appWith({ '/bare': { fetchProfile: false }, '/full': {} });
    const t = await token();
    const bare = await request(app).get('/bare').set('Authorization', `Bearer ${t}`).expect(200);
    expect(bare.body.profile).toBeNull();
    expect(mock.counts.userinfo ?? 0).toBe(0);
    const full = await request(app).get('/full').set('Authorization', `Bearer ${t}`).expect(200);
    expect(full.body.profile.username).toBe('alice');
    expect(mock.counts.userinfo).toBe(1);
    expect(mock.counts.tokeninfo).toBe(1);
    // And the profile guard's cached profile is not handed to the bare guard's route either way.
    await request(app).get('/bare').set('Authorization', `Bearer ${t}`).expect(200);
    expect(mock.counts.userinfo).toBe(1);
  });

  it('a tighter clock tolerance is applied by its own guard', async () => {
    // The app's clock runs 30 s ahead of the IdP's: the IdP still calls the token active.
    const t = await mock.issueAccessToken({ username: 'alice', ttl: 10 });
    const app = appWith({ '/lenient': { clockToleranceSeconds: 120 }, '/strict': { clockToleranceSeconds: 0 } }, () => Date.now() + 30_000);
    await request(app).get('/lenient').set('Authorization', `Bearer ${t}`).expect(200);
    const res = await request(app).get('/strict').set('Authorization', `Bearer ${t}`).expect(401);
    expect(res.body.error_description).toMatch(/expired/);
    await request(app).get('/lenient').set('Authorization', `Bearer ${t}`).expect(200);
  });

  it('guards with incompatible cache settings get separate caches', async () => {
    const app = appWith({ '/a': { cacheMaxTtlSeconds: 300 }, '/b': { cacheMaxTtlSeconds: 1 } });
    const t = await token();
    await request(app).get('/a').set('Authorization', `Bearer ${t}`).expect(200);
    await request(app).get('/b').set('Authorization', `Bearer ${t}`).expect(200);
    expect(mock.counts.tokeninfo).toBe(2);
  });
});

describe('only access tokens pass', () => {
  it('a refresh token is refused as a bearer token', async () => {
    const client = createClient({ server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret });
    const set = await client.password({ username: 'alice', password: 'alice-password', scope: 'openid offline_access' });
    expect(set.refresh_token).toBeTruthy();
    const app = appWith({ '/api': {} });
    await request(app).get('/api').set('Authorization', `Bearer ${set.access_token}`).expect(200);
    const res = await request(app).get('/api').set('Authorization', `Bearer ${set.refresh_token}`).expect(401);
    expect(res.body.code).toBe('ERR_BEARER_INVALID_TOKEN');
    // Without the profile, userinfo cannot be what refuses it: tokeninfo's own answer must.
    const bare = appWith({ '/bare': { fetchProfile: false } });
    await request(bare).get('/bare').set('Authorization', `Bearer ${set.refresh_token}`).expect(401);
  });

  describe('against an IdP whose introspection answers are off', () => {
    let fake: Server;
    let answer: Record<string, unknown> = {};
    let base = '';
    beforeAll(async () => {
      fake = createServer((req, res) => {
        if (req.url?.endsWith('/tokeninfo')) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: 'alice', username: 'alice' }));
      });
      await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => fake.close(() => r())));

    const now = () => Math.floor(Date.now() / 1000);
    // An API guarding /api against the fake IdP above, whose tokeninfo answers `answer`.
    const guardedApp = () => {
      const app = express();
      const guard = requireToken({
        server: base,
        clientId: 'c',
        clientSecret: 's',
        discovery: false,
        issuer: 'EmpowerID',
        endpoints: { jwks: `${base}/jwks` },
      });
      app.get('/api', guard, (_req, res) => res.send('passed'));
      return app;
    };
    const cases: [string, () => Record<string, unknown>][] = [
      ['token_type refresh_token', () => ({ active: true, token_type: 'refresh_token', exp: now() + 600 })],
      ['token_type of another kind (urn)', () => ({ active: true, token_type: 'urn:ietf:params:oauth:token-type:id_token' })],
      ['exp as a string', () => ({ active: true, exp: String(now() + 600) })],
      ['nbf as a string', () => ({ active: true, nbf: '0' })],
      ['iat as an object', () => ({ active: true, iat: {} })],
    ];
    for (const [name, make] of cases) {
      it(`${name} → 401 invalid_token`, async () => {
        answer = make();
        const app = guardedApp();
        const res = await request(app)
          .get('/api')
          .set('Authorization', `Bearer tok-${name.replace(/\W/g, '')}`);
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('ERR_BEARER_INVALID_TOKEN');
      });
    }
    it('active as the string "true" is not an RFC 7662 answer → 503, never a pass', async () => {
      answer = { active: 'true' };
      const app = guardedApp();
      const res = await request(app).get('/api').set('Authorization', 'Bearer tok-active-string').expect(503);
      expect(res.body.code).toBe('ERR_IDP_BAD_RESPONSE');
    });
    it('token_type Bearer (any case) passes', async () => {
      answer = { active: true, token_type: 'bearer', exp: now() + 600 };
      const app = guardedApp();
      await request(app).get('/api').set('Authorization', 'Bearer tok-bearer-case').expect(200);
    });
  });
});

describe('logout and revocation evict every token of the sign-in', () => {
  it('after /logout the access token no longer passes the app’s guard', async () => {
    const app = appWith({ '/api': {} });
    const agent = request.agent(app);
    await signIn(agent);
    const me = await agent.get('/me').expect(200);
    const accessToken = me.body.accessToken as string;
    await request(app).get('/api').set('Authorization', `Bearer ${accessToken}`).expect(200);
    await agent.get('/logout').set('Sec-Fetch-Site', 'same-origin').expect(302);
    await request(app).get('/api').set('Authorization', `Bearer ${accessToken}`).expect(401);
  });

  it('logout on another instance than the sign-in still evicts the session’s access token there', async () => {
    // Two instances on one session store: the sign-in happened on A, so B's client never saw the
    // tokens issued; B's logout must still make B's guard forget the session's access token.
    const store = new session.MemoryStore();
    const instance = () => {
      const app = express();
      app.use(session({ secret: 's', resave: false, saveUninitialized: false, store, cookie: { sameSite: 'lax' } }));
      // Instances that share sessions share the secret sealing their tokens.
      const secret = 'the secret both instances share, 32+ chars';
      app.use(
        empowerid({
          server: mock.url,
          clientId: DEFAULT_CLIENT.clientId,
          clientSecret: DEFAULT_CLIENT.clientSecret,
          baseURL: BASE_URL,
          secret,
        }),
      );
      app.get('/me', (req, res) => res.json({ accessToken: req.empowerid.accessToken?.value }));
      app.get('/api', requireToken(), (_req, res) => res.send('ok'));
      return app;
    };
    const a = instance();
    const b = instance();
    const agentA = request.agent(a);
    const cookie = sessionCookie(await signIn(agentA)) as string;
    const accessToken = (await agentA.get('/me').expect(200)).body.accessToken as string;
    await request(b).get('/api').set('Authorization', `Bearer ${accessToken}`).expect(200);
    await request(b).get('/logout').set('Cookie', cookie).set('Sec-Fetch-Site', 'same-origin').expect(302);
    await request(b).get('/api').set('Authorization', `Bearer ${accessToken}`).expect(401);
    expect(mock.counts.tokenrevoke).toBe(1);
  });

  it('after /logout a guard with its own IdP settings in the same app forgets the token too', async () => {
    const app = appWith({ '/api': {} });
    const own = { server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret };
    app.get('/api-own', requireToken(own), (_req, res) => res.send('ok'));
    const agent = request.agent(app);
    await signIn(agent);
    const accessToken = (await agent.get('/me').expect(200)).body.accessToken as string;
    for (const path of ['/api', '/api-own']) await request(app).get(path).set('Authorization', `Bearer ${accessToken}`).expect(200);
    await agent.post('/logout').set('Origin', BASE_URL).expect(302);
    for (const path of ['/api', '/api-own']) await request(app).get(path).set('Authorization', `Bearer ${accessToken}`).expect(401);
  });

  it('after /logout an API of another client of the same IdP in the process forgets the token too', async () => {
    const web = appWith({});
    const agent = request.agent(web);
    await signIn(agent);
    const accessToken = (await agent.get('/me').expect(200)).body.accessToken as string;
    // Its own registration, and the server written with a trailing slash: still the same IdP.
    const api = express();
    api.get('/orders', requireToken({ server: `${mock.url}/`, ...API_CLIENT }), (_req, res) => res.send('ok'));
    await request(api).get('/orders').set('Authorization', `Bearer ${accessToken}`).expect(200);
    mock.resetCounts();
    await request(api).get('/orders').set('Authorization', `Bearer ${accessToken}`).expect(200);
    expect(mock.counts.tokeninfo ?? 0).toBe(0); // answered from its cache
    await agent.post('/logout').set('Origin', BASE_URL).expect(302);
    await request(api).get('/orders').set('Authorization', `Bearer ${accessToken}`).expect(401);
  });

  it('a revocation through an API-only guard’s client evicts the sign-in from the app’s guards', async () => {
    const guard = requireToken({ server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret });
    const client = guard.verifier!.client;
    const set = await client.password({ username: 'alice', password: 'alice-password', scope: 'openid offline_access' });
    const app = appWith({ '/api': {} });
    await request(app).get('/api').set('Authorization', `Bearer ${set.access_token}`).expect(200);
    await client.revoke(set.refresh_token!, 'refresh_token');
    await request(app).get('/api').set('Authorization', `Bearer ${set.access_token}`).expect(401);
  });

  it('revoking the refresh token through the client evicts the access tokens of its sign-in', async () => {
    const guard = requireToken({ server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret });
    const client = guard.verifier!.client;
    const first = await client.password({ username: 'alice', password: 'alice-password', scope: 'openid offline_access' });
    // A refresh rotates the refresh token; both access tokens belong to the same sign-in.
    const second = await client.refresh(first.refresh_token!);
    const api = express();
    api.get('/api', guard, (_req, res) => res.send('ok'));
    for (const t of [first.access_token, second.access_token]) {
      await request(api).get('/api').set('Authorization', `Bearer ${t}`).expect(200);
    }
    await client.revoke(second.refresh_token!, 'refresh_token');
    for (const t of [first.access_token, second.access_token]) {
      await request(api).get('/api').set('Authorization', `Bearer ${t}`).expect(401);
    }
  });
});
