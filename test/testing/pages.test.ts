import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT, DEFAULT_USERS, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { authorizeUrl, Browser, CERT_CLIENT, PATH } from './helpers.js';

// The mock's pages are what a person sees of "EmpowerID" when running the example app.

describe('the mock sign-in page', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({
      users: [...DEFAULT_USERS, { ...DEFAULT_USERS[0]!, username: 'dave', password: 'd<p>', name: 'Dave' }],
      clients: [DEFAULT_CLIENT, CERT_CLIENT, { ...CERT_CLIENT, clientId: 'named-app', name: 'Payroll & <Time>' }],
    });
  });
  afterAll(() => mock.close());

  it('is a card naming the application, with a primary "Sign in" and a secondary "Cancel"', async () => {
    const page = await (await new Browser().get(authorizeUrl(mock))).text();
    expect(page).toContain('<style>');
    expect(page).toContain('to continue to <strong>empowerid-express demo</strong>');
    expect(page).toMatch(/<button type="submit" name="action" value="login" class="primary">Sign in<\/button>/);
    expect(page).toMatch(/<button type="submit" name="action" value="deny" class="secondary" formnovalidate>Cancel<\/button>/);
    expect(page).not.toContain('role="alert"');
  });

  it('names the application by its display name (escaped), or by its client_id when it has none', async () => {
    const params = (clientId: string) => ({ client_id: clientId, redirect_uri: 'https://service.example.com/cb' });
    const named = await (await new Browser().get(authorizeUrl(mock, params('named-app')))).text();
    expect(named).toContain('to continue to <strong>Payroll &#38; &#60;Time&#62;</strong>');
    const unnamed = await (await new Browser().get(authorizeUrl(mock, params(CERT_CLIENT.clientId)))).text();
    expect(unnamed).toContain(`to continue to <strong>${CERT_CLIENT.clientId}</strong>`);
  });

  it('lists the configured users, escaped, in a hint', async () => {
    const page = await (await new Browser().get(authorizeUrl(mock))).text();
    expect(page).toContain('<code>alice</code> / <code>alice-password</code> (Alice Anderson)');
    expect(page).toContain('<code>dave</code> / <code>d&#60;p&#62;</code> (Dave)');
  });

  it('shows a wrong password in place, above the form, keeping the username', async () => {
    const params = new URL(authorizeUrl(mock)).searchParams;
    const res = await new Browser().postForm(mock.url + PATH.login, {
      ...Object.fromEntries(params),
      username: 'alice',
      password: 'wrong',
      action: 'login',
    });
    const page = await res.text();
    expect(page).toMatch(/<p class="error" role="alert">Invalid username or password.<\/p>\s*<form/);
    expect(page).toContain('value="alice"');
  });
});

describe('the mock "Signed out" page', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ autoLogin: 'alice' });
  });
  afterAll(() => mock.close());

  it('is the styled card, shown after a logout without post_logout_redirect_uri, and the session is gone', async () => {
    const browser = new Browser();
    await browser.get(authorizeUrl(mock));
    expect(browser.cookies.size).toBe(1);
    const res = await browser.get(`${mock.url}${PATH.logout}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain('<title>Signed out - EmpowerID (mock)</title>');
    expect(page).toContain('<style>');
    expect(page).toMatch(/<main>\s*<h1>Signed out<\/h1>\s*<p>You have been signed out of EmpowerID. You can close this window.<\/p>/);
    expect(browser.cookies.size).toBe(0);
  });
});

describe('the mock logout confirmation (confirmLogout: true)', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ autoLogin: 'alice', confirmLogout: true });
  });
  afterAll(() => mock.close());

  const target = 'http://localhost:3000/';
  const logoutUrl = (extra: Record<string, string> = {}) =>
    `${mock.url}${PATH.logout}?${new URLSearchParams({ client_id: DEFAULT_CLIENT.clientId, post_logout_redirect_uri: target, state: 'bye', ...extra })}`;
  /** A browser with alice's IdP session. */
  async function signedIn(): Promise<Browser> {
    const browser = new Browser();
    await browser.get(authorizeUrl(mock));
    return browser;
  }
  const stillSignedIn = async (browser: Browser) =>
    new URL((await browser.get(authorizeUrl(mock, { prompt: 'none' }))).headers.get('location') as string).searchParams.has('code');
  /** The confirmation form's fields, and the button pressed. */
  function answer(page: string, confirm: 'yes' | 'no'): Record<string, string> {
    const fields: Record<string, string> = { confirm };
    for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      fields[m[1] as string] = (m[2] as string).replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
    }
    return fields;
  }

  it('asks before a global logout: a card naming the application, "Sign out" and "Stay signed in"', async () => {
    const browser = await signedIn();
    const before = mock.lastLogout;
    const res = await browser.get(logoutUrl());
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<h1>Sign out of EmpowerID?</h1>');
    expect(page).toContain('<strong>empowerid-express demo</strong>');
    expect(page).toContain(`<form method="post" action="${mock.url}${PATH.logout}">`);
    expect(page).toMatch(/<button type="submit" name="confirm" value="yes" class="primary">Sign out<\/button>/);
    expect(page).toMatch(/<button type="submit" name="confirm" value="no" class="secondary">Stay signed in<\/button>/);
    expect(mock.lastLogout).toBe(before); // nothing ended yet
    expect(await stillSignedIn(browser)).toBe(true);

    const yes = await browser.postForm(`${mock.url}${PATH.logout}`, answer(page, 'yes'));
    expect(yes.status).toBe(302);
    expect(yes.headers.get('location')).toBe(`${target}?state=bye`);
    expect(mock.lastLogout).toMatchObject({ global: true, clientId: DEFAULT_CLIENT.clientId, username: 'alice' });
    expect(await stillSignedIn(browser)).toBe(false);
  });

  it('"Stay signed in" goes back to the application and keeps the EmpowerID session', async () => {
    const browser = await signedIn();
    const page = await (await browser.get(logoutUrl())).text();
    const no = await browser.postForm(`${mock.url}${PATH.logout}`, answer(page, 'no'));
    expect(no.status).toBe(302);
    expect(no.headers.get('location')).toBe(`${target}?state=bye`);
    expect(await stillSignedIn(browser)).toBe(true);
  });

  it('a logout of the calling application only (global_logout=false), or with no session, is not asked', async () => {
    const browser = await signedIn();
    const local = await browser.get(logoutUrl({ global_logout: 'false' }));
    expect(local.status).toBe(302);
    const nobody = await new Browser().get(logoutUrl());
    expect(nobody.status).toBe(302);
  });
});
