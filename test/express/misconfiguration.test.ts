import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type Server, type Socket } from 'node:net';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_OPTION_NAMES, EMPOWERID_OPTION_NAMES, REQUIRE_TOKEN_OPTION_NAMES } from '../../src/express/option-names.js';
import { empowerid, type EmpowerIDOptions, requireToken, requiresAuth } from '../../src/index.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { authorize, BASE_URL, buildApp, startLogin } from '../helpers/sign-in.js';
import { expectOneWarning, takeWarnings } from '../helpers/warnings.js';

// Misconfiguration is loud at startup, or at the first request that shows it, with a message that
// says what to do; each is asserted word for word because the words are what a user reads.

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());
beforeEach(() => {
  takeWarnings();
});

const idp = { server: '', clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret };
const options = (extra: Record<string, unknown> = {}) => ({ ...idp, server: mock.url, baseURL: BASE_URL, ...extra }) as EmpowerIDOptions;
const tick = () => new Promise((r) => setImmediate(r));

describe('option names', () => {
  it('the lists of known names hold every option the types declare', () => {
    // A new option that is not listed would be warned about as unknown; this keeps the two in step.
    const declared = (file: string, name: string) => {
      const source = readFileSync(new URL(`../../src/${file}`, import.meta.url), 'utf8');
      const start = source.indexOf(`interface ${name}`);
      expect(start, name).toBeGreaterThan(-1);
      return [...source.slice(start, source.indexOf('\n}\n', start)).matchAll(/^ {2}(\w+)\??:/gm)].map((m) => m[1] as string);
    };
    const policy = [
      ...declared('core/introspection.ts', 'TokenVerifierOptions'),
      ...declared('core/introspection.ts', 'TokenCacheSettings'),
      ...declared('core/token-policy.ts', 'TokenPolicyOptions'),
    ];
    expect(declared('core/config.ts', 'ClientOptions').filter((n) => !CLIENT_OPTION_NAMES.includes(n as never))).toEqual([]);
    expect(declared('express/options.ts', 'EmpowerIDOptions').filter((n) => !EMPOWERID_OPTION_NAMES.includes(n as never))).toEqual([]);
    expect(
      [...declared('express/require-token.ts', 'RequireTokenOptions'), ...policy].filter(
        (n) => !REQUIRE_TOKEN_OPTION_NAMES.includes(n as never),
      ),
    ).toEqual([]);
  });

  it('a misspelt option fails at startup with "did you mean"', () => {
    expect(() => empowerid(options({ idpLogut: false }))).toThrow(
      'empowerid: option "idpLogut" is not an option of empowerid(); did you mean "idpLogout"?',
    );
  });

  it('a misspelt clientSecret is named as the typo, not as a missing clientSecret', () => {
    const { clientSecret, ...rest } = options();
    expect(() => empowerid({ ...rest, clientSecert: clientSecret } as unknown as EmpowerIDOptions)).toThrow(
      'empowerid: option "clientSecert" is not an option of empowerid(); did you mean "clientSecret"?',
    );
  });

  it('requireToken() names its own typos, and accepts empowerid() settings spread into it', async () => {
    expect(() => requireToken({ ...idp, server: mock.url, scops: ['orders'] } as never)).toThrow(
      'empowerid: option "scops" is not an option of requireToken(); did you mean "scopes"?',
    );
    expect(() => requireToken({ ...options(), scopes: ['orders'] } as never)).not.toThrow();
    // `scope` is an option of empowerid(), so it is not refused, but it looks like `scopes`.
    requireToken({ ...idp, server: mock.url, scope: 'orders' } as never);
    await tick();
    expectOneWarning(
      'EMPOWERID_UNKNOWN_OPTION',
      'empowerid: option "scope" is not an option of requireToken() and is ignored here; did you mean "scopes"?',
    );
  });

  it('an unknown name with no near match is warned about once, not refused', async () => {
    empowerid(options({ colour: 'blue' }));
    empowerid(options({ colour: 'blue' }));
    await tick();
    expectOneWarning('EMPOWERID_UNKNOWN_OPTION', 'empowerid: option "colour" is not an option of empowerid() and is ignored');
  });
});

