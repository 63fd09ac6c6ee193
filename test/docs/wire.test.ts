/**
 * The wire comparison: for every grant and endpoint, the request the library sends (captured at
 * its fetch, on its way to the mock) compared field by field with the docs' example — method,
 * path, the documented headers (exact `Authorization` value included), every parameter name, and
 * every fixed value (`grant_type`, `scope`, `token_type_hint`, …) or the value a placeholder
 * stands for. Differences are listed per row with the reason the library differs; any other
 * difference fails the row.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  createClient,
  createJwtBearerAssertion,
  empowerid,
  type ClientOptions,
  type EmpowerIDClient,
  loadSigningCredentials,
  type LoginTransaction,
  requireToken,
} from '../../src/index.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import express from 'express';
import { BASE_URL, buildApp, signIn as routerSignIn } from '../helpers/sign-in.js';
import { parseForm } from '../interop/harness.js';
import { type DocRequest, type ExampleName, type Fill, parseExample } from './examples.js';
import { APP, CERT, KEY, KRIS } from './fixtures.js';
const CALLBACK = 'https://testoauthapp.com/callbackUrl';
/** A standard-provider client (Asgardeo's row): plain characters, so both Basic encodings agree. */
const STANDARD_APP = { ...APP, clientId: 'asgardeoApp42', clientSecret: 'asgardeoSecret42' };

interface Sent {
  method: string;
  url: URL;
  headers: Headers;
  params: URLSearchParams;
}

let mock: MockEmpowerID;
const sent: Sent[] = [];
const recording: typeof globalThis.fetch = async (input, init) => {
  const url = new URL(String(input instanceof Request ? input.url : input));
  const body = init?.body;
  sent.push({
    method: init?.method ?? 'GET',
    url,
    headers: new Headers(init?.headers),
    params: new URLSearchParams(typeof body === 'string' || body instanceof URLSearchParams ? body : ''),
  });
  return globalThis.fetch(input, init);
};

beforeAll(async () => {
  mock = await startMockEmpowerID({ users: [KRIS], clients: [APP, STANDARD_APP, DEFAULT_CLIENT], autoLogin: 'khmcclure' });
});
afterAll(() => mock.close());

const clientFor = (o: Partial<ClientOptions> = {}): EmpowerIDClient =>
  createClient({ server: mock.url, clientId: APP.clientId, clientSecret: APP.clientSecret, fetch: recording, ...o });

/** The one request of the last call that went to `path`. */
async function capture(path: string, call: () => Promise<unknown>): Promise<Sent> {
  sent.length = 0;
  await call();
  const matching = sent.filter((s) => s.url.pathname === path);
  expect(matching, `requests to ${path}`).toHaveLength(1);
  return matching[0] as Sent;
}

/** Where the library differs from the docs' example, by field, with the reason. */
type Allowed = Record<string, string>;

/**
 * The differences between the library's request and the docs' example: `param:<name>` (missing,
 * extra or another value), `header:<name>`, `method`, `path`. Fixed values must be equal;
 * placeholders must carry `fill`'s value.
 */
function differences(actual: Sent, doc: DocRequest): string[] {
  const out: string[] = [];
  // A token-endpoint example written as a URL (the code exchange) is still a POST.
  const docMethod = doc.url.pathname.endsWith('/token') ? 'POST' : doc.method;
  if (actual.method !== docMethod) out.push('method');
  if (actual.url.pathname !== doc.url.pathname) out.push('path');
  for (const [name, value] of Object.entries(doc.headers)) {
    const got = actual.headers.get(name);
    const same = name === 'content-type' ? (got ?? '').startsWith(value) : got === value;
    if (!same) out.push(`header:${name}`);
  }
  if (!doc.headers.authorization && actual.headers.has('authorization')) out.push('header:authorization');
  const got = actual.method === 'GET' ? actual.url.searchParams : actual.params;
  const docNames = new Set(doc.params.map(([n]) => n));
  for (const [name, value] of doc.params) {
    if (!got.has(name)) out.push(`param:${name}:missing`);
    else if (got.getAll(name).length !== 1 || got.get(name) !== value) out.push(`param:${name}:value`);
  }
  for (const name of new Set(got.keys())) if (!docNames.has(name)) out.push(`param:${name}:extra`);
  return out.sort();
}

/**
 * Checks one row: the differences are exactly the allowed ones. `fill` holds what each placeholder
 * must be (parseExample refuses a placeholder without a value).
 */
