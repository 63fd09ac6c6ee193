import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { freePort, launchChromium, type RunningApp, signInAtIdP, startExampleApp } from './helpers.js';

// `npm run test:browser`: a person using `npm start` in Debian's Chromium — signing in through the
// IdP's form, reading the profile, calling the API, refreshing tokens and signing out.

let browser: Browser;
let app: RunningApp;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  [browser, app] = await Promise.all([launchChromium(), startExampleApp()]);
}, 30_000);
afterAll(async () => {
  app?.stop();
  await browser?.close();
});
beforeEach(async () => {
  context = await browser.newContext();
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
});
afterEach(() => context?.close());

async function signIn(username = 'alice', password = `${username}-password`) {
  await page.goto(`${app.base}/`);
  await page.click('#login');
  await signInAtIdP(page, username, password);
  await page.waitForURL(`${app.base}/profile`);
}

describe('the example app in Chromium, against its embedded mock EmpowerID', () => {
  it('signs in through the form and shows the right name, organization and business roles', async () => {
    await page.goto(`${app.base}/`);
    await expect(page.locator('table').textContent()).resolves.toContain('alice-password');
    await page.click('#login');
    await page.waitForSelector('input[name=username]');
    expect(await page.title()).toContain('EmpowerID');
    expect(await page.textContent('main .app strong')).toBe('empowerid-express demo');
    await signInAtIdP(page, 'carol', 'carol-password');
    await page.waitForURL(`${app.base}/profile`);
    expect(await page.textContent('#name')).toBe('Carol Chen');
    expect(await page.textContent('#organization')).toBe('Contoso Partners');
    const roles = (await page.locator('#roles li').allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim());
    expect(roles).toEqual(['Any Role in Anywhere', 'Contractor in Branch Office']);
    expect(await page.isVisible('#claims')).toBe(false);
    await page.click('details.raw summary');
    expect(await page.textContent('#claims')).toContain('"sub": "carol"');
    expect(await page.textContent('#whoami')).toBe('Carol Chen');
  });

  it('a wrong password is shown in place at the IdP; a cancel lands on a friendly page with a way back', async () => {
    await page.goto(`${app.base}/`);
    await page.click('#login');
    await signInAtIdP(page, 'alice', 'not-her-password');
    await expect(page.locator('[role=alert]').textContent()).resolves.toBe('Invalid username or password.');
    expect(await page.inputValue('#username')).toBe('alice');

    await page.click('button[value=deny]');
    await page.waitForSelector('#error-title');
    expect(await page.textContent('#error-title')).toBe('Sign-in cancelled');
    expect(page.url().startsWith(`${app.base}/callback`)).toBe(true);
    await page.click('text=Try again');
    await page.waitForSelector('input[name=username]');
  });

  it('calls the protected API from the page: the data for any token, 403 for the missing role', async () => {
    await signIn('bob');
    await page.click('nav >> text=API');
    await page.click('#call-me [data-call]');
    await page.waitForSelector('#call-me .status');
    expect(await page.textContent('#call-me .status')).toBe('200 OK');
    expect(JSON.parse((await page.textContent('#call-me pre')) as string)).toMatchObject({ username: 'bob', name: 'Bob Brown' });

    await page.click('#call-admin [data-call]');
    await page.waitForSelector('#call-admin .status');
    expect(await page.textContent('#call-admin .status')).toBe('403 Forbidden');
    expect(await page.textContent('#call-admin pre')).toContain('ERR_BEARER_INSUFFICIENT_SCOPE');
  });

  it('"Refresh now" renews the access token and shows the new expiry', async () => {
    await signIn();
    await page.goto(`${app.base}/tokens`);
    await page.waitForFunction(() => /^\d+:\d\d$/.test(document.getElementById('expires-in')?.textContent ?? ''));
    expect(await page.locator('#scopes li').allTextContents()).toEqual(['openid', 'profile', 'email']);
    expect(await page.textContent('#introspection')).toContain('"active": true');
    const before = await page.textContent('#expires-at');
    await page.waitForTimeout(1100); // the mock's expiry has a 1 s resolution
    await page.click('#refresh-now');
    await page.waitForFunction(() => document.getElementById('renewal-count')?.textContent === '1');
    expect(await page.textContent('#refresh-result')).toMatch(/^Refreshed at /);
    expect(await page.textContent('#renewals li')).toContain('POST /refresh');
    const after = await page.textContent('#expires-at');
    expect(Date.parse(after as string)).toBeGreaterThan(Date.parse(before as string));
  });

  it('signing out locally keeps the EmpowerID session: the next sign-in needs no password', async () => {
    await signIn();
    await page.click('#logout');
    await page.click('#logout-local');
    await page.waitForURL(`${app.base}/signed-out`);
    expect(await page.textContent('h1')).toBe('You are signed out');

    const authorize: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/oauth/v2/ui/authorize')) authorize.push(r.url());
    });
    await page.goto(`${app.base}/profile`);
    await page.waitForURL(`${app.base}/profile`);
    expect(authorize).toHaveLength(1); // it did ask for sign-in, and EmpowerID answered without a form
    expect(await page.textContent('#name')).toBe('Alice Anderson');
  });

  it('signing out globally ends the EmpowerID session too: the next sign-in shows the form', async () => {
    await signIn();
    await page.click('#logout');
    await page.click('#logout-global');
    await page.waitForURL(`${app.base}/signed-out`);
    expect(await page.textContent('h1')).toBe('You are signed out');
    await page.goto(`${app.base}/profile`);
    await page.waitForSelector('input[name=password]');
    expect(page.url()).toContain('/oauth/v2/ui/authorize');
  });

  it('pressing Back after sign-in goes on to where the user was going, still signed in', async () => {
    await signIn();
    await page.goBack();
    await page.waitForLoadState();
    await page.waitForURL(`${app.base}/profile`);
    expect(await page.textContent('#name')).toBe('Alice Anderson');
  });
});

