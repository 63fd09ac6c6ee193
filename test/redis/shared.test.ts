import express from 'express';
import { createClient } from 'redis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TokenCache } from '../../src/core/cache.js';
import { RefreshCoordinator } from '../../src/core/refresh-coordinator.js';
import type { Shared } from '../../src/core/shared.js';
import { EmpowerIDClient, SharedUnavailableError, requireToken } from '../../src/index.js';
import { redisShared } from '../../src/redis/index.js';
import { SharedClaims } from '../../src/express/callback-claims.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { type RedisServer, hasRedis, startRedis } from '../helpers/redis.js';

// The Redis primitives under the library, on a real redis-server: two "instances" are two node-redis
// clients with their own Shared, cache and coordinator, as two processes would have.

const SECRET = 'a test secret of at least thirty-two characters';
type Redis = ReturnType<typeof createClient>;

describe.runIf(hasRedis('test/redis/shared.test.ts'))('on a real Redis', () => {
  let server: RedisServer;
  let mock: MockEmpowerID;
  const clients: Redis[] = [];
  const shareds: Shared[] = [];

  async function instance(options: Parameters<typeof redisShared>[1] = {}): Promise<{ redis: Redis; shared: Shared }> {
    const redis = createClient({ url: server.url });
    redis.on('error', () => {});
    await redis.connect();
    clients.push(redis);
    const shared = redisShared(redis, { secret: SECRET, ...options });
    shareds.push(shared);
    return { redis, shared };
  }

  beforeAll(async () => {
    server = await startRedis();
    mock = await startMockEmpowerID();
  });
  afterAll(async () => {
    await Promise.all(shareds.map((s) => s.close()));
    await Promise.all(clients.map((c) => c.close().catch(() => c.destroy())));
    await server?.stop();
    await mock?.close();
  });

  const waitFor = async (check: () => boolean | Promise<boolean>, ms = 3000) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('a lock is SET NX PX with a token: a second taker is refused, only the holder releases it, and it expires', async () => {
    const { shared, redis } = await instance();
    const { shared: other } = await instance();
    const held = await shared.tryLock('t1', 300);
    expect(held).toBeDefined();
    expect(await other.tryLock('t1', 300)).toBeUndefined();
    const pttl = await redis.pTTL('empowerid:lock:t1');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(300);
    // Someone else's lock under the same name is not released by a stale holder.
    await new Promise((r) => setTimeout(r, 350));
    const next = await other.tryLock('t1', 5000);
    expect(next).toBeDefined();
    await held?.release();
    expect(await redis.get('empowerid:lock:t1')).not.toBeNull();
    await next?.release();
    expect(await redis.get('empowerid:lock:t1')).toBeNull();
  });

  it('two-tier cache: a cold instance is answered by the tier; a delete evicts every front within a second', async () => {
    const a = await instance();
    const b = await instance();
    const cacheA = new TokenCache<{ sub: string }>({ tier: a.shared.cacheTier('client-x') });
    const cacheB = new TokenCache<{ sub: string }>({ tier: b.shared.cacheTier('client-x') });
    await waitFor(() => a.shared.backend.connected && b.shared.backend.connected);
    const token = 'the-access-token-itself';
    const key = TokenCache.keyFor(token);
    const loadA = vi.fn(async () => ({ value: { sub: 'alice' }, ttlMs: 60_000 }));
    expect(await cacheA.getOrLoad(key, loadA)).toEqual({ sub: 'alice' });
    // In Redis: prefix + SHA-256 of the token, the entry's TTL, the answer and never the token.
    const redisKey = `empowerid:cache:client-x:default:${key}`;
    expect(await a.redis.get(redisKey)).toBe(JSON.stringify({ sub: 'alice' }));
    const ttl = await a.redis.pTTL(redisKey);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect((await a.redis.keys('*')).join(' ')).not.toContain(token);

    const loadB = vi.fn(async () => ({ value: { sub: 'wrong' }, ttlMs: 60_000 }));
    expect(await cacheB.getOrLoad(key, loadB)).toEqual({ sub: 'alice' });
    expect(loadB).not.toHaveBeenCalled();
    expect(cacheB.stats().tierHits).toBe(1);
    expect(cacheB.peek(key)).toEqual({ sub: 'alice' }); // now in B's front: synchronous

    const started = Date.now();
    await cacheA.delete(key);
    await waitFor(() => cacheB.peek(key) === undefined, 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await a.redis.get(redisKey)).toBeNull();
  });

  it('20 concurrent refreshes over two instances make one call at the IdP; the hand-over is sealed', async () => {
    const a = await instance();
    const b = await instance();
    const clientA = new EmpowerIDClient({ server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret });
    const clientB = new EmpowerIDClient({ server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret });
    const { refresh_token: refreshToken } = await clientA.password({ username: 'alice', password: 'alice-password' });
    expect(refreshToken).toBeDefined();
    const coordinators = [new RefreshCoordinator(clientA, a.shared), new RefreshCoordinator(clientB, b.shared)];
    mock.resetCounts();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (coordinators[i % 2] as RefreshCoordinator).refresh(refreshToken as string)),
    );
    expect(mock.counts['token:refresh_token']).toBe(1);
    expect(new Set(results.map((r) => r.refresh_token)).size).toBe(1);
    expect(results[0]?.refresh_token).not.toBe(refreshToken);
    const dump = JSON.stringify(await Promise.all((await a.redis.keys('empowerid:refresh:*')).map((k) => a.redis.get(k))));
    expect(dump).not.toContain(results[0]?.access_token);
    expect(dump).not.toContain(results[0]?.refresh_token);
    // A later request still holding the old token gets the same result, not a second call.
    expect((await coordinators[1]?.refresh(refreshToken as string))?.refresh_token).toBe(results[0]?.refresh_token);
    expect(mock.counts['token:refresh_token']).toBe(1);
    clientA.close();
    clientB.close();
  });

  it('API-only guards on two instances: a cold one serves a verified token without tokeninfo; a revocation on one is refused by the other within a second', async () => {
    const a = await instance();
    const b = await instance();
    const idp = { server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret };
    const app = (shared: Shared) => {
      const guard = requireToken({ ...idp, shared });
      const e = express();
      e.get('/api', guard, (req, res) => res.json({ sub: req.empowerid.tokenInfo?.sub }));
      return Object.assign(e, { guard });
    };
    const [appA, appB] = [app(a.shared), app(b.shared)];
    await waitFor(() => a.shared.backend.connected && b.shared.backend.connected);
    const token = await mock.issueAccessToken({ username: 'alice', clientId: DEFAULT_CLIENT.clientId });
    mock.resetCounts();
    await request(appA).get('/api').set('Authorization', `Bearer ${token}`).expect(200);
    expect(mock.counts.tokeninfo).toBe(1);
    const onB = await request(appB).get('/api').set('Authorization', `Bearer ${token}`).expect(200);
    expect(onB.body.sub).toBe('alice');
    expect(mock.counts.tokeninfo).toBe(1); // answered by Redis, not by the IdP
    await request(appB).get('/api').set('Authorization', `Bearer ${token}`).expect(200); // B's front now

    await appA.guard.verifier?.revoke(token);
    const revoked = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - revoked < 1000)
      status = (await request(appB).get('/api').set('Authorization', `Bearer ${token}`)).status;
    expect(status).toBe(401);
  });

  it('a crashed lock holder delays the others by at most the lock TTL', async () => {
    const a = await instance({ lockTtlMs: 1000 });
    const client = new EmpowerIDClient({
      server: mock.url,
      clientId: DEFAULT_CLIENT.clientId,
      clientSecret: DEFAULT_CLIENT.clientSecret,
      timeoutMs: 200,
    });
    const { refresh_token: refreshToken } = await client.password({ username: 'alice', password: 'alice-password' });
    // A holder that took the lock and died: its key stays until the TTL runs out.
    const { hash } = await import('node:crypto');
    const name = `empowerid:lock:refresh:${hash('sha256', refreshToken as string, 'base64url')}`;
    await a.redis.set(name, 'dead-holder', { PX: 1200 });
    const started = Date.now();
    const set = await new RefreshCoordinator(client, a.shared).refresh(refreshToken as string);
    const waited = Date.now() - started;
    expect(set.access_token).toBeDefined();
    expect(waited).toBeGreaterThan(900);
    expect(waited).toBeLessThan(1200 + 500);
    client.close();
  });

  it('callback claims: one holder per state across instances; its outcome is sealed and waited for; a crashed holder delays a duplicate by at most the lock TTL', async () => {
    const a = await instance({ lockTtlMs: 500 });
    const b = await instance({ lockTtlMs: 500 });
    // timeoutMs 100: the lock lives max(lockTtlMs, 3 × timeoutMs + 1000) = 1300 ms.
    const [claimsA, claimsB] = [new SharedClaims(a.shared, 100), new SharedClaims(b.shared, 100)];
    const held = await claimsA.take('state-1');
    expect(held).toBeDefined();
    expect(await claimsB.take('state-1')).toBeUndefined();
    const waiting = claimsB.waitFor('state-1');
    await new Promise((r) => setTimeout(r, 120));
    await claimsA.record('state-1', { origin: 'pre-login-sid', sessionId: 'signed-in-sid', returnTo: '/me' });
    await held?.release();
    expect(await waiting).toEqual({ origin: 'pre-login-sid', sessionId: 'signed-in-sid', returnTo: '/me' });
    // What Redis holds is sealed: no session id a reader of the database could present.
    const stored = await a.redis.get('empowerid:callback:state-1');
    expect(stored).toBeTruthy();
    expect(stored).not.toContain('signed-in-sid');
    const ttl = await a.redis.pTTL('empowerid:callback:state-1');
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);

    // A holder that took the claim and died leaves no outcome: the duplicate gives up once the lock expires.
    expect(await claimsA.take('state-2')).toBeDefined();
    const started = Date.now();
    expect(await claimsB.waitFor('state-2')).toBeUndefined();
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThan(1100);
    expect(waited).toBeLessThan(1300 + 500);
  });

  it('Redis hung (slow): a command fails after operationTimeoutMs with SharedUnavailableError, never hangs; then it answers again', async () => {
    const a = await instance({ operationTimeoutMs: 300 });
    const cache = new TokenCache<{ sub: string }>({ tier: a.shared.cacheTier('client-z') });
    await waitFor(() => a.shared.backend.connected);
    server.pause();
    try {
      const started = Date.now();
      await expect(cache.getOrLoad(TokenCache.keyFor('slow'), async () => ({ value: { sub: 'x' }, ttlMs: 60_000 }))).rejects.toBeInstanceOf(
        SharedUnavailableError,
      );
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(800);
    } finally {
      server.resume();
    }
    const load = vi.fn(async () => ({ value: { sub: 'alice' }, ttlMs: 60_000 }));
    expect(await cache.getOrLoad(TokenCache.keyFor('slow'), load)).toEqual({ sub: 'alice' });
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('Redis killed: commands fail fast with SharedUnavailableError (or fall back to load); after restart they work again', async () => {
    const a = await instance({ operationTimeoutMs: 300 });
    const cache = new TokenCache<{ sub: string }>({ tier: a.shared.cacheTier('client-y') });
    const fallback = new TokenCache<{ sub: string }>({ tier: a.shared.cacheTier('client-y'), onTierFailure: 'load' });
    await waitFor(() => a.shared.backend.connected);
    const key = TokenCache.keyFor('t');
    await cache.getOrLoad(key, async () => ({ value: { sub: 'alice' }, ttlMs: 60_000 }));
    expect(cache.peek(key)).toEqual({ sub: 'alice' });
    await server.kill();
    try {
      await waitFor(() => !a.shared.backend.connected);
      // The front no longer answers alone: evictions could be missed.
      expect(cache.peek(key)).toBeUndefined();
      const started = Date.now();
      await expect(cache.getOrLoad(key, async () => ({ value: { sub: 'x' }, ttlMs: 1 }))).rejects.toBeInstanceOf(SharedUnavailableError);
      expect(Date.now() - started).toBeLessThan(400);
      const load = vi.fn(async () => ({ value: { sub: 'fresh' }, ttlMs: 60_000 }));
      expect(await fallback.getOrLoad(key, load)).toEqual({ sub: 'fresh' });
      expect(await fallback.getOrLoad(key, load)).toEqual({ sub: 'fresh' });
      expect(load).toHaveBeenCalledTimes(2); // uncached while the tier is down
      await expect(a.shared.tryLock('x')).rejects.toBeInstanceOf(SharedUnavailableError);
    } finally {
      await server.start();
    }
    await waitFor(() => a.shared.backend.connected, 5000);
    // Redis restarted empty, and the front was dropped on reconnection: the IdP is asked again.
    const load = vi.fn(async () => ({ value: { sub: 'again' }, ttlMs: 60_000 }));
    expect(await cache.getOrLoad(key, load)).toEqual({ sub: 'again' });
    expect(load).toHaveBeenCalledTimes(1);
    expect(await a.shared.tryLock('y', 1000)).toBeDefined();
  });
});