function compare(actual: Sent, example: ExampleName, fill: Fill, allowed: Allowed = {}): void {
  const doc = parseExample(example, { server: mock.url, ...fill });
  expect(differences(actual, doc), example).toEqual(Object.keys(allowed).sort());
}

const LITERAL_CLIENT = { ClientID: APP.clientId, ClientSecret: APP.clientSecret };
const BODY_CLIENT = { client_id: APP.clientId, client_secret: APP.clientSecret };
const NO_CACHE = { 'header:cache-control': 'a request Cache-Control means nothing for a POST nobody caches; not sent' };

/** A sign-in at the mock through the library: the authorize request, then the callback. */
async function signIn(client: EmpowerIDClient, responseType: 'code' | 'code id_token' = 'code') {
  // The docs' hybrid example is answered in the query string (docs detail 2): responseMode 'query'.
  const { url, transaction } = await client.startLogin({ redirectUri: CALLBACK, responseType, responseMode: 'query' });
  const res = await fetch(url, { redirect: 'manual' });
  const callback = new URL(res.headers.get('location') as string);
  return { url, transaction, callback };
}

const fromAuthorize = (t: LoginTransaction, url: URL): Fill => ({
  client_id: APP.clientId,
  state: t.state,
  nonce: t.nonce,
  code_challenge: url.searchParams.get('code_challenge') as string,
});

describe('discovery', () => {
  it('002/003 discovery: the library asks for .well-known', async () => {
    const client = clientFor();
    const actual = await capture('/oauth/.well-known/openid-configuration', () => client.metadata());
    compare(actual, '003 discovery', {}, { path: 'the docs\' ".well-know" is a typo; the mock serves both spellings' });
  });
});

