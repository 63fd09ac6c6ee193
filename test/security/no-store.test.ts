import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { type Agent, buildApp, signIn } from '../helpers/sign-in.js';

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());

// Every answer of an auth route sets cookies or carries one-time values: never cacheable.
const cases: Array<{ name: string; status: number; run: (agent: Agent) => Promise<request.Response> }> = [
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
];

describe('Cache-Control: no-store on every auth response', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const res = await c.run(request.agent(buildApp(mock)));
      expect(res.status).toBe(c.status);
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
