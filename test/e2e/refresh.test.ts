import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { buildApp, signIn } from '../helpers/sign-in.js';

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice', accessTokenTTL: 600 });
});
afterAll(() => mock.close());

/** The app's clock, moved forward by the test instead of sleeping. */
function testClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (seconds: number) => (offset += seconds * 1000) };
}

describe('silent refresh', () => {
  it('50 concurrent requests of one session with an expiring token share exactly one refresh', async () => {
    const clock = testClock();
    const agent = request.agent(buildApp(mock, { clock: clock.now }));
    await signIn(agent);
    const first = await agent.get('/me').set('Accept', 'application/json').expect(200);
    mock.resetCounts();
    clock.advance(600 - 30); // inside the 60 s skew (capped at half of 600 s)
    const results = await Promise.all(Array.from({ length: 50 }, () => agent.get('/me').set('Accept', 'application/json')));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(mock.counts['token:refresh_token'] ?? 0).toBe(1);
    const tokens = new Set(results.map((r) => r.body.accessToken));
    expect(tokens.size).toBe(1);
    expect(tokens.has(first.body.accessToken)).toBe(false);
    // The new token is accepted by the IdP, the old one is still the user's.
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body.accessToken).toBe([...tokens][0]);
    expect(me.body.user.sub).toBe('alice');
  });

  it('does not refresh a token that is not close to expiry', async () => {
    const agent = request.agent(buildApp(mock));
    await signIn(agent);
    mock.resetCounts();
    await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(mock.counts['token:refresh_token'] ?? 0).toBe(0);
  });

  it('a refused refresh (invalid_grant) ends the sign-in so requiresAuth asks to log in again', async () => {
    const idpClock = testClock();
    const idp = await startMockEmpowerID({ autoLogin: 'alice', refreshTokenTTL: 3600, clock: idpClock.now });
    try {
      const clock = testClock();
      const agent = request.agent(buildApp(idp, { clock: clock.now }));
      await signIn(agent);
      idpClock.advance(7200); // the refresh token has expired at the IdP
      clock.advance(7200);
      const res = await agent.get('/me').set('Accept', 'text/html').expect(302);
      expect(res.headers.location).toBe('/login?returnTo=%2Fme');
      expect(idp.counts['token:refresh_token']).toBe(1);
      await agent.get('/me').set('Accept', 'application/json').expect(401);
    } finally {
      await idp.close();
    }
  });

  it('POST /refresh answers { expiresAt } and rotates the refresh token', async () => {
    const clock = testClock();
    const agent = request.agent(buildApp(mock, { clock: clock.now }));
    await signIn(agent);
    mock.resetCounts();
    const a = await agent.post('/refresh').expect(200);
    const b = await agent.post('/refresh').expect(200);
    expect(mock.counts['token:refresh_token']).toBe(2); // the second used the rotated token
    expect(b.body.expiresAt).toBeGreaterThanOrEqual(a.body.expiresAt);
  });

  it('a refresh that failed while the IdP was down is not replayed: the next one succeeds once the IdP is back', async () => {
    const idp = await startMockEmpowerID({ autoLogin: 'alice' });
    try {
      const agent = request.agent(buildApp(idp));
      await signIn(agent);
      idp.setOutage('down');
      const down = await agent.post('/refresh').set('Accept', 'application/json');
      expect(down.status).toBe(503);
      idp.setOutage(false);
      idp.resetCounts();
      const back = await agent.post('/refresh').set('Accept', 'application/json');
      expect(back.status).toBe(200);
      expect(idp.counts['token:refresh_token']).toBe(1);
    } finally {
      await idp.close();
    }
  });

  it('POST /refresh without a session answers 401 JSON', async () => {
    const res = await request(buildApp(mock)).post('/refresh').set('Accept', 'application/json').expect(401);
    expect(res.body.code).toBe('ERR_LOGIN_REQUIRED');
  });
});
