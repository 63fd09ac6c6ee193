import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { empowerid } from '../../src/index.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';

// Development-only defaults are loud, once: a plain-http IdP, and session cookies that would leak
// or break the sign-in.

let mock: MockEmpowerID;
const warnings: Array<{ code?: string; message: string }> = [];
const onWarning = (w: Error & { code?: string }) => warnings.push({ code: w.code, message: w.message });
beforeAll(async () => {
  mock = await startMockEmpowerID();
  process.on('warning', onWarning);
});
afterAll(async () => {
  process.off('warning', onWarning);
  await mock.close();
});
afterEach(() => {
  warnings.length = 0;
});

function app(baseURL: string, cookie: session.CookieOptions) {
  const a = express();
  a.use(session({ secret: 's', resave: false, saveUninitialized: false, cookie }));
  a.use(empowerid({ server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret, baseURL }));
  a.get('/', (_req, res) => res.send('ok'));
  return a;
}

const tick = () => new Promise((r) => setImmediate(r));

describe('warnings about development-only defaults', () => {
  it('an https app with a session cookie that is not secure', async () => {
    const a = app('https://app.example.com', { sameSite: 'lax' });
    await request(a).get('/').expect(200);
    await request(a).get('/').expect(200);
    await tick();
    const cookieWarnings = warnings.filter((w) => w.code === 'EMPOWERID_INSECURE_COOKIE');
    expect(cookieWarnings).toHaveLength(1); // once, not per request
    expect(cookieWarnings[0]?.message).toMatch(/not "secure"/);
  });

  it('a sameSite "strict" cookie, which breaks the redirect back from the IdP', async () => {
    await request(app('http://127.0.0.1:3000', { sameSite: 'strict' }))
      .get('/')
      .expect(200);
    await tick();
    expect(warnings.some((w) => /sameSite "strict"/.test(w.message))).toBe(true);
  });

  it('says nothing for a secure, lax, httpOnly cookie on https', async () => {
    await request(app('https://app.example.com', { secure: true, sameSite: 'lax', httpOnly: true }))
      .get('/')
      .expect(200);
    await tick();
    expect(warnings.filter((w) => w.code === 'EMPOWERID_INSECURE_COOKIE')).toEqual([]);
  });
});
