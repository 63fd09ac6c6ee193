import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT, DEFAULT_USERS, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { PATH, post, token } from './helpers.js';

describe('mock server: discovery, JWKS, counters, outages', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID();
  });
  afterAll(() => mock.close());

  it('listens on 127.0.0.1 with a random port and a base URL without trailing slash', () => {
    expect(mock.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(mock.issuer).toBe('EmpowerID');
  });

  it('serves the discovery document with the EmpowerID layout', async () => {
    const res = await fetch(mock.url + PATH.discovery);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const doc = await res.json();
    const s = mock.url;
    expect(doc).toMatchObject({
      issuer: 'EmpowerID',
      authorization_endpoint: `${s}/oauth/v2/ui/authorize`,
      token_endpoint: `${s}/oauth/v2/token`,
      introspection_endpoint: `${s}/oauth/v2/tokeninfo`,
      revocation_endpoint: `${s}/oauth/v2/tokenrevoke`,
      userinfo_endpoint: `${s}/oauth/v2/userinfo`,
      end_session_endpoint: `${s}/oauth/v2/ui/logout`,
      jwks_uri: `${s}/oauth/v2/jwks`,
      response_types_supported: ['code', 'code id_token', 'token', 'token id_token'],
      code_challenge_methods_supported: ['plain', 'S256'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      subject_types_supported: ['public'],
    });
    expect(doc.grant_types_supported).toEqual(
      expect.arrayContaining([
        'authorization_code',
        'refresh_token',
        'client_credentials',
        'password',
        'urn:ietf:params:oauth:grant-type:jwt-bearer',
        'urn:ietf:params:oauth:grant-type:certificate-bearer',
        'urn:ietf:params:oauth:grant-type:token-exchange',
      ]),
    );
    expect(doc.scopes_supported).toContain('openid');
  });

  it('serves the same document at the docs typo path .well-know', async () => {
    const a = await (await fetch(mock.url + PATH.discovery)).json();
    const b = await (await fetch(`${mock.url}/oauth/.well-know/openid-configuration`)).json();
    expect(b).toEqual(a);
  });

  it('publishes an RS256 signing key with kid, use and alg', async () => {
    const { keys } = await (await fetch(`${mock.url}/oauth/v2/jwks`)).json();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256', kid: expect.any(String), n: expect.any(String), e: 'AQAB' });
    expect(keys[0].d).toBeUndefined();
  });

  it('counts every request per endpoint and per grant, failing ones included', async () => {
    mock.resetCounts();
    expect(mock.counts.token).toBe(0);
    await fetch(mock.url + PATH.discovery);
    await fetch(`${mock.url}/oauth/.well-know/openid-configuration`);
    await token(mock, { grant_type: 'refresh_token', refresh_token: 'nope' });
    await token(mock, { grant_type: 'refresh_token', refresh_token: 'nope' });
    await token(mock, { grant_type: 'made_up' });
    await post(mock.url + PATH.tokeninfo, { token: 'x' });
    expect(mock.counts).toMatchObject({ discovery: 2, token: 3, 'token:refresh_token': 2, 'token:made_up': 1, tokeninfo: 1, userinfo: 0 });
    mock.resetCounts();
    expect(mock.counts.discovery).toBe(0);
    expect(mock.counts['token:made_up']).toBeUndefined();
  });

  it('does not let a grant_type name an Object.prototype member', async () => {
    const res = await token(mock, { grant_type: '__proto__' });
    expect(res.body.error).toBe('unsupported_grant_type');
    const res2 = await token(mock, { grant_type: 'constructor' });
    expect(res2.body.error).toBe('unsupported_grant_type');
  });

  it('answers 404 JSON for unknown paths', async () => {
    const res = await fetch(`${mock.url}/nope`);
    expect(res.status).toBe(404);
  });

  it("outage 'down' answers 503 HTML on every endpoint, and false restores service", async () => {
    mock.setOutage('down');
    try {
      for (const p of [PATH.discovery, PATH.token, PATH.userinfo, PATH.authorize]) {
        const res = await fetch(mock.url + p);
        expect(res.status).toBe(503);
        expect(res.headers.get('content-type')).toMatch(/text\/html/);
        await res.text();
      }
      const t = await token(mock, { grant_type: 'client_credentials' });
      expect(t.status).toBe(503);
    } finally {
      mock.setOutage(false);
    }
    expect((await fetch(mock.url + PATH.discovery)).status).toBe(200);
  });

  it("outage 'garbage' answers 200 with an HTML body", async () => {
    mock.setOutage('garbage');
    try {
      const res = await fetch(mock.url + PATH.discovery);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      await expect(res.clone().json()).rejects.toThrow();
      const t = await token(mock, { grant_type: 'client_credentials' });
      expect(t.status).toBe(200);
      expect(typeof t.body).toBe('string');
    } finally {
      mock.setOutage(false);
    }
  });

  it("outage 'slow' outlasts a client timeout, and still counts the request", async () => {
    mock.resetCounts();
    mock.setOutage('slow');
    try {
      await expect(fetch(mock.url + PATH.discovery, { signal: AbortSignal.timeout(150) })).rejects.toThrow();
      expect(mock.counts.discovery).toBe(1);
    } finally {
      mock.setOutage(false);
    }
  });
});

describe('mock server: options', () => {
  it('applies latencyMs to every response', async () => {
    const mock = await startMockEmpowerID({ latencyMs: 120 });
    try {
      const t0 = performance.now();
      await (await fetch(mock.url + PATH.discovery)).text();
      expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
    } finally {
      await mock.close();
    }
  });

  it('closes promptly even with a slow response pending', async () => {
    const mock = await startMockEmpowerID();
    mock.setOutage('slow');
    const pending = fetch(mock.url + PATH.discovery).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await mock.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    await pending;
  });

  it('rejects bad options with messages naming the option', async () => {
    await expect(startMockEmpowerID({ autoLogin: 'mallory' })).rejects.toThrow(/autoLogin/);
    await expect(startMockEmpowerID({ accessTokenTTL: -1 })).rejects.toThrow(/accessTokenTTL/);
    await expect(startMockEmpowerID({ clients: [{ ...DEFAULT_CLIENT, owner: 'nobody' }] })).rejects.toThrow(/owner/);
    await expect(startMockEmpowerID({ clients: [{ ...DEFAULT_CLIENT, name: ' ' }] })).rejects.toThrow(
      /"name" that is not a non-empty string/,
    );
    await expect(startMockEmpowerID({ users: [] })).rejects.toThrow(/users/);
  });

  it('ships default users with GUID ids and business role locations', () => {
    const alice = DEFAULT_USERS.find((u) => u.username === 'alice');
    expect(alice?.password).toBe('alice-password');
    expect(DEFAULT_USERS.map((u) => u.username)).toContain('bob');
    for (const u of DEFAULT_USERS) {
      expect(u.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(u.business_role_locations.length).toBeGreaterThan(0);
    }
  });
});