describe('browser sign-in', () => {
  it('authorization request (003 authorize pkce): every documented parameter, S256', async () => {
    const client = clientFor();
    const { url, transaction } = await signIn(client);
    const actual: Sent = { method: 'GET', url, headers: new Headers(), params: new URLSearchParams() };
    compare(actual, '003 authorize pkce', fromAuthorize(transaction, url));
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('authorization request, plain code flow (003 authorize code): PKCE added', async () => {
    const { url, transaction } = await signIn(clientFor());
    compare(
      { method: 'GET', url, headers: new Headers(), params: new URLSearchParams() },
      '003 authorize code',
      fromAuthorize(transaction, url),
      {
        'param:code_challenge:extra': 'PKCE S256 always (docs detail 9: without it EmpowerID assumes plain)',
        'param:code_challenge_method:extra': 'PKCE S256 always (docs detail 9)',
      },
    );
  });

  it('hybrid authorization request (002 authorize hybrid): PKCE added', async () => {
    const { url, transaction } = await signIn(clientFor(), 'code id_token');
    compare(
      { method: 'GET', url, headers: new Headers(), params: new URLSearchParams() },
      '002 authorize hybrid',
      fromAuthorize(transaction, url),
      {
        'param:code_challenge:extra': 'PKCE S256 always (docs detail 9)',
        'param:code_challenge_method:extra': 'PKCE S256 always (docs detail 9)',
      },
    );
  });

  /** The implicit flow is an opt-in: `id_token token`, answered by form_post (the mock advertises it). */
  const IMPLICIT = {
    'param:response_mode:extra':
      'form_post only: the access token never goes into the query string, and a fragment never reaches the server (RFC 9700 §2.1.2; README)',
  };
  const responseTypes = (url: URL) => new Set(url.searchParams.get('response_type')?.split(' '));

  it("implicit authorization request (002 implicit): the docs' two response types, scope and form_post added; the answer signs in", async () => {
    const client = clientFor();
    const { url, transaction } = await client.startLogin({ redirectUri: CALLBACK, responseType: 'id_token token' });
    compare(
      { method: 'GET', url, headers: new Headers(), params: new URLSearchParams() },
      '002 implicit',
      fromAuthorize(transaction, url),
      {
        ...IMPLICIT,
        'param:response_type:value':
          'the same two values, written "id_token token": their order does not matter (RFC 6749 §3.1.1; the mock normalises it)',
        'param:scope:extra':
          'scope=openid: the example omits it, but its own list says to include it for OpenID Connect, and 003 marks it required',
      },
    );
    expect(responseTypes(url)).toEqual(new Set(['token', 'id_token']));
    expect(url.searchParams.has('code_challenge')).toBe(false);

    // The answer: the docs' fragment fields (step 3), as a form POST, which the library accepts.
    const form = parseForm(await (await fetch(url)).text());
    expect(form?.method).toBe('POST');
    expect(form?.action).toBe(CALLBACK);
    const fields = form?.fields ?? {};
    for (const key of ['access_token', 'state', 'token_type', 'expires_in', 'id_token']) expect(fields, key).toHaveProperty(key);
    const tokens = await client.callback({ params: fields, transaction });
    expect(tokens).toMatchObject({ access_token: fields.access_token, token_type: 'Bearer', expires_in: 3600 });
    expect(tokens.claims).toMatchObject({ sub: KRIS.username, nonce: transaction.nonce, at_hash: expect.any(String) });
  });

  it('deviation — 003 implicit (response_type=token): the library sends "id_token token" and refuses "token"', async () => {
    // Reason: response_type=token alone brings no ID token, so nothing binds the access token to this
    // login: no nonce, no at_hash (OIDC Core §3.2.2.10). RFC 9700 §2.1.2 advises against the implicit
    // grant; the library keeps only the OIDC form of it, as an opt-in.
    const client = clientFor();
    const { url, transaction } = await client.startLogin({ redirectUri: CALLBACK, responseType: 'id_token token' });
    compare(
      { method: 'GET', url, headers: new Headers(), params: new URLSearchParams() },
      '003 implicit',
      fromAuthorize(transaction, url),
      {
        ...IMPLICIT,
        'param:response_type:value':
          'deviation: "id_token token" instead of the docs\' "token" (no ID token, no nonce/at_hash check; RFC 9700)',
      },
    );
    expect(responseTypes(url)).toEqual(new Set(['token', 'id_token']));
    await expect(client.startLogin({ redirectUri: CALLBACK, responseType: 'token' as never })).rejects.toThrow(ConfigurationError);
    await expect(client.startLogin({ redirectUri: CALLBACK, responseType: 'token' as never })).rejects.toThrow(/"responseType"/);
    expect(() =>
      empowerid({
        server: mock.url,
        clientId: APP.clientId,
        clientSecret: APP.clientSecret,
        baseURL: BASE_URL,
        responseType: 'token' as never,
      }),
    ).toThrow(/"responseType"/);
  });

  it.each(['code', 'code id_token'] as const)('code exchange (003 code exchange pkce), %s: redirect_uri added', async (responseType) => {
    const client = clientFor();
    const { transaction, callback } = await signIn(client, responseType);
    const actual = await capture('/oauth/v2/token', () =>
      client.callback({ params: Object.fromEntries(callback.searchParams), transaction }),
    );
    compare(
      actual,
      '003 code exchange pkce',
      { ...BODY_CLIENT, code: callback.searchParams.get('code') as string, code_verifier: transaction.codeVerifier },
      { 'param:redirect_uri:extra': 'RFC 6749 §4.1.3 (openid-client always sends it); the mock accepts both' },
    );
  });

  it('code exchange against the older page (002 code exchange): code_verifier and redirect_uri added', async () => {
    const client = clientFor();
    const { transaction, callback } = await signIn(client);
    const actual = await capture('/oauth/v2/token', () =>
      client.callback({ params: Object.fromEntries(callback.searchParams), transaction }),
    );
    compare(
      actual,
      '002 code exchange',
      { ...BODY_CLIENT, code: callback.searchParams.get('code') as string },
      {
        'param:code_verifier:extra': 'PKCE always',
        'param:redirect_uri:extra': 'RFC 6749 §4.1.3',
      },
    );
  });

  it('logout URL (003 logout), and the router sends global_logout=true by default', async () => {
    const client = clientFor();
    const url = await client.endSessionUrl({ idTokenHint: 'hint', postLogoutRedirectUri: CALLBACK, state: 'st', globalLogout: true });
    compare(
      { method: 'GET', url, headers: new Headers(), params: new URLSearchParams() },
      '003 logout',
      {
        post_logout_redirect_uri: CALLBACK,
        id_token_hint: 'hint',
        state: 'st',
      },
      { 'param:client_id:extra': 'openid-client adds client_id (OIDC RP-Initiated Logout 1.0 §2); the mock checks it against the hint' },
    );
    const bare = await client.endSessionUrl({});
    expect(bare.searchParams.has('global_logout')).toBe(false);

    // The router: after a sign-in, POST /logout sends the docs' parameters with global_logout=true.
    const agent = request.agent(buildApp(mock));
    await routerSignIn(agent);
    const res = await agent.post('/logout').set('Sec-Fetch-Site', 'same-origin').expect(302);
    const location = new URL(res.headers.location as string);
    expect(location.pathname).toBe('/oauth/v2/ui/logout');
    compare(
      { method: 'GET', url: location, headers: new Headers(), params: new URLSearchParams() },
      '003 logout',
      {
        post_logout_redirect_uri: `${BASE_URL}/`,
        id_token_hint: location.searchParams.get('id_token_hint') as string,
        state: location.searchParams.get('state') as string,
      },
      { 'param:client_id:extra': 'openid-client adds client_id' },
    );
  });
});

describe('token endpoint grants', () => {
  it.each(['002 password', '003 password'] as const)('%s: the person literally in Basic, the client in the body', async (example) => {
    const client = clientFor();
    const actual = await capture('/oauth/v2/token', () => client.password({ username: KRIS.username, password: KRIS.password }));
    compare(actual, example, { ...BODY_CLIENT, username: KRIS.username, password: KRIS.password }, NO_CACHE);
  });

  it.each(['000 jwt-bearer', '002 jwt-bearer', '003 jwt-bearer'] as const)('%s: body fields and the assertion claims', async (example) => {
    const client = clientFor();
    const actual = await capture('/oauth/v2/token', () => client.jwtBearer({ privateKey: KEY, certificate: CERT }));
    const assertion = actual.params.get('assertion') as string;
    compare(actual, example, { ...BODY_CLIENT, assertion }, NO_CACHE);
    const claims = decodeJwt(assertion);
    expect(claims).toMatchObject({ iss: APP.clientId, aud: `${mock.url}/WebIdPForms/OAuth/v2` });
    expect(claims.sub).toMatch(/^[0-9A-F]{40}$/);
    expect(claims.nbf).toBe((claims.iat as number) - 300);
    expect(claims.exp).toBe((claims.iat as number) + 300);
    // Beyond the docs' six claims: a jti (replay protection), and x5t/kid naming the certificate.
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'sub']);
    expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: claims.sub });
  });

  it.each(['002 client-certificate', '003 client-certificate'] as const)(
    '%s: body fields; shape "docs" is the example',
    async (example) => {
      const client = clientFor();
      const actual = await capture('/oauth/v2/token', () =>
        client.clientCertificate({ privateKey: KEY, certificate: CERT, shape: 'docs' }),
      );
      const assertion = actual.params.get('assertion') as string;
      compare(actual, example, { ...BODY_CLIENT, assertion }, NO_CACHE);
      const xml = Buffer.from(assertion, 'base64').toString('utf8');
      expect(xml).toMatch(/^<\?xml version="1.0"\?><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" Version="2.0" ID="_/);
      expect(xml).toContain(`<saml:Issuer>${APP.clientId}</saml:Issuer>`);
      expect(xml).toContain('<saml:Conditions/>');
      expect(xml).toContain('PrefixList="#default saml ds xs xsi"');
      expect(xml).not.toContain('KeyInfo');
    },
  );

  it('001 client-credentials: scope and username as documented', async () => {
    const client = clientFor();
    const actual = await capture('/oauth/v2/token', () => client.clientCredentials({ scope: 'openid', username: KRIS.username }));
    compare(actual, '001 client-credentials', { ...BODY_CLIENT, username: KRIS.username }, NO_CACHE);
  });

  it.each(['002 refresh', '003 refresh'] as const)('%s', async (example) => {
    const client = clientFor();
    const { refresh_token } = await client.password({ username: KRIS.username, password: KRIS.password });
    const actual = await capture('/oauth/v2/token', () => client.refresh(refresh_token as string));
    compare(actual, example, { ...BODY_CLIENT, refresh_token: refresh_token as string }, NO_CACHE);
  });

  it('003 token-exchange: the client literally in Basic; scope sent when given', async () => {
    const client = clientFor();
    const subject = await mock.issueAccessToken({ username: KRIS.username, clientId: APP.clientId });
    const actual = await capture('/oauth/v2/token', () => client.tokenExchange({ subjectToken: subject, scope: 'openid' }));
    const fill = { ...LITERAL_CLIENT, subject_token: subject, subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' };
    compare(actual, '003 token-exchange', fill, NO_CACHE);
    const noScope = await capture('/oauth/v2/token', () => client.tokenExchange({ subjectToken: subject }));
    compare(noScope, '003 token-exchange', fill, {
      ...NO_CACHE,
      'param:scope:missing': "RFC 8693: without scope the IdP keeps the subject token's; we do not narrow it to openid (README)",
    });
  });

  it('004 asgardeo jwt-bearer: a standard provider (form Basic by default), no scope with a given assertion', async () => {
    const client = clientFor({
      clientId: STANDARD_APP.clientId,
      clientSecret: STANDARD_APP.clientSecret,
      discoveryUrl: `${mock.url}/oauth/.well-know/openid-configuration`,
      clientAuthMethod: 'client_secret_basic',
    });
    expect(client.config.basicEncoding).toBe('form');
    const assertion = await createJwtBearerAssertion({
      credentials: await loadSigningCredentials({ privateKey: KEY, certificate: CERT }),
      clientId: STANDARD_APP.clientId,
      audience: `${mock.url}/WebIdPForms/OAuth/v2`,
    });
    const actual = await capture('/oauth/v2/token', () => client.jwtBearer({ assertion }));
    compare(actual, '004 asgardeo jwt-bearer', {
      ClientID: STANDARD_APP.clientId,
      ClientSecret: STANDARD_APP.clientSecret,
      assertion,
      token_endpoint: `${mock.url}/oauth/v2/token`,
    });
  });
});

