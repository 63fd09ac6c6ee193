import express4 from 'express4';
import session from 'express-session';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { empowerid, requireToken, requiresAuth } from '../../src/index.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { BASE_URL, signIn } from '../helpers/sign-in.js';

// express is a peer dependency for versions 4 and 5; the suite runs on 5, this file on 4.

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());

// This program type-checks against @types/express 5; a user on Express 4 has only 4's types, so
// these casts bridge the two type packages here, not the runtime.
type Handler4 = express4.RequestHandler;

function app4() {
  const app = express4();
  app.use(session({ secret: 'test-secret', resave: false, saveUninitialized: false }) as unknown as Handler4);
  app.use(
    empowerid({
      server: mock.url,
      clientId: DEFAULT_CLIENT.clientId,
      clientSecret: DEFAULT_CLIENT.clientSecret,
      baseURL: BASE_URL,
    }) as unknown as Handler4,
  );
  app.get('/me', requiresAuth() as unknown as Handler4, (req, res) => {
    res.json((req as unknown as Express.Request).empowerid.user);
  });
  app.get('/api', requireToken() as unknown as Handler4, (req, res) => {
    res.json((req as unknown as Express.Request).empowerid.profile);
  });
  return app;
}

describe('Express 4', () => {
  it('signs in, serves a protected route, refreshes and logs out', async () => {
    const agent = request.agent(app4());
    await agent.get('/me').set('Accept', 'text/html').expect(302).expect('location', '/login?returnTo=%2Fme');
    const done = await signIn(agent, '/login?returnTo=%2Fme');
    expect(done.headers.location).toBe('/me');
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body.sub).toBe('alice');
    const refreshed = await agent.post('/refresh').expect(200);
    expect(typeof refreshed.body.expiresAt).toBe('number');
    await agent.post('/logout').expect(302);
    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });

  it('protects an API route with requireToken()', async () => {
    const token = await mock.issueAccessToken({ username: 'bob' });
    const res = await request(app4()).get('/api').set('Authorization', `Bearer ${token}`).expect(200);
    expect(res.body.username).toBe('bob');
    await request(app4()).get('/api').expect(401).expect('www-authenticate', 'Bearer realm="api"');
  });
});