describe('silent refresh in Chromium, against a mock with 3-second access tokens', () => {
  let mock: MockEmpowerID;
  let shortLived: RunningApp;

  beforeAll(async () => {
    // The app is registered at a port only known once it starts; the mock accepts any local callback.
    const port = await freePort();
    const base = `http://localhost:${port}`;
    mock = await startMockEmpowerID({
      accessTokenTTL: 3,
      autoLogin: 'alice',
      clients: [{ ...DEFAULT_CLIENT, redirectUris: [`${base}/callback`], postLogoutRedirectUris: [`${base}/signed-out`] }],
    });
    shortLived = await startExampleApp(
      {
        EMPOWERID_SERVER: mock.url,
        EMPOWERID_CLIENT_ID: DEFAULT_CLIENT.clientId,
        EMPOWERID_CLIENT_SECRET: DEFAULT_CLIENT.clientSecret,
        REFRESH_SKEW_SECONDS: '0',
      },
      port,
    );
  }, 30_000);
  afterAll(async () => {
    shortLived?.stop();
    await mock?.close();
  });

  it('the access token expires, the page goes on working through exactly one silent refresh', async () => {
    await page.goto(`${shortLived.base}/tokens`);
    await page.waitForURL(`${shortLived.base}/tokens`);
    const refreshes = mock.counts['token:refresh_token'] ?? 0;
    const first = await page.textContent('#expires-at');
    await page.waitForFunction(() => document.getElementById('renewal-count')?.textContent === '1', undefined, { timeout: 10_000 });
    expect(mock.counts['token:refresh_token']).toBe(refreshes + 1);
    expect(await page.textContent('#renewals li')).toContain('renewed silently');
    expect(Date.parse((await page.textContent('#expires-at')) as string)).toBeGreaterThan(Date.parse(first as string));

    await page.click('nav >> text=API');
    await page.click('#call-me [data-call]');
    await page.waitForSelector('#call-me .status');
    expect(await page.textContent('#call-me .status')).toBe('200 OK');
  });
});
