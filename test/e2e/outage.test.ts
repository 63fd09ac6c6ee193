import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { empowerid } from '../../src/index.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { BASE_URL, buildApp, signIn } from '../helpers/sign-in.js';

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());

describe('an IdP that is down', () => {
  it('at startup does not crash the app; login answers 503, then works once the IdP is back', async () => {
    mock.setOutage('down');
    const app = buildApp(mock); // must not throw although discovery fails
    const agent = request.agent(app);
    const down = await agent.get('/login').set('Accept', 'application/json');
    expect(down.status).toBe(503);
    expect(down.body.code).toBe('ERR_IDP_UNAVAILABLE');
    expect(Number(down.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    mock.setOutage(false);
    await new Promise((r) => setTimeout(r, 150)); // the background retry backs off from 20 ms
    const res = await signIn(agent);
    expect(res.status).toBe(302);
    await agent.get('/me').set('Accept', 'application/json').expect(200);
  });

  it('answering garbage is a 503 that names the cause', async () => {
    mock.setOutage('garbage');
    try {
      const res = await request(buildApp(mock)).get('/login').set('Accept', 'application/json');
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('ERR_IDP_BAD_RESPONSE');
      expect(res.body.error_description).toMatch(/discovery/);
    } finally {
      mock.setOutage(false);
    }
  });

  it('logout still ends the local session when the IdP is down', async () => {
    const agent = request.agent(buildApp(mock));
    await signIn(agent);
    mock.setOutage('down');
    try {
      const res = await agent.post('/logout').expect(302);
      // Discovery was cached, so the IdP logout URL is still built; the local session is gone either way.
      expect(res.headers.location).toMatch(/oauth\/v2\/ui\/logout|127\.0\.0\.1:3000\//);
      await agent.get('/me').set('Accept', 'application/json').expect(401);
    } finally {
      mock.setOutage(false);
    }
  });
});

describe('misconfiguration', () => {
  it('a missing express-session gives an error that says to mount it', async () => {
    const app = express();
    app.use(empowerid({ server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: 's', baseURL: BASE_URL }));
    app.get('/', (_req, res) => res.send('ok'));
    const res = await request(app).get('/').set('Accept', 'application/json').expect(500);
    expect(res.body.code).toBe('ERR_SESSION_MISSING');
    expect(res.body.error_description).toMatch(/express-session/);
  });

  it('a wrong client secret surfaces as invalid_client at the callback, not a 500', async () => {
    const agent = request.agent(buildApp(mock, { clientSecret: 'wrong' }));
    const res = await signIn(agent);
    expect(res.status).toBe(400);
    expect(res.text).toContain('invalid_client');
  });
});
