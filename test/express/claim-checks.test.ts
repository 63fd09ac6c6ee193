import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  anyOf,
  claimCheck,
  claimEquals,
  claimIncludes,
  ConfigurationError,
  requireToken,
  requiresAuth,
  type VerifiedToken,
} from '../../src/index.js';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { buildApp, signIn } from '../helpers/sign-in.js';

// Authorization on top of authentication: claim checks on requiresAuth() (ID-token claims) and on
// requireToken() (tokeninfo, then profile), any-of scopes and roles, and what the predicate gets.

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());

function browserApp() {
  const app = buildApp(mock);
  app.get('/alice-only', requiresAuth(claimEquals('sub', 'alice')), (_req, res) => res.send('hello alice'));
  app.get('/bob-only', requiresAuth(claimEquals('sub', 'bob')), (_req, res) => res.send('hello bob'));
  app.get('/audience', requiresAuth({ claims: [claimIncludes('aud', 'empowerid-express-example')] }), (_req, res) => res.send('aud ok'));
  app.get(
    '/example-mail',
    requiresAuth(
      claimCheck((claims, req) => String(claims.email).endsWith('@example.com') && req.query.deny === undefined, 'example.com e-mail'),
    ),
    (_req, res) => res.send('mail ok'),
  );
  // Any-of: a list is all-of, anyOf() passes when one of its checks does.
  app.get('/bob-or-alice', requiresAuth(anyOf(claimEquals('sub', 'bob'), claimEquals('sub', 'alice'))), (_req, res) => res.send('either'));
  app.get('/bob-or-carol', requiresAuth(anyOf(claimEquals('sub', 'bob'), claimEquals('sub', 'carol'))), (_req, res) => res.send('never'));
  app.get(
    '/mixed',
    requiresAuth({
      claims: [claimIncludes('aud', 'empowerid-express-example'), anyOf(claimEquals('email_verified', 'no'), claimEquals('sub', 'alice'))],
    }),
    (_req, res) => res.send('mixed ok'),
  );
  return app;
}

describe('requiresAuth() claim checks', () => {
  it('lets a signed-in user whose ID-token claims pass through', async () => {
    const agent = request.agent(browserApp());
    await signIn(agent);
    await agent.get('/alice-only').expect(200, 'hello alice');
    await agent.get('/audience').expect(200, 'aud ok');
    await agent.get('/example-mail').expect(200, 'mail ok');
  });

  it('answers a browser 403 with the library page, and an API client 403 JSON, when a check fails', async () => {
    const agent = request.agent(browserApp());
    await signIn(agent);
    const page = await agent.get('/bob-only').set('Accept', 'text/html').expect(403);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.text).toContain('Access denied');
    expect(page.text).toContain('you are signed in, but your account is not allowed to open this page');
    const json = await agent.get('/bob-only').set('Accept', 'application/json').expect(403);
    expect(json.body.code).toBe('ERR_ACCESS_DENIED');
    // claimCheck gets the request too.
    await agent.get('/example-mail?deny=1').expect(403);
  });

  it('anyOf(): one passing check is enough; none passing is a 403', async () => {
    const agent = request.agent(browserApp());
    await signIn(agent);
    await agent.get('/bob-or-alice').expect(200, 'either');
    await agent.get('/mixed').expect(200, 'mixed ok');
    const json = await agent.get('/bob-or-carol').set('Accept', 'application/json').expect(403);
    expect(json.body.code).toBe('ERR_ACCESS_DENIED');
    const page = await agent.get('/bob-or-carol').set('Accept', 'text/html').expect(403);
    expect(page.text).toContain('Access denied');
  });

  it('anyOf() says what it asks for, and refuses what is not a list of checks at startup', () => {
    expect(anyOf(claimEquals('sub', 'bob'), claimIncludes('groups', 'ops', 'oncall')).description).toBe(
      'any of: claim "sub" = "bob"; claim "groups" includes "ops", "oncall"',
    );
    expect(() => anyOf()).toThrow(ConfigurationError);
    expect(() => anyOf()).toThrow('empowerid: option "anyOf" needs at least one check');
    expect(() => anyOf(claimEquals('sub', 'bob'), (() => true) as never)).toThrow(
      'empowerid: option "anyOf" takes checks made by claimEquals(), claimIncludes(), claimCheck() or anyOf()',
    );
  });

  it('still sends a visitor who is not signed in to the login route first', async () => {
    const res = await request(browserApp()).get('/bob-only').set('Accept', 'text/html').expect(302);
    expect(res.headers.location).toBe('/login?returnTo=%2Fbob-only');
  });

  it('refuses a check that is not one at startup, naming the option', () => {
    expect(() => requiresAuth({ claims: [(() => true) as never] })).toThrow(ConfigurationError);
    expect(() => requiresAuth({ claims: [(() => true) as never] })).toThrow(
      'empowerid: option "claims" must be a check made by claimEquals(), claimIncludes(), claimCheck() or anyOf(), or a list of them',
    );
    expect(() => claimIncludes('groups')).toThrow('empowerid: option "claimIncludes" needs at least one value for claim "groups"');
  });
});

