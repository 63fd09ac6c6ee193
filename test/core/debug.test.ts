import { format } from 'node:util';
import createDebug from 'debug';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { requireToken } from '../../src/index.js';
import { type MockEmpowerID, startMockEmpowerID, DEFAULT_CLIENT } from '../../src/testing/index.js';
import { buildApp, signIn } from '../helpers/sign-in.js';

// The library logs through the `debug` package, like Express and express-session, so
// `DEBUG=empowerid-express:*` switches it on. Captured here through debug's own output hook.

let mock: MockEmpowerID;
const lines: string[] = [];
const previousLog = createDebug.log;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
  createDebug.enable('empowerid-express:*');
  createDebug.log = (...args: unknown[]) => lines.push(format(...args));
});
afterAll(async () => {
  createDebug.disable();
  createDebug.log = previousLog;
  await mock.close();
});

describe('debug lines (DEBUG=empowerid-express:*)', () => {
  it('name each decision of a sign-in and of a guard, under empowerid-express:<scope>, and never a token or secret', async () => {
    const agent = request.agent(buildApp(mock));
    const done = await signIn(agent);
    expect(done.status).toBe(302);
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    const api = express();
    api.get(
      '/api',
      requireToken({ server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret }),
      (_q, r) => r.send('ok'),
    );
    await request(api).get('/api').set('Authorization', `Bearer ${me.body.accessToken}`).expect(200);
    await request(api).get('/api').set('Authorization', `Bearer ${me.body.accessToken}`).expect(200);
    await request(api).get('/api').set('Authorization', 'Bearer unknown-token').expect(401);

    const text = lines.join('\n');
    for (const [scope, decision] of [
      ['endpoints', /discovered issuer=EmpowerID/],
      ['client', /login: response_type=code/],
      ['callback', /signed in sub=alice/],
      ['require-token', /cache miss/],
      ['require-token', /cache hit/],
      ['require-token', /rejected: ERR_BEARER_INVALID_TOKEN/],
    ] as const) {
      expect(
        lines.some((l) => l.includes(`empowerid-express:${scope}`) && decision.test(l)),
        `${scope} ${decision}`,
      ).toBe(true);
    }
    expect(text).not.toContain(me.body.accessToken);
    expect(text).not.toContain(DEFAULT_CLIENT.clientSecret);
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it('a failed callback says why', async () => {
    lines.length = 0;
    const agent = request.agent(buildApp(mock));
    await agent.get('/callback?state=nobody-started-this&code=x').set('Accept', 'application/json').expect(400);
    expect(lines.some((l) => l.includes('empowerid-express:callback') && /callback failed: ERR_CALLBACK_NO_TRANSACTION/.test(l))).toBe(
      true,
    );
  });
});
