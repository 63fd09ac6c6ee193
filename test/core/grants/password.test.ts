import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError, OAuthError } from '../../../src/errors.js';
import { DEFAULT_CLIENT, DEFAULT_USERS, type MockEmpowerID } from '../../../src/testing/index.js';
import { CLIENT_ID, CLIENT_SECRET, clientOf, decodeBasic, rejectionOf, startMock } from './helpers.js';

const alice = DEFAULT_USERS[0]!;
/** Characters that RFC 6749 §2.3.1 form-encoding must carry through Basic: ':' '+' '%' ' ' '@' 'é'. */
const odd = { ...alice, username: 'd.o+e@example.com', password: 'p:a%s s+wörd', id: '11111111-2222-3333-4444-555555555555' };

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMock({ users: [...DEFAULT_USERS, odd] });
});
afterAll(() => mock.close());

describe('password (EmpowerID style, the default)', () => {
  it("puts the person's credentials in Basic and the client's in the body", async () => {
    const { client, sent } = clientOf(mock);
    const tokens = await client.password({ username: 'alice', password: alice.password });
    expect(tokens).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), id: alice.id });
    expect(tokens.claims?.sub).toBe('alice');

    const [request] = sent;
    expect(decodeBasic(request?.headers.get('authorization') ?? null)).toEqual({ user: 'alice', pass: alice.password });
    expect(request?.body.get('grant_type')).toBe('password');
    expect(request?.body.get('client_id')).toBe(CLIENT_ID);
    expect(request?.body.get('client_secret')).toBe(CLIENT_SECRET);
    expect(request?.body.get('scope')).toBe('openid');
    expect(request?.body.has('username')).toBe(false);
    expect(request?.body.has('password')).toBe(false);
  });

  it('fetches the JWKS once for repeated calls that return ID tokens', async () => {
    const { client } = clientOf(mock);
    mock.resetCounts();
    for (let i = 0; i < 3; i += 1) await client.password({ username: 'alice', password: alice.password });
    expect(mock.counts['token:password']).toBe(3);
    expect(mock.counts.jwks).toBe(1);
  });

  it('sends the person’s credentials as the docs show, base64(username:password), so "+", "%", ":" in the password survive', async () => {
    const { client, sent } = clientOf(mock);
    const tokens = await client.password({ username: odd.username, password: odd.password, scope: '' });
    expect(tokens.id).toBe(odd.id);
    expect(tokens.id_token).toBeUndefined();
    expect(sent[0]?.body.has('scope')).toBe(false);
    const raw = Buffer.from(sent[0]?.headers.get('authorization')?.slice(6) ?? '', 'base64').toString('utf8');
    expect(raw).toBe('d.o+e@example.com:p:a%s s+wörd');
  });

  it('basicEncoding: "form" form-encodes each half (RFC 6749 §2.3.1)', async () => {
    const { client, sent } = clientOf(mock);
    await client.password({ username: odd.username, password: odd.password, scope: '', basicEncoding: 'form' }).catch(() => {});
    const raw = Buffer.from(sent[0]?.headers.get('authorization')?.slice(6) ?? '', 'base64').toString('utf8');
    expect(raw).toBe('d%2Eo%2Be%40example%2Ecom:p%3Aa%25s+s%2Bw%C3%B6rd');
  });

  it('refuses a username with ":" in the raw Basic form before sending anything', async () => {
    const { client, sent } = clientOf(mock);
    const err = await rejectionOf(client.password({ username: 'a:b', password: 'x' }));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as unknown as ConfigurationError).option).toBe('username');
    expect(sent).toHaveLength(0);
  });

  it('keeps the client secret in the body even for a client_secret_basic client', async () => {
    const { client, sent } = clientOf(mock, { clientAuthMethod: 'client_secret_basic' });
    await client.password({ username: 'alice', password: alice.password });
    expect(decodeBasic(sent[0]?.headers.get('authorization') ?? null)?.user).toBe('alice');
    expect(sent[0]?.body.get('client_secret')).toBe(CLIENT_SECRET);
  });

  it("a wrong person's password is invalid_grant", async () => {
    const { client } = clientOf(mock);
    const err = await rejectionOf(client.password({ username: 'alice', password: 'wrong' }));
    expect(err).toBeInstanceOf(OAuthError);
    expect(err).toMatchObject({ code: 'ERR_OAUTH_ERROR', error: 'invalid_grant', status: 400 });
    expect(String(err.message)).not.toContain('wrong');
  });

  it('a wrong client secret is invalid_client', async () => {
    const { client } = clientOf(mock, { clientSecret: 'nope' });
    await expect(client.password({ username: 'alice', password: alice.password })).rejects.toMatchObject({ error: 'invalid_client' });
  });

  it('refuses a call without a username before sending anything', async () => {
    const { client, sent } = clientOf(mock);
    await expect(client.password({ username: '', password: 'x' })).rejects.toBeInstanceOf(ConfigurationError);
    expect(sent).toHaveLength(0);
  });
});

describe('password (RFC 6749 style)', () => {
  it('sends username and password as body fields with normal client authentication', async () => {
    const { client, sent } = clientOf(mock);
    const tokens = await client.password({ username: 'alice', password: alice.password, style: 'rfc6749' });
    expect(tokens.id).toBe(alice.id);
    expect(sent[0]?.headers.get('authorization')).toBeNull();
    expect(sent[0]?.body.get('username')).toBe('alice');
    expect(sent[0]?.body.get('password')).toBe(alice.password);
    expect(sent[0]?.body.get('client_secret')).toBe(DEFAULT_CLIENT.clientSecret);
  });

  it('a wrong password is invalid_grant', async () => {
    const { client } = clientOf(mock);
    await expect(client.password({ username: 'alice', password: 'bad', style: 'rfc6749' })).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});
