import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { empowerid, requiresAuth } from '../../src/index.js';
import { ALICE, CLIENT_SECRET, SCENARIO_CLIENT_ID, type TestProvider, startOidcProvider } from '../interop/harness.js';
import { launchChromium } from './helpers.js';

// The hybrid flow with response_mode=form_post in a real Chromium, across sites: the app on
// `localhost` with a SameSite=Lax session cookie, oidc-provider on `127.0.0.1`. Chromium does not
// send the Lax cookie with the provider's cross-site form POST; the callback's same-site relay
// brings it, and the sign-in completes.

let browser: Browser;
let op: TestProvider;
let server: Server;
let appUrl: string;

beforeAll(async () => {
  server = createServer();
  server.listen(0, 'localhost');
  await once(server, 'listening');
  appUrl = `http://localhost:${(server.address() as AddressInfo).port}`;
  [browser, op] = await Promise.all([launchChromium(), startOidcProvider({ appUrl })]);
  const app = express();
  app.use(session({ secret: 'browser', resave: false, saveUninitialized: false, cookie: { sameSite: 'lax', httpOnly: true } }));
  app.use(
    empowerid({
      provider: 'oidc',
      server: op.issuer,
      clientId: SCENARIO_CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      baseURL: appUrl,
      responseType: 'code id_token',
    }),
  );
  app.get('/me', requiresAuth(), (req, res) => res.json({ sub: req.empowerid.user?.sub }));
  server.on('request', app);
});
afterAll(async () => {
  await browser?.close();
  await op?.close();
  server?.closeAllConnections();
  server?.close();
});

describe('hybrid form_post across sites in Chromium', () => {
  it('signs in: the provider’s POST arrives without the session cookie, the relay’s with it', async () => {
    const page = await browser.newPage();
    const callbackPosts: { cookie: string | undefined; site: string | undefined }[] = [];
    page.on('request', (req) => {
      if (req.method() === 'POST' && new URL(req.url()).pathname === '/callback') {
        void req.allHeaders().then((h) => callbackPosts.push({ cookie: h.cookie, site: h['sec-fetch-site'] }));
      }
    });
    await page.goto(`${appUrl}/login?returnTo=%2Fme`);
    // oidc-provider's development login and consent pages.
    await page.fill('input[name=login]', ALICE.sub);
    await page.fill('input[name=password]', 'any-password');
    await page.click('button[type=submit]');
    await page.waitForURL((u) => u.pathname.includes('/interaction/') || u.pathname === '/me');
    if (new URL(page.url()).pathname !== '/me') await page.click('button[type=submit]');
    await page.waitForURL(`${appUrl}/me`);
    expect(JSON.parse((await page.textContent('body')) ?? '{}')).toEqual({ sub: ALICE.sub });
    expect(callbackPosts).toHaveLength(2);
    expect(callbackPosts[0]).toMatchObject({ site: 'cross-site' });
    expect(callbackPosts[0]?.cookie ?? '').not.toContain('connect.sid');
    expect(callbackPosts[1]).toMatchObject({ site: 'same-origin' });
    expect(callbackPosts[1]?.cookie).toContain('connect.sid');
    await page.close();
  });
});
