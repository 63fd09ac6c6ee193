import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { authorizeUrl, Browser, CLIENT, halfHash, location, PATH, pkce, REDIRECT_URI, signInWithForm, verifyIdToken } from './helpers.js';

describe('authorize: request validation', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ autoLogin: 'alice' });
  });
  afterAll(() => mock.close());

  it('shows a 400 page for an unknown client and never redirects', async () => {
    const res = await new Browser().get(authorizeUrl(mock, { client_id: 'nope' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('nope');
  });

  it('shows a 400 page for an unregistered redirect_uri and never redirects to it', async () => {
    for (const redirect_uri of ['https://evil.example/cb', 'http://localhost:3000/callback/', 'http://localhost:3000/callback?x=1']) {
      const res = await new Browser().get(authorizeUrl(mock, { redirect_uri }));
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
  });

  it('escapes reflected values in the error page', async () => {
    const res = await new Browser().get(authorizeUrl(mock, { client_id: '<script>x</script>' }));
    expect(await res.text()).not.toContain('<script>x');
  });

  it.each([
    [{ scope: '' }, 'invalid_request'],
    [{ response_type: undefined }, 'invalid_request'],
    [{ response_type: 'id_token' }, 'unsupported_response_type'],
    [{ response_type: 'code token' }, 'unsupported_response_type'],
    [{ code_challenge: pkce().challenge, code_challenge_method: 'S512' }, 'invalid_request'],
    [{ code_challenge_method: 'S256' }, 'invalid_request'],
    [{ code_challenge: 'too-short' }, 'invalid_request'],
    [{ response_type: 'code id_token', nonce: undefined }, 'invalid_request'],
    [{ response_type: 'code id_token', scope: 'profile' }, 'invalid_request'],
    [{ prompt: 'none login' }, 'invalid_request'],
  ])('redirects %o back with error=%s and the state', async (params, error) => {
    const res = await new Browser().get(authorizeUrl(mock, params));
    expect(res.status).toBe(302);
    const cb = location(res);
    expect(cb.origin + cb.pathname).toBe(REDIRECT_URI);
    // Response types containing "token" answer in the fragment, errors included.
    const answer = cb.hash ? new URLSearchParams(cb.hash.slice(1)) : cb.searchParams;
    expect(answer.get('error')).toBe(error);
    expect(answer.get('error_description')).toBeTruthy();
    expect(answer.get('state')).toBe('state-123');
    expect(answer.get('code')).toBeNull();
  });

  it('accepts a request without PKCE (PKCE is optional)', async () => {
    const cb = location(await new Browser().get(authorizeUrl(mock)));
    expect(cb.searchParams.get('code')).toBeTruthy();
    expect(cb.searchParams.get('state')).toBe('state-123');
  });

  it('accepts the authorization request as a POST form too', async () => {
    const url = new URL(authorizeUrl(mock));
    const res = await new Browser().postForm(`${mock.url}${PATH.authorize}`, Object.fromEntries(url.searchParams));
    expect(location(res).searchParams.get('code')).toBeTruthy();
  });
});

describe('authorize: sign-in, SSO, prompt, deny', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID();
  });
  beforeEach(() => mock.setAutoLogin(false));
  afterAll(() => mock.close());

  it('shows a login form carrying the authorization request in hidden fields', async () => {
    const res = await new Browser().get(authorizeUrl(mock, { state: 'a"b<c' }));
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain(`action="${mock.url}/oauth/v2/ui/login"`);
    expect(page).toMatch(/name="username"/);
    expect(page).toMatch(/name="password" type="password"/);
    expect(page).toContain('<input type="hidden" name="client_id" value="empowerid-express-example">');
    expect(page).toContain('value="a&#34;b&#60;c"');
  });

  it('re-shows the form with an error on a wrong password, then signs in and sets an IdP session cookie', async () => {
    mock.resetCounts();
    const browser = new Browser();
    const params = new URL(authorizeUrl(mock)).searchParams;
    const bad = await browser.postForm(mock.url + PATH.login, {
      ...Object.fromEntries(params),
      username: 'alice',
      password: 'wrong',
      action: 'login',
    });
    expect(bad.status).toBe(200);
    const page = await bad.text();
    expect(page).toContain('Invalid username or password');
    expect(page).toContain('<input type="hidden" name="redirect_uri"');
    expect(browser.cookies.size).toBe(0);

    const cb = await signInWithForm(mock, browser);
    expect(cb.searchParams.get('code')).toBeTruthy();
    expect(cb.searchParams.get('state')).toBe('state-123');
    expect(browser.cookies.size).toBe(1);
    expect(mock.counts.login).toBe(2);
  });

  it('signs a browser with an IdP session in without the form (SSO), unless prompt=login', async () => {
    const browser = new Browser();
    await signInWithForm(mock, browser, {}, { username: 'bob', password: 'bob-password' });
    const sso = await browser.get(authorizeUrl(mock, { state: 's2' }));
    expect(sso.status).toBe(302);
    expect(location(sso).searchParams.get('state')).toBe('s2');
    const forced = await browser.get(authorizeUrl(mock, { prompt: 'login' }));
    expect(forced.status).toBe(200);
    expect(await forced.text()).toContain('name="password"');
  });

  it('prompt=none: login_required without a session, a code with one', async () => {
    const browser = new Browser();
    const none = location(await browser.get(authorizeUrl(mock, { prompt: 'none' })));
    expect(none.searchParams.get('error')).toBe('login_required');
    expect(none.searchParams.get('state')).toBe('state-123');

    mock.setAutoLogin('alice'); // autoLogin does not rescue prompt=none
    const stillNone = location(await browser.get(authorizeUrl(mock, { prompt: 'none' })));
    expect(stillNone.searchParams.get('error')).toBe('login_required');

    await browser.get(authorizeUrl(mock)); // autoLogin opens an IdP session
    const ok = location(await browser.get(authorizeUrl(mock, { prompt: 'none' })));
    expect(ok.searchParams.get('code')).toBeTruthy();
  });

  it('the Deny button returns access_denied', async () => {
    const params = new URL(authorizeUrl(mock)).searchParams;
    const res = await new Browser().postForm(mock.url + PATH.login, { ...Object.fromEntries(params), action: 'deny' });
    const cb = location(res);
    expect(cb.searchParams.get('error')).toBe('access_denied');
    expect(cb.searchParams.get('state')).toBe('state-123');
  });

  it('the login POST re-validates the carried request (no redirect to an unregistered URI)', async () => {
    const params = new URL(authorizeUrl(mock, { redirect_uri: 'https://evil.example/' })).searchParams;
    const res = await new Browser().postForm(mock.url + PATH.login, {
      ...Object.fromEntries(params),
      username: 'alice',
      password: 'alice-password',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('autoLogin signs the configured user in without a form', async () => {
    mock.setAutoLogin('alice');
    const res = await new Browser().get(authorizeUrl(mock));
    expect(res.status).toBe(302);
    expect(location(res).searchParams.get('code')).toBeTruthy();
    expect(() => mock.setAutoLogin('mallory')).toThrow(/mallory/);
  });
});

describe('authorize: hybrid and implicit responses', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ autoLogin: 'alice' });
  });
  afterAll(() => mock.close());

  it('code id_token returns code, state and id_token in the query, with c_hash and nonce', async () => {
    const cb = location(await new Browser().get(authorizeUrl(mock, { response_type: 'code id_token', nonce: 'n-1' })));
    expect(cb.hash).toBe('');
    const code = cb.searchParams.get('code') ?? '';
    const idToken = cb.searchParams.get('id_token') ?? '';
    expect(cb.searchParams.get('state')).toBe('state-123');
    const claims = await verifyIdToken(mock, idToken);
    expect(claims).toMatchObject({ iss: 'EmpowerID', sub: 'alice', aud: CLIENT.clientId, azp: CLIENT.clientId, nonce: 'n-1' });
    expect(claims.c_hash).toBe(halfHash(code));
    expect(claims.at_hash).toBeUndefined();
    expect(decodeProtectedHeader(idToken)).toMatchObject({ alg: 'RS256', kid: expect.any(String) });
  });

  it('accepts the response_type values in any order', async () => {
    const cb = location(await new Browser().get(authorizeUrl(mock, { response_type: 'id_token code' })));
    expect(cb.searchParams.get('id_token')).toBeTruthy();
  });

  it('token id_token returns tokens in the fragment, with at_hash', async () => {
    const cb = location(await new Browser().get(authorizeUrl(mock, { response_type: 'token id_token' })));
    expect(cb.search).toBe('');
    const f = new URLSearchParams(cb.hash.slice(1));
    expect(f.get('token_type')).toBe('Bearer');
    expect(f.get('expires_in')).toBe('3600');
    expect(f.get('state')).toBe('state-123');
    expect(f.get('refresh_token')).toBeNull();
    const claims = await verifyIdToken(mock, f.get('id_token') ?? '');
    expect(claims.at_hash).toBe(halfHash(f.get('access_token') ?? ''));
    expect(claims.nonce).toBe('nonce-456');
  });

  it('implicit errors go back in the fragment', async () => {
    const cb = location(await new Browser().get(authorizeUrl(mock, { response_type: 'token', scope: '' })));
    expect(new URLSearchParams(cb.hash.slice(1)).get('error')).toBe('invalid_request');
  });
});
