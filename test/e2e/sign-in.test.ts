import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/index.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { BASE_URL, authorize, buildApp, sessionCookie, signIn, startLogin } from '../helpers/sign-in.js';
import { takeWarnings } from '../helpers/warnings.js';

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());
afterEach(() => mock.setOutage(false));

describe('browser sign-in round trip', () => {
  it('logs in with PKCE S256, state and nonce, serves /me, and logs out at EmpowerID', async () => {
    const agent = request.agent(buildApp(mock));
    const login = await agent.get('/login?returnTo=%2Fme').expect(302);
    const before = sessionCookie(login);
    const authorizeUrl = new URL(login.headers.location as string);
    expect(authorizeUrl.origin + authorizeUrl.pathname).toBe(`${mock.url}/oauth/v2/ui/authorize`);
    const q = authorizeUrl.searchParams;
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')?.length).toBeGreaterThanOrEqual(32);
    expect(q.get('nonce')?.length).toBeGreaterThanOrEqual(32);
    expect(q.get('redirect_uri')).toBe(`${BASE_URL}/callback`);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe('empowerid-express-example');

    const callback = await authorize(authorizeUrl);
    const done = await agent.get(callback.pathname + callback.search).expect(302);
    expect(done.headers.location).toBe('/me');
    const after = sessionCookie(done);
    expect(after).toBeDefined();
    expect(after).not.toBe(before); // session regenerated at login

    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body.user).toMatchObject({ iss: 'EmpowerID', sub: 'alice', aud: 'empowerid-express-example' });
    expect(me.body.user.oid).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof me.body.accessToken).toBe('string');

    const logout = await agent.post('/logout').expect(302);
    const end = new URL(logout.headers.location as string);
    expect(end.origin + end.pathname).toBe(`${mock.url}/oauth/v2/ui/logout`);
    expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${BASE_URL}/`);
    expect(end.searchParams.get('global_logout')).toBe('true');
    expect(end.searchParams.get('state')).toBeTruthy();
    const hint = end.searchParams.get('id_token_hint');
    expect(hint?.split('.')).toHaveLength(3);

    // The IdP accepts the logout request and sends the browser back with the state.
    const idp = await fetch(end, { redirect: 'manual' });
    expect(idp.status).toBe(302);
    const back = new URL(idp.headers.get('location') as string);
    expect(back.origin + back.pathname).toBe(`${BASE_URL}/`);
    expect(back.searchParams.get('state')).toBe(end.searchParams.get('state'));

    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });

  it('redirects browsers to login with returnTo and answers 401 JSON to API clients', async () => {
    const agent = request.agent(buildApp(mock));
    const html = await agent.get('/me?tab=1').set('Accept', 'text/html').expect(302);
    expect(html.headers.location).toBe('/login?returnTo=%2Fme%3Ftab%3D1');
    const json = await agent.get('/me').set('Accept', 'application/json').expect(401);
    expect(json.body).toMatchObject({ code: 'ERR_LOGIN_REQUIRED' });
  });

  it('an app served under a path prefix (baseURL with a path) sends browsers to the prefixed login', async () => {
    const agent = request.agent(buildApp(mock, { baseURL: 'http://127.0.0.1:3000/portal' }));
    const res = await agent.get('/me').set('Accept', 'text/html').expect(302);
    expect(res.headers.location).toBe('/portal/login?returnTo=%2Fme');
    const login = await agent.get('/login').expect(302);
    expect(new URL(login.headers.location as string).searchParams.get('redirect_uri')).toBe('http://127.0.0.1:3000/portal/callback');
  });

  it('supports the hybrid code id_token response in the query string', async () => {
    const agent = request.agent(buildApp(mock, { responseType: 'code id_token', responseMode: 'query' }));
    const authorizeUrl = await startLogin(agent);
    expect(authorizeUrl.searchParams.get('response_type')).toBe('code id_token');
    const callback = await authorize(authorizeUrl);
    expect(callback.searchParams.get('id_token')).toBeTruthy();
    expect(callback.hash).toBe('');
    await agent.get(callback.pathname + callback.search).expect(302);
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body.user.sub).toBe('alice');
  });

  it("hybrid with responseMode 'auto' (the default) falls back to the query string when discovery advertises no form_post", async () => {
    // The mock advertises form_post; a provider that does not is this mock behind a discovery
    // document without it (what a real EmpowerID advertises is unknown; its docs never name response_mode).
    const withoutFormPost: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!(input instanceof Request ? input.url : String(input)).endsWith('/oauth/.well-known/openid-configuration')) return res;
      const doc = (await res.json()) as Record<string, unknown>;
      return Response.json({ ...doc, response_modes_supported: ['query', 'fragment'] });
    };
    takeWarnings();
    const agent = request.agent(buildApp(mock, { responseType: 'code id_token', fetch: withoutFormPost }));
    const authorizeUrl = await startLogin(agent);
    expect(authorizeUrl.searchParams.get('response_type')).toBe('code id_token');
    expect(authorizeUrl.searchParams.has('response_mode')).toBe(false);
    const callback = await authorize(authorizeUrl);
    expect(callback.searchParams.get('id_token')).toBeTruthy();
    await agent.get(callback.pathname + callback.search).expect(302);
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body.user.sub).toBe('alice');
    // In EmpowerID mode the query string is the documented answer, not a misconfiguration.
    expect(takeWarnings('EMPOWERID_ENDPOINT_MISSING')).toEqual([]);
  });

  it('revokes the refresh token at logout (and keeps it with revokeOnLogout: false)', async () => {
    for (const revokeOnLogout of [true, false]) {
      // Record the token answers the app receives, to learn the refresh token a thief could have copied.
      const issued: string[] = [];
      const recording: typeof fetch = async (input, init) => {
        const res = await fetch(input, init);
        if (String(input).endsWith('/oauth/v2/token')) {
          const body = (await res.clone().json()) as { refresh_token?: string };
          if (body.refresh_token) issued.push(body.refresh_token);
        }
        return res;
      };
      const agent = request.agent(buildApp(mock, { fetch: recording, revokeOnLogout }));
      await signIn(agent);
      expect(issued).toHaveLength(1);
      await agent.post('/logout').expect(302);
      const eid = createClient({ server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret });
      const info = await eid.introspect(issued[0] as string, 'refresh_token');
      expect(info.active).toBe(!revokeOnLogout);
    }
  });

  it('fetchProfile() refuses a userinfo answer for another subject', async () => {
    // A userinfo endpoint that answers for someone else (a mix-up or a tampering proxy).
    const swapped: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).endsWith('/oauth/v2/userinfo')) return res;
      const body = (await res.json()) as Record<string, unknown>;
      return new Response(JSON.stringify({ ...body, sub: 'mallory', username: 'mallory' }), { status: 200, headers: res.headers });
    };
    const app = buildApp(mock, { fetch: swapped });
    app.get('/profile', async (req, res, next) => {
      try {
        res.json(await req.empowerid.fetchProfile());
      } catch (err) {
        next(err);
      }
    });
    const agent = request.agent(app);
    await signIn(agent);
    const res = await agent.get('/profile').set('Accept', 'application/json');
    expect(res.status).toBe(503); // IdPResponseError: the IdP answered something unusable
    expect(res.text).toContain('another subject');
    expect(res.text).not.toContain('mallory');
  });

  it('logs out locally only when idpLogout is false', async () => {
    const agent = request.agent(buildApp(mock, { idpLogout: false }));
    await signIn(agent);
    const logout = await agent.post('/logout').expect(302);
    expect(logout.headers.location).toBe(`${BASE_URL}/`);
    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });

  it('passes global_logout=false when configured', async () => {
    const agent = request.agent(buildApp(mock, { globalLogout: false }));
    await signIn(agent);
    const logout = await agent.post('/logout').expect(302);
    expect(new URL(logout.headers.location as string).searchParams.get('global_logout')).toBe('false');
  });

  it('serves every route under a custom path, and turns routes off', async () => {
    const agent = request.agent(buildApp(mock, { routes: { login: '/auth/sign-in', callback: '/auth/cb', refresh: false } }));
    const url = await startLogin(agent, '/auth/sign-in');
    expect(url.searchParams.get('redirect_uri')).toBe(`${BASE_URL}/auth/cb`);
    await agent.get('/login').expect(404);
    await agent.post('/refresh').expect(404);
  });
});