describe('requireToken() authorization', () => {
  const seen: VerifiedToken[] = [];
  function apiApp() {
    const app = express();
    const idp = { server: mock.url, clientId: 'empowerid-express-example', clientSecret: 'example-secret' };
    const ok = (_req: express.Request, res: express.Response) => res.send('ok');
    app.get('/any-scope', requireToken({ ...idp, anyScopes: ['orders:read', 'orders:admin'] }), ok);
    app.get('/any-role', requireToken({ ...idp, anyRoles: ['Nobody in Nowhere', 'IT Administrator in Headquarters'] }), ok);
    app.get('/no-role', requireToken({ ...idp, anyRoles: ['Nobody in Nowhere', 'Contractor in Branch Office'] }), ok);
    app.get('/claims', requireToken({ ...idp, claims: [claimEquals('username', 'alice'), claimIncludes('scope', 'openid')] }), ok);
    // A profile field (tokeninfo has no "organization"): the check falls back to the profile.
    app.get('/org', requireToken({ ...idp, claims: claimEquals('organization', 'Hosting Organization') }), ok);
    app.get('/custom', requireToken({ ...idp, claims: claimCheck((c) => c.email === 'bob.brown@example.com') }), ok);
    // anyOf() over a tokeninfo field and a profile field.
    app.get(
      '/any-of',
      requireToken({ ...idp, claims: anyOf(claimEquals('username', 'bob'), claimEquals('email', 'alice.anderson@example.com')) }),
      ok,
    );
    app.get(
      '/predicate',
      requireToken({
        ...idp,
        predicate: (v) => {
          seen.push(v);
          return v.tokenInfo.username === 'alice';
        },
      }),
      ok,
    );
    return app;
  }
  const bearer = async (username: string, scope: string) => `Bearer ${await mock.issueAccessToken({ username, scope })}`;

  it('anyScopes: one of the scopes is enough; none is insufficient_scope naming them', async () => {
    const app = apiApp();
    await request(app)
      .get('/any-scope')
      .set('Authorization', await bearer('alice', 'openid orders:admin'))
      .expect(200);
    const res = await request(app)
      .get('/any-scope')
      .set('Authorization', await bearer('alice', 'openid orders:readx'))
      .expect(403);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="the access token has none of the scopes orders:read orders:admin", scope="orders:read orders:admin"',
    );
  });

  it('anyRoles: one of the roles is enough', async () => {
    const app = apiApp();
    const alice = await bearer('alice', 'openid');
    await request(app).get('/any-role').set('Authorization', alice).expect(200);
    const res = await request(app).get('/no-role').set('Authorization', alice).expect(403);
    expect(res.body.error_description).toBe('the user has none of the roles Nobody in Nowhere, Contractor in Branch Office');
  });

  it('claim checks read tokeninfo first, then the profile, on cold and warm hits', async () => {
    const app = apiApp();
    const alice = await bearer('alice', 'openid');
    for (let i = 0; i < 2; i++) {
      await request(app).get('/claims').set('Authorization', alice).expect(200);
      await request(app).get('/org').set('Authorization', alice).expect(200);
      const res = await request(app).get('/custom').set('Authorization', alice).expect(403);
      expect(res.body).toEqual({
        error: 'insufficient_scope',
        error_description: 'the access token does not satisfy custom claim check',
        code: 'ERR_BEARER_INSUFFICIENT_SCOPE',
      });
    }
    await request(app)
      .get('/custom')
      .set('Authorization', await bearer('bob', 'openid'))
      .expect(200);
    await request(app)
      .get('/claims')
      .set('Authorization', await bearer('bob', 'openid'))
      .expect(403);
  });

  it('anyOf(): one of the checks is enough, over tokeninfo or the profile; none is insufficient_scope naming them', async () => {
    const app = apiApp();
    for (const user of ['alice', 'bob']) {
      await request(app)
        .get('/any-of')
        .set('Authorization', await bearer(user, 'openid'))
        .expect(200);
    }
    const res = await request(app)
      .get('/any-of')
      .set('Authorization', await bearer('carol', 'openid'))
      .expect(403);
    expect(res.body).toEqual({
      error: 'insufficient_scope',
      error_description: 'the access token does not satisfy any of: claim "username" = "bob"; claim "email" = "alice.anderson@example.com"',
      code: 'ERR_BEARER_INSUFFICIENT_SCOPE',
    });
  });

  it('the predicate receives { tokenInfo, profile }, so the username is v.tokenInfo.username', async () => {
    const app = apiApp();
    seen.length = 0;
    await request(app)
      .get('/predicate')
      .set('Authorization', await bearer('alice', 'openid'))
      .expect(200);
    await request(app)
      .get('/predicate')
      .set('Authorization', await bearer('bob', 'openid'))
      .expect(403);
    expect(seen[0]?.tokenInfo.username).toBe('alice');
    expect(seen[0]?.profile?.email).toBe('alice.anderson@example.com');
    expect((seen[0] as unknown as Record<string, unknown>).username).toBeUndefined();
  });
});
