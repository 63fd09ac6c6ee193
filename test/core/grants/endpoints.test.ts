/**
 * The rest of the server-side surface, on tokens from the grants: introspect, revoke, userinfo,
 * refresh, and the shape of the object `createClient` returns.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmpowerIDClient } from '../../../src/core/client.js';
import { createClient } from '../../../src/index.js';
import { DEFAULT_USERS, type MockEmpowerID } from '../../../src/testing/index.js';
import { CLIENT_ID, clientOf, registered, startMock } from './helpers.js';

const alice = DEFAULT_USERS[0]!;

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(() => mock.close());

describe('introspect, userinfo, revoke round trip', () => {
  it('a password-grant token is active and describes the person until it is revoked', async () => {
    const { client } = clientOf(mock);
    const tokens = await client.password({ username: 'alice', password: alice.password });

    expect(await client.introspect(tokens.access_token)).toMatchObject({
      active: true,
      client_id: CLIENT_ID,
      username: 'alice',
      sub: 'alice',
      iss: 'EmpowerID',
    });
    expect(await client.introspect(tokens.refresh_token!, 'refresh_token')).toMatchObject({ active: true });

    const me = await client.userinfo(tokens.access_token);
    expect(me).toMatchObject({ id: alice.id, username: 'alice', email: alice.email, organization: alice.organization });
    expect(me.business_role_locations).toEqual(alice.business_role_locations);

    await client.revoke(tokens.access_token);
    expect(await client.introspect(tokens.access_token)).toEqual({ active: false });
    await expect(client.userinfo(tokens.access_token)).rejects.toMatchObject({ error: 'invalid_token' });
    // Revoking a refresh token ends its grant.
    await client.revoke(tokens.refresh_token!, 'refresh_token');
    expect(await client.introspect(tokens.refresh_token!, 'refresh_token')).toEqual({ active: false });
  });

  it('refresh keeps EmpowerID’s id (all zeros) and drops "id_token": null', async () => {
    const { client } = clientOf(mock);
    const tokens = await client.jwtBearer(registered);
    const refreshed = await client.refresh(tokens.refresh_token!);
    expect(refreshed.id).toBe('00000000-0000-0000-0000-000000000000');
    expect('id_token' in refreshed).toBe(false);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
  });
});

describe('createClient', () => {
  it('returns one object with every grant and endpoint', async () => {
    const client = createClient({ server: mock.url, clientId: CLIENT_ID, clientSecret: 'x' });
    expect(client).toBeInstanceOf(EmpowerIDClient);
    for (const method of [
      'clientCredentials',
      'password',
      'jwtBearer',
      'clientCertificate',
      'tokenExchange',
      'refresh',
      'introspect',
      'revoke',
      'userinfo',
      'startLogin',
      'authorizationUrl',
      'callback',
      'endSessionUrl',
    ] as const) {
      expect(typeof client[method]).toBe('function');
    }
    const { url, transaction } = await client.authorizationUrl({ redirectUri: 'http://localhost:3000/callback' });
    expect(url.searchParams.get('state')).toBe(transaction.state);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  });
});
