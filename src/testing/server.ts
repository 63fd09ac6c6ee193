/**
 * The mock EmpowerID HTTP server: options, routing, counters, latency and outage switches.
 * Protocol logic lives in endpoints/ and grants/; this file only wires them to node:http.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IdpSessions, type MockContext, randomId, ReplayCache } from './context.js';
import { handleAuthorize, handleLogin } from './endpoints/authorize.js';
import { handleDiscovery, handleJwks, PATHS } from './endpoints/discovery.js';
import { handleLogout } from './endpoints/logout.js';
import { handleToken } from './endpoints/token.js';
import { handleTokeninfo } from './endpoints/tokeninfo.js';
import { handleTokenrevoke } from './endpoints/tokenrevoke.js';
import { handleUserinfo } from './endpoints/userinfo.js';
import { GRANT_TYPES } from './grants/index.js';
import { html, json, type MockRequest, type MockResponse, OAuthError, oauthError, readRequest } from './http.js';
import { createSigningKeys } from './keys.js';
import { GARBAGE_PAGE, PROXY_DOWN_PAGE } from './pages.js';
import { TokenStore } from './tokens.js';
import type { MockEmpowerID, MockEmpowerIDOptions, MockIdTokenTamper, MockOutageMode } from './types.js';
import { DEFAULT_CLIENT, DEFAULT_USERS } from './users.js';

type Handler = (ctx: MockContext, req: MockRequest) => MockResponse | Promise<MockResponse>;

/** Path → counter name and handler. Every route the mock serves is listed here. */
const ROUTES = new Map<string, { name: string; handler: Handler }>([
  [PATHS.discovery, { name: 'discovery', handler: handleDiscovery }],
  [PATHS.discoveryTypo, { name: 'discovery', handler: handleDiscovery }],
  [PATHS.jwks, { name: 'jwks', handler: handleJwks }],
  [PATHS.authorize, { name: 'authorize', handler: handleAuthorize }],
  [PATHS.login, { name: 'login', handler: handleLogin }],
  [PATHS.token, { name: 'token', handler: handleToken }],
  [PATHS.tokeninfo, { name: 'tokeninfo', handler: handleTokeninfo }],
  [PATHS.tokenrevoke, { name: 'tokenrevoke', handler: handleTokenrevoke }],
  [PATHS.userinfo, { name: 'userinfo', handler: handleUserinfo }],
  [PATHS.logout, { name: 'logout', handler: handleLogout }],
]);

/** How long a 'slow' outage holds every response; longer than any sane client timeout. */
const SLOW_OUTAGE_MS = 30_000;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`startMockEmpowerID: option "${name}" must be a positive number of seconds, got ${String(value)}`);
  }
  return value;
}

function validate(o: MockEmpowerIDOptions) {
  const users = o.users ?? DEFAULT_USERS;
  const clients = o.clients ?? [DEFAULT_CLIENT];
  if (users.length === 0) throw new TypeError('startMockEmpowerID: option "users" must not be empty');
  const userMap = new Map(users.map((u) => [u.username, u]));
  const clientMap = new Map(clients.map((c) => [c.clientId, c]));
  if (userMap.size !== users.length) throw new TypeError('startMockEmpowerID: option "users" has duplicate usernames');
  if (clientMap.size !== clients.length) throw new TypeError('startMockEmpowerID: option "clients" has duplicate clientIds');
  for (const c of clients) {
    if (c.name !== undefined && (typeof c.name !== 'string' || c.name.trim() === '')) {
      throw new TypeError(`startMockEmpowerID: client "${c.clientId}" has a "name" that is not a non-empty string`);
    }
    if (c.owner !== undefined && !userMap.has(c.owner)) {
      throw new TypeError(`startMockEmpowerID: client "${c.clientId}" has owner "${c.owner}", who is not in "users"`);
    }
  }
  if (typeof o.autoLogin === 'string' && !userMap.has(o.autoLogin)) {
    throw new TypeError(`startMockEmpowerID: option "autoLogin" names unknown user "${o.autoLogin}"`);
  }
  const latencyMs = o.latencyMs ?? 0;
  if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new TypeError('startMockEmpowerID: option "latencyMs" must be >= 0');
  const ttl = {
    accessToken: positive('accessTokenTTL', o.accessTokenTTL, 3600),
    idToken: positive('idTokenTTL', o.idTokenTTL, 3600),
    refreshToken: positive('refreshTokenTTL', o.refreshTokenTTL, 86400),
    code: positive('codeTTL', o.codeTTL, 60),
  };
  return { userMap, clientMap, ttl, latencyMs };
}

