import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { authorizeUrl, Browser, CERT_CLIENT, CLIENT, codeFlow, location, PATH } from './helpers.js';

describe('RP-initiated logout', () => {
  let now = Date.now();
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ clients: [CLIENT, CERT_CLIENT], clock: () => now });
  });
  afterAll(() => mock.close());

  const logoutUrl = (params: Record<string, string>) => `${mock.url}${PATH.logout}?${new URLSearchParams(params)}`;

  /** A browser with an IdP session for alice, and an ID token for CLIENT. */
  async function signedIn(): Promise<{ browser: Browser; idToken: string }> {
    const browser = new Browser();
    mock.setAutoLogin('alice');
    await browser.get(authorizeUrl(mock));
    mock.setAutoLogin(false);
    const { res } = await codeFlow(mock);
    return { browser, idToken: res.body.id_token };
  }

  it('redirects to an allowed post_logout_redirect_uri with the state and ends the IdP session', async () => {
    const { browser, idToken } = await signedIn();
    const res = await browser.get(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: 'http://localhost:3000/', state: 'bye' }));
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://localhost:3000/?state=bye');
    expect(mock.lastLogout).toMatchObject({
      global: true,
      clientId: CLIENT.clientId,
      username: 'alice',
      params: { id_token_hint: idToken, post_logout_redirect_uri: 'http://localhost:3000/', state: 'bye' },
    });
    const after = location(await browser.get(authorizeUrl(mock, { prompt: 'none' })));
    expect(after.searchParams.get('error')).toBe('login_required');
  });

  it('does not redirect to a URI outside the client allow-list', async () => {
    const { idToken } = await signedIn();
    for (const target of ['https://evil.example/', 'http://localhost:3000/callback/other', 'http://localhost:3000']) {
      const res = await fetch(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: target }), { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
  });

  it('accepts a registered Callback URL as post_logout_redirect_uri, as the docs ask, beside postLogoutRedirectUris', async () => {
    const { idToken } = await signedIn();
    const res = await fetch(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: 'http://localhost:3000/callback' }), {
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('http://localhost:3000/callback');
  });

  /** Silent login (prompt=none) of `client` in `browser`: the code, or the error it was refused with. */
  async function silent(browser: Browser, client: typeof CLIENT): Promise<{ code: string | null; error: string | null }> {
    const redirect = client.redirectUris[0] ?? '';
    const url = location(await browser.get(authorizeUrl(mock, { client_id: client.clientId, redirect_uri: redirect, prompt: 'none' })));
    return { code: url.searchParams.get('code'), error: url.searchParams.get('error') };
  }

  it('global_logout=true (and absent) ends the IdP session for every application: a second one cannot sign in silently', async () => {
    for (const global of ['true', undefined]) {
      const { browser, idToken } = await signedIn();
      expect((await silent(browser, CERT_CLIENT)).code).toBeTruthy();
      const params: Record<string, string> = { id_token_hint: idToken, post_logout_redirect_uri: 'http://localhost:3000/' };
      if (global) params.global_logout = global;
      expect((await browser.get(logoutUrl(params))).status).toBe(302);
      expect(mock.lastLogout?.global).toBe(true);
      expect(await silent(browser, CLIENT)).toEqual({ code: null, error: 'login_required' });
      expect(await silent(browser, CERT_CLIENT)).toEqual({ code: null, error: 'login_required' });
    }
  });

  it('global_logout=false ends it for the calling application only: another one still signs in silently', async () => {
    const { browser, idToken } = await signedIn();
    const res = await browser.get(
      logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: 'http://localhost:3000/', global_logout: 'false' }),
    );
    expect(res.status).toBe(302);
    expect(mock.lastLogout).toMatchObject({ global: false, clientId: CLIENT.clientId, username: 'alice' });
    expect(await silent(browser, CLIENT)).toEqual({ code: null, error: 'login_required' });
    const other = await silent(browser, CERT_CLIENT);
    expect(other.error).toBeNull();
    expect(other.code).toBeTruthy();
  });

  it('uses redirectUris as the allow-list when postLogoutRedirectUris is absent, client found by client_id', async () => {
    const res = await fetch(
      logoutUrl({ client_id: CERT_CLIENT.clientId, post_logout_redirect_uri: CERT_CLIENT.redirectUris[0] ?? '', global_logout: 'false' }),
      { redirect: 'manual' },
    );
    expect(res.status).toBe(302);
    expect(mock.lastLogout?.global).toBe(false);
    expect(mock.lastLogout?.clientId).toBe(CERT_CLIENT.clientId);
  });

  it('rejects an id_token_hint this server did not sign, and a hint/client_id mismatch', async () => {
    const { idToken } = await signedIn();
    const [h, p] = idToken.split('.');
    const forged = `${h}.${p}.${'A'.repeat(342)}`;
    const res = await fetch(logoutUrl({ id_token_hint: forged, post_logout_redirect_uri: 'http://localhost:3000/' }), {
      redirect: 'manual',
    });
    expect(res.status).toBe(400);
    const mismatch = await fetch(
      logoutUrl({ id_token_hint: idToken, client_id: CERT_CLIENT.clientId, post_logout_redirect_uri: 'http://localhost:3000/' }),
      { redirect: 'manual' },
    );
    expect(mismatch.status).toBe(400);
  });

  it('accepts an expired id_token_hint', async () => {
    const { idToken } = await signedIn();
    now += 2 * 3600_000;
    const res = await fetch(logoutUrl({ id_token_hint: idToken, post_logout_redirect_uri: 'http://127.0.0.1:3000/' }), {
      redirect: 'manual',
    });
    expect(res.status).toBe(302);
  });

  it('without post_logout_redirect_uri shows a signed-out page; a URI without a client is refused', async () => {
    const { browser } = await signedIn();
    const res = await browser.get(logoutUrl({}));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('signed out');
    expect(browser.cookies.size).toBe(0);
    const orphan = await fetch(logoutUrl({ post_logout_redirect_uri: 'http://localhost:3000/' }), { redirect: 'manual' });
    expect(orphan.status).toBe(400);
  });

  it('counts logout requests', async () => {
    mock.resetCounts();
    await fetch(logoutUrl({}));
    await fetch(logoutUrl({ post_logout_redirect_uri: 'x' }));
    expect(mock.counts.logout).toBe(2);
  });
});
