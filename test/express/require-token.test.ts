import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import session from 'express-session';
import { empowerid, requireToken, type RequireTokenOptions } from '../../src/index.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { buildApp, signIn } from '../helpers/sign-in.js';

let mock: MockEmpowerID;
let offset = 0;
const clock = () => Date.now() + offset;

beforeAll(async () => {
  mock = await startMockEmpowerID({ clock });
});
afterAll(() => mock.close());
beforeEach(() => {
  offset = 0;
  mock.setOutage(false);
  mock.resetCounts();
});

function api(options: RequireTokenOptions = {}) {
  const guard = requireToken({
    server: mock.url,
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    clock,
    discoveryRetryBaseMs: 20,
    ...options,
  });
  const app = express();
  app.get('/api/orders', guard, (req, res) => {
    res.json({ username: req.empowerid.profile?.username, active: req.empowerid.tokenInfo?.active });
  });
  return { app, guard };
}

const token = (o: { username?: string; scope?: string; ttl?: number } = {}) =>
  mock.issueAccessToken({ username: o.username ?? 'alice', scope: o.scope ?? 'openid orders', ...(o.ttl && { ttl: o.ttl }) });

describe('requireToken(): RFC 6750 errors', () => {
  it('no token → 401 with a bare Bearer challenge', async () => {
    const res = await request(api().app).get('/api/orders').expect(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(res.body).toMatchObject({ code: 'ERR_BEARER_MISSING' });
  });

  it('a malformed Authorization header → 400 invalid_request', async () => {
    const res = await request(api().app).get('/api/orders').set('Authorization', 'Bearer a b').expect(400);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_request"/);
    expect(res.body).toMatchObject({ error: 'invalid_request', code: 'ERR_BEARER_INVALID_REQUEST' });
  });

  it('two carriers at once → 400 invalid_request', async () => {
    const t = await token();
    const res = await request(api({ allowQueryToken: true }).app)
      .get(`/api/orders?access_token=${t}`)
      .set('Authorization', `Bearer ${t}`)
      .expect(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('the query carrier is ignored unless enabled', async () => {
    const t = await token();
    await request(api().app).get(`/api/orders?access_token=${t}`).expect(401);
    await request(api({ allowQueryToken: true }).app)
      .get(`/api/orders?access_token=${t}`)
      .expect(200);
  });

  it('an unknown token → 401 invalid_token, and the scheme is case-insensitive', async () => {
    const res = await request(api().app).get('/api/orders').set('Authorization', 'bEaReR not-a-real-token').expect(401);
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(res.body).toMatchObject({ error: 'invalid_token', code: 'ERR_BEARER_INVALID_TOKEN' });
  });

  it('a valid token passes with tokenInfo and the userinfo profile attached', async () => {
    const t = await token();
    const res = await request(api().app).get('/api/orders').set('Authorization', `Bearer ${t}`).expect(200);
    expect(res.body).toEqual({ username: 'alice', active: true });
    expect(mock.counts.tokeninfo).toBe(1);
    expect(mock.counts.userinfo).toBe(1);
  });

  it('a missing scope → 403 insufficient_scope naming the required scope', async () => {
    const t = await token({ scope: 'openid' });
    const res = await request(api({ scopes: ['orders', 'admin'] }).app)
      .get('/api/orders')
      .set('Authorization', `Bearer ${t}`)
      .expect(403);
    expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope"/);
    expect(res.headers['www-authenticate']).toMatch(/scope="orders admin"/);
    expect(res.body.code).toBe('ERR_BEARER_INSUFFICIENT_SCOPE');
  });

  it('roles are matched against business_role_locations', async () => {
    const t = await token();
    const { DEFAULT_USERS } = await import('../../src/testing/index.js');
    const role = DEFAULT_USERS[0]?.business_role_locations[0] as string;
    await request(api({ roles: [role] }).app)
      .get('/api/orders')
      .set('Authorization', `Bearer ${t}`)
      .expect(200);
    const res = await request(api({ roles: ['Global Admin in Nowhere'] }).app)
      .get('/api/orders')
      .set('Authorization', `Bearer ${t}`)
      .expect(403);
    expect(res.body.error).toBe('insufficient_scope');
  });

  it('a predicate can refuse', async () => {
    const t = await token();
    await request(api({ predicate: (v) => v.tokenInfo.username === 'bob' }).app)
      .get('/api/orders')
      .set('Authorization', `Bearer ${t}`)
      .expect(403);
  });

  it('a token issued to a client the API does not accept → 401', async () => {
    const t = await token();
    await request(api({ expectedClientIds: ['someone-else'] }).app)
      .get('/api/orders')
      .set('Authorization', `Bearer ${t}`)
      .expect(401);
  });

  it('errors: "next" hands the typed error to the app', async () => {
    const { guard } = api({ errors: 'next' });
    const app = express();
    app.get('/x', guard, (_req, res) => res.send('no'));
    app.use((err: { code: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(418).json({ mine: err.code });
    });
    const res = await request(app).get('/x').expect(418);
    expect(res.body.mine).toBe('ERR_BEARER_MISSING');
  });
});

describe('requireToken(): the cache', () => {
  it('a second request with the same token is a cache hit', async () => {
    const t = await token();
    const { app, guard } = api();
    await request(app).get('/api/orders').set('Authorization', `Bearer ${t}`).expect(200);
    await request(app).get('/api/orders').set('Authorization', `Bearer ${t}`).expect(200);
    expect(mock.counts.tokeninfo).toBe(1);
    expect(mock.counts.userinfo).toBe(1);
    expect(guard.verifier?.stats()).toMatchObject({ hits: 1, entries: 1 });
  });

  it.each([false, true])(
    "a user's tokens share one frozen profile, another user's is their own (concurrentUserinfo: %s)",
    async (concurrentUserinfo) => {
      const { guard } = api({ concurrentUserinfo });
      const verifier = guard.verifier!;
      const [a1, a2, b1] = await Promise.all([token(), token(), token({ username: 'bob' })]);
      const first = await verifier.verify(a1);
      const second = await verifier.verify(a2);
      const bob = await verifier.verify(b1);
      expect(mock.counts.userinfo).toBe(3); // every token is still asked about: sharing is not caching
      expect(second.profile).toBe(first.profile);
      expect(first.profile).toMatchObject({ username: 'alice' });
      expect(bob.profile).toMatchObject({ username: 'bob' });
      expect(bob.profile).not.toBe(first.profile);
      for (const p of [first.profile, bob.profile]) {
        expect(Object.isFrozen(p)).toBe(true);
        expect(Object.isFrozen(p?.business_role_locations)).toBe(true);
      }
      // The client's own userinfo() is not the cache's: a fresh object the caller may change.
      const mine = await verifier.client.userinfo(a1);
      expect(mine).toEqual(first.profile);
      expect(mine).not.toBe(first.profile);
      expect(Object.isFrozen(mine)).toBe(false);
    },
  );

  it('an entry expires at the token exp', async () => {
    const t = await token({ ttl: 100 });
    const { app } = api({ clockToleranceSeconds: 0 });
    await request(app).get('/api/orders').set('Authorization', `Bearer ${t}`).expect(200);
    offset = 101_000;
    await request(app).get('/api/orders').set('Authorization', `Bearer ${t}`).expect(401);
    expect(mock.counts.tokeninfo).toBe(2);
  });

  it('inactive answers are cached briefly (negative cache)', async () => {
    const { app } = api({ negativeTtlSeconds: 10 });
    await request(app).get('/api/orders').set('Authorization', 'Bearer unknown-token').expect(401);
    await request(app).get('/api/orders').set('Authorization', 'Bearer unknown-token').expect(401);
    expect(mock.counts.tokeninfo).toBe(1);
    offset = 11_000;
    await request(app).get('/api/orders').set('Authorization', 'Bearer unknown-token').expect(401);
    expect(mock.counts.tokeninfo).toBe(2);
  });

  it('concurrent requests with one new token share one tokeninfo and one userinfo call', async () => {
    const t = await token();
    const { app } = api();
    const results = await Promise.all(
      Array.from({ length: 25 }, () => request(app).get('/api/orders').set('Authorization', `Bearer ${t}`)),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(mock.counts.tokeninfo).toBe(1);
    expect(mock.counts.userinfo).toBe(1);
  });

  it('is bounded: the least recently used entry is evicted', async () => {
    const [a, b, c] = await Promise.all([token(), token(), token()]);
    const { app, guard } = api({ cacheMaxEntries: 2 });
    for (const t of [a, b, c, a]) await request(app).get('/api/orders').set('Authorization', `Bearer ${t}`).expect(200);
    expect(mock.counts.tokeninfo).toBe(4); // a was evicted by c
    expect(guard.verifier?.stats().entries).toBe(2);
  });

  it('revoking through the library evicts the token', async () => {
    const t = await token();
    const { app, guard } = api();
    await request(app).get('/api/orders').set('Authorization', `Bearer ${t}`).expect(200);
    await guard.verifier?.revoke(t);
    await request(app).get('/api/orders').set('Authorization', `Bearer ${t}`).expect(401);
  });
});

describe('requireToken(): an IdP in trouble is a 503, never a pass and never a 500', () => {
  it('down → 503 with Retry-After; not cached; recovers', async () => {
    const t = await token();
    const { app } = api();
    await request(app).get('/api/orders').set('Authorization', `Bearer ${t}`).expect(200); // discovery done
    const t2 = await token();
    mock.setOutage('down');
    const res = await request(app).get('/api/orders').set('Authorization', `Bearer ${t2}`).expect(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body.code).toBe('ERR_IDP_UNAVAILABLE');
    await request(app).get('/api/orders').set('Authorization', `Bearer ${t2}`).expect(503);
    mock.setOutage(false);
    await request(app).get('/api/orders').set('Authorization', `Bearer ${t2}`).expect(200);
  });

  it('slow → 503 after the configured timeout', async () => {
    const t = await token();
    const { app } = api({ timeoutMs: 300 });
    await request(app).get('/api/orders').set('Authorization', `Bearer ${t}`).expect(200);
    mock.setOutage('slow');
    const res = await request(app)
      .get('/api/orders')
      .set('Authorization', `Bearer ${await token()}`)
      .expect(503);
    expect(res.body.code).toBe('ERR_IDP_UNAVAILABLE');
    expect(res.body.error_description).toMatch(/did not answer in time/);
  });

  describe('garbage answers from tokeninfo', () => {
    let fake: Server;
    let reply: { status: number; type: string; body: string };
    beforeAll(async () => {
      fake = createServer((_req, res) => {
        res.writeHead(reply.status, { 'content-type': reply.type }).end(reply.body);
      });
      await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    });
    afterAll(() => new Promise<void>((r) => fake.close(() => r())));

    const cases = [
      { name: 'an HTML page', status: 200, type: 'text/html', body: '<html>maintenance</html>' },
      { name: 'an empty body', status: 200, type: 'application/json', body: '' },
      { name: 'JSON without "active"', status: 200, type: 'application/json', body: '{"client_id":"x"}' },
      { name: 'non-JSON text', status: 200, type: 'application/json', body: 'not json' },
      { name: 'a JSON array', status: 200, type: 'application/json', body: '[true]' },
      { name: 'a 502 from a proxy', status: 502, type: 'text/html', body: 'bad gateway' },
      { name: '"active" as a string', status: 200, type: 'application/json', body: '{"active":"true"}' },
      {
        name: 'an unsigned JWT answer (RFC 9701 form, not asked for)',
        status: 200,
        type: 'application/token-introspection+jwt',
        body: `${Buffer.from('{"alg":"none","typ":"token-introspection+jwt"}').toString('base64url')}.${Buffer.from(
          '{"iss":"EmpowerID","aud":"c","iat":1,"token_introspection":{"active":true}}',
        ).toString('base64url')}.`,
      },
    ];
    for (const c of cases) {
      it(`${c.name} → 503 with a clear error`, async () => {
        reply = c;
        const base = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
        const guard = requireToken({
          server: base,
          clientId: 'c',
          clientSecret: 's',
          discovery: false,
          issuer: 'EmpowerID',
          endpoints: { jwks: `${base}/jwks` },
        });
        const app = express();
        app.get('/x', guard, (_req, res) => res.send('passed'));
        const res = await request(app).get('/x').set('Authorization', 'Bearer some-token').expect(503);
        expect(res.headers['retry-after']).toBeDefined();
        expect(['ERR_IDP_BAD_RESPONSE', 'ERR_IDP_UNAVAILABLE']).toContain(res.body.code);
        expect(res.body.error_description).toMatch(/tokeninfo/);
      });
    }
  });
});

describe('requireToken() in an API-only service', () => {
  it('guards with the same IdP settings share one cache; other settings get their own', async () => {
    const idp = { server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret };
    const orders = requireToken(idp);
    const admin = requireToken({ ...idp, scopes: ['admin'] });
    const small = requireToken({ ...idp, cacheMaxEntries: 10 });
    expect(admin.verifier).toBe(orders.verifier);
    expect(small.verifier).not.toBe(orders.verifier);

    const app = express();
    app.get('/orders', orders, (_req, res) => res.send('ok'));
    app.get('/admin', admin, (_req, res) => res.send('ok'));
    const t = await token({ scope: 'openid orders' });
    await request(app).get('/orders').set('Authorization', `Bearer ${t}`).expect(200);
    await request(app).get('/admin').set('Authorization', `Bearer ${t}`).expect(403);
    expect(mock.counts.tokeninfo).toBe(1); // the second guard answered from the shared cache
  });
});

describe('requireToken() inside an app that mounted empowerid()', () => {
  it('a revocation through the router’s client evicts the token from the guard’s cache', async () => {
    const router = empowerid({
      server: mock.url,
      clientId: DEFAULT_CLIENT.clientId,
      clientSecret: DEFAULT_CLIENT.clientSecret,
      baseURL: 'http://127.0.0.1:3000',
    });
    const app = express();
    app.use(session({ secret: 's', resave: false, saveUninitialized: false, cookie: { sameSite: 'lax' } }));
    app.use(router);
    app.get('/api/me', requireToken(), (req, res) => res.json(req.empowerid.profile));
    const t = await token();
    await request(app).get('/api/me').set('Authorization', `Bearer ${t}`).expect(200);
    await router.client.revoke(t);
    await request(app).get('/api/me').set('Authorization', `Bearer ${t}`).expect(401);
    expect(mock.counts.tokeninfo).toBe(2); // asked again after the revocation, not served from the cache
  });

  it('reuses the router configuration', async () => {
    const app = buildApp(mock);
    app.get('/api/me', requireToken(), (req, res) => res.json(req.empowerid.profile));
    const t = await token();
    const res = await request(app).get('/api/me').set('Authorization', `Bearer ${t}`).expect(200);
    expect(res.body.username).toBe('alice');
  });

  it('without empowerid() or options it names the fix', async () => {
    const app = express();
    app.get('/x', requireToken(), (_req, res) => res.send('no'));
    const res = await request(app).get('/x').set('Authorization', 'Bearer t').expect(500);
    expect(res.body.error_description).toMatch(/empowerid\(/);
  });

  it("behind empowerid(), the guard adds the token's answer to the session's req.empowerid instead of replacing it", async () => {
    const app = buildApp(mock);
    app.get('/api/both', requireToken(), (req, res) =>
      res.json({
        signedIn: req.empowerid.isAuthenticated(),
        user: req.empowerid.user?.sub,
        profile: req.empowerid.profile?.username,
        active: req.empowerid.tokenInfo?.active,
      }),
    );
    const agent = request.agent(app);
    mock.setAutoLogin('alice');
    await signIn(agent);
    mock.setAutoLogin(false);
    const t = await token({ username: 'bob' });
    const res = await agent.get('/api/both').set('Authorization', `Bearer ${t}`).expect(200);
    expect(res.body).toEqual({ signedIn: true, user: 'alice', profile: 'bob', active: true });
    // Without a browser session, the router's context says so, and still carries the token's answer.
    const api = await request(app).get('/api/both').set('Authorization', `Bearer ${t}`).expect(200);
    expect(api.body).toEqual({ signedIn: false, profile: 'bob', active: true });
  });

  it('a browser session and an API token in one app', async () => {
    const app = buildApp(mock);
    const agent = request.agent(app);
    mock.setAutoLogin('alice');
    await signIn(agent);
    mock.setAutoLogin(false);
    await agent.get('/me').set('Accept', 'application/json').expect(200);
  });
});
