import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { buildApp } from '../helpers/sign-in.js';

// An IdP that grants no refresh token: the access token is renewed by a silent (prompt=none) login
// while the EmpowerID session lives, and the user is sent to the interactive login when it does not.

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice', issueRefreshTokens: false, accessTokenTTL: 600 });
});
afterAll(() => mock.close());

/** The IdP's answer to an authorize request: where it sends the browser, and its SSO cookie. */
async function idpAuthorize(url: string, cookie?: string): Promise<{ location: URL; cookie: string | undefined }> {
  const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  expect(res.status).toBe(302);
  const set = res.headers.getSetCookie()[0]?.split(';')[0];
  return { location: new URL(res.headers.get('location') as string), cookie: set ?? cookie };
}

async function signedIn(clock: () => number) {
  const agent = request.agent(buildApp(mock, { clock }));
  const login = await agent.get('/login?returnTo=%2Fme').expect(302);
  const idp = await idpAuthorize(login.headers.location as string);
  await agent.get(idp.location.pathname + idp.location.search).expect(302);
  const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
  return { agent, sso: idp.cookie, token: me.body.accessToken as string };
}

describe('silent re-authentication without a refresh token', () => {
  it('renews the tokens with prompt=none while the IdP session lives', async () => {
    let offset = 0;
    const { agent, sso, token } = await signedIn(() => Date.now() + offset);
    expect(sso).toBeDefined();
    offset = 600_000; // the access token has expired

    const page = await agent.get('/me').set('Accept', 'text/html').expect(302);
    expect(page.headers.location).toBe('/login?prompt=none&returnTo=%2Fme');
    const login = await agent.get(page.headers.location as string).expect(302);
    const authorizeUrl = new URL(login.headers.location as string);
    expect(authorizeUrl.searchParams.get('prompt')).toBe('none');

    mock.resetCounts();
    const idp = await idpAuthorize(authorizeUrl.href, sso);
    expect(idp.location.searchParams.get('code')).toBeTruthy();
    const back = await agent.get(idp.location.pathname + idp.location.search).expect(302);
    expect(back.headers.location).toBe('/me');
    expect(mock.counts.login ?? 0).toBe(0); // no login form was involved

    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body.accessToken).not.toBe(token);
    expect(me.body.user.sub).toBe('alice');
  });

  it('falls back to the interactive login on login_required', async () => {
    let offset = 0;
    const { agent } = await signedIn(() => Date.now() + offset);
    offset = 600_000;
    const page = await agent.get('/me').set('Accept', 'text/html').expect(302);
    const login = await agent.get(page.headers.location as string).expect(302);
    // The browser has no EmpowerID session any more (no SSO cookie sent).
    const idp = await idpAuthorize(login.headers.location as string);
    expect(idp.location.searchParams.get('error')).toBe('login_required');
    const back = await agent.get(idp.location.pathname + idp.location.search).expect(302);
    expect(back.headers.location).toBe('/login?returnTo=%2Fme');
  });

  it('a non-browser request cannot be redirected: it goes on, and the route sees the token as expired', async () => {
    let offset = 0;
    const { agent } = await signedIn(() => Date.now() + offset);
    const fresh = await agent.get('/token-state').set('Accept', 'application/json').expect(200);
    expect(fresh.body.expired).toBe(false);
    offset = 600_000;
    const stale = await agent.get('/token-state').set('Accept', 'application/json').expect(200);
    expect(stale.body.expired).toBe(true);
  });
});