describe('empowerid() under a sub-path', () => {
  it('is refused with the fix, and logged once', async () => {
    const app = express();
    app.use(session({ secret: 's', resave: false, saveUninitialized: false, cookie: { sameSite: 'lax' } }));
    app.use('/auth', empowerid(options()));
    const expected =
      'empowerid: empowerid() is mounted under "/auth" (app.use("/auth", empowerid(...))), but its redirect_uri is http://127.0.0.1:3000/callback, which this mount does not serve. Mount it at the root, app.use(empowerid({...})), and to serve its routes under "/auth" set routes: { login: "/auth/login", callback: "/auth/callback", logout: "/auth/logout", refresh: "/auth/refresh", backchannelLogout: "/auth/backchannel-logout" } (and register http://127.0.0.1:3000/auth/callback at the identity provider)';
    const res = await request(app).get('/auth/login').set('Accept', 'application/json').expect(500);
    expect(res.body.error_description).toBe(expected.replace(/^empowerid: /, ''));
    await request(app).get('/auth/login').expect(500);
    await tick();
    expectOneWarning('EMPOWERID_MISCONFIGURED', expected);
  });

  it('works inside a sub-app mounted at baseURL’s path', async () => {
    const sub = express();
    sub.use(session({ secret: 's', resave: false, saveUninitialized: false, cookie: { sameSite: 'lax' } }));
    sub.use(empowerid(options({ baseURL: 'http://127.0.0.1:3000/app' })));
    const app = express();
    app.use('/app', sub);
    const res = await request(app).get('/app/login').expect(302);
    expect(new URL(res.headers.location as string).searchParams.get('redirect_uri')).toBe('http://127.0.0.1:3000/app/callback');
  });

  it('requiresAuth() outside the router’s mount says where to mount it', async () => {
    const app = express();
    app.use(session({ secret: 's', resave: false, saveUninitialized: false }));
    app.use('/auth', empowerid(options()));
    app.get('/profile', requiresAuth(), (_req, res) => res.send('never'));
    const expected =
      'empowerid: requiresAuth() found no empowerid() on this request; mount app.use(empowerid({...})) at the root of the app, before this route (mounted under a path, as in app.use("/auth", empowerid(...)), it only sees requests under that path)';
    const res = await request(app).get('/profile').set('Accept', 'application/json').expect(500);
    expect(res.body.error_description).toBe(expected.replace(/^empowerid: /, ''));
    await request(app).get('/profile').expect(500);
    await tick();
    expectOneWarning('EMPOWERID_MISCONFIGURED', expected);
  });
});

