import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { buildApp } from '../helpers/sign-in.js';

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());

const STACK = /\n\s+at |\.ts:\d+|\.js:\d+|node_modules|Error: /;

// Development mode: Express's final handler prints stacks unless NODE_ENV is production.
const cases: Array<{ name: string; type: string; body: string | Buffer; status: number }> = [
  { name: 'unsupported charset', type: 'application/x-www-form-urlencoded; charset=koi8-r', body: 'code=a&state=b', status: 415 },
  { name: 'unsupported content encoding', type: 'application/x-www-form-urlencoded', body: 'code=a', status: 415 },
  { name: 'body over the limit', type: 'application/x-www-form-urlencoded', body: `code=${'a'.repeat(70_000)}`, status: 413 },
  { name: 'JSON body', type: 'application/json', body: '{"code":"a","state":"b"}', status: 415 },
  { name: 'multipart body', type: 'multipart/form-data; boundary=x', body: '--x\r\n\r\n--x--', status: 415 },
  { name: 'text body', type: 'text/plain', body: 'code=a', status: 415 },
  {
    name: 'too many parameters',
    type: 'application/x-www-form-urlencoded',
    body: Array.from({ length: 1500 }, (_, i) => `p${i}=1`).join('&'),
    status: 413,
  },
];

describe('malformed POST /callback bodies get the library’s own answer, never a stack', () => {
  for (const c of cases) {
    for (const accept of ['application/json', 'text/html']) {
      it(`${c.name} (${accept})`, async () => {
        let req = request(buildApp(mock)).post('/callback').set('Content-Type', c.type).set('Accept', accept);
        if (c.name === 'unsupported content encoding') req = req.set('Content-Encoding', 'x-unknown');
        const res = await req.send(c.body);
        expect(res.status).toBe(c.status);
        expect(res.text).not.toMatch(STACK);
        expect(res.headers['cache-control']).toBe('no-store');
        if (accept === 'application/json') expect(res.body.code).toBe('ERR_BODY_INVALID');
      });
    }
  }

  it('an empty POST is the callback’s own 400, not a body error', async () => {
    const res = await request(buildApp(mock)).post('/callback').set('Accept', 'application/json');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ERR_CALLBACK_INVALID');
  });
});
