import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { basic, CERT_CLIENT, CLIENT, codeFlow, PATH, post } from './helpers.js';

const asClient = { Authorization: basic(CLIENT.clientId, CLIENT.clientSecret) };
const asCertClient = { Authorization: basic(CERT_CLIENT.clientId, CERT_CLIENT.clientSecret) };

describe('tokeninfo (introspection)', () => {
  let now = Date.now();
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ clients: [CLIENT, CERT_CLIENT], clock: () => now });
  });
  afterAll(() => mock.close());
  const info = (fields: Record<string, string>, headers: Record<string, string> = asClient) =>
    post(mock.url + PATH.tokeninfo, fields, headers);

  it('requires HTTP Basic client credentials', async () => {
    const t = await mock.issueAccessToken({ username: 'alice' });
    const none = await info({ token: t }, {});
    expect(none.status).toBe(401);
    expect(none.body.error).toBe('invalid_client');
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
    const bodyCreds = await info({ token: t, client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret }, {});
    expect(bodyCreds.status).toBe(401);
    const wrong = await info({ token: t }, { Authorization: basic(CLIENT.clientId, 'nope') });
    expect(wrong.status).toBe(401);
  });

  it('requires token', async () => {
    const res = await info({});
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('describes an active access token', async () => {
    const { res } = await codeFlow(mock);
    const r = await info({ token: res.body.access_token });
    const iat = Math.floor(now / 1000);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      active: true,
      client_id: CLIENT.clientId,
      username: 'alice',
      exp: iat + 3600,
      iat,
      nbf: iat,
      sub: 'alice',
      iss: 'EmpowerID',
      scope: 'openid profile',
      token_type: 'Bearer',
    });
  });

  it('describes a refresh token only when the hint names it (the docs: the hint says what the token is)', async () => {
    const { res } = await codeFlow(mock);
    const hinted = await info({ token: res.body.refresh_token, token_type_hint: 'refresh_token' });
    expect(hinted.body).toMatchObject({ active: true, client_id: CLIENT.clientId, username: 'alice', token_type: 'refresh_token' });
    // The default hint is access_token: a refresh token asked about as an access token is not one.
    expect((await info({ token: res.body.refresh_token })).body).toEqual({ active: false });
    expect((await info({ token: res.body.refresh_token, token_type_hint: 'access_token' })).body).toEqual({ active: false });
    expect((await info({ token: res.body.access_token, token_type_hint: 'refresh_token' })).body).toEqual({ active: false });
    expect((await info({ token: res.body.access_token })).body).toMatchObject({ active: true, token_type: 'Bearer' });
    const bad = await info({ token: res.body.access_token, token_type_hint: 'id_token' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('unsupported_token_type');
  });

  it('describes tokens of other clients', async () => {
    const { res } = await codeFlow(mock);
    const byOther = await info({ token: res.body.access_token }, asCertClient);
    expect(byOther.body).toMatchObject({ active: true, client_id: CLIENT.clientId });
  });

  it('answers { active: false } for unknown and expired tokens', async () => {
    expect((await info({ token: 'nope' })).body).toEqual({ active: false });
    const t = await mock.issueAccessToken({ username: 'bob', ttl: 10 });
    expect((await info({ token: t })).body.active).toBe(true);
    now += 11_000;
    expect((await info({ token: t })).body).toEqual({ active: false });
  });
});

