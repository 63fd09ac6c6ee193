import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { basic, CERT_CLIENT, CLIENT, codeFlow, PATH, post, token } from './helpers.js';

describe('grant: refresh_token', () => {
  let now = Date.now();
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ clients: [CLIENT, CERT_CLIENT], clock: () => now });
  });
  afterAll(() => mock.close());

  const refresh = (refresh_token: string, extra: Record<string, string> = {}, client = CLIENT) =>
    token(mock, { grant_type: 'refresh_token', refresh_token, ...extra }, client);

  it('rotates: a new refresh token, id_token null and the all-zero id, as the docs show', async () => {
    const { res } = await codeFlow(mock);
    const r = await refresh(res.body.refresh_token);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: expect.any(String),
      id_token: null,
      id: '00000000-0000-0000-0000-000000000000',
      scope: 'openid profile',
    });
    expect(r.body.refresh_token).not.toBe(res.body.refresh_token);
    expect(r.body.access_token).not.toBe(res.body.access_token);
    const again = await refresh(r.body.refresh_token);
    expect(again.status).toBe(200);
  });

  it('a rotated-away refresh token is invalid_grant and revokes the whole grant', async () => {
    const { res } = await codeFlow(mock);
    const r1 = await refresh(res.body.refresh_token);
    const reuse = await refresh(res.body.refresh_token);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');
    expect((await refresh(r1.body.refresh_token)).body.error).toBe('invalid_grant');
    const info = await post(
      mock.url + PATH.tokeninfo,
      { token: r1.body.access_token },
      { Authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
    );
    expect(info.body.active).toBe(false);
  });

  it('is bound to its client', async () => {
    const { res } = await codeFlow(mock);
    expect((await refresh(res.body.refresh_token, {}, CERT_CLIENT)).body.error).toBe('invalid_grant');
    expect((await refresh(res.body.refresh_token)).status).toBe(200);
  });

  it('revoked and expired refresh tokens are invalid_grant', async () => {
    const a = await codeFlow(mock);
    await post(
      mock.url + PATH.tokenrevoke,
      { token: a.res.body.refresh_token, token_type_hint: 'refresh_token' },
      { Authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
    );
    expect((await refresh(a.res.body.refresh_token)).body.error).toBe('invalid_grant');

    const b = await codeFlow(mock);
    now += 86_400_000 + 1000;
    expect((await refresh(b.res.body.refresh_token)).body).toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringMatching(/expired/),
    });
  });

  it('may narrow the scope but not widen it; the new refresh token keeps the original scope', async () => {
    const { res } = await codeFlow(mock);
    const narrow = await refresh(res.body.refresh_token, { scope: 'openid' });
    expect(narrow.body.scope).toBe('openid');
    const info = await post(
      mock.url + PATH.tokeninfo,
      { token: narrow.body.refresh_token, token_type_hint: 'refresh_token' },
      { Authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
    );
    expect(info.body.scope).toBe('openid profile');
    const wide = await refresh(narrow.body.refresh_token, { scope: 'openid admin' });
    expect(wide.body.error).toBe('invalid_scope');
  });

  it('unknown refresh tokens and access tokens used as refresh tokens are invalid_grant', async () => {
    const { res } = await codeFlow(mock);
    expect((await refresh('nope')).body.error).toBe('invalid_grant');
    expect((await refresh(res.body.access_token)).body.error).toBe('invalid_grant');
    expect((await token(mock, { grant_type: 'refresh_token' })).body.error).toBe('invalid_request');
  });
});
