import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenCache } from '../../src/core/cache.js';
import { CLIENT_ID, ProviderBrowser, type TestProvider, signIn, startOidcProvider } from '../interop/harness.js';
import { type RedisServer, hasRedis, startRedis } from '../helpers/redis.js';
import { type AppInstance, redisInstance } from '../helpers/redis-instances.js';

// OpenID Connect Back-Channel Logout 1.0 across two instances on one real redis-server: the
// provider posts the logout_token to instance A; the session, used on instance B, ends there too,
// B's requireToken() cache lets go of its access token (Redis pub/sub eviction), and the same
// logout_token (same jti) replayed to B is refused.

const SECRET = 'the deployment secret, 32 characters or more';

describe.runIf(hasRedis('test/redis/backchannel-logout.test.ts'))('back-channel logout across two instances on Redis', () => {
  let redis: RedisServer;
  let op: TestProvider;
  let server: Server;
  let a: AppInstance;
  let b: AppInstance;
  const posted: string[] = [];

  beforeAll(async () => {
    // The provider must know where to post, so A's server listens before the provider starts.
    server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    [redis, op] = await Promise.all([
      startRedis(),
      startOidcProvider({ backchannelLogoutUri: `http://127.0.0.1:${port}/backchannel-logout` }),
    ]);
    // Keeps a copy of what the provider posts to A, for the replay to B; the library's own
    // parser then finds the body already read.
    const capture = express.urlencoded({ extended: false });
    const record: express.RequestHandler = (req, _res, next) => {
      if (req.method === 'POST' && req.path === '/backchannel-logout')
        posted.push(String((req.body as Record<string, unknown>).logout_token));
      next();
    };
    a = await redisInstance(op, redis.url, SECRET, { before: [capture, record] });
    b = await redisInstance(op, redis.url, SECRET);
    server.on('request', a.app);
  }, 60_000);
  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
    await op?.close();
  });

  const introspections = () => op.requests.filter((r) => r.path === '/token/introspection').length;
  const api = (token: string) => request(b.app).get('/api').set('Accept', 'application/json').auth(token, { type: 'bearer' });

  it('a logout at the provider, posted to A, ends the session used on B and evicts its token from B’s cache; the replay to B is refused', async () => {
    const browser = new ProviderBrowser(op.issuer);
    const agentA = request.agent(a.app);
    const { callback } = await signIn(agentA, browser);
    const cookie = (callback.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    const me = () => request(b.app).get('/me').set('Cookie', cookie).set('Accept', 'application/json');

    // The session is used on B, and B's guard holds its access token (front tier and Redis).
    const accessToken = (await me().expect(200)).body.accessToken as string;
    await api(accessToken).expect(200);
    await api(accessToken).expect(200);
    expect(introspections()).toBe(1);
    const cached = await b.redis.keys(`empowerid:cache:*:${TokenCache.keyFor(accessToken)}`);
    expect(cached).toHaveLength(1);

    const confirm = await browser.go(`${op.issuer}/session/end?client_id=${encodeURIComponent(CLIENT_ID)}`);
    await browser.submit(confirm, { logout: 'yes' }, 'op.logoutForm');
    expect(op.backchannel.failed).toEqual([]);
    expect(op.backchannel.delivered).toBe(1);
    expect(posted).toHaveLength(1);
    const loggedOut = Date.now();

    await me().expect(401);
    // B asks the provider again (within a second: the eviction travels over pub/sub), and the
    // provider, which ended the grant with its session, says the token is no longer active.
    let status = 200;
    while (status === 200 && Date.now() - loggedOut < 1000) status = (await api(accessToken)).status;
    expect(status).toBe(401);
    expect(introspections()).toBe(2);
    console.log(`B refused the ended session's access token ${Date.now() - loggedOut} ms after the back-channel logout on A`);

    // The provider's logout_token again, now to B: its jti was spent on A.
    const replay = await request(b.app)
      .post('/backchannel-logout')
      .type('form')
      .set('Accept', 'application/json')
      .send({ logout_token: posted[0] });
    expect(replay.status).toBe(400);
    expect(replay.body.code).toBe('ERR_LOGOUT_TOKEN_INVALID');
    expect(replay.body.error_description).toMatch(/jti replay/);
  });
});
