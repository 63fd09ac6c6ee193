import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  empowerid,
  type EmpowerIDOptions,
  EmpowerIDError,
  errorHandler,
  type ErrorPageInfo,
  requiresAuth,
  requireToken,
} from '../../src/index.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { buildApp, startLogin } from '../helpers/sign-in.js';

// The page every user of an app sees when sign-in goes wrong: the library's default, or the app's own.

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());

const html = 'text/html';

/** Starts a login, then comes back from the IdP with `error=…` as a cancelled sign-in does. */
async function cancelledCallback(agent: ReturnType<typeof request.agent>, description = 'the user denied the request') {
  const authorizeUrl = await startLogin(agent);
  const state = authorizeUrl.searchParams.get('state') as string;
  const q = new URLSearchParams({ error: 'access_denied', error_description: description, state });
  return agent.get(`/callback?${q}`).set('Accept', html);
}

describe('the default error page', () => {
  it('a cancelled sign-in: styled page with its title, the cause, "Try again" and a way back; no-store', async () => {
    const res = await cancelledCallback(request.agent(buildApp(mock)));
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).toContain('<title>Sign-in cancelled</title>');
    expect(res.text).toContain('<style>');
    expect(res.text).toContain('the user denied the request');
    expect(res.text).toContain('<a class="primary" href="/login">Try again</a>');
    expect(res.text).toContain('<a href="/">Back to the start page</a>');
  });

  it('escapes what the IdP sent back', async () => {
    const res = await cancelledCallback(request.agent(buildApp(mock)), '<script>alert(1)</script>');
    expect(res.text).not.toContain('<script>');
    expect(res.text).toContain('&#60;script&#62;');
  });

  it('a callback without a login in progress says the sign-in expired', async () => {
    const res = await request(buildApp(mock)).get('/callback?code=x&state=y').set('Accept', html).expect(400);
    expect(res.text).toContain('<h1>Sign-in expired</h1>');
    expect(res.text).toContain('ERR_CALLBACK_NO_TRANSACTION');
  });

  it('a cross-site logout says the request was refused, without "Try again"', async () => {
    const res = await request(buildApp(mock))
      .post('/logout')
      .set('Origin', 'https://evil.example')
      .set('Sec-Fetch-Site', 'cross-site')
      .set('Accept', html)
      .type('form')
      .send('mode=global');
    expect(res.status).toBe(403);
    expect(res.text).toContain('<h1>Request refused</h1>');
    expect(res.text).not.toContain('Try again');
  });

  it('an app under a path prefix links back to its own start page and login route', async () => {
    const res = await request(buildApp(mock, { baseURL: 'http://127.0.0.1:3000/portal' }))
      .get('/callback?code=x&state=y')
      .set('Accept', html)
      .expect(400);
    expect(res.text).toContain('href="/portal/login">Try again');
    expect(res.text).toContain('href="/portal/">Back to the start page');
  });

  it('API clients still get JSON', async () => {
    const res = await request(buildApp(mock)).get('/callback?code=x&state=y').set('Accept', 'application/json').expect(400);
    expect(res.body).toMatchObject({ code: 'ERR_CALLBACK_NO_TRANSACTION' });
  });
});

function themedApp(errorPage: EmpowerIDOptions['errorPage']) {
  const app = express();
  app.use(session({ secret: 's', resave: false, saveUninitialized: false, cookie: { sameSite: 'lax' } }));
  app.use(
    empowerid({
      server: mock.url,
      clientId: DEFAULT_CLIENT.clientId,
      clientSecret: DEFAULT_CLIENT.clientSecret,
      baseURL: 'http://127.0.0.1:3000',
      errorPage,
    }),
  );
  app.get('/api/admin', requireToken({ roles: ['Nobody Has This Role'] }), (_req, res) => res.json({ ok: true }));
  app.get('/fail', requiresAuth(), () => {
    throw new EmpowerIDError('ERR_LOGIN_REQUIRED', 'empowerid: thrown by a route', { status: 401 });
  });
  return app;
}

describe('the errorPage option', () => {
  const seen: ErrorPageInfo[] = [];
  const mine = (info: ErrorPageInfo) => {
    seen.push(info);
    return `<!doctype html><p class="mine">${info.title} (${info.status}) ${info.code}</p>`;
  };

  it('renders the router’s errors in the app’s own page', async () => {
    const res = await request(themedApp(mine)).get('/callback?code=x&state=y').set('Accept', html).expect(400);
    expect(res.text).toBe('<!doctype html><p class="mine">Sign-in expired (400) ERR_CALLBACK_NO_TRANSACTION</p>');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(seen.at(-1)).toMatchObject({ retryHref: '/login', homeHref: '/', error: 'invalid_request' });
  });

  it('renders requireToken()’s 403 for a missing role too', async () => {
    const token = await mock.issueAccessToken({ username: 'alice' });
    const res = await request(themedApp(mine)).get('/api/admin').set('Authorization', `Bearer ${token}`).set('Accept', html).expect(403);
    expect(res.text).toContain('Access denied (403) ERR_BEARER_INSUFFICIENT_SCOPE');
    expect(res.headers['www-authenticate']).toMatch(/insufficient_scope/);
    expect(seen.at(-1)?.retryHref).toBeUndefined();
  });

  it('a renderer that throws falls back to the default page with the right status', async () => {
    const res = await request(
      themedApp(() => {
        throw new Error('template missing');
      }),
    )
      .get('/callback?code=x&state=y')
      .set('Accept', html)
      .expect(400);
    expect(res.text).toContain('<h1>Sign-in expired</h1>');
  });

  it('is validated at start-up', () => {
    expect(() => themedApp('<h1>oops</h1>' as never)).toThrow(/option "errorPage" must be a function/);
  });

  it('errorHandler({ errorPage }) renders errors thrown by the app’s routes', async () => {
    const app = themedApp(undefined);
    app.use(errorHandler({ errorPage: (info) => `<main>${info.summary}</main>` }));
    const agent = request.agent(app);
    // Signed out, a browser is redirected; a fetch is answered by requiresAuth() itself.
    await agent.get('/fail').set('Accept', html).expect(302);
    const bare = express();
    bare.get('/boom', () => {
      throw new EmpowerIDError('ERR_REFRESH_FAILED', 'empowerid: no refresh token', { status: 400 });
    });
    bare.use(errorHandler({ errorPage: (info) => `<main>${info.title}: ${info.message}</main>` }));
    const res = await request(bare).get('/boom').set('Accept', html).expect(400);
    expect(res.text).toBe('<main>Sign-in failed: no refresh token</main>');
  });
});
