import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { type Agent, BASE_URL, buildApp, signIn } from '../helpers/sign-in.js';

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());

async function signedIn(): Promise<Agent> {
  const agent = request.agent(buildApp(mock));
  await signIn(agent).then((r) => expect(r.status).toBe(302));
  return agent;
}
const stillSignedIn = (agent: Agent) => agent.get('/me').set('Accept', 'application/json').expect(200);
const signedOut = (agent: Agent) => agent.get('/me').set('Accept', 'application/json').expect(401);

type Headers = Record<string, string>;
const EVIL = 'https://evil.example';

// A request that must never end the session: cross-site in every way a browser can say so.
const crossSite: Array<{ name: string; method: 'get' | 'post' | 'head'; headers: Headers; status: number; code?: string }> = [
  {
    name: 'cross-site POST (Sec-Fetch-Site)',
    method: 'post',
    headers: { 'Sec-Fetch-Site': 'cross-site', Origin: EVIL },
    status: 403,
    code: 'ERR_CROSS_SITE_REQUEST',
  },
  {
    name: 'same-site but other origin POST',
    method: 'post',
    headers: { 'Sec-Fetch-Site': 'same-site', Origin: 'http://sub.127.0.0.1:3000' },
    status: 403,
    code: 'ERR_CROSS_SITE_REQUEST',
  },
  {
    name: 'POST with a foreign Origin (no Sec-Fetch-Site)',
    method: 'post',
    headers: { Origin: EVIL },
    status: 403,
    code: 'ERR_CROSS_SITE_REQUEST',
  },
  {
    name: 'POST with Origin: null (sandboxed frame)',
    method: 'post',
    headers: { Origin: 'null' },
    status: 403,
    code: 'ERR_CROSS_SITE_REQUEST',
  },
  {
    name: 'POST with an Origin that only prefixes ours',
    method: 'post',
    headers: { Origin: `${BASE_URL}.evil.example` },
    status: 403,
    code: 'ERR_CROSS_SITE_REQUEST',
  },
  {
    name: 'POST with a foreign Referer only',
    method: 'post',
    headers: { Referer: `${EVIL}/page` },
    status: 403,
    code: 'ERR_CROSS_SITE_REQUEST',
  },
  {
    name: 'POST with an unparsable Referer only',
    method: 'post',
    headers: { Referer: 'not a url' },
    status: 403,
    code: 'ERR_CROSS_SITE_REQUEST',
  },
  { name: 'cross-site GET (link or <img>)', method: 'get', headers: { 'Sec-Fetch-Site': 'cross-site' }, status: 200 },
  { name: 'GET with a foreign Referer', method: 'get', headers: { Referer: `${EVIL}/` }, status: 200 },
  { name: 'GET typed into the address bar (Sec-Fetch-Site: none)', method: 'get', headers: { 'Sec-Fetch-Site': 'none' }, status: 200 },
  { name: 'HEAD, even same-origin', method: 'head', headers: { 'Sec-Fetch-Site': 'same-origin' }, status: 200 },
  { name: 'POST with an unknown mode', method: 'post', headers: { Origin: BASE_URL }, status: 400, code: 'ERR_REQUEST_INVALID' },
];

describe('cross-site logout does not end the session', () => {
  for (const c of crossSite) {
    it(c.name, async () => {
      const agent = await signedIn();
      let req = agent[c.method]('/logout').set('Accept', 'application/json').set(c.headers);
      if (c.method === 'post') req = req.type('form').send(c.code === 'ERR_REQUEST_INVALID' ? { mode: 'everything' } : {});
      const res = await req;
      expect(res.status).toBe(c.status);
      expect(res.headers.location).toBeUndefined();
      expect(res.headers['cache-control']).toBe('no-store');
      if (c.code) expect(res.body.code).toBe(c.code);
      await stillSignedIn(agent);
    });
  }

  it('the GET confirmation page is one button POSTing to the logout route, carrying mode, not frameable', async () => {
    const agent = await signedIn();
    const res = await agent.get('/logout?mode=local').set('Sec-Fetch-Site', 'cross-site').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.text).toMatch(/<form method="post" action="\/logout">/);
    expect(res.text).toContain('<input type="hidden" name="mode" value="local">');
    expect(res.text.match(/<button/g)).toHaveLength(1);
    await stillSignedIn(agent);
  });

  it('GET with an unknown mode is a 400, session kept', async () => {
    const agent = await signedIn();
    const res = await agent.get('/logout?mode=%3Cscript%3E').set('Accept', 'application/json').expect(400);
    expect(res.body.code).toBe('ERR_REQUEST_INVALID');
    await stillSignedIn(agent);
  });
});

// Same-origin requests, and non-browser clients (no Sec-Fetch-Site, Origin nor Referer), log out.
const sameOrigin: Array<{
  name: string;
  method: 'get' | 'post';
  headers: Headers;
  body?: Record<string, string>;
  idp: false | 'true' | 'false';
}> = [
  { name: 'POST, Sec-Fetch-Site same-origin', method: 'post', headers: { 'Sec-Fetch-Site': 'same-origin' }, idp: 'true' },
  { name: 'POST, Origin equal to baseURL (no Sec-Fetch-Site)', method: 'post', headers: { Origin: BASE_URL }, idp: 'true' },
  { name: 'POST, same-origin Referer only', method: 'post', headers: { Referer: `${BASE_URL}/account?x=1` }, idp: 'true' },
  { name: 'POST without any of the three (non-browser client)', method: 'post', headers: {}, idp: 'true' },
  { name: 'GET, Sec-Fetch-Site same-origin', method: 'get', headers: { 'Sec-Fetch-Site': 'same-origin' }, idp: 'true' },
  { name: 'POST mode=local', method: 'post', headers: { Origin: BASE_URL }, body: { mode: 'local' }, idp: false },
  { name: 'POST mode=client', method: 'post', headers: { Origin: BASE_URL }, body: { mode: 'client' }, idp: 'false' },
  { name: 'POST mode=global', method: 'post', headers: { Origin: BASE_URL }, body: { mode: 'global' }, idp: 'true' },
];

describe('same-origin logout', () => {
  for (const c of sameOrigin) {
    it(c.name, async () => {
      const agent = await signedIn();
      let req = agent[c.method]('/logout').set(c.headers);
      if (c.method === 'post') req = req.type('form').send(c.body ?? {});
      const res = await req.expect(302);
      expect(res.headers['cache-control']).toBe('no-store');
      const location = new URL(res.headers.location as string);
      if (c.idp === false) {
        expect(location.href).toBe(`${BASE_URL}/`);
      } else {
        expect(location.origin + location.pathname).toBe(`${mock.url}/oauth/v2/ui/logout`);
        expect(location.searchParams.get('global_logout')).toBe(c.idp);
        expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${BASE_URL}/`);
      }
      await signedOut(agent);
    });
  }

  it('GET same-origin with ?mode=client ends only this client at the IdP', async () => {
    const agent = await signedIn();
    const res = await agent.get('/logout?mode=client').set('Sec-Fetch-Site', 'same-origin').expect(302);
    expect(new URL(res.headers.location as string).searchParams.get('global_logout')).toBe('false');
    await signedOut(agent);
  });

  it('an oversized logout body is a 413, session kept', async () => {
    const agent = await signedIn();
    const res = await agent
      .post('/logout')
      .set('Origin', BASE_URL)
      .set('Accept', 'application/json')
      .type('form')
      .send({ mode: 'x'.repeat(20_000) });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('ERR_BODY_INVALID');
    await stillSignedIn(agent);
  });
});
