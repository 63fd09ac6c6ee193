import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientCredentialsCache } from '../../../src/core/grants/index.js';
import { IdPUnavailableError, OAuthError } from '../../../src/errors.js';
import { DEFAULT_USERS, type MockEmpowerID } from '../../../src/testing/index.js';
import { CLIENT_ID, CLIENT_SECRET, clientOf, rejectionOf, startMock, testClock } from './helpers.js';

const alice = DEFAULT_USERS[0]!;
const bob = DEFAULT_USERS[1]!;

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(() => mock.close());
beforeEach(() => {
  mock.setOutage(false);
  mock.resetCounts();
});

const issued = () => mock.counts['token:client_credentials'] ?? 0;

describe('clientCredentials', () => {
  it('gets a token for the application owner, client_id + client_secret in the body, with EmpowerID fields typed', async () => {
    const { client, sent } = clientOf(mock);
    const tokens = await client.clientCredentials({ scope: 'openid' });
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.expires_at).toBeGreaterThan(Date.now());
    expect(tokens.id).toBe(alice.id);
    expect(tokens.refresh_token).toBeUndefined();
    expect(tokens.claims?.sub).toBe('alice');
    expect(tokens.claims?.iss).toBe('EmpowerID');

    const [request] = sent;
    expect(request?.body.get('grant_type')).toBe('client_credentials');
    expect(request?.body.get('client_id')).toBe(CLIENT_ID);
    expect(request?.body.get('client_secret')).toBe(CLIENT_SECRET);
    expect(request?.body.get('scope')).toBe('openid');
    expect(request?.body.has('username')).toBe(false);
    expect(request?.headers.get('authorization')).toBeNull();
  });

  it("sends EmpowerID's username and gets that person's token", async () => {
    const { client, sent } = clientOf(mock);
    const tokens = await client.clientCredentials({ username: 'bob' });
    expect(tokens.id).toBe(bob.id);
    expect(sent[0]?.body.get('username')).toBe('bob');
    expect(sent[0]?.body.has('scope')).toBe(false);
    const info = await client.introspect(tokens.access_token);
    expect(info).toMatchObject({ active: true, username: 'bob', client_id: CLIENT_ID });
  });

  it('a wrong client secret is invalid_client, as a coded OAuthError', async () => {
    const { client } = clientOf(mock, { clientSecret: 'wrong' });
    const err = await rejectionOf(client.clientCredentials());
    expect(err).toBeInstanceOf(OAuthError);
    expect(err).toMatchObject({ code: 'ERR_OAUTH_ERROR', error: 'invalid_client', status: 400 });
    expect(err.error_description).toEqual(expect.any(String));
  });

  it('a wrong client secret sent with HTTP Basic is invalid_client too (not invalid_token)', async () => {
    const { client } = clientOf(mock, { clientSecret: 'wrong', clientAuthMethod: 'client_secret_basic' });
    await expect(client.clientCredentials()).rejects.toMatchObject({ error: 'invalid_client', code: 'ERR_OAUTH_ERROR' });
  });

  it('an unknown username is the IdP’s invalid_request', async () => {
    const { client } = clientOf(mock);
    await expect(client.clientCredentials({ username: 'nobody' })).rejects.toMatchObject({ error: 'invalid_request' });
  });

  it('reuses the token: the second call makes no request', async () => {
    const { client } = clientOf(mock);
    const first = await client.clientCredentials({ scope: 'openid' });
    const second = await client.clientCredentials({ scope: 'openid' });
    expect(second.access_token).toBe(first.access_token);
    expect(issued()).toBe(1);
    // Each caller gets its own copy.
    second.access_token = 'changed';
    expect((await client.clientCredentials({ scope: 'openid' })).access_token).toBe(first.access_token);
    expect(clientCredentialsCache(client).stats()).toMatchObject({ loads: 1, hits: 2 });
  });

  it('keeps one token per distinct scope and username; scope order does not matter', async () => {
    const { client } = clientOf(mock);
    const a = await client.clientCredentials({ scope: 'openid profile' });
    const b = await client.clientCredentials({ scope: 'profile  openid' });
    const c = await client.clientCredentials({ scope: 'openid profile', username: 'bob' });
    const d = await client.clientCredentials();
    expect(b.access_token).toBe(a.access_token);
    expect(new Set([a.access_token, c.access_token, d.access_token]).size).toBe(3);
    expect(issued()).toBe(3);
  });

  it('single-flight: 10 concurrent calls make one request and share its token', async () => {
    const { client } = clientOf(mock);
    const results = await Promise.all(Array.from({ length: 10 }, () => client.clientCredentials({ scope: 'openid' })));
    expect(issued()).toBe(1);
    expect(new Set(results.map((r) => r.access_token)).size).toBe(1);
  });

  it('renews 60 s before expiry (injected clock)', async () => {
    const clock = testClock();
    const { client } = clientOf(mock, { clock: clock.now });
    const first = await client.clientCredentials();
    clock.advance(3600 - 61);
    expect((await client.clientCredentials()).access_token).toBe(first.access_token);
    clock.advance(2); // 59 s left: inside the skew
    const renewed = await client.clientCredentials();
    expect(renewed.access_token).not.toBe(first.access_token);
    expect(issued()).toBe(2);
  });

  it('caps the skew at half the lifetime for short-lived tokens', async () => {
    const shortLived = await startMock({ accessTokenTTL: 60 });
    try {
      const clock = testClock();
      const { client } = clientOf(shortLived, { clock: clock.now });
      const first = await client.clientCredentials();
      clock.advance(29);
      expect((await client.clientCredentials()).access_token).toBe(first.access_token);
      clock.advance(2); // past half of 60 s
      expect((await client.clientCredentials()).access_token).not.toBe(first.access_token);
      expect(shortLived.counts['token:client_credentials']).toBe(2);
    } finally {
      await shortLived.close();
    }
  });

  it('does not remember failures: the next call asks again', async () => {
    const { client } = clientOf(mock);
    await client.metadata(); // discovery done before the outage
    mock.setOutage('down');
    const results = await Promise.allSettled(Array.from({ length: 3 }, () => client.clientCredentials()));
    expect(results.every((r) => r.status === 'rejected' && r.reason instanceof IdPUnavailableError)).toBe(true);
    // The outage answers before the grant is read, so count requests at the endpoint.
    expect(mock.counts.token).toBe(1);
    mock.setOutage(false);
    await expect(client.clientCredentials()).resolves.toMatchObject({ access_token: expect.any(String) });
    expect(mock.counts.token).toBe(2);
  });

  it('forceNew replaces the stored token', async () => {
    const { client } = clientOf(mock);
    const first = await client.clientCredentials();
    const forced = await client.clientCredentials({ forceNew: true });
    expect(forced.access_token).not.toBe(first.access_token);
    expect((await client.clientCredentials()).access_token).toBe(forced.access_token);
    expect(issued()).toBe(2);
  });
});
