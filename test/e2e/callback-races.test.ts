import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { authorize, buildApp, sessionCookie } from '../helpers/sign-in.js';

// A double-submitted callback (double click, browser retry) and a callback replayed with Back
// must not burn the sign-in: one code exchange, and both requests end signed in where the user
// was going.

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());
beforeEach(() => mock.resetCounts());

async function pendingCallback(agent: ReturnType<typeof request.agent>, returnTo = '/me'): Promise<string> {
  const login = await agent.get(`/login?returnTo=${encodeURIComponent(returnTo)}`).expect(302);
  const callback = await authorize(new URL(login.headers.location as string));
  return callback.pathname + callback.search;
}

describe('two identical callbacks at once', () => {
  it('exchange the code once; both answers redirect to returnTo with the same signed-in session', async () => {
    const app = buildApp(mock);
    const agent = request.agent(app);
    const url = await pendingCallback(agent);
    const [a, b] = await Promise.all([agent.get(url), agent.get(url)]);
    expect(mock.counts['token:authorization_code']).toBe(1);
    expect([a.status, b.status]).toEqual([302, 302]);
    expect(a.headers.location).toBe('/me');
    expect(b.headers.location).toBe('/me');
    const [ca, cb] = [sessionCookie(a), sessionCookie(b)];
    expect(ca).toBeDefined();
    expect(cb).toBe(ca);
    // The tokens were not revoked by a second use of the code.
    const me = await request(app)
      .get('/me')
      .set('Cookie', ca as string)
      .set('Accept', 'application/json')
      .expect(200);
    expect(me.body.user.sub).toBe('alice');
    const api = await fetch(`${mock.url}/oauth/v2/userinfo`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('empowerid-express-example:example-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ access_token: me.body.accessToken }),
    });
    expect(api.status).toBe(200);
  });

  it('another browser with the same state does not get the sign-in', async () => {
    const app = buildApp(mock);
    const victim = request.agent(app);
    const url = await pendingCallback(victim);
    const attacker = request.agent(app);
    await attacker.get('/login').expect(302); // a session of its own, with a login of its own
    const [v, x] = await Promise.all([victim.get(url), attacker.get(url).set('Accept', 'application/json')]);
    expect(v.status).toBe(302);
    expect(x.status).toBe(400);
    expect(sessionCookie(x)).not.toBe(sessionCookie(v));
    await attacker.get('/me').set('Accept', 'application/json').expect(401);
  });
});

describe('a replayed callback', () => {
  it('for a user who is signed in goes on to where they were going', async () => {
    const agent = request.agent(buildApp(mock));
    const url = await pendingCallback(agent, '/me?tab=profile');
    await agent.get(url).expect(302, /\/me\?tab=profile/);
    const again = await agent.get(url).expect(302);
    expect(again.headers.location).toBe('/me?tab=profile');
    expect(mock.counts['token:authorization_code']).toBe(1);
    await agent.get('/me').set('Accept', 'application/json').expect(200);
  });

  it('for a visitor who is not signed in is still refused', async () => {
    const agent = request.agent(buildApp(mock));
    const url = await pendingCallback(agent);
    await agent.get(url).expect(302);
    const stranger = await request(buildApp(mock)).get(url).set('Accept', 'application/json');
    expect(stranger.status).toBe(400);
  });
});
