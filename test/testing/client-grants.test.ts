import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { basic, CERT_CLIENT, CLIENT, PATH, post, token } from './helpers.js';

const BOB_ID = '9b592c74-c014-4536-bfac-f706a4c8d89f';
const ALICE_ID = 'd399765d-fcd7-45c9-913f-2b0c9e65f8b7';

describe('grant: client_credentials', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ clients: [CLIENT, CERT_CLIENT] });
  });
  afterAll(() => mock.close());

  it("issues a token to the client's owner, without refresh token or ID token by default", async () => {
    const r = await token(mock, { grant_type: 'client_credentials' }, CERT_CLIENT);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, id: BOB_ID });
    const info = await post(
      mock.url + PATH.tokeninfo,
      { token: r.body.access_token },
      { Authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
    );
    expect(info.body).toMatchObject({ active: true, username: 'bob', client_id: CERT_CLIENT.clientId });
  });

  it('defaults the owner to the first user, and adds an ID token for scope openid', async () => {
    const r = await token(mock, { grant_type: 'client_credentials', scope: 'openid' });
    expect(r.body.id).toBe(ALICE_ID);
    expect(decodeJwt(r.body.id_token)).toMatchObject({ sub: 'alice', aud: CLIENT.clientId, oid: ALICE_ID });
  });

  it('issues for the person named by username; an unknown username is invalid_request', async () => {
    const r = await token(mock, { grant_type: 'client_credentials', username: 'carol' });
    expect(r.body.id).toBe('a4e5c7f2-3b1d-4c8e-9f60-2d7b1e8c4a93');
    const bad = await token(mock, { grant_type: 'client_credentials', username: 'mallory' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_request');
  });
});

describe('grant: password', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID();
  });
  afterAll(() => mock.close());

  it("EmpowerID form: the person's credentials in Basic, the client in the body", async () => {
    const r = await post(
      mock.url + PATH.token,
      { grant_type: 'password', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret, scope: 'openid' },
      { Authorization: basic('bob', 'bob-password') },
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', refresh_token: expect.any(String), id: BOB_ID, scope: 'openid' });
    expect(decodeJwt(r.body.id_token)).toMatchObject({ sub: 'bob', aud: CLIENT.clientId });
  });

  it('RFC 6749 form: username/password in the body, client by Basic or body', async () => {
    const viaBasic = await post(
      mock.url + PATH.token,
      { grant_type: 'password', username: 'alice', password: 'alice-password' },
      { Authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
    );
    expect(viaBasic.body.id).toBe(ALICE_ID);
    const viaBody = await token(mock, { grant_type: 'password', username: 'alice', password: 'alice-password' });
    expect(viaBody.status).toBe(200);
  });

  it('bad person credentials are invalid_grant; bad client credentials are invalid_client', async () => {
    const wrong = await post(
      mock.url + PATH.token,
      { grant_type: 'password', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret },
      { Authorization: basic('bob', 'wrong') },
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_grant');
    const unknown = await token(mock, { grant_type: 'password', username: 'mallory', password: 'x' });
    expect(unknown.body.error).toBe('invalid_grant');
    const badClient = await post(
      mock.url + PATH.token,
      { grant_type: 'password', client_id: CLIENT.clientId, client_secret: 'nope' },
      { Authorization: basic('bob', 'bob-password') },
    );
    expect(badClient.status).toBe(401);
    expect(badClient.body.error).toBe('invalid_client');
    const noPerson = await token(mock, { grant_type: 'password' });
    expect(noPerson.body.error).toBe('invalid_request');
  });
});

describe('grant: token-exchange', () => {
  const TE = 'urn:ietf:params:oauth:grant-type:token-exchange';
  const AT = 'urn:ietf:params:oauth:token-type:access_token';
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ clients: [CLIENT, CERT_CLIENT] });
  });
  afterAll(() => mock.close());
  const exchange = (
    fields: Record<string, string>,
    headers: Record<string, string> = { Authorization: basic(CERT_CLIENT.clientId, CERT_CLIENT.clientSecret) },
  ) => post(mock.url + PATH.token, { grant_type: TE, ...fields }, headers);

  it("exchanges another client's active access token; the answer adds issued_token_type", async () => {
    const subject = await mock.issueAccessToken({ username: 'carol', clientId: CLIENT.clientId, scope: 'openid api' });
    const r = await exchange({ subject_token: subject, subject_token_type: AT, scope: 'api' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      issued_token_type: AT,
      expires_in: 3600,
      refresh_token: expect.any(String),
      id_token: null,
      id: '00000000-0000-0000-0000-000000000000',
      scope: 'api',
    });
    const info = await post(
      mock.url + PATH.tokeninfo,
      { token: r.body.access_token },
      { Authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
    );
    expect(info.body).toMatchObject({ active: true, username: 'carol', client_id: CERT_CLIENT.clientId, scope: 'api' });
  });

  it('requires Basic client authentication (docs), not body credentials', async () => {
    const subject = await mock.issueAccessToken({ username: 'carol' });
    const r = await token(mock, { grant_type: TE, subject_token: subject, subject_token_type: AT }, CERT_CLIENT);
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
  });

  it('inactive subject tokens are invalid_grant; other token types invalid_request', async () => {
    expect((await exchange({ subject_token: 'nope', subject_token_type: AT })).body.error).toBe('invalid_grant');
    const subject = await mock.issueAccessToken({ username: 'carol' });
    const idType = await exchange({ subject_token: subject, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' });
    expect(idType.body.error).toBe('invalid_request');
    expect((await exchange({ subject_token_type: AT })).body.error).toBe('invalid_request');
  });
});
