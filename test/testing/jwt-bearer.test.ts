import { randomUUID } from 'node:crypto';
import { type CryptoKey, decodeJwt, importPKCS8, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { basic, CERT_CLIENT, CLIENT, FOREIGN_KEY, PATH, post, REGISTERED_KEY, token } from './helpers.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** `openssl x509 -in test/fixtures/testing/registered-cert.pem -noout -fingerprint -sha1`, colons removed. */
const THUMBPRINT = '5AF35AB76C7272EC9B7AF5FC465075C24EDBD1BA';

describe('grant: jwt-bearer', () => {
  let mock: MockEmpowerID;
  let key: CryptoKey;
  let foreignKey: CryptoKey;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ clients: [CLIENT, CERT_CLIENT] });
    key = await importPKCS8(REGISTERED_KEY, 'RS256');
    foreignKey = await importPKCS8(FOREIGN_KEY, 'RS256');
  });
  afterAll(() => mock.close());

  /** The docs' assertion: iss client, sub thumbprint, aud S/WebIdPForms/OAuth/v2, iat now, nbf now−5m, exp now+5m. */
  function assertion(overrides: JWTPayload = {}, signWith: CryptoKey = key): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: JWTPayload = {
      iss: CERT_CLIENT.clientId,
      sub: THUMBPRINT,
      aud: `${mock.url}/WebIdPForms/OAuth/v2`,
      iat: now,
      nbf: now - 300,
      exp: now + 300,
      ...overrides,
    };
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(signWith);
  }

  const exchange = (a: string, client = CERT_CLIENT) => token(mock, { grant_type: GRANT, assertion: a, scope: 'openid' }, client);

  it("issues tokens for the client's owner", async () => {
    const r = await exchange(await assertion());
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', refresh_token: expect.any(String), id: '9b592c74-c014-4536-bfac-f706a4c8d89f' });
    expect(decodeJwt(r.body.id_token)).toMatchObject({ sub: 'bob', aud: CERT_CLIENT.clientId });
  });

  it('accepts base64 of the compact JWT (docs: base64(sign(JWT))), a lower-case thumbprint and Basic client auth', async () => {
    const b64 = Buffer.from(await assertion({ sub: THUMBPRINT.toLowerCase() })).toString('base64');
    expect((await exchange(b64)).status).toBe(200);
    const viaBasic = await post(
      mock.url + PATH.token,
      { grant_type: GRANT, assertion: await assertion() },
      { Authorization: basic(CERT_CLIENT.clientId, CERT_CLIENT.clientSecret) },
    );
    expect(viaBasic.status).toBe(200);
  });

  it.each<[string, JWTPayload, RegExp]>([
    ['wrong iss', { iss: CLIENT.clientId }, /iss/],
    ['wrong sub', { sub: 'ABCDEF' }, /sub/],
    ['wrong aud', { aud: 'https://elsewhere/WebIdPForms/OAuth/v2' }, /aud/],
    ['expired', { exp: Math.floor(Date.now() / 1000) - 120 }, /exp/],
    ['no exp', { exp: undefined }, /exp/],
    ['nbf in the future', { nbf: Math.floor(Date.now() / 1000) + 600, exp: Math.floor(Date.now() / 1000) + 900 }, /nbf/],
    ['iat in the future', { iat: Math.floor(Date.now() / 1000) + 600 }, /iat/],
    ['lifetime too long', { nbf: Math.floor(Date.now() / 1000) - 60, exp: Math.floor(Date.now() / 1000) + 3600 }, /lifetime/],
  ])('rejects %s with invalid_grant naming the check', async (_name, overrides, why) => {
    const r = await exchange(await assertion(overrides));
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
    expect(r.body.error_description).toMatch(why);
  });

  it('allows 60 s of clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await exchange(await assertion({ iat: now + 30, nbf: now + 30, exp: now + 300 }))).status).toBe(200);
    expect((await exchange(await assertion({ exp: now - 30 }))).status).toBe(200);
  });

  it('rejects an assertion signed by another key', async () => {
    const r = await exchange(await assertion({}, foreignKey));
    expect(r.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/signature/) });
  });

  it('rejects a replayed jti', async () => {
    const a = await assertion({ jti: randomUUID() });
    expect((await exchange(a)).status).toBe(200);
    const again = await exchange(a);
    expect(again.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/jti/) });
  });

  it('rejects a client without a registered certificate with unauthorized_client', async () => {
    const r = await exchange(await assertion({ iss: CLIENT.clientId }), CLIENT);
    expect(r.body.error).toBe('unauthorized_client');
  });

  it('rejects garbage and missing assertions', async () => {
    expect((await exchange('not-a-jwt')).body.error).toBe('invalid_grant');
    expect((await token(mock, { grant_type: GRANT }, CERT_CLIENT)).body.error).toBe('invalid_request');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    expect((await exchange(unsigned)).body.error).toBe('invalid_grant');
  });
});