describe('tokeninfo, tokenrevoke, userinfo', () => {
  it.each([
    ['002 tokeninfo', 'access_token'],
    ['003 tokeninfo', 'refresh_token'],
  ] as const)('%s (%s): the client literally in Basic', async (example, hint) => {
    const client = clientFor();
    const t = await client.password({ username: KRIS.username, password: KRIS.password });
    const token = (hint === 'access_token' ? t.access_token : t.refresh_token) as string;
    const actual = await capture('/oauth/v2/tokeninfo', () => client.introspect(token, hint));
    compare(actual, example, { ...LITERAL_CLIENT, token, token_type_hint: hint }, NO_CACHE);
  });

  it.each([
    ['002 tokenrevoke', 'access_token'],
    ['003 tokenrevoke', 'refresh_token'],
  ] as const)('%s (%s): the client literally in Basic', async (example, hint) => {
    const client = clientFor();
    const t = await client.password({ username: KRIS.username, password: KRIS.password });
    const token = (hint === 'access_token' ? t.access_token : t.refresh_token) as string;
    const actual = await capture('/oauth/v2/tokenrevoke', () => client.revoke(token, hint));
    compare(actual, example, { ...LITERAL_CLIENT, token, token_type_hint: hint }, NO_CACHE);
  });

  it("requireToken(): its tokeninfo and userinfo calls are the docs' (003 tokeninfo, 003 userinfo)", async () => {
    const access = await mock.issueAccessToken({ username: KRIS.username, clientId: APP.clientId });
    const guard = requireToken({ server: mock.url, clientId: APP.clientId, clientSecret: APP.clientSecret, fetch: recording });
    const app = express();
    app.get('/api', guard, (_req, res) => res.json({ ok: true }));
    sent.length = 0;
    await request(app).get('/api').set('Authorization', `Bearer ${access}`).expect(200);
    const at = (path: string) => sent.filter((r) => r.url.pathname === path);
    expect(at('/oauth/v2/tokeninfo')).toHaveLength(1);
    expect(at('/oauth/v2/userinfo')).toHaveLength(1);
    compare(
      at('/oauth/v2/tokeninfo')[0] as Sent,
      '003 tokeninfo',
      { ...LITERAL_CLIENT, token: access, token_type_hint: 'access_token' },
      NO_CACHE,
    );
    compare(at('/oauth/v2/userinfo')[0] as Sent, '003 userinfo', { ...LITERAL_CLIENT, access_token: access }, NO_CACHE);
  });

  it.each(['002 userinfo', '003 userinfo'] as const)(
    '%s: POST, the client literally in Basic, access_token in the body',
    async (example) => {
      const client = clientFor();
      const { access_token } = await client.password({ username: KRIS.username, password: KRIS.password });
      const actual = await capture('/oauth/v2/userinfo', () => client.userinfo(access_token));
      compare(actual, example, { ...LITERAL_CLIENT, access_token }, NO_CACHE);
    },
  );
});