/**
 * Starts a mock EmpowerID server on real loopback HTTP, with the vendor's endpoint layout
 * (discovery, authorize, token with every documented grant, tokeninfo, tokenrevoke, userinfo,
 * logout), implemented from the vendor documentation independently of the library.
 *
 * @see EmpowerID docs: OAuth 2.0 / OIDC (the whole page), OAuth 2.0 flows, Client Credential Grant, JWT Bearer grant
 * @throws TypeError for invalid options (a non-positive TTL, no or duplicate users, duplicate
 *   client ids, an unknown `owner` or `autoLogin` user); rejects when the port cannot be bound.
 *
 * @example
 * const idp = await startMockEmpowerID({ autoLogin: 'alice' });
 * const discovery = await fetch(`${idp.url}/oauth/.well-known/openid-configuration`).then((r) => r.json());
 * // ... run your flow against idp.url ...
 * await idp.close();
 */
export async function startMockEmpowerID(options: MockEmpowerIDOptions = {}): Promise<MockEmpowerID> {
  const { userMap, clientMap, ttl, latencyMs } = validate(options);
  const clock = options.clock ?? Date.now;
  const host = options.host ?? '127.0.0.1';
  const keys = await createSigningKeys();

  const counts: Record<string, number> = {};
  const countNames = [...new Set([...ROUTES.values()].map((r) => r.name)), ...GRANT_TYPES.map((g) => `token:${g}`)];
  const resetCounts = () => {
    for (const k of Object.keys(counts)) delete counts[k];
    for (const k of countNames) counts[k] = 0;
  };
  resetCounts();

  let outage: MockOutageMode = false;
  let tamper: MockIdTokenTamper | undefined;
  // Pending delays, so close() can release them instead of leaving 30 s timers behind.
  const pending = new Set<() => void>();
  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        pending.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pending.add(done);
    });

  const ctx: MockContext = {
    url: '', // set once listening
    issuer: options.issuer ?? 'EmpowerID',
    ttl,
    issueRefreshTokens: options.issueRefreshTokens ?? true,
    confirmLogout: options.confirmLogout ?? false,
    users: userMap,
    clients: clientMap,
    keys,
    tokens: new TokenStore(() => clock()),
    sessions: new IdpSessions(),
    replay: new ReplayCache(),
    now: () => clock(),
    autoLogin: options.autoLogin ?? false,
    lastLogout: undefined,
    takeTamper() {
      const t = tamper;
      tamper = undefined;
      return t;
    },
    count(name) {
      // `token:<grant_type>` comes from the request: never let it name an Object.prototype member.
      if (!Object.hasOwn(counts, name) && name in Object.prototype) return;
      counts[name] = (counts[name] ?? 0) + 1;
    },
  };

  async function respond(req: IncomingMessage, res: ServerResponse): Promise<MockResponse> {
    const route = ROUTES.get(new URL(req.url ?? '/', ctx.url).pathname);
    if (route) ctx.count(route.name);
    let mreq: MockRequest;
    try {
      mreq = await readRequest(req, ctx.url);
    } catch (e) {
      if (e instanceof OAuthError) return oauthError(e);
      throw e;
    }
    if (latencyMs > 0) await delay(latencyMs);
    if (outage === 'down') return html(503, PROXY_DOWN_PAGE, { 'Retry-After': '30' });
    if (outage === 'garbage') return html(200, GARBAGE_PAGE);
    if (outage === 'slow') await delay(SLOW_OUTAGE_MS);
    if (res.destroyed) return { status: 499 };
    if (!route) return json(404, { error: 'not_found', error_description: `no endpoint at ${mreq.path}` });
    return route.handler(ctx, mreq);
  }

  const server = createServer((req, res) => {
    respond(req, res)
      .catch((e: unknown) => json(500, { error: 'server_error', error_description: String(e) }))
      .then((r) => {
        if (res.destroyed || res.headersSent) return;
        res.writeHead(r.status, r.headers);
        res.end(r.body ?? '');
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  (ctx as { url: string }).url = url;

  return {
    url,
    issuer: ctx.issuer,
    counts,
    get lastLogout() {
      return ctx.lastLogout;
    },
    resetCounts,
    setOutage(mode) {
      outage = mode;
    },
    setAutoLogin(username) {
      if (username !== false && !userMap.has(username)) throw new TypeError(`setAutoLogin: unknown user "${username}"`);
      ctx.autoLogin = username;
    },
    tamperNextIdToken(t) {
      tamper = t;
    },
    async issueAccessToken(o) {
      const user = userMap.get(o.username);
      if (!user) throw new TypeError(`issueAccessToken: unknown user "${o.username}"`);
      const clientId = o.clientId ?? clientMap.keys().next().value;
      if (clientId === undefined || !clientMap.has(clientId)) throw new TypeError(`issueAccessToken: unknown client "${clientId}"`);
      const auth = { grantId: randomId(16), username: user.username, clientId, scope: o.scope ?? 'openid' };
      return ctx.tokens.issue('access_token', auth, o.ttl ?? ttl.accessToken).token;
    },
    revokeAllFor(username) {
      ctx.tokens.revokeUser(username);
      ctx.sessions.endAllFor(username);
    },
    close() {
      for (const release of [...pending]) release();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
