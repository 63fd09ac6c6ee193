import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT_TYPE } from '../../../src/core/grants/index.js';
import { OAuthError } from '../../../src/errors.js';
import type { MockEmpowerID } from '../../../src/testing/index.js';
import { CLIENT_ID, CLIENT_SECRET, clientOf, decodeBasic, rejectionOf, startMock } from './helpers.js';

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(() => mock.close());

describe('tokenExchange', () => {
  it('exchanges an access token with HTTP Basic client authentication and keeps issued_token_type', async () => {
    const { client, sent } = clientOf(mock);
    const subjectToken = await mock.issueAccessToken({ username: 'bob', scope: 'openid api' });
    const tokens = await client.tokenExchange({ subjectToken, scope: 'openid' });
    expect(tokens.issued_token_type).toBe(ACCESS_TOKEN_TYPE);
    // EmpowerID's "id_token": null is dropped; its all-zero id is kept.
    expect('id_token' in tokens).toBe(false);
    expect(tokens.id).toBe('00000000-0000-0000-0000-000000000000');
    expect(await client.introspect(tokens.access_token)).toMatchObject({ active: true, username: 'bob' });

    const request = sent[0]!;
    expect(decodeBasic(request.headers.get('authorization'))).toEqual({ user: CLIENT_ID, pass: CLIENT_SECRET });
    expect(request.body.get('grant_type')).toBe(TOKEN_EXCHANGE_GRANT_TYPE);
    expect(request.body.get('subject_token')).toBe(subjectToken);
    expect(request.body.get('subject_token_type')).toBe(ACCESS_TOKEN_TYPE);
    expect(request.body.has('client_secret')).toBe(false);
  });

  it('sends scope only when given, and audience, resource and requested_token_type', async () => {
    const { client, sent } = clientOf(mock);
    const subjectToken = await mock.issueAccessToken({ username: 'alice', scope: 'openid api' });
    const tokens = await client.tokenExchange({
      subjectToken,
      audience: 'orders',
      resource: 'https://api.example.com/',
      requestedTokenType: ACCESS_TOKEN_TYPE,
    });
    expect(tokens.scope).toBe('openid api');
    const body = sent[0]!.body;
    expect(body.has('scope')).toBe(false);
    expect(body.getAll('audience')).toEqual(['orders']);
    expect(body.getAll('resource')).toEqual(['https://api.example.com/']);
    expect(body.get('requested_token_type')).toBe(ACCESS_TOKEN_TYPE);
  });

  it('sends several audiences and resources as repeated parameters (RFC 8693 §2.1)', async () => {
    const { client, sent } = clientOf(mock);
    const subjectToken = await mock.issueAccessToken({ username: 'alice' });
    const answer = await client.tokenExchange({
      subjectToken,
      audience: ['orders', 'billing'],
      resource: ['https://a.example/', 'https://b.example/'],
    });
    expect(answer.issued_token_type).toBe(ACCESS_TOKEN_TYPE);
    expect(sent[0]!.body.getAll('audience')).toEqual(['orders', 'billing']);
    expect(sent[0]!.body.getAll('resource')).toEqual(['https://a.example/', 'https://b.example/']);
  });

  it('an unknown subject token is invalid_grant', async () => {
    const { client } = clientOf(mock);
    const err = await rejectionOf(client.tokenExchange({ subjectToken: 'not-a-token' }));
    expect(err).toBeInstanceOf(OAuthError);
    expect(err).toMatchObject({ code: 'ERR_OAUTH_ERROR', error: 'invalid_grant', status: 400 });
  });

  it('a wrong client secret is invalid_client (the Basic challenge is read through to the body)', async () => {
    const { client } = clientOf(mock, { clientSecret: 'wrong' });
    const subjectToken = await mock.issueAccessToken({ username: 'alice' });
    await expect(client.tokenExchange({ subjectToken })).rejects.toMatchObject({ error: 'invalid_client', code: 'ERR_OAUTH_ERROR' });
  });

  it('an unsupported subject_token_type is the IdP’s invalid_request', async () => {
    const { client } = clientOf(mock);
    const subjectToken = await mock.issueAccessToken({ username: 'alice' });
    await expect(
      client.tokenExchange({ subjectToken, subjectTokenType: 'urn:ietf:params:oauth:token-type:id_token' }),
    ).rejects.toMatchObject({ error: 'invalid_request' });
  });
});
