import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requireToken, type RequireTokenOptions } from '../../src/index.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';

// An IdP 250 ms away: tokeninfo then userinfo in series take two of those, together one.
const LATENCY_MS = 250;
let mock: MockEmpowerID;

beforeAll(async () => {
  mock = await startMockEmpowerID({ latencyMs: LATENCY_MS });
});
afterAll(() => mock.close());
beforeEach(() => mock.resetCounts());

function app(options: RequireTokenOptions) {
  const a = express();
  const idp = { server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret };
  a.get('/api', requireToken({ ...idp, ...options }), (req, res) => res.json({ username: req.empowerid.profile?.username }));
  return a;
}

async function timed(a: express.Express, token: string, status: number) {
  const started = performance.now();
  const res = await request(a).get('/api').set('Authorization', `Bearer ${token}`).expect(status);
  return { res, ms: performance.now() - started };
}

describe('concurrentUserinfo', () => {
  it('sends userinfo with tokeninfo, so an uncached request waits one IdP round trip instead of two', async () => {
    const serial = app({});
    const together = app({ concurrentUserinfo: true });
    await timed(serial, await mock.issueAccessToken({ username: 'alice' }), 200); // discovery, pool
    await timed(together, await mock.issueAccessToken({ username: 'alice' }), 200);

    const a = await timed(serial, await mock.issueAccessToken({ username: 'alice' }), 200);
    const b = await timed(together, await mock.issueAccessToken({ username: 'bob' }), 200);
    expect(a.res.body).toEqual({ username: 'alice' });
    expect(b.res.body).toEqual({ username: 'bob' });
    // Round trips, not speed: two latencies in series against one, whatever the machine's load.
    expect(a.ms).toBeGreaterThanOrEqual(2 * LATENCY_MS);
    expect(b.ms).toBeLessThan(2 * LATENCY_MS);
  });

  it('pays a userinfo call for an inactive token, and the request is still a 401, not the userinfo error', async () => {
    const together = app({ concurrentUserinfo: true });
    const res = await request(together).get('/api').set('Authorization', 'Bearer not-a-token-the-idp-issued').expect(401);
    expect(res.body.error).toBe('invalid_token');
    expect(mock.counts.tokeninfo).toBe(1);
    expect(mock.counts.userinfo).toBe(1); // the documented price

    mock.resetCounts();
    const serial = app({});
    await request(serial).get('/api').set('Authorization', 'Bearer another-token-the-idp-never-issued').expect(401);
    expect(mock.counts.userinfo).toBe(0);
  });

  it('is refused when not a boolean, naming the option', () => {
    expect(() => requireToken({ server: mock.url, clientId: 'c', clientSecret: 's', concurrentUserinfo: 'yes' as never })).toThrow(
      /concurrentUserinfo.*true or false/,
    );
  });
});
