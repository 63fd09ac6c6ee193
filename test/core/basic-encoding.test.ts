/**
 * HTTP Basic as EmpowerID documents it, `base64Encode(<ClientID>:<ClientSecret>)`: EmpowerID's
 * usual GUID client id and a secret with "+", "/" and "=" must arrive literally at tokeninfo,
 * tokenrevoke, userinfo, token exchange and a Basic token request, from the client, the guard,
 * the router and the CLI. The mock decodes literally, as the docs say, so a form-encoded GUID is
 * refused there the way EmpowerID would refuse it.
 */
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { createClient, empowerid, requireToken, requiresAuth, type ClientOptions } from '../../src/index.js';
import { DEFAULT_CLIENT, DEFAULT_USERS, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { authorize, BASE_URL, startLogin } from '../helpers/sign-in.js';

const GUID_CLIENT = {
  ...DEFAULT_CLIENT,
  clientId: '5c168a71-d47b-4321-bdba-648984e99521',
  clientSecret: 'Zk+9/tq=Rw==',
  redirectUris: [`${BASE_URL}/callback`],
};
const LITERAL = `Basic ${Buffer.from(`${GUID_CLIENT.clientId}:${GUID_CLIENT.clientSecret}`).toString('base64')}`;

let mock: MockEmpowerID;
/** The Authorization header of every request to the mock, by path. */
const seen: { path: string; authorization: string | null }[] = [];

const recording: typeof globalThis.fetch = async (input, init) => {
  seen.push({ path: new URL(String(input)).pathname, authorization: new Headers(init?.headers).get('authorization') });
  return globalThis.fetch(input, init);
};
const headersAt = (path: string) => seen.filter((s) => s.path === path).map((s) => s.authorization);

beforeAll(async () => {
  mock = await startMockEmpowerID({ clients: [GUID_CLIENT], autoLogin: 'alice' });
});
afterAll(() => mock.close());

const options = (o: Partial<ClientOptions> = {}): ClientOptions => ({
  server: mock.url,
  clientId: GUID_CLIENT.clientId,
  clientSecret: GUID_CLIENT.clientSecret,
  fetch: recording,
  ...o,
});

describe('the client (literal by default for the EmpowerID layout)', () => {
  it('tokeninfo, tokenrevoke, userinfo and token exchange carry base64(clientId:clientSecret) unescaped', async () => {
    seen.length = 0;
    const client = createClient(options());
    expect(client.config.basicEncoding).toBe('literal');
    const token = await mock.issueAccessToken({ username: 'alice', clientId: GUID_CLIENT.clientId });
    expect(await client.introspect(token)).toMatchObject({ active: true, username: 'alice' });
    expect(await client.userinfo(token)).toMatchObject({ username: 'alice' });
    const exchanged = await client.tokenExchange({ subjectToken: token, scope: 'openid' });
    expect(exchanged.issued_token_type).toBe('urn:ietf:params:oauth:token-type:access_token');
    await client.revoke(token);
    for (const path of ['/oauth/v2/tokeninfo', '/oauth/v2/userinfo', '/oauth/v2/token', '/oauth/v2/tokenrevoke']) {
      expect(headersAt(path), path).toEqual([LITERAL]);
    }
  });

  it('clientAuthMethod client_secret_basic at the token endpoint is literal too', async () => {
    seen.length = 0;
    const client = createClient(options({ clientAuthMethod: 'client_secret_basic' }));
    await client.clientCredentials({ scope: 'openid' });
    expect(headersAt('/oauth/v2/token')).toEqual([LITERAL]);
  });

  it('the password grant writes the person literally, following the client option', async () => {
    seen.length = 0;
    const alice = DEFAULT_USERS.find((u) => u.username === 'alice');
    if (!alice) throw new Error('fixture: alice');
    await createClient(options()).password({ username: alice.username, password: alice.password });
    expect(headersAt('/oauth/v2/token')).toEqual([`Basic ${Buffer.from(`alice:${alice.password}`).toString('base64')}`]);
  });

  it('basicEncoding "form" sends the RFC 6749 §2.3.1 form, which the mock (as EmpowerID) refuses for a GUID id', async () => {
    seen.length = 0;
    const client = createClient(options({ basicEncoding: 'form' }));
    const token = await mock.issueAccessToken({ username: 'alice', clientId: GUID_CLIENT.clientId });
    await expect(client.introspect(token)).rejects.toMatchObject({ error: 'invalid_client' });
    const sent = Buffer.from(headersAt('/oauth/v2/tokeninfo')[0]?.slice(6) ?? '', 'base64').toString('utf8');
    expect(sent).toBe('5c168a71%2Dd47b%2D4321%2Dbdba%2D648984e99521:Zk%2B9%2Ftq%3DRw%3D%3D');
  });
});

describe('the default follows the provider, and is explicit in the config', () => {
  it('form for a standard provider (discoveryUrl elsewhere, or userinfoStyle bearer); literal for the EmpowerID layout', () => {
    const base = { server: 'https://idp.example.com', clientId: 'a', clientSecret: 's' };
    expect(createClient(base).config.basicEncoding).toBe('literal');
    expect(
      createClient({ ...base, discoveryUrl: 'https://idp.example.com/oauth/.well-known/openid-configuration' }).config.basicEncoding,
    ).toBe('literal');
    expect(createClient({ ...base, discoveryUrl: 'https://idp.example.com/.well-known/openid-configuration' }).config.basicEncoding).toBe(
      'form',
    );
    expect(createClient({ ...base, userinfoStyle: 'bearer' }).config.basicEncoding).toBe('form');
    expect(createClient({ ...base, userinfoStyle: 'bearer', basicEncoding: 'literal' }).config.basicEncoding).toBe('literal');
  });

  it('provider: \'oidc\' defaults to form (RFC 6749 §2.3.1), so a client id with ":" is accepted; basicEncoding overrides it', () => {
    const oidc = { provider: 'oidc', server: 'https://idp.example.com', clientId: 'a', clientSecret: 's' } as const;
    expect(createClient(oidc).config.basicEncoding).toBe('form');
    // The provider alone decides it: with no discovery URL and EmpowerID's userinfo style, still form.
    const bare = {
      ...oidc,
      userinfoStyle: 'empowerid',
      discovery: false,
      issuer: 'https://idp.example.com',
      endpoints: { jwks: 'https://idp.example.com/jwks' },
    } as const;
    expect(createClient(bare).config.basicEncoding).toBe('form');
    expect(createClient({ ...bare, provider: 'empowerid' }).config.basicEncoding).toBe('literal');
    expect(createClient({ ...oidc, clientId: 'app:1' }).config.clientId).toBe('app:1');
    expect(createClient({ ...oidc, basicEncoding: 'literal' }).config.basicEncoding).toBe('literal');
    expect(() => createClient({ ...oidc, clientId: 'app:1', basicEncoding: 'literal' })).toThrow(/clientId.*contains ":"/);
  });

  it('refuses at startup a client id with ":" in literal mode, naming the option', () => {
    const base = { server: 'https://idp.example.com', clientId: 'app:1', clientSecret: 's' };
    expect(() => createClient(base)).toThrow(/clientId.*contains ":"/);
    expect(() => requireToken(base)).toThrow(/clientId.*contains ":"/);
    expect(createClient({ ...base, basicEncoding: 'form' }).config.clientId).toBe('app:1');
    expect(() => createClient({ ...base, basicEncoding: 'raw' as never })).toThrow(/basicEncoding.*"literal", "form"/);
  });
});

describe('the guard and the router', () => {
  it('requireToken() introspects and loads the profile with the literal header', async () => {
    seen.length = 0;
    const app = express();
    app.get('/api', requireToken(options()), (req, res) => res.json({ username: req.empowerid.profile?.username }));
    const token = await mock.issueAccessToken({ username: 'bob', clientId: GUID_CLIENT.clientId });
    const res = await request(app).get('/api').set('Authorization', `Bearer ${token}`).expect(200);
    expect(res.body).toEqual({ username: 'bob' });
    expect(headersAt('/oauth/v2/tokeninfo')).toEqual([LITERAL]);
  });

  it('empowerid() with client_secret_basic redeems the code with the literal header', async () => {
    seen.length = 0;
    const app = express();
    app.use(session({ secret: 'test', resave: false, saveUninitialized: false }));
    app.use(empowerid({ ...options({ clientAuthMethod: 'client_secret_basic' }), baseURL: BASE_URL }));
    app.get('/me', requiresAuth(), (req, res) => res.json({ sub: req.empowerid.user?.sub }));
    const agent = request.agent(app);
    const callback = await authorize(await startLogin(agent));
    await agent.get(callback.pathname + callback.search).expect(302);
    expect((await agent.get('/me').expect(200)).body).toEqual({ sub: 'alice' });
    expect(headersAt('/oauth/v2/token')).toEqual([LITERAL]);
  });
});

describe('the CLI', () => {
  const run = async (args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const env = {
      EMPOWERID_SERVER: mock.url,
      EMPOWERID_CLIENT_ID: GUID_CLIENT.clientId,
      EMPOWERID_CLIENT_SECRET: GUID_CLIENT.clientSecret,
    };
    const status = await runCli(args, env, {
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      readFile: () => '',
      fetch: recording,
    });
    return { status, stdout: out.join(''), stderr: err.join('') };
  };

  it('introspects with the literal header by default; --basic-encoding form sends the form one', async () => {
    const token = await mock.issueAccessToken({ username: 'alice', clientId: GUID_CLIENT.clientId });
    seen.length = 0;
    const ok = await run(['introspect', '--token', token]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ active: true });
    expect(headersAt('/oauth/v2/tokeninfo')).toEqual([LITERAL]);

    const form = await run(['introspect', '--token', token, '--basic-encoding', 'form']);
    expect(form.status).toBe(1);
    expect(form.stderr).toMatch(/invalid_client/);
    const bad = await run(['introspect', '--token', token, '--basic-encoding', 'percent']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--basic-encoding must be one of literal, form/);
  });
});