describe('tokenrevoke', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ clients: [CLIENT, CERT_CLIENT] });
  });
  afterAll(() => mock.close());
  const revoke = (fields: Record<string, string>, headers: Record<string, string> = asClient) =>
    post(mock.url + PATH.tokenrevoke, fields, headers);
  const active = async (token: string) => (await post(mock.url + PATH.tokeninfo, { token }, asClient)).body.active;

  it('revokes an access token and answers 200 with an empty body', async () => {
    const t = await mock.issueAccessToken({ username: 'alice', clientId: CLIENT.clientId });
    const r = await revoke({ token: t });
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    expect(await active(t)).toBe(false);
  });

  it('answers 200 for unknown tokens too', async () => {
    const r = await revoke({ token: 'never-issued' });
    expect(r.status).toBe(200);
  });

  it('revoking a refresh token revokes the access tokens of its grant', async () => {
    const { res } = await codeFlow(mock);
    await revoke({ token: res.body.refresh_token, token_type_hint: 'refresh_token' });
    expect(await active(res.body.access_token)).toBe(false);
  });

  it('requires Basic client authentication and leaves other clients’ tokens alone', async () => {
    const t = await mock.issueAccessToken({ username: 'alice', clientId: CLIENT.clientId });
    expect((await revoke({ token: t }, {})).status).toBe(401);
    expect((await revoke({ token: t }, asCertClient)).status).toBe(200);
    expect(await active(t)).toBe(true);
    expect((await revoke({ token: t, token_type_hint: 'id_token' })).body.error).toBe('unsupported_token_type');
  });
});

describe('userinfo', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ clients: [CLIENT, CERT_CLIENT] });
  });
  afterAll(() => mock.close());
  const alice = {
    id: 'd399765d-fcd7-45c9-913f-2b0c9e65f8b7',
    username: 'alice',
    first_name: 'Alice',
    last_name: 'Anderson',
    email: 'alice.anderson@example.com',
    organization: 'Hosting Organization',
    business_role_locations: expect.arrayContaining(['Any Role in Anywhere']),
    sub: 'alice',
  };

  it('EmpowerID style: POST with Basic client credentials and access_token (or token) in the form', async () => {
    const t = await mock.issueAccessToken({ username: 'alice' });
    const a = await post(mock.url + PATH.userinfo, { access_token: t }, asClient);
    expect(a.status).toBe(200);
    expect(a.body).toEqual(alice);
    const b = await post(mock.url + PATH.userinfo, { token: t }, asCertClient);
    expect(b.body).toEqual(alice);
  });

  it('the form style without Basic is invalid_client', async () => {
    const t = await mock.issueAccessToken({ username: 'alice' });
    const r = await post(mock.url + PATH.userinfo, { access_token: t });
    expect(r.status).toBe(401);
    expect(r.body.error).toBe('invalid_client');
  });

  it('standard style: Authorization: Bearer on GET and POST', async () => {
    const t = await mock.issueAccessToken({ username: 'bob' });
    const g = await fetch(mock.url + PATH.userinfo, { headers: { Authorization: `Bearer ${t}` } });
    expect(g.status).toBe(200);
    expect(await g.json()).toMatchObject({ username: 'bob', sub: 'bob' });
    const p = await fetch(mock.url + PATH.userinfo, { method: 'POST', headers: { Authorization: `Bearer ${t}` } });
    expect((await p.json()).username).toBe('bob');
  });

  it('inactive tokens: 401 invalid_token with WWW-Authenticate: Bearer error="invalid_token"', async () => {
    const g = await fetch(mock.url + PATH.userinfo, { headers: { Authorization: 'Bearer nope' } });
    expect(g.status).toBe(401);
    expect(g.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect((await g.json()).error).toBe('invalid_token');
    const t = await mock.issueAccessToken({ username: 'alice' });
    mock.revokeAllFor('alice');
    const revoked = await post(mock.url + PATH.userinfo, { access_token: t }, asClient);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error).toBe('invalid_token');
  });

  it('no token at all: 401 with a bare Bearer challenge', async () => {
    const r = await fetch(mock.url + PATH.userinfo);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(r.headers.get('www-authenticate')).not.toMatch(/error=/);
  });

  it('issueAccessToken validates its arguments', async () => {
    await expect(mock.issueAccessToken({ username: 'mallory' })).rejects.toThrow(/mallory/);
    await expect(mock.issueAccessToken({ username: 'alice', clientId: 'nope' })).rejects.toThrow(/nope/);
  });
});
