import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import type { Express } from 'express';
import { type Agent, BASE_URL, buildApp, signIn } from '../helpers/sign-in.js';

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());

// Every answer of an auth route sets cookies or carries one-time values: never cacheable.
// Redirects to the IdP started outside the auth routes carry `state` and set the session cookie too.
const silentApp = (): Express => {
  const app = buildApp(mock, { attemptSilentLogin: true });
  app.get('/page', (_req, res) => res.send('page'));
  return app;
};
const controlsApp = (): Express => {
  const app = buildApp(mock);
  app.get('/go', (req, _res, next) => {
    req.empowerid.login().catch(next);
  });
  app.post('/out', (req, _res, next) => {
    req.empowerid.logout().catch(next);
  });
  return app;
};

const cases: Array<{ name: string; status: number; app?: () => Express; run: (agent: Agent) => Promise<request.Response> }> = [
  { name: 'GET /login redirect', status: 302, run: (a) => a.get('/login') },
  { name: 'GET /callback success redirect', status: 302, run: (a) => signIn(a) },
  { name: 'GET /callback error (no login in progress)', status: 400, run: (a) => a.get('/callback?code=x&state=y') },
  {
    name: 'POST /callback error (unsupported charset)',
    status: 415,
    run: (a) => a.post('/callback').set('Content-Type', 'application/x-www-form-urlencoded; charset=koi8-r').send('code=x'),
  },
  { name: 'POST /refresh 401', status: 401, run: (a) => a.post('/refresh').set('Accept', 'application/json') },
  { name: 'requiresAuth() redirect', status: 302, run: (a) => a.get('/me').set('Accept', 'text/html') },
  { name: 'requiresAuth() 401', status: 401, run: (a) => a.get('/me').set('Accept', 'application/json') },
  { name: 'attemptSilentLogin redirect to the IdP', status: 302, app: silentApp, run: (a) => a.get('/page').set('Accept', 'text/html') },
  { name: 'req.empowerid.login() redirect to the IdP from an app route', status: 302, app: controlsApp, run: (a) => a.get('/go') },
  {
    name: 'req.empowerid.logout() redirect from an app route (id_token_hint, state)',
    status: 302,
    app: controlsApp,
    run: async (a) => {
      await signIn(a);
      return a.post('/out').set('Origin', BASE_URL);
    },
  },
];

describe('Cache-Control: no-store on every auth response', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const res = await c.run(request.agent((c.app ?? (() => buildApp(mock)))()));
      expect(res.status).toBe(c.status);
      if (c.app) expect(res.headers.location).toMatch(new RegExp(`^${mock.url}/`));
      expect(res.headers['cache-control']).toBe('no-store');
    });
  }

  it('GET /login answering 503 while the IdP is down', async () => {
    const down = await startMockEmpowerID();
    await down.close();
    const res = await request(buildApp(down)).get('/login').set('Accept', 'application/json');
    expect(res.status).toBe(503);
    expect(res.headers['cache-control']).toBe('no-store');
  });
});
