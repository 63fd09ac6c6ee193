import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { authorize, buildApp, sessionCookie, signIn, startLogin } from '../helpers/sign-in.js';

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());

type Agent = ReturnType<typeof request.agent>;

/** After a rejected callback the user must not be signed in. */
async function expectSignedOut(agent: Agent) {
  await agent.get('/me').set('Accept', 'application/json').expect(401);
}

async function callbackWith(agent: Agent, mutate: (q: URLSearchParams) => void) {
  const callback = await authorize(await startLogin(agent));
  mutate(callback.searchParams);
  return agent.get(callback.pathname + callback.search).set('Accept', 'application/json');
}

const now = () => Math.floor(Date.now() / 1000);

describe('callback rejections (no session is created)', () => {
  const cases: Array<{ name: string; status: number; code: string; run: (agent: Agent) => Promise<request.Response> }> = [
    {
      name: 'wrong state',
      status: 400,
      code: 'ERR_STATE_MISMATCH',
      run: (agent) => callbackWith(agent, (q) => q.set('state', 'attacker-chosen-state-value')),
    },
    {
      name: 'missing state',
      status: 400,
      code: 'ERR_STATE_MISMATCH',
      run: (agent) => callbackWith(agent, (q) => q.delete('state')),
    },
    {
      name: 'wrong nonce in the ID token',
      status: 400,
      code: 'ERR_ID_TOKEN_INVALID',
      run: (agent) => {
        mock.tamperNextIdToken({ claims: { nonce: 'not-the-nonce-we-sent' } });
        return callbackWith(agent, () => {});
      },
    },
    {
      name: 'expired ID token',
      status: 400,
      code: 'ERR_ID_TOKEN_INVALID',
      run: (agent) => {
        mock.tamperNextIdToken({ claims: { iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 } });
        return callbackWith(agent, () => {});
      },
    },
    {
      name: 'ID token signed by another key',
      status: 400,
      code: 'ERR_ID_TOKEN_INVALID',
      run: (agent) => {
        mock.tamperNextIdToken({ signWith: 'foreign-key' });
        return callbackWith(agent, () => {});
      },
    },
    {
      name: 'ID token with alg none',
      status: 400,
      code: 'ERR_ID_TOKEN_INVALID',
      run: (agent) => {
        mock.tamperNextIdToken({ signWith: 'none' });
        return callbackWith(agent, () => {});
      },
    },
    {
      name: 'ID token for another audience',
      status: 400,
      code: 'ERR_ID_TOKEN_INVALID',
      run: (agent) => {
        mock.tamperNextIdToken({ claims: { aud: 'some-other-client' } });
        return callbackWith(agent, () => {});
      },
    },
    {
      name: 'ID token HS256-signed with the RSA public key (algorithm confusion)',
      status: 400,
      code: 'ERR_ID_TOKEN_INVALID',
      run: (agent) => {
        mock.tamperNextIdToken({ signWith: 'hs256-public-key' });
        return callbackWith(agent, () => {});
      },
    },
    {
      name: 'ID token with two audiences and azp naming another client',
      status: 400,
      code: 'ERR_ID_TOKEN_INVALID',
      run: (agent) => {
        mock.tamperNextIdToken({ claims: { aud: [DEFAULT_CLIENT.clientId, 'some-other-client'], azp: 'some-other-client' } });
        return callbackWith(agent, () => {});
      },
    },
    {
      name: 'ID token from another issuer',
      status: 400,
      code: 'ERR_ID_TOKEN_INVALID',
      run: (agent) => {
        mock.tamperNextIdToken({ claims: { iss: 'https://mallory.example' } });
        return callbackWith(agent, () => {});
      },
    },
    {
      name: 'ID token not yet valid (nbf an hour ahead, beyond the tolerance)',
      status: 400,
      code: 'ERR_ID_TOKEN_INVALID',
      run: (agent) => {
        mock.tamperNextIdToken({ claims: { nbf: now() + 3600 } });
        return callbackWith(agent, () => {});
      },
    },
    {
      name: 'ID token issued in the future (iat an hour ahead)',
      status: 400,
      code: 'ERR_ID_TOKEN_INVALID',
      run: (agent) => {
        mock.tamperNextIdToken({ claims: { iat: now() + 3600, exp: now() + 7200 } });
        return callbackWith(agent, () => {});
      },
    },
    {
      name: 'ID token expired just beyond the tolerance',
      status: 400,
      code: 'ERR_ID_TOKEN_INVALID',
      run: (agent) => {
        mock.tamperNextIdToken({ claims: { iat: now() - 900, exp: now() - 301 } });
        return callbackWith(agent, () => {});
      },
    },
    {
      name: 'nonce replay: the ID token carries the nonce of an earlier login of this browser',
      status: 400,
      code: 'ERR_ID_TOKEN_INVALID',
      run: async (agent) => {
        const earlier = await startLogin(agent);
        const done = await authorize(earlier);
        await agent.get(done.pathname + done.search).expect(302);
        mock.tamperNextIdToken({ claims: { nonce: earlier.searchParams.get('nonce') } });
        const res = await callbackWith(agent, () => {});
        // The earlier sign-in is over; the replay must not leave this browser signed in either.
        await agent.post('/logout').expect(302);
        return res;
      },
    },
    {
      name: "code injection: the attacker's own code (bound to the attacker's PKCE verifier) in the victim's callback",
      status: 400,
      code: 'ERR_OAUTH_ERROR',
      run: async (agent) => {
        const attacker = request.agent(buildApp(mock));
        const attackerCallback = await authorize(await startLogin(attacker));
        const victimLogin = await startLogin(agent);
        return agent
          .get(`/callback?code=${attackerCallback.searchParams.get('code')}&state=${victimLogin.searchParams.get('state')}`)
          .set('Accept', 'application/json');
      },
    },
    {
      name: 'IdP error=access_denied',
      status: 403,
      code: 'ERR_AUTHORIZATION_DENIED',
      run: async (agent) => {
        const authorizeUrl = await startLogin(agent);
        const state = authorizeUrl.searchParams.get('state') as string;
        return agent
          .get(`/callback?error=access_denied&error_description=The+user+said+no&state=${state}`)
          .set('Accept', 'application/json');
      },
    },
    {
      name: 'replayed authorization code',
      status: 400,
      code: 'ERR_OAUTH_ERROR',
      run: async (agent) => {
        // A victim's code, used once already, replayed into a fresh login of another browser.
        const victim = request.agent(buildApp(mock));
        const used = await authorize(await startLogin(victim));
        await victim.get(used.pathname + used.search).expect(302);
        const authorizeUrl = await startLogin(agent);
        return agent
          .get(`/callback?code=${used.searchParams.get('code')}&state=${authorizeUrl.searchParams.get('state')}`)
          .set('Accept', 'application/json');
      },
    },
    {
      name: 'callback without a login in progress',
      status: 400,
      code: 'ERR_CALLBACK_NO_TRANSACTION',
      run: (agent) => agent.get('/callback?code=abc&state=def').set('Accept', 'application/json'),
    },
  ];

  for (const c of cases) {
    it(`rejects ${c.name}`, async () => {
      const agent = request.agent(buildApp(mock));
      const res = await c.run(agent);
      expect(res.status).toBe(c.status);
      expect(res.body.code).toBe(c.code);
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
      await expectSignedOut(agent);
    });
  }

  it('shows browsers a short error page, not a stack trace', async () => {
    const agent = request.agent(buildApp(mock));
    const res = await agent.get('/callback?code=abc&state=def').set('Accept', 'text/html').expect(400);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('Sign-in expired');
    expect(res.text).not.toMatch(/\.ts:\d+|node_modules/);
  });

  it('a replayed callback exchanges nothing: the signed-in browser goes on, no new session is made', async () => {
    const agent = request.agent(buildApp(mock));
    const callback = await authorize(await startLogin(agent));
    const first = await agent.get(callback.pathname + callback.search).expect(302);
    const exchanges = mock.counts['token:authorization_code'];
    const again = await agent.get(callback.pathname + callback.search).set('Accept', 'application/json');
    expect(again.status).toBe(302);
    expect(again.headers.location).toBe(first.headers.location);
    expect(sessionCookie(again)).toBeUndefined();
    expect(mock.counts['token:authorization_code']).toBe(exchanges);
  });
});

describe('open redirects', () => {
  for (const returnTo of [
    'https://evil.example',
    '//evil.example',
    '/\\evil.example',
    'javascript:alert(1)',
    '/\r\nLocation: https://evil.example',
    'http://127.0.0.1:3000.evil.example/',
  ]) {
    it(`returnTo=${returnTo} falls back to /`, async () => {
      const agent = request.agent(buildApp(mock));
      const res = await signIn(agent, `/login?returnTo=${encodeURIComponent(returnTo)}`);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe('/');
    });
  }

  it('keeps a same-origin relative returnTo with its query', async () => {
    const agent = request.agent(buildApp(mock));
    const res = await signIn(agent, `/login?returnTo=${encodeURIComponent('/orders?page=2')}`);
    expect(res.headers.location).toBe('/orders?page=2');
  });
});
