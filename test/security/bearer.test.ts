import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, requireToken, type RequireTokenOptions } from '../../src/index.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { rawRequest } from './raw-http.js';

const OTHER_CLIENT = { clientId: 'other-app', clientSecret: 'other-secret', redirectUris: ['http://127.0.0.1:4000/callback'] };
let mock: MockEmpowerID;
let server: Server;
let port: number;
let good: string;
let foreign: string;
let refreshToken: string;

// tokeninfo answers rewritten on the way back, as a compromised or confused IdP front would.
let rewriteTokeninfo: ((body: Record<string, unknown>) => Record<string, unknown>) | undefined;
const rewriting: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (!rewriteTokeninfo || !String(input).endsWith('/oauth/v2/tokeninfo')) return res;
  const body = rewriteTokeninfo((await res.json()) as Record<string, unknown>);
  return new Response(JSON.stringify(body), { status: res.status, headers: { 'content-type': 'application/json' } });
};

beforeAll(async () => {
  mock = await startMockEmpowerID({ clients: [DEFAULT_CLIENT, OTHER_CLIENT] });
  const idp = { server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret, discoveryRetryBaseMs: 20 };
  const guarded = (o: RequireTokenOptions) => [
    requireToken({ ...idp, ...o }),
    (_req: express.Request, res: express.Response) => res.json({ ok: true }),
  ];
  const app = express();
  app.get('/api', ...guarded({ fetch: rewriting, cacheMaxTtlSeconds: 0 } as RequireTokenOptions));
  app.get(
    '/api/mine',
    ...guarded({ fetch: rewriting, expectedClientIds: [DEFAULT_CLIENT.clientId], cacheMaxTtlSeconds: 0 } as RequireTokenOptions),
  );
  app.get('/api/issuer', ...guarded({ fetch: rewriting, expectedIssuer: mock.issuer, cacheMaxTtlSeconds: 0 } as RequireTokenOptions));
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  good = await mock.issueAccessToken({ username: 'alice', scope: 'openid' });
  foreign = await mock.issueAccessToken({ username: 'alice', clientId: OTHER_CLIENT.clientId, scope: 'openid' });
  const client = createClient({ server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret });
  const set = await client.password({ username: 'alice', password: 'alice-password', scope: 'openid offline_access' });
  refreshToken = set.refresh_token as string;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await mock.close();
});

const STACK = /\n\s+at |\.ts:\d+|\.js:\d+|node_modules/;

