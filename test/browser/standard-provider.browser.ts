import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ALICE, CLIENT_SECRET, SCENARIO_CLIENT_ID, type TestProvider, startOidcProvider } from '../interop/harness.js';
import { freePort, launchChromium, type RunningApp, startExampleApp } from './helpers.js';

// The example app against a standard OpenID provider (panva's oidc-provider), configured as its
// README says: EMPOWERID_PROVIDER=oidc, the issuer as EMPOWERID_SERVER and the client's
// credentials; no code change. Profile (bearer userinfo), introspection and the API must work.

let browser: Browser;
let op: TestProvider;
let app: RunningApp;

beforeAll(async () => {
  const port = await freePort();
  [op, browser] = await Promise.all([startOidcProvider({ appUrl: `http://localhost:${port}` }), launchChromium()]);
  app = await startExampleApp(
    {
      EMPOWERID_PROVIDER: 'oidc',
      EMPOWERID_SERVER: op.issuer,
      EMPOWERID_CLIENT_ID: SCENARIO_CLIENT_ID,
      EMPOWERID_CLIENT_SECRET: CLIENT_SECRET,
    },
    port,
  );
}, 60_000);
afterAll(async () => {
  app?.stop();
  await browser?.close();
  await op?.close();
});

it('the example app against oidc-provider: sign-in, profile, the introspection endpoint named, and /api/me', async () => {
  const page = await browser.newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${app.base}/`);
  expect(await page.textContent('#login')).toBe('Sign in with your OpenID provider');
  await page.click('#login');
  // oidc-provider's development login, then (first time) its consent page.
  await page.fill('input[name=login]', ALICE.sub);
  await page.fill('input[name=password]', 'any');
  await page.click('button[type=submit]');
  await page.waitForURL((u) => u.pathname.includes('/interaction/') || u.origin === app.base);
  if (new URL(page.url()).pathname.includes('/interaction/')) await page.click('button[type=submit]');
  await page.waitForURL(`${app.base}/profile`);
  expect(await page.textContent('h1')).toBe('Profile');
  expect(await page.textContent('#name')).toBe(ALICE.name);
  expect(await page.textContent('#email')).toBe(ALICE.email);

  await page.goto(`${app.base}/tokens`);
  const about = (await page.textContent('#introspection-about')) as string;
  expect(about).not.toContain('EmpowerID');
  expect(about).toContain(`${op.issuer}/token/introspection`);
  expect(await page.textContent('#introspection')).toContain('"active": true');

  await page.goto(`${app.base}/api`);
  await page.click('#call-me [data-call]');
  await page.waitForSelector('#call-me .status');
  expect(await page.textContent('#call-me .status')).toBe('200 OK');
  expect(JSON.parse((await page.textContent('#call-me pre')) as string)).toMatchObject({ username: 'alice', name: ALICE.name });
  await page.close();
});
