import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SignIn } from '../../src/express/hooks.js';
import { requiresAuth } from '../../src/index.js';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { authorize, BASE_URL, buildApp, signIn, startLogin } from '../helpers/sign-in.js';

// What an app hooks into: afterCallback (enrich, redirect, refuse), getLoginState, login() and
// logout() from its own routes, and attemptSilentLogin.

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.setAutoLogin('alice');
  mock.resetCounts();
});

describe('afterCallback', () => {
  it('sees the validated sign-in and the login state, and what it writes to req.session is kept', async () => {
    const calls: SignIn[] = [];
    const app = buildApp(mock, {
      getLoginState: (req, login) => ({ campaign: req.query.campaign, returnTo: login.returnTo }),
      afterCallback: (req, _res, signIn) => {
        calls.push(signIn);
        (req.session as unknown as Record<string, unknown>).greeting = `hello ${signIn.claims.sub}`;
      },
    });
    app.get('/greeting', requiresAuth(), (req, res) => res.send((req.session as unknown as Record<string, unknown>).greeting));
    const agent = request.agent(app);
    const done = await signIn(agent, '/login?returnTo=/greeting&campaign=spring');
    expect(done.status).toBe(302);
    expect(done.headers.location).toBe('/greeting');
    await agent.get('/greeting').expect(200, 'hello alice');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.claims.sub).toBe('alice');
    expect(calls[0]?.loginState).toEqual({ campaign: 'spring', returnTo: '/greeting' });
    expect(calls[0]?.returnTo).toBe('/greeting');
    expect(typeof calls[0]?.tokens.access_token).toBe('string');
  });

  it('{ returnTo } sends the browser elsewhere, but only to a path under baseURL', async () => {
    const away = buildApp(mock, { afterCallback: () => ({ returnTo: '/welcome' }) });
    expect((await signIn(request.agent(away))).headers.location).toBe('/welcome');
    const open = buildApp(mock, { afterCallback: () => ({ returnTo: 'https://evil.example/' }) });
    expect((await signIn(request.agent(open))).headers.location).toBe('/');
  });

  it('{ reject } refuses the sign-in with a 403 that gives the reason, and leaves no session behind', async () => {
    const app = buildApp(mock, {
      afterCallback: (_req, _res, signIn) => (signIn.claims.sub === 'alice' ? { reject: 'alice is on leave' } : undefined),
    });
    const agent = request.agent(app);
    const res = await signIn(agent);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'ERR_ACCESS_DENIED', error_description: 'sign-in refused: alice is on leave' });
    await agent.get('/me').set('Accept', 'application/json').expect(401);
    // The refresh token the exchange produced is not left valid.
    expect(mock.counts.tokenrevoke).toBe(1);
  });

  it('a duplicate of a rejected callback is refused too, not signed in', async () => {
    const app = buildApp(mock, { afterCallback: async () => ({ reject: 'no' }) });
    const agent = request.agent(app);
    const callback = await authorize(await startLogin(agent));
    const [a, b] = await Promise.all([agent.get(callback.pathname + callback.search), agent.get(callback.pathname + callback.search)]);
    expect([a.status, b.status].sort()).toEqual([400, 403]);
    expect(mock.counts['token:authorization_code']).toBe(1);
    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });

  it('getLoginState that returns what a session cannot keep fails with the option named', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const res = await request(buildApp(mock, { getLoginState: () => cyclic }))
      .get('/login')
      .set('Accept', 'application/json')
      .expect(500);
    expect(res.body.error_description).toBe('option "getLoginState" must return a plain object that JSON can store, at most 4096 bytes');
  });
});

describe('req.empowerid.login() and logout() from the app’s own routes', () => {
  function app() {
    const a = buildApp(mock);
    a.get('/sign-in-with-hint', (req, res, next) => {
      req.empowerid.login({ returnTo: '/me', authorizationParams: { login_hint: 'alice', state: 'forged' } }).catch(next);
    });
    a.post('/leave', (req, res, next) => {
      req.empowerid.logout({ mode: 'local' }).catch(next);
    });
    return a;
  }

  it('login() redirects to the IdP with the app’s parameters, never overriding state, and comes back to returnTo', async () => {
    const agent = request.agent(app());
    const res = await agent.get('/sign-in-with-hint').expect(302);
    const url = new URL(res.headers.location as string);
    expect(url.origin).toBe(mock.url);
    expect(url.searchParams.get('login_hint')).toBe('alice');
    expect(url.searchParams.get('state')).not.toBe('forged');
    const callback = await authorize(url);
    const done = await agent.get(callback.pathname + callback.search).expect(302);
    expect(done.headers.location).toBe('/me');
    await agent.get('/me').expect(200);
  });

  it('logout() ends the session like POST /logout', async () => {
    const agent = request.agent(app());
    await signIn(agent);
    const res = await agent.post('/leave').expect(302);
    expect(res.headers.location).toBe(`${BASE_URL}/`);
    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });
});

describe('attemptSilentLogin', () => {
  it('signs in a visitor already signed in at the IdP, once, without a login form', async () => {
    const app = buildApp(mock, { attemptSilentLogin: true });
    app.get('/', (req, res) => res.send(req.empowerid.isAuthenticated() ? `signed in as ${req.empowerid.user?.sub}` : 'anonymous'));
    // An IdP session from an earlier sign-in elsewhere.
    const first = await fetch(await startLogin(request.agent(buildApp(mock))), { redirect: 'manual' });
    const idpCookie = (first.headers.get('set-cookie') ?? '').split(';')[0] as string;
    mock.setAutoLogin(false);

    const agent = request.agent(app);
    const attempt = await agent.get('/').set('Accept', 'text/html').expect(302);
    const url = new URL(attempt.headers.location as string);
    expect(url.searchParams.get('prompt')).toBe('none');
    const callback = await authorize(url, idpCookie);
    const back = await agent.get(callback.pathname + callback.search).expect(302);
    expect(back.headers.location).toBe('/');
    await agent.get('/').set('Accept', 'text/html').expect(200, 'signed in as alice');
  });

  it('a visitor not signed in at the IdP comes back to the page anonymously, and is not tried again', async () => {
    mock.setAutoLogin(false);
    const app = buildApp(mock, { attemptSilentLogin: true });
    app.get('/', (req, res) => res.send(req.empowerid.isAuthenticated() ? 'signed in' : 'anonymous'));
    const agent = request.agent(app);
    const attempt = await agent.get('/').set('Accept', 'text/html').expect(302);
    const callback = await authorize(new URL(attempt.headers.location as string));
    expect(callback.searchParams.get('error')).toBe('login_required');
    const back = await agent.get(callback.pathname + callback.search).expect(302);
    expect(back.headers.location).toBe('/');
    await agent.get('/').set('Accept', 'text/html').expect(200, 'anonymous');
    expect(mock.counts.authorize).toBe(1);
  });

  it('leaves API calls, fetches and the default (off) alone', async () => {
    const on = buildApp(mock, { attemptSilentLogin: true });
    on.get('/', (_req, res) => res.send('page'));
    await request(on).get('/').set('Accept', 'application/json').expect(200);
    await request(on).get('/').set('Accept', 'text/html').set('Sec-Fetch-Mode', 'cors').expect(200);
    const off = buildApp(mock);
    off.get('/', (_req, res) => res.send('page'));
    await request(off).get('/').set('Accept', 'text/html').expect(200);
  });
});
