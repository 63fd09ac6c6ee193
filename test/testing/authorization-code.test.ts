import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import {
  authorizeUrl,
  Browser,
  basic,
  CERT_CLIENT,
  CLIENT,
  codeFlow,
  halfHash,
  location,
  PATH,
  pkce,
  post,
  REDIRECT_URI,
  token,
  verifyIdToken,
} from './helpers.js';

describe('grant: authorization_code', () => {
  let now = Date.now();
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ clients: [CLIENT, CERT_CLIENT], clock: () => now });
  });
  afterAll(() => mock.close());

  /** A code for alice via autoLogin, with the given extra authorize params. */
  async function code(params: Record<string, string | undefined> = {}): Promise<string> {
    mock.setAutoLogin('alice');
    try {
      return location(await new Browser().get(authorizeUrl(mock, params))).searchParams.get('code') ?? '';
    } finally {
      mock.setAutoLogin(false);
    }
  }

  it('form sign-in → code → tokens with PKCE S256, shaped like the docs', async () => {
    const { res } = await codeFlow(mock);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: expect.any(String),
      id_token: expect.any(String),
      id: 'd399765d-fcd7-45c9-913f-2b0c9e65f8b7',
      scope: 'openid profile',
    });
  });

  it('issues an ID token with exactly the documented claims, signed RS256 with the published kid', async () => {
    const { res } = await codeFlow(mock, { nonce: 'n-42' });
    const idToken: string = res.body.id_token;
    const claims = await verifyIdToken(mock, idToken);
    const iat = Math.floor(now / 1000);
    expect(claims).toEqual({
      iss: 'EmpowerID',
      sub: 'alice',
      aud: CLIENT.clientId,
      azp: CLIENT.clientId,
      iat,
      nbf: iat,
      exp: iat + 3600,
      oid: 'd399765d-fcd7-45c9-913f-2b0c9e65f8b7',
      name: 'Alice Anderson',
      email: 'alice.anderson@example.com',
      nonce: 'n-42',
      at_hash: halfHash(res.body.access_token),
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const { keys } = await (await fetch(`${mock.url}/oauth/v2/jwks`)).json();
    expect(decodeProtectedHeader(idToken)).toEqual({ alg: 'RS256', typ: 'JWT', kid: keys[0].kid });
  });

  it('omits nonce from the ID token when the request had none, and the ID token without openid', async () => {
    const { res } = await codeFlow(mock, { nonce: undefined });
    expect(decodeJwt(res.body.id_token).nonce).toBeUndefined();
    const noOidc = await codeFlow(mock, { scope: 'profile' });
    expect(noOidc.res.status).toBe(200);
    expect(noOidc.res.body.id_token).toBeUndefined();
  });

  it('accepts client_secret_basic (the pair in Basic literally, as the docs write it)', async () => {
    const { verifier, challenge } = pkce();
    mock.setAutoLogin('alice');
    const cb = location(
      await new Browser().get(
        authorizeUrl(mock, {
          client_id: CERT_CLIENT.clientId,
          redirect_uri: CERT_CLIENT.redirectUris[0],
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
      ),
    );
    mock.setAutoLogin(false);
    const res = await post(
      mock.url + PATH.token,
      {
        grant_type: 'authorization_code',
        code: cb.searchParams.get('code') ?? '',
        redirect_uri: CERT_CLIENT.redirectUris[0] ?? '',
        code_verifier: verifier,
      },
      { Authorization: basic(CERT_CLIENT.clientId, CERT_CLIENT.clientSecret) },
    );
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.id_token).aud).toBe(CERT_CLIENT.clientId);
  });

  it('rejects a wrong or missing code_verifier with invalid_grant', async () => {
    const { challenge } = pkce();
    const c = await code({ code_challenge: challenge, code_challenge_method: 'S256' });
    const wrong = await token(mock, {
      grant_type: 'authorization_code',
      code: c,
      redirect_uri: REDIRECT_URI,
      code_verifier: pkce().verifier,
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    const missing = await token(mock, { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT_URI });
    expect(missing.body.error).toBe('invalid_grant');
  });

  it('treats a challenge without method as plain (docs)', async () => {
    const { verifier } = pkce();
    const c = await code({ code_challenge: verifier });
    const res = await token(mock, { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    expect(res.status).toBe(200);
  });

  it('rejects a code_verifier when the authorization request had no challenge (downgrade)', async () => {
    const c = await code();
    const res = await token(mock, {
      grant_type: 'authorization_code',
      code: c,
      redirect_uri: REDIRECT_URI,
      code_verifier: pkce().verifier,
    });
    expect(res.body.error).toBe('invalid_grant');
  });

  it('a reused code is invalid_grant and revokes the tokens issued from it', async () => {
    const { res, code: c, verifier } = await codeFlow(mock);
    const again = await token(mock, { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
    const auth = { Authorization: basic(CLIENT.clientId, CLIENT.clientSecret) };
    const info = await post(mock.url + PATH.tokeninfo, { token: res.body.access_token }, auth);
    expect(info.body).toEqual({ active: false });
    const refresh = await token(mock, { grant_type: 'refresh_token', refresh_token: res.body.refresh_token });
    expect(refresh.body.error).toBe('invalid_grant');
  });

  it('binds the code to redirect_uri and client', async () => {
    const c = await code();
    const other = await token(mock, { grant_type: 'authorization_code', code: c, redirect_uri: 'http://127.0.0.1:3000/callback' });
    expect(other.body.error).toBe('invalid_grant');
    const otherClient = await token(mock, { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT_URI }, CERT_CLIENT);
    expect(otherClient.body.error).toBe('invalid_grant');
    // none of the failures consumed the code
    const ok = await token(mock, { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT_URI });
    expect(ok.status).toBe(200);
  });

  it("redeems a code without redirect_uri, as the docs' code exchange is written", async () => {
    const res = await token(mock, { grant_type: 'authorization_code', code: await code() });
    expect(res.status).toBe(200);
    expect(res.body.access_token).toEqual(expect.any(String));
  });

  it('codes expire after codeTTL', async () => {
    const c = await code();
    now += 61_000;
    const res = await token(mock, { grant_type: 'authorization_code', code: c, redirect_uri: REDIRECT_URI });
    expect(res.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/expired/) });
  });

  it('unknown codes are invalid_grant', async () => {
    const res = await token(mock, { grant_type: 'authorization_code', code: 'nope', redirect_uri: REDIRECT_URI });
    expect(res.body.error).toBe('invalid_grant');
  });
});

describe('token endpoint: common checks', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ clients: [CLIENT, CERT_CLIENT] });
  });
  afterAll(() => mock.close());

  it('wrong client secret → 401 invalid_client; Basic attempts get WWW-Authenticate: Basic', async () => {
    const post1 = await token(mock, { grant_type: 'client_credentials' }, { ...CLIENT, clientSecret: 'wrong' });
    expect(post1.status).toBe(401);
    expect(post1.body.error).toBe('invalid_client');
    expect(post1.headers.get('www-authenticate')).toBeNull();
    const basic1 = await post(
      mock.url + PATH.token,
      { grant_type: 'client_credentials' },
      { Authorization: basic(CLIENT.clientId, 'wrong') },
    );
    expect(basic1.status).toBe(401);
    expect(basic1.headers.get('www-authenticate')).toMatch(/^Basic/);
    const unknown = await token(mock, { grant_type: 'client_credentials' }, { ...CLIENT, clientId: 'who' });
    expect(unknown.status).toBe(401);
    const none = await post(mock.url + PATH.token, { grant_type: 'client_credentials' });
    expect(none.status).toBe(401);
  });

  it('decodes Basic credentials literally, as the docs write them (no RFC 6749 §2.3.1 form-decoding)', async () => {
    const ok = await post(
      mock.url + PATH.token,
      { grant_type: 'client_credentials' },
      { Authorization: basic(CERT_CLIENT.clientId, CERT_CLIENT.clientSecret) },
    );
    expect(ok.status).toBe(200);
    // The same secret form-encoded first (" " → "+", "/" → "%2F", …) is another secret to the mock.
    const formSecret = new URLSearchParams({ s: CERT_CLIENT.clientSecret }).toString().slice(2);
    expect(formSecret).not.toBe(CERT_CLIENT.clientSecret);
    const form = await post(
      mock.url + PATH.token,
      { grant_type: 'client_credentials' },
      { Authorization: basic(CERT_CLIENT.clientId, formSecret) },
    );
    expect(form.status).toBe(401);
  });

  it('refuses two client authentication methods at once', async () => {
    const res = await post(
      mock.url + PATH.token,
      { grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret },
      { Authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
    );
    expect(res.body.error).toBe('invalid_request');
  });

  it('accepts only application/x-www-form-urlencoded', async () => {
    const res = await fetch(mock.url + PATH.token, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('unknown or missing grant_type, repeated parameters, wrong method', async () => {
    expect((await token(mock, { grant_type: 'urn:example:magic' })).body.error).toBe('unsupported_grant_type');
    expect((await token(mock, {})).body.error).toBe('invalid_request');
    const repeated = await fetch(mock.url + PATH.token, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${CLIENT.clientId}&client_secret=${CLIENT.clientSecret}&scope=a&scope=b`,
    });
    expect((await repeated.json()).error).toBe('invalid_request');
    const get = await fetch(mock.url + PATH.token);
    expect(get.status).toBe(405);
  });
});

describe('tamperNextIdToken', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID();
  });
  afterAll(() => mock.close());

  it('merges claims into the next ID token only', async () => {
    mock.tamperNextIdToken({ claims: { nonce: 'x', exp: 1 } });
    const first = await codeFlow(mock);
    expect(decodeJwt(first.res.body.id_token)).toMatchObject({ nonce: 'x', exp: 1 });
    const second = await codeFlow(mock);
    expect(decodeJwt(second.res.body.id_token).nonce).toBe('nonce-456');
  });

  it("'foreign-key' keeps the kid but fails signature verification", async () => {
    mock.tamperNextIdToken({ signWith: 'foreign-key' });
    const { res } = await codeFlow(mock);
    const { keys } = await (await fetch(`${mock.url}/oauth/v2/jwks`)).json();
    expect(decodeProtectedHeader(res.body.id_token).kid).toBe(keys[0].kid);
    await expect(verifyIdToken(mock, res.body.id_token)).rejects.toThrow(/signature/);
  });

  it("'none' emits an unsecured JWT", async () => {
    mock.tamperNextIdToken({ signWith: 'none' });
    const { res } = await codeFlow(mock);
    expect(decodeProtectedHeader(res.body.id_token).alg).toBe('none');
    expect(res.body.id_token.endsWith('.')).toBe(true);
  });

  it('applies to the hybrid front-channel ID token too', async () => {
    mock.setAutoLogin('alice');
    mock.tamperNextIdToken({ claims: { aud: 'someone-else' } });
    const cb = location(await new Browser().get(authorizeUrl(mock, { response_type: 'code id_token' })));
    expect(decodeJwt(cb.searchParams.get('id_token') ?? '').aud).toBe('someone-else');
  });
});
