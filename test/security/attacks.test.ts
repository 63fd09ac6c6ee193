import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { authorize, BASE_URL, buildApp, sessionCookie, signIn, startLogin } from '../helpers/sign-in.js';
import { OFFSITE_RETURN_TO, staysOnOrigin } from './spellings.js';
import { rawRequest } from './raw-http.js';

let mock: MockEmpowerID;
let server: Server;
let port: number;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
  server = createServer(buildApp(mock));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await mock.close();
});

const STACK = /\n\s+at |\.ts:\d+|\.js:\d+|node_modules/;

describe('session fixation', () => {
  it('a session id planted before login is not the signed-in session', async () => {
    const victim = request.agent(buildApp(mock));
    const login = await victim.get('/login').expect(302);
    const planted = sessionCookie(login) as string; // the attacker knows this id (fixed it in the victim's browser)
    expect(planted).toBeDefined();
    const callback = await authorize(new URL(login.headers.location as string));
    const done = await victim.get(callback.pathname + callback.search).expect(302);
    expect(sessionCookie(done)).not.toBe(planted);
    await victim.get('/me').set('Accept', 'application/json').expect(200);
    // The attacker replays the planted id: nothing is signed in under it.
    const attacker = await request(buildApp(mock)).get('/me').set('Cookie', planted).set('Accept', 'application/json');
    expect(attacker.status).toBe(401);
  });
});

describe('open redirect through post_logout_redirect_uri', () => {
  for (const value of OFFSITE_RETURN_TO.slice(0, 12)) {
    it(`the app sends only the configured URI, whatever the request says (${JSON.stringify(value)})`, async () => {
      const agent = request.agent(buildApp(mock));
      await signIn(agent);
      const res = await agent
        .post(`/logout?post_logout_redirect_uri=${encodeURIComponent(value)}&returnTo=${encodeURIComponent(value)}`)
        .type('form')
        .send({ post_logout_redirect_uri: value, returnTo: value })
        .expect(302);
      const end = new URL(res.headers.location as string);
      expect(end.searchParams.get('post_logout_redirect_uri')).toBe(`${BASE_URL}/`);
    });
  }

  const registered = `${BASE_URL}/`;
  const spellings = [
    'https://evil.example/',
    '//evil.example/',
    `${registered}.evil.example`,
    `${BASE_URL}@evil.example/`,
    `${BASE_URL}/%2F%2Fevil.example`,
    `${BASE_URL}/..//evil.example`,
    `${BASE_URL}/\\evil.example`,
    `${registered}?x=1`,
    `${registered}#x`,
    registered.toUpperCase(),
    `${registered} `,
    encodeURIComponent(registered),
    `http://127.0.0.1:3000\uff0fevil.example`,
  ];
  for (const value of spellings) {
    it(`the IdP refuses an unregistered post_logout_redirect_uri: ${JSON.stringify(value)} → 400, no Location`, async () => {
      const url = new URL(`${mock.url}/oauth/v2/ui/logout`);
      url.searchParams.set('client_id', DEFAULT_CLIENT.clientId);
      url.searchParams.set('post_logout_redirect_uri', value);
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    });
  }
});

// CR/LF through every parameter that reaches a header (Location, Set-Cookie, WWW-Authenticate).
const INJECT = '\r\nX-Injected: 1\r\nSet-Cookie: injected=1';
const injections: Array<{ name: string; run: () => Promise<{ status: number; headers: Record<string, unknown>; text: string }> }> = [
  {
    name: 'returnTo → Location of /callback',
    run: async () => {
      const agent = request.agent(buildApp(mock));
      return signIn(agent, `/login?returnTo=${encodeURIComponent(`/ok${INJECT}`)}`);
    },
  },
  {
    name: 'the protected URL → Location of the requiresAuth() redirect',
    run: () =>
      request(buildApp(mock))
        .get(`/me?x=${encodeURIComponent(INJECT)}`)
        .set('Accept', 'text/html'),
  },
  {
    name: 'prompt → Location of /login',
    run: () => request(buildApp(mock)).get(`/login?prompt=${encodeURIComponent(`none${INJECT}`)}`),
  },
  {
    name: 'error_description → the callback error page',
    run: async () => {
      const agent = request.agent(buildApp(mock));
      const state = (await startLogin(agent)).searchParams.get('state') as string;
      return agent.get(`/callback?error=access_denied&error_description=${encodeURIComponent(INJECT)}&state=${state}`);
    },
  },
  {
    name: 'error → the callback error page',
    run: async () => {
      const agent = request.agent(buildApp(mock));
      const state = (await startLogin(agent)).searchParams.get('state') as string;
      return agent.get(`/callback?error=${encodeURIComponent(`login_required${INJECT}`)}&state=${state}`);
    },
  },
  {
    name: 'state → the callback answer',
    run: () => request(buildApp(mock)).get(`/callback?code=a&state=${encodeURIComponent(INJECT)}`),
  },
  {
    name: 'mode → the logout answer',
    run: () => request(buildApp(mock)).get(`/logout?mode=${encodeURIComponent(INJECT)}`),
  },
  {
    name: 'mode → the logout confirmation form',
    run: () => request(buildApp(mock)).post('/logout').type('form').send({ mode: INJECT }),
  },
];

describe('header injection (CR/LF) through every parameter that reaches a header', () => {
  for (const c of injections) {
    it(c.name, async () => {
      const res = await c.run();
      expect(res.status).toBeLessThan(500);
      expect(res.headers['x-injected']).toBeUndefined();
      expect(JSON.stringify(res.headers['set-cookie'] ?? [])).not.toContain('injected');
      expect(String(res.headers.location ?? '')).not.toMatch(/[\r\n]/);
      if (res.headers.location)
        expect(staysOnOrigin(String(res.headers.location)) || String(res.headers.location).startsWith(mock.url)).toBe(true);
      expect(res.text ?? '').not.toMatch(STACK);
    });
  }
});

describe('oversized requests', () => {
  const rows: Array<{ name: string; head: string[]; body?: string; status: number }> = [
    { name: 'a 40 KB Cookie header', head: ['GET /login HTTP/1.1', `Cookie: connect.sid=${'a'.repeat(40_000)}`], status: 431 },
    { name: 'a 40 KB query string', head: [`GET /login?returnTo=/${'a'.repeat(40_000)} HTTP/1.1`], status: 431 },
    {
      name: '200 headers of 100 bytes',
      head: ['GET /login HTTP/1.1', ...Array.from({ length: 200 }, (_, i) => `X-H${i}: ${'v'.repeat(90)}`)],
      status: 431,
    },
    {
      name: 'a 1 MB POST /callback',
      head: ['POST /callback HTTP/1.1', 'Content-Type: application/x-www-form-urlencoded', 'Accept: application/json'],
      body: `code=${'a'.repeat(1_000_000)}`,
      status: 413,
    },
    {
      name: 'a 100 KB POST /logout',
      head: ['POST /logout HTTP/1.1', 'Content-Type: application/x-www-form-urlencoded', 'Accept: application/json'],
      body: `mode=${'a'.repeat(100_000)}`,
      status: 413,
    },
    {
      name: 'a 3000-character returnTo (over the limit) still gets the login redirect',
      head: [`GET /login?returnTo=/${'a'.repeat(3000)} HTTP/1.1`],
      status: 302,
    },
  ];
  for (const r of rows) {
    it(`${r.name} → ${r.status}`, async () => {
      const res = await rawRequest(port, r.head, r.body);
      expect(res.status).toBe(r.status);
      expect(res.body).not.toMatch(STACK);
    });
  }
});
