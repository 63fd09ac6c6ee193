import express from 'express';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireToken } from '../../src/index.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { type Fault, type FaultyProxy, startFaultyProxy } from '../helpers/faulty-proxy.js';
import { authorize, buildApp, startLogin } from '../helpers/sign-in.js';

// A network that fails between the library and the IdP is an unavailable IdP (503 + Retry-After),
// whatever breaks and wherever: never a bad ID token, never a hang past timeoutMs, and never the
// IdP's host names or socket errors in what the user sees.

const TIMEOUT_MS = 400;
let mock: MockEmpowerID;
let proxy: FaultyProxy;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());
afterEach(async () => {
  await proxy?.close();
});

function expectUnavailable(res: request.Response): void {
  expect(res.status).toBe(503);
  expect(res.body.code).toBe('ERR_IDP_UNAVAILABLE');
  expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  expect(res.headers['cache-control']).toMatch(/no-store/);
  const text = res.text;
  for (const leak of ['127.0.0.1', 'localhost', 'ECONNREFUSED', 'ECONNRESET', 'socket', 'UND_ERR', 'http://']) {
    expect(text).not.toContain(leak);
  }
}

const app = () => buildApp(mock, { server: proxy.url, timeoutMs: TIMEOUT_MS });

/** An API-only service guarding /api, reaching the IdP through the faulty proxy. */
function guardedApi(): express.Express {
  const api = express();
  const guard = requireToken({
    server: proxy.url,
    clientId: DEFAULT_CLIENT.clientId,
    clientSecret: DEFAULT_CLIENT.clientSecret,
    timeoutMs: TIMEOUT_MS,
  });
  api.get('/api', guard, (_req, res) => res.send('passed'));
  return api;
}

async function callbackUrl(agent: ReturnType<typeof request.agent>): Promise<string> {
  const callback = await authorize(await startLogin(agent));
  return callback.pathname + callback.search;
}

describe('the callback when the network to the IdP fails', () => {
  const faults: Fault[] = ['reset', 'drop', 'truncate', 'trickle'];
  for (const where of ['/oauth/v2/token', '/oauth/v2/jwks']) {
    for (const fault of faults) {
      it(`${fault} at ${where} → 503 ERR_IDP_UNAVAILABLE, within the deadline`, async () => {
        proxy = await startFaultyProxy(mock.url);
        const agent = request.agent(app());
        const url = await callbackUrl(agent);
        proxy.fault(where, fault);
        const started = Date.now();
        const res = await agent.get(url).set('Accept', 'application/json');
        expectUnavailable(res);
        expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 4);
      });
    }
  }

  it('connection refused at the token endpoint → 503 ERR_IDP_UNAVAILABLE', async () => {
    proxy = await startFaultyProxy(mock.url);
    const agent = request.agent(app());
    const url = await callbackUrl(agent);
    await proxy.refuse();
    expectUnavailable(await agent.get(url).set('Accept', 'application/json'));
  });

  it('an unreachable IdP at discovery → 503 without the IdP address, as a page too', async () => {
    proxy = await startFaultyProxy(mock.url);
    await proxy.refuse();
    const a = app();
    expectUnavailable(await request(a).get('/login').set('Accept', 'application/json'));
    const page = await request(a).get('/login').set('Accept', 'text/html');
    expect(page.status).toBe(503);
    expect(page.text).not.toContain('127.0.0.1');
  });
});

describe('the API guard when the network to the IdP fails', () => {
  for (const where of ['/oauth/v2/tokeninfo', '/oauth/v2/userinfo']) {
    for (const fault of ['reset', 'drop', 'truncate', 'trickle'] as Fault[]) {
      it(`${fault} at ${where} → 503 + Retry-After, within the deadline`, async () => {
        proxy = await startFaultyProxy(mock.url);
        const api = guardedApi();
        // Discovery first, through a healthy network.
        await request(api).get('/api').set('Authorization', 'Bearer warm-up').expect(401);
        proxy.fault(where, fault);
        const t = await mock.issueAccessToken({ username: 'alice' });
        const started = Date.now();
        expectUnavailable(await request(api).get('/api').set('Authorization', `Bearer ${t}`));
        expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 4);
      });
    }
  }
});

describe('connection refused at the API guard', () => {
  it('is ERR_IDP_UNAVAILABLE (503), not a bad response', async () => {
    proxy = await startFaultyProxy(mock.url);
    const api = guardedApi();
    await request(api).get('/api').set('Authorization', 'Bearer warm-up').expect(401);
    await proxy.refuse();
    const res = await request(api)
      .get('/api')
      .set('Authorization', `Bearer ${await mock.issueAccessToken({ username: 'alice' })}`);
    expectUnavailable(res);
    expect(res.body.error_description).toMatch(/connection refused/);
  });
});

describe('refresh when the network to the token endpoint fails', () => {
  it('a trickling answer → 503 within the deadline, and the session keeps its tokens', async () => {
    proxy = await startFaultyProxy(mock.url);
    const agent = request.agent(app());
    await agent.get(await callbackUrl(agent)).expect(302);
    proxy.fault('/oauth/v2/token', 'trickle');
    const started = Date.now();
    expectUnavailable(await agent.post('/refresh').set('Accept', 'application/json'));
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 4);
    await agent.get('/me').expect(200);
  });

  it('a failed refresh is not replayed: the first request after the IdP is back refreshes', async () => {
    proxy = await startFaultyProxy(mock.url);
    const agent = request.agent(app());
    await agent.get(await callbackUrl(agent)).expect(302);
    proxy.fault('/oauth/v2/token', 'reset');
    expectUnavailable(await agent.post('/refresh').set('Accept', 'application/json'));
    proxy.heal();
    const before = mock.counts['token:refresh_token'] ?? 0;
    const res = await agent.post('/refresh').set('Accept', 'application/json').expect(200);
    expect(res.body.expiresAt).toEqual(expect.any(Number));
    expect(mock.counts['token:refresh_token']).toBe(before + 1);
  });
});
