import { once } from 'node:events';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError, type EmpowerIDClient, type EmpowerIDOptions, createClient, empowerid, requireToken } from '../../src/index.js';
import { takeWarnings } from '../helpers/warnings.js';

// `provider: 'oidc'` against a small provider that serves exactly the metadata a test gives it,
// over real HTTP, and records what it was sent.

interface Fake {
  issuer: string;
  seen: { path: string; authorization: string | undefined; body: string }[];
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** `documents` by path (a number: that HTTP status, empty), built per request for the issuer URL. */
async function fakeProvider(issuerPath: string, documents: (issuer: string) => Record<string, unknown>): Promise<Fake> {
  const seen: Fake['seen'] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    seen.push({ path, authorization: req.headers.authorization, body });
    const doc = documents(issuer)[path];
    if (doc === undefined || typeof doc === 'number') {
      res.writeHead(typeof doc === 'number' ? doc : 404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}${issuerPath}`;
  return { issuer, seen, close: async () => {} };
}

const metadata = (issuer: string, extra: Record<string, unknown> = {}) => ({
  issuer,
  authorization_endpoint: `${issuer}/authorize`,
  token_endpoint: `${issuer}/token`,
  jwks_uri: `${issuer}/jwks`,
  ...extra,
});

describe("provider: 'oidc'", () => {
  it('discovers at issuer/.well-known/openid-configuration and has only the endpoints the provider advertises', async () => {
    const op = await fakeProvider('', (iss) => ({
      '/.well-known/openid-configuration': metadata(iss, { userinfo_endpoint: `${iss}/me` }),
    }));
    const client = createClient({ provider: 'oidc', server: op.issuer, clientId: 'app', clientSecret: 's' });
    const m = await client.metadata();
    expect(m.token_endpoint).toBe(`${op.issuer}/token`);
    expect(m.userinfo_endpoint).toBe(`${op.issuer}/me`);
    // No EmpowerID layout filled in.
    expect(m.introspection_endpoint).toBeUndefined();
    expect(m.end_session_endpoint).toBeUndefined();
    expect(client.config.userinfoStyle).toBe('bearer');
    expect(op.seen.map((r) => r.path)).toEqual(['/.well-known/openid-configuration']);
  });

  it('falls back to RFC 8414 (/.well-known/oauth-authorization-server/<issuer path>) on 404', async () => {
    const op = await fakeProvider('/tenant', (iss) => ({ '/.well-known/oauth-authorization-server/tenant': metadata(iss) }));
    const client = createClient({ provider: 'oidc', server: op.issuer, clientId: 'app', clientSecret: 's' });
    expect((await client.metadata()).issuer).toBe(op.issuer);
    expect(op.seen.map((r) => r.path)).toEqual([
      '/tenant/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server/tenant',
    ]);
  });

  it('refuses a discovery document for another issuer', async () => {
    const op = await fakeProvider('', () => ({ '/.well-known/openid-configuration': metadata('https://elsewhere.example') }));
    const client = createClient({ provider: 'oidc', server: op.issuer, clientId: 'app', clientSecret: 's' });
    await expect(client.metadata()).rejects.toThrow(/issuer "https:\/\/elsewhere.example" is not the configured server/);
  });

  it.each([
    [undefined, 'client_secret_basic'],
    [['client_secret_basic', 'client_secret_post'], 'client_secret_basic'],
    [['client_secret_post'], 'client_secret_post'],
  ])('chooses the client authentication from token_endpoint_auth_methods_supported %j → %s', async (supported, expected) => {
    const op = await fakeProvider('', (iss) => ({
      '/.well-known/openid-configuration': metadata(iss, supported ? { token_endpoint_auth_methods_supported: supported } : {}),
    }));
    const client = createClient({ provider: 'oidc', server: op.issuer, clientId: 'app', clientSecret: 'sec ret' });
    expect(await client.tokenAuthMethod()).toBe(expected);
    await client.clientCredentials().catch(() => {});
    const token = op.seen.find((r) => r.path === '/token');
    if (expected === 'client_secret_basic') {
      expect(token?.authorization).toMatch(/^Basic /);
      expect(token?.body).not.toContain('client_secret');
    } else {
      expect(token?.authorization).toBeUndefined();
      expect(new URLSearchParams(token?.body).get('client_secret')).toBe('sec ret');
    }
  });

  it('names the option when no advertised method fits the credentials given', async () => {
    const op = await fakeProvider('', (iss) => ({
      '/.well-known/openid-configuration': metadata(iss, { token_endpoint_auth_methods_supported: ['tls_client_auth'] }),
    }));
    const client = createClient({ provider: 'oidc', server: op.issuer, clientId: 'app', clientSecret: 's' });
    await expect(client.tokenAuthMethod()).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', option: 'clientAuthMethod' });
  });

  it('an explicit clientAuthMethod wins over the metadata', async () => {
    const op = await fakeProvider('', (iss) => ({ '/.well-known/openid-configuration': metadata(iss) }));
    const client = createClient({
      provider: 'oidc',
      server: op.issuer,
      clientId: 'app',
      clientSecret: 's',
      clientAuthMethod: 'client_secret_post',
    });
    expect(await client.tokenAuthMethod()).toBe('client_secret_post');
  });

  it('requireToken() against a provider without introspection: a startup warning, then 500s that name the endpoint', async () => {
    const op = await fakeProvider('', (iss) => ({ '/.well-known/openid-configuration': metadata(iss) }));
    const warned = new Promise<Error & { code?: string }>((resolve) => {
      const listener = (w: Error & { code?: string }) => {
        if (w.code !== 'EMPOWERID_ENDPOINT_MISSING') return;
        process.off('warning', listener);
        resolve(w);
      };
      process.on('warning', listener);
    });
    const app = express();
    app.get('/api', requireToken({ provider: 'oidc', server: op.issuer, clientId: 'api', clientSecret: 's' }), (_req, res) =>
      res.send('ok'),
    );
    expect((await warned).message).toMatch(/requireToken\(\).*"introspection_endpoint".*endpoints\.introspection/);
    const res = await request(app).get('/api').set('Authorization', 'Bearer abc');
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).toMatch(/introspection_endpoint/);
    await expect(
      createClient({ provider: 'oidc', server: op.issuer, clientId: 'api', clientSecret: 's' }).introspect('abc'),
    ).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('hybrid against a provider without form_post: /login refuses with a message naming responseType (the fragment would never arrive)', async () => {
    const op = await fakeProvider('', (iss) => ({
      '/.well-known/openid-configuration': metadata(iss, { response_modes_supported: ['query', 'fragment'] }),
    }));
    const app = express();
    app.use(session({ secret: 't', resave: false, saveUninitialized: false, cookie: { sameSite: 'lax' } }));
    app.use(
      empowerid({
        provider: 'oidc',
        server: op.issuer,
        clientId: 'app',
        clientSecret: 's',
        baseURL: 'http://127.0.0.1:3000',
        responseType: 'code id_token',
        errors: 'next',
      }),
    );
    app.use((err: Error & { code?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).json({ code: err.code, message: err.message });
    });
    const res = await request(app).get('/login');
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('ERR_CONFIG_INVALID');
    expect(res.body.message).toMatch(/responseType.*form_post/);
  });

  it('requires a client secret or private key, naming the option', () => {
    expect(() => createClient({ provider: 'oidc', server: 'http://127.0.0.1:1', clientId: 'app' })).toThrow(/"clientSecret" is required/);
  });
});

describe('responseMode for hybrid and implicit', () => {
  it('the implicit flow cannot be asked for in the query string', () => {
    expect(() =>
      empowerid({
        server: 'http://127.0.0.1:1',
        clientId: 'a',
        clientSecret: 's',
        baseURL: 'http://127.0.0.1:3000',
        responseType: 'token id_token',
        responseMode: 'query',
      }),
    ).toThrow(/responseMode.*implicit/);
  });
});

// What a feature needs from the provider's metadata is checked once discovery completes, so a
// misconfiguration is in the server log at startup and not first at a user's request.
describe("startup checks of what the provider's metadata lacks", () => {
  beforeEach(() => void takeWarnings());

  const app = (issuer: string, extra: Partial<EmpowerIDOptions> = {}) =>
    empowerid({ provider: 'oidc', server: issuer, clientId: 'app', clientSecret: 's', baseURL: 'http://127.0.0.1:3000', ...extra });

  /** The EMPOWERID_ENDPOINT_MISSING warnings, once discovery has completed. */
  async function startupWarnings(client: EmpowerIDClient): Promise<string[]> {
    await client.metadata();
    await new Promise((resolve) => setImmediate(resolve));
    return takeWarnings('EMPOWERID_ENDPOINT_MISSING').map((w) => w.message);
  }

  it('names, one warning each, RP-initiated logout, revocation at logout and hybrid form_post, with the option to set', async () => {
    const op = await fakeProvider('', (iss) => ({
      '/.well-known/openid-configuration': metadata(iss, { response_modes_supported: ['query', 'fragment'] }),
    }));
    const router = app(op.issuer, { responseType: 'code id_token' });
    const warnings = await startupWarnings(router.client);
    expect(warnings).toHaveLength(3);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/"endpoints\.endSession".*RP-initiated logout \(idpLogout\).*"end_session_endpoint"/),
        expect.stringMatching(/"endpoints\.revocation".*revoking the refresh token at logout \(revokeOnLogout\).*"revocation_endpoint"/),
        expect.stringMatching(/"responseType".*"code id_token".*hybrid.*form_post.*does not advertise/),
      ]),
    );
  });

  it('names the implicit flow when the provider advertises no form_post', async () => {
    const op = await fakeProvider('', (iss) => ({
      '/.well-known/openid-configuration': metadata(iss, {
        response_modes_supported: ['query', 'fragment'],
        end_session_endpoint: `${iss}/logout`,
        revocation_endpoint: `${iss}/revoke`,
      }),
    }));
    const router = app(op.issuer, { responseType: 'id_token token' });
    expect(await startupWarnings(router.client)).toEqual([expect.stringMatching(/"responseType".*"id_token token".*implicit.*form_post/)]);
    takeWarnings('EMPOWERID_IMPLICIT_FLOW');
  });

  it('says nothing when the provider advertises what the features need, or when the features are off', async () => {
    const full = await fakeProvider('', (iss) => ({
      '/.well-known/openid-configuration': metadata(iss, {
        response_modes_supported: ['query', 'fragment', 'form_post'],
        end_session_endpoint: `${iss}/logout`,
        revocation_endpoint: `${iss}/revoke`,
      }),
    }));
    expect(await startupWarnings(app(full.issuer, { responseType: 'code id_token' }).client)).toEqual([]);
    const bare = await fakeProvider('', (iss) => ({ '/.well-known/openid-configuration': metadata(iss) }));
    expect(await startupWarnings(app(bare.issuer, { idpLogout: false, revokeOnLogout: false }).client)).toEqual([]);
    // An explicit responseMode: 'form_post' is the user's own choice, made knowing the provider.
    expect(
      await startupWarnings(
        app(bare.issuer, { idpLogout: false, revokeOnLogout: false, responseType: 'code id_token', responseMode: 'form_post' }).client,
      ),
    ).toEqual([]);
  });

  it('still names them when the provider was down at startup and discovery succeeds on a retry', async () => {
    let down = true;
    const op = await fakeProvider('', (iss) => ({
      '/.well-known/openid-configuration': down ? 503 : metadata(iss, { end_session_endpoint: `${iss}/logout` }),
    }));
    const router = app(op.issuer, { discoveryRetryBaseMs: 20 });
    await expect(router.client.metadata()).rejects.toMatchObject({ code: 'ERR_IDP_UNAVAILABLE' });
    down = false;
    await vi.waitFor(() => router.client.metadata(), { timeout: 5000, interval: 20 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(takeWarnings('EMPOWERID_ENDPOINT_MISSING').map((w) => w.message)).toEqual([
      expect.stringMatching(/"endpoints\.revocation".*revokeOnLogout/),
    ]);
  });

  it('the feature still fails at the request with ERR_CONFIG_INVALID naming the endpoint option', async () => {
    const op = await fakeProvider('', (iss) => ({ '/.well-known/openid-configuration': metadata(iss) }));
    const client = createClient({ provider: 'oidc', server: op.issuer, clientId: 'app', clientSecret: 's' });
    await expect(client.revoke('a-refresh-token', 'refresh_token')).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      option: 'endpoints.revocation',
    });
    await expect(client.endSessionUrl({})).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID', option: 'endpoints.endSession' });
    // Nothing was sent to a guessed URL.
    expect(op.seen.map((r) => r.path)).toEqual(['/.well-known/openid-configuration']);
  });
});
