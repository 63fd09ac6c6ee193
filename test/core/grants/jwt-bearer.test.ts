import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateThumbprint, createJwtBearerAssertion, loadSigningCredentials } from '../../../src/core/assertions/index.js';
import { signingCredentials } from '../../../src/core/grants/credentials.js';
import { JWT_BEARER_GRANT_TYPE } from '../../../src/core/grants/index.js';
import { EmpowerIDError, OAuthError } from '../../../src/errors.js';
import { DEFAULT_USERS, type MockEmpowerID } from '../../../src/testing/index.js';
import { CLIENT_ID, CLIENT_SECRET, clientOf, decodeBasic, registered, rejectionOf, startMock, testClock, unregistered } from './helpers.js';

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(() => mock.close());

describe('jwtBearer with an EmpowerID assertion minted from the key pair', () => {
  it("signs EmpowerID's assertion and gets the owner's tokens", async () => {
    const { client, sent } = clientOf(mock);
    const tokens = await client.jwtBearer(registered);
    expect(tokens).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), id: DEFAULT_USERS[0]!.id });

    const body = sent[0]!.body;
    expect(body.get('grant_type')).toBe(JWT_BEARER_GRANT_TYPE);
    expect(body.get('client_secret')).toBe(CLIENT_SECRET);
    expect(body.get('scope')).toBe('openid');
    const assertion = body.get('assertion')!;
    const claims = decodeJwt(assertion);
    expect(claims).toMatchObject({
      iss: CLIENT_ID,
      sub: certificateThumbprint(registered.certificate),
      aud: `${mock.url}/WebIdPForms/OAuth/v2`,
    });
    expect(claims.nbf).toBe(claims.iat! - 300);
    expect(claims.exp).toBe(claims.iat! + 300);
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(5);
    expect(decodeProtectedHeader(assertion).alg).toBe('RS256');
  });

  it("sends base64 of the compact JWT when asked (the docs' Base64(Sign(JWT)) read literally)", async () => {
    const { client, sent } = clientOf(mock);
    await expect(client.jwtBearer({ ...registered, encoding: 'base64' })).resolves.toMatchObject({ access_token: expect.any(String) });
    const wrapped = sent[0]!.body.get('assertion')!;
    expect(decodeJwt(Buffer.from(wrapped, 'base64').toString('utf8')).iss).toBe(CLIENT_ID);
  });

  it('loads the key pair once per client', async () => {
    const { client } = clientOf(mock);
    const first = signingCredentials(client, registered);
    expect(signingCredentials(client, registered)).toBe(first);
    expect((await first).thumbprint).toBe(certificateThumbprint(registered.certificate));
    const other = clientOf(mock).client;
    expect(signingCredentials(other, registered)).not.toBe(first);
  });

  it('a key pair that is not registered is invalid_grant', async () => {
    const { client } = clientOf(mock);
    const err = await rejectionOf(client.jwtBearer(unregistered));
    expect(err).toBeInstanceOf(OAuthError);
    expect(err).toMatchObject({ error: 'invalid_grant', code: 'ERR_OAUTH_ERROR' });
  });

  it('a key that does not match the certificate fails before any request', async () => {
    const { client, sent } = clientOf(mock);
    const err = await rejectionOf(client.jwtBearer({ privateKey: unregistered.privateKey, certificate: registered.certificate }));
    expect(err).toBeInstanceOf(EmpowerIDError);
    expect(err.code).toBe('ERR_ASSERTION_INVALID');
    expect(sent).toHaveLength(0);
  });

  it('an expired assertion (client clock an hour behind) is invalid_grant', async () => {
    const clock = testClock();
    clock.advance(-3600);
    const { client, sent } = clientOf(mock, { clock: clock.now });
    await expect(client.jwtBearer(registered)).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringMatching(/expired/),
    });
    expect(decodeJwt(sent[0]!.body.get('assertion')!).iat).toBeLessThan(Date.now() / 1000 - 3500);
  });

  it('a wrong client secret is invalid_client', async () => {
    const { client } = clientOf(mock, { clientSecret: 'nope' });
    await expect(client.jwtBearer(registered)).rejects.toMatchObject({ error: 'invalid_client' });
  });
});

describe('jwtBearer with a given assertion', () => {
  it('passes it through untouched, without a default scope', async () => {
    const { client, sent } = clientOf(mock);
    const credentials = await loadSigningCredentials(registered);
    const assertion = await createJwtBearerAssertion({ credentials, clientId: CLIENT_ID, audience: `${mock.url}/WebIdPForms/OAuth/v2` });
    const tokens = await client.jwtBearer({ assertion });
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.id_token).toBeUndefined();
    expect(sent[0]!.body.get('assertion')).toBe(assertion);
    expect(sent[0]!.body.has('scope')).toBe(false);
  });

  it('refuses the same assertion twice (jti replay)', async () => {
    const { client } = clientOf(mock);
    const credentials = await loadSigningCredentials(registered);
    const assertion = await createJwtBearerAssertion({ credentials, clientId: CLIENT_ID, audience: `${mock.url}/WebIdPForms/OAuth/v2` });
    await client.jwtBearer({ assertion });
    await expect(client.jwtBearer({ assertion })).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringMatching(/replay/),
    });
  });

  it('authenticates the client with HTTP Basic when asked (Asgardeo, document 004)', async () => {
    const { client, sent } = clientOf(mock);
    const credentials = await loadSigningCredentials(registered);
    const assertion = await createJwtBearerAssertion({ credentials, clientId: CLIENT_ID, audience: `${mock.url}/WebIdPForms/OAuth/v2` });
    await client.jwtBearer({ assertion, clientAuthMethod: 'client_secret_basic' });
    expect(decodeBasic(sent[0]!.headers.get('authorization'))).toEqual({ user: CLIENT_ID, pass: CLIENT_SECRET });
    expect(sent[0]!.body.has('client_secret')).toBe(false);
  });

  it('a client configured with client_secret_basic uses it by default; client_secret_post can be asked per call', async () => {
    const { client, sent } = clientOf(mock, { clientAuthMethod: 'client_secret_basic' });
    const credentials = await loadSigningCredentials(registered);
    const mint = () => createJwtBearerAssertion({ credentials, clientId: CLIENT_ID, audience: `${mock.url}/WebIdPForms/OAuth/v2` });
    await client.jwtBearer({ assertion: await mint() });
    await client.jwtBearer({ assertion: await mint(), clientAuthMethod: 'client_secret_post' });
    expect(sent[0]!.headers.get('authorization')).toMatch(/^Basic /);
    expect(sent[1]!.headers.get('authorization')).toBeNull();
    expect(sent[1]!.body.get('client_secret')).toBe(CLIENT_SECRET);
  });

  it('a garbage assertion is invalid_grant', async () => {
    const { client } = clientOf(mock);
    await expect(client.jwtBearer({ assertion: 'not-a-jwt' })).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});