describe('session cookies that will not be set', () => {
  function app(baseURL: string, cookie: session.CookieOptions, trustProxy = false) {
    const a = express();
    if (trustProxy) a.set('trust proxy', 1);
    a.use(session({ secret: 's', resave: false, saveUninitialized: false, cookie }));
    a.use(empowerid(options({ baseURL })));
    return a;
  }

  it('a secure cookie on a plain-http baseURL is warned about at the first request, once', async () => {
    const a = app('http://localhost:3000', { secure: true, sameSite: 'lax' });
    await request(a).get('/login');
    await request(a).get('/login');
    await tick();
    expectOneWarning(
      'EMPOWERID_COOKIE_NOT_SET',
      'empowerid: the session cookie is "secure" but baseURL (http://localhost:3000) is plain http; express-session does not set a secure cookie over http, so sign-in fails with "no login is in progress". For local development use cookie: { secure: "auto" }, or serve the app over https',
    );
  });

  it('an https app behind a proxy Express does not trust is explained', async () => {
    const a = app('https://app.example.com', { secure: true, sameSite: 'lax' });
    const res = await request(a).get('/login').set('X-Forwarded-Proto', 'https').expect(302);
    // The symptom: no session cookie at all.
    expect(res.headers['set-cookie']).toBeUndefined();
    await tick();
    expectOneWarning(
      'EMPOWERID_COOKIE_NOT_SET',
      'empowerid: baseURL is https and this request came through a proxy (X-Forwarded-Proto: https), but Express does not trust the proxy, so req.secure is false and express-session sets no secure session cookie; sign-in then fails with "no login is in progress". Add app.set("trust proxy", 1) (the number of proxies in front of the app)',
    );
  });

  it('an https app reached over plain http with no X-Forwarded-Proto is explained, once', async () => {
    const a = app('https://app.example.com', { secure: true, sameSite: 'lax' });
    for (let i = 0; i < 2; i++) {
      const res = await request(a).get('/login').expect(302);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    await tick();
    expectOneWarning(
      'EMPOWERID_COOKIE_NOT_SET',
      'empowerid: baseURL is https but this request reached the app over plain http without X-Forwarded-Proto, so express-session sets no secure session cookie; sign-in then fails with "no login is in progress". Behind a TLS proxy, have it send X-Forwarded-Proto and add app.set("trust proxy", 1)',
    );
  });

  it('says nothing when trust proxy is set', async () => {
    const a = app('https://app.example.com', { secure: true, sameSite: 'lax' }, true);
    const res = await request(a).get('/login').set('X-Forwarded-Proto', 'https').expect(302);
    expect(res.headers['set-cookie']).toBeDefined();
    await tick();
    expect(takeWarnings('EMPOWERID_COOKIE_NOT_SET')).toEqual([]);
  });
});

describe('requireToken() with no identity provider', () => {
  it('fails every request with a 500 naming both fixes, logged once', async () => {
    const app = express();
    app.get('/api', requireToken(), (_req, res) => res.send('never'));
    const expected =
      'empowerid: requireToken() has no identity provider: give it server, clientId and clientSecret (an API-only service), or mount app.use(empowerid({...})) before this route';
    for (let i = 0; i < 3; i++) {
      const res = await request(app).get('/api').set('Authorization', 'Bearer abc').expect(500);
      expect(res.body).toEqual({
        error: 'server_error',
        error_description: expected.replace(/^empowerid: /, ''),
        code: 'ERR_CONFIG_INVALID',
      });
    }
    await tick();
    expectOneWarning('EMPOWERID_MISCONFIGURED', expected);
  });
});

describe('IdP failures reach the server log once, with their cause', () => {
  it('a wrong client secret, at the code exchange', async () => {
    const agent = request.agent(buildApp(mock, { clientSecret: 'not-the-secret' }));
    for (let i = 0; i < 2; i++) {
      const callback = await authorize(await startLogin(agent));
      const res = await agent.get(callback.pathname + callback.search).set('Accept', 'application/json');
      expect(res.body.code).toBe('ERR_OAUTH_ERROR');
      // The page does not say more than the cause, and never the secret.
      expect(res.text).not.toContain('not-the-secret');
    }
    await tick();
    const logged = takeWarnings('EMPOWERID_MISCONFIGURED');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.message).toBe(
      "empowerid: the identity provider refused this application's credentials (invalid_client: client authentication failed); check clientId, clientSecret and clientAuthMethod",
    );
    expect(logged[0]?.message).not.toContain('not-the-secret');
  });

  it('a wrong client secret, on an API-only requireToken() guard (tokeninfo answers invalid_client)', async () => {
    const app = express();
    app.get('/api', requireToken({ server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: 'not-the-secret' }), (_req, res) =>
      res.send('never'),
    );
    for (const user of ['alice', 'bob']) {
      const token = await mock.issueAccessToken({ username: user, scope: 'openid' });
      const res = await request(app).get('/api').set('Authorization', `Bearer ${token}`).expect(503);
      // The API caller is told the service is unavailable; its token is not blamed.
      expect(res.body).toEqual({
        error: 'temporarily_unavailable',
        error_description: "tokeninfo refused this API's request (invalid_client); check clientId and clientSecret",
        code: 'ERR_IDP_BAD_RESPONSE',
      });
      expect(res.text).not.toContain('not-the-secret');
    }
    await tick();
    // A refused client credential is the operator's misconfiguration, as in the README table: logged once.
    expect(takeWarnings('EMPOWERID_IDP_FAILURE')).toEqual([]);
    const logged = takeWarnings('EMPOWERID_MISCONFIGURED').map((w) => w.message);
    expect(logged).toEqual(["empowerid: tokeninfo refused this API's request (invalid_client); check clientId and clientSecret"]);
    expect(logged[0]).not.toContain('not-the-secret');
  });

  it('a failed code exchange', async () => {
    const agent = request.agent(buildApp(mock));
    const callback = await authorize(await startLogin(agent));
    callback.searchParams.set('code', 'not-a-code-the-idp-issued');
    const res = await agent.get(callback.pathname + callback.search).set('Accept', 'application/json');
    expect(res.body.code).toBe('ERR_OAUTH_ERROR');
    await tick();
    const logged = takeWarnings('EMPOWERID_IDP_FAILURE');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.message).toMatch(/^empowerid: a token request failed: the identity provider answered invalid_grant(: .*)?$/);
    expect(logged[0]?.message).not.toContain('not-a-code-the-idp-issued');
  });

  it('an unreachable IdP, with the socket error as the cause', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const app = buildApp(mock, { server: `http://127.0.0.1:${port}`, discoveryRetryBaseMs: 10, timeoutMs: 500 });
    const res = await request(app).get('/login').set('Accept', 'application/json').expect(503);
    expect(res.body.error_description).not.toContain(String(port));
    await request(app).get('/login').expect(503);
    await tick();
    const logged = takeWarnings('EMPOWERID_IDP_FAILURE');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.message).toBe(
      `empowerid: the identity provider could not be reached (connection refused) (discovery) (cause: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:${port})`,
    );
  });

  // The other causes of an unreachable IdP, each as the operator reads it in the log. Two requests
  // each (the second retries discovery after discoveryRetryBaseMs), one line.
  async function loggedFailure(server: string, timeoutMs = 500): Promise<{ page: string; logged: string[] }> {
    const app = buildApp(mock, { server, discoveryRetryBaseMs: 10, timeoutMs });
    const res = await request(app).get('/login').set('Accept', 'application/json').expect(503);
    await request(app).get('/login').set('Accept', 'application/json').expect(503);
    await tick();
    return { page: String(res.body.error_description), logged: takeWarnings('EMPOWERID_IDP_FAILURE').map((w) => w.message) };
  }
  const listen = (s: Server) =>
    new Promise<number>((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));

  it('an IdP host name that does not resolve (DNS)', async () => {
    const { page, logged } = await loggedFailure('https://nonexistent.invalid');
    expect(page).toBe('the identity provider could not be reached (its host name did not resolve) (discovery)');
    expect(logged).toHaveLength(1);
    // NXDOMAIN is ENOTFOUND; a resolver that cannot be asked at all gives EAI_AGAIN, with the same words.
    expect(logged[0]).toMatch(
      /^empowerid: the identity provider could not be reached \(its host name did not resolve\) \(discovery\) \(cause: (ENOTFOUND|EAI_AGAIN) getaddrinfo \1 nonexistent\.invalid\)$/,
    );
  });

  it('an IdP whose TLS certificate is not trusted (a self-signed certificate)', async () => {
    // test/fixtures/tls: `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500
    // -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1`, so the only fault is that nobody signed it.
    const fixture = (name: string) => readFileSync(new URL(`../fixtures/tls/${name}`, import.meta.url));
    const https = createHttpsServer(
      { key: fixture('loopback-self-signed.key.pem'), cert: fixture('loopback-self-signed.cert.pem') },
      (_req, res) => res.end('{}'),
    );
    const port = await listen(https);
    try {
      const { page, logged } = await loggedFailure(`https://127.0.0.1:${port}`);
      expect(page).toBe('the identity provider could not be reached (TLS handshake failed) (discovery)');
      expect(logged).toEqual([
        'empowerid: the identity provider could not be reached (TLS handshake failed) (discovery) (cause: DEPTH_ZERO_SELF_SIGNED_CERT self-signed certificate)',
      ]);
    } finally {
      https.closeAllConnections();
      https.close();
    }
  });

  it('an IdP that accepts the connection and never answers (timeout)', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    const port = await listen(silent);
    try {
      const started = Date.now();
      const { page, logged } = await loggedFailure(`http://127.0.0.1:${port}`, 150);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(page).toBe('the identity provider did not answer in time (discovery)');
      expect(logged).toEqual([
        'empowerid: the identity provider did not answer in time (discovery) (cause: The operation was aborted due to timeout)',
      ]);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
