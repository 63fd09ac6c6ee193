import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_USERS, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { authorizeUrl, Browser, PATH } from './helpers.js';

// The mock's pages are what a person sees of "EmpowerID" when running the example app.

describe('the mock sign-in page', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({
      users: [...DEFAULT_USERS, { ...DEFAULT_USERS[0]!, username: 'dave', password: 'd<p>', name: 'Dave' }],
    });
  });
  afterAll(() => mock.close());

  it('is a card naming the application, with a primary "Sign in" and a secondary "Cancel"', async () => {
    const page = await (await new Browser().get(authorizeUrl(mock))).text();
    expect(page).toContain('<style>');
    expect(page).toContain('to continue to <strong>empowerid-express-example</strong>');
    expect(page).toMatch(/<button type="submit" name="action" value="login" class="primary">Sign in<\/button>/);
    expect(page).toMatch(/<button type="submit" name="action" value="deny" class="secondary" formnovalidate>Cancel<\/button>/);
    expect(page).not.toContain('role="alert"');
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