/** One row per attack: the header lines sent and the answer expected. */
const attacks: Array<{ name: string; path?: string; headers: () => string[]; status: number; error?: string; before?: () => void }> = [
  { name: 'a well-formed token (control row)', headers: () => [`Authorization: Bearer ${good}`], status: 200 },
  {
    name: 'two Authorization headers, same token',
    headers: () => [`Authorization: Bearer ${good}`, `Authorization: Bearer ${good}`],
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'two Authorization headers, second foreign',
    headers: () => [`Authorization: Bearer ${good}`, `Authorization: Bearer ${foreign}`],
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'Bearer and Basic headers',
    headers: () => [`Authorization: Bearer ${good}`, 'Authorization: Basic YTpi'],
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'a second, empty Authorization header',
    headers: () => [`Authorization: Bearer ${good}`, 'Authorization:'],
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'two headers under different casing',
    headers: () => [`authorization: Bearer ${good}`, `AUTHORIZATION: Bearer ${good}`],
    status: 400,
    error: 'invalid_request',
  },
  { name: 'comma-joined tokens', headers: () => [`Authorization: Bearer ${good},${good}`], status: 400, error: 'invalid_request' },
  {
    name: 'two credentials in one header',
    headers: () => [`Authorization: Bearer ${good}, Bearer ${good}`],
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'whitespace inside the token',
    headers: () => [`Authorization: Bearer ${good.slice(0, 5)} ${good.slice(5)}`],
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'tab inside the token',
    headers: () => [`Authorization: Bearer ${good.slice(0, 5)}\t${good.slice(5)}`],
    status: 400,
    error: 'invalid_request',
  },
  { name: 'scheme without a token', headers: () => ['Authorization: Bearer'], status: 400, error: 'invalid_request' },
  { name: 'scheme and spaces only', headers: () => ['Authorization: Bearer    '], status: 400, error: 'invalid_request' },
  { name: 'non-ASCII letter in the token', headers: () => [`Authorization: Bearer ${good}\u00f6`], status: 400, error: 'invalid_request' },
  {
    name: 'zero-width space after the token',
    headers: () => [`Authorization: Bearer ${good}\u200b`],
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'fullwidth letters as the token',
    headers: () => ['Authorization: Bearer \uff41\uff42\uff43'],
    status: 400,
    error: 'invalid_request',
  },
  { name: 'no-break space between scheme and token', headers: () => [`Authorization: Bearer\u00a0${good}`], status: 401 },
  { name: 'lookalike scheme (Cyrillic e)', headers: () => [`Authorization: B\u0435arer ${good}`], status: 401 },
  { name: 'quoted token', headers: () => [`Authorization: Bearer "${good}"`], status: 400, error: 'invalid_request' },
  { name: 'token in the query while the query carrier is off', path: `/api?access_token=x`, headers: () => [], status: 401 },
  { name: 'a made-up token', headers: () => ['Authorization: Bearer bm90LWEtcmVhbC10b2tlbg'], status: 401, error: 'invalid_token' },
  { name: 'NUL byte in the header', headers: () => [`Authorization: Bearer ${good}\u0000`], status: 400 },
  { name: 'bare CR in the header (header injection)', headers: () => [`Authorization: Bearer ${good}\rX-Injected: 1`], status: 400 },
  { name: 'an Authorization header of 20 KB', headers: () => [`Authorization: Bearer ${'a'.repeat(20_000)}`], status: 431 },
  {
    name: 'a token issued to another client, guard expects its own',
    path: '/api/mine',
    headers: () => [`Authorization: Bearer ${foreign}`],
    status: 401,
    error: 'invalid_token',
  },
  {
    name: 'an introspection answer from another issuer',
    path: '/api/issuer',
    headers: () => [`Authorization: Bearer ${good}`],
    before: () => {
      rewriteTokeninfo = (b) => ({ ...b, iss: 'https://mallory.example' });
    },
    status: 401,
    error: 'invalid_token',
  },
  {
    name: 'an introspection answer naming another client, guard expects its own',
    path: '/api/mine',
    headers: () => [`Authorization: Bearer ${good}`],
    before: () => {
      rewriteTokeninfo = (b) => ({ ...b, client_id: OTHER_CLIENT.clientId });
    },
    status: 401,
    error: 'invalid_token',
  },
  // Another token type: only an access token is a bearer credential.
  {
    name: 'a refresh token sent as the bearer token',
    headers: () => [`Authorization: Bearer ${refreshToken}`],
    status: 401,
    error: 'invalid_token',
  },
  ...(
    [
      ['token_type refresh_token', { token_type: 'refresh_token' }],
      ['token_type of another kind (urn id_token)', { token_type: 'urn:ietf:params:oauth:token-type:id_token' }],
      ['token_type of another scheme (DPoP)', { token_type: 'DPoP' }],
      ['token_type that is not a string', { token_type: ['Bearer'] }],
      ['exp as a string', { exp: '9999999999' }],
      ['nbf as a string', { nbf: '0' }],
      ['iat as an object', { iat: {} }],
    ] as const
  ).map(([what, patch]) => ({
    name: `an introspection answer with ${what}`,
    headers: () => [`Authorization: Bearer ${good}`],
    before: () => {
      rewriteTokeninfo = (b: Record<string, unknown>) => ({ ...b, ...patch });
    },
    status: 401,
    error: 'invalid_token',
  })),
];

describe('bearer token attacks over the wire', () => {
  for (const a of attacks) {
    it(`${a.name} → ${a.status}${a.error ? ` ${a.error}` : ''}`, async () => {
      rewriteTokeninfo = undefined;
      a.before?.();
      const res = await rawRequest(port, [`GET ${a.path ?? '/api'} HTTP/1.1`, 'Accept: application/json', ...a.headers()]);
      expect(res.status).toBe(a.status);
      expect(res.body).not.toMatch(STACK);
      if (a.error) expect(res.headers['www-authenticate']?.[0]).toContain(`error="${a.error}"`);
      if (a.status === 200) expect(JSON.parse(res.body)).toEqual({ ok: true });
    });
  }
});
