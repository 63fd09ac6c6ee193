import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ID, CLIENT_SECRET, ProviderBrowser, type TestProvider, signIn, startOidcProvider } from '../interop/harness.js';
import { type RedisServer, hasRedis, startRedis } from '../helpers/redis.js';
import { type AppInstance, type Redis, redisInstance } from '../helpers/redis-instances.js';

// Tokens at rest: after a sign-in, guarded API calls and refreshes through two instances, a reader
// of the whole Redis database (every key, every value, whatever its type) finds no access,
// refresh or ID token and no client secret in plaintext.

const SECRET = 'the deployment secret, 32 characters or more';
// oidc-provider issues a refresh token only for offline_access with prompt=consent.
const overrides = { scope: 'openid profile offline_access', authorizationParams: { prompt: 'consent' } };

/** Every key of the database and everything it holds, read per type, as one text per key. */
async function dump(redis: Redis): Promise<Map<string, string>> {
  const send = (...args: string[]) => redis.sendCommand(args);
  const reads: Record<string, (key: string) => string[]> = {
    string: (key) => ['GET', key],
    hash: (key) => ['HGETALL', key],
    set: (key) => ['SMEMBERS', key],
    list: (key) => ['LRANGE', key, '0', '-1'],
    zset: (key) => ['ZRANGE', key, '0', '-1', 'WITHSCORES'],
    stream: (key) => ['XRANGE', key, '-', '+'],
  };
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = (await send('SCAN', cursor, 'COUNT', '100')) as unknown as [string, string[]];
    for (const key of batch) keys.add(String(key));
    cursor = String(next);
  } while (cursor !== '0');
  const out = new Map<string, string>();
  for (const key of keys) {
    const type = String(await send('TYPE', key));
    const read = reads[type];
    if (!read) throw new Error(`key ${key} has type ${type}, which this dump cannot read`);
    out.set(key, `${type} ${JSON.stringify(await send(...read(key)))}`);
  }
  return out;
}

/**
 * The text, plus what every base64/base64url run in it decodes to (encoded is not encrypted), from
 * each of the four alignments a value embedded in a longer run can have.
 */
function readable(text: string): string {
  const runs = text.match(/[A-Za-z0-9+/_-]{16,}/g) ?? [];
  const decoded = runs.flatMap((run) => [0, 1, 2, 3].map((at) => Buffer.from(run.slice(at), 'base64url').toString('latin1')));
  return [text, ...decoded].join('\n');
}

describe.runIf(hasRedis('test/redis/at-rest.test.ts'))('a dump of the Redis database holds no usable secret', () => {
  let redis: RedisServer;
  let op: TestProvider;
  let a: AppInstance;
  let b: AppInstance;

  beforeAll(async () => {
    // Registered for back-channel logout (never called here), the provider puts `sid` in ID tokens.
    [redis, op] = await Promise.all([startRedis(), startOidcProvider({ backchannelLogoutUri: 'http://127.0.0.1:9/backchannel-logout' })]);
    a = await redisInstance(op, redis.url, SECRET, { overrides });
    b = await redisInstance(op, redis.url, SECRET, { overrides });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
    await op?.close();
  });

  it('the dump reads every type of value, decoded from base64 too', async () => {
    const marker = `control-${randomUUID()}`;
    const writes: string[][] = [
      ['SET', 'control:string', `x${Buffer.from(marker).toString('base64url')}x`],
      ['HSET', 'control:hash', 'f', marker],
      ['SADD', 'control:set', marker],
      ['RPUSH', 'control:list', marker],
      ['ZADD', 'control:zset', '1', marker],
      ['XADD', 'control:stream', '*', 'f', marker],
    ];
    for (const w of writes) await a.redis.sendCommand(w);
    try {
      const found = await dump(a.redis);
      for (const [, key] of writes) expect(readable(found.get(key as string) ?? ''), key).toContain(marker);
    } finally {
      await a.redis.sendCommand(['DEL', ...writes.map((w) => w[1] as string)]);
    }
  });

  it('after a sign-in, guarded calls and refreshes through A and B: no token and no client secret in plaintext', async () => {
    const issued: Record<string, unknown>[] = [];
    const took = () => issued.push({ ...op.lastTokenResponse });
    const agentA = request.agent(a.app);
    const { callback } = await signIn(agentA, new ProviderBrowser(op.issuer));
    took();
    const cookie = (callback.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
    const on = (instance: AppInstance) => ({
      me: () => request(instance.app).get('/me').set('Cookie', cookie).set('Accept', 'application/json'),
      refresh: () => request(instance.app).post('/refresh').set('Cookie', cookie).set('Accept', 'application/json'),
      api: (token: string) => request(instance.app).get('/api').set('Accept', 'application/json').auth(token, { type: 'bearer' }),
    });

    // Signed in through A, used on B; the guard of each instance verifies the access token.
    let accessToken = (await on(b).me().expect(200)).body.accessToken as string;
    await on(b).api(accessToken).expect(200);
    await on(a).api(accessToken).expect(200);
    // Refreshed through B, then through A; each new access token verified by both guards.
    for (const instance of [b, a]) {
      await on(instance).refresh().expect(200);
      took();
      accessToken = (
        await on(instance === a ? b : a)
          .me()
          .expect(200)
      ).body.accessToken as string;
      expect(accessToken).toBe(issued.at(-1)?.access_token);
      await on(a).api(accessToken).expect(200);
      await on(b).api(accessToken).expect(200);
    }
    // A refresh token presented as a bearer token is refused, and its (negative) answer cached.
    await on(b)
      .api(String(issued.at(-1)?.refresh_token))
      .expect(401);

    const tokens = issued.flatMap((set) => ['access_token', 'refresh_token', 'id_token'].map((name) => [name, set[name]] as const));
    expect(tokens.every(([, t]) => typeof t === 'string' && t.length > 20)).toBe(true);
    const needles: [string, string][] = tokens.map(([name, t]) => [name, t as string]);
    for (const [name, t] of tokens) {
      // An ID token's payload or signature on its own is as telling as the whole token.
      if (name === 'id_token')
        for (const [i, part] of (t as string).split('.').entries()) if (i > 0) needles.push([`id_token part ${i}`, part]);
    }
    needles.push(
      ['client secret', CLIENT_SECRET],
      ['client secret (URL-encoded)', encodeURIComponent(CLIENT_SECRET)],
      ['client secret (form-encoded)', new URLSearchParams({ s: CLIENT_SECRET }).toString().slice(2)],
      ['Basic credentials', Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')],
      ['token secret', SECRET],
    );

    const found = await dump(b.redis);
    // Everything the library and the session store keep is in the dump: sessions, both cache
    // tiers' entries, the refresh hand-over, the session index.
    const family = (key: string) =>
      key
        .split(':')
        .slice(0, key.startsWith('empowerid:session:') ? 3 : key.startsWith('empowerid:') ? 2 : 1)
        .join(':');
    const families = new Set([...found.keys()].map(family));
    expect([...families].sort()).toEqual(
      expect.arrayContaining([
        'empowerid:cache',
        'empowerid:refresh',
        'empowerid:session:sid',
        'empowerid:session:sub',
        'empowerid:session:tokens',
        'sess',
      ]),
    );
    const leaks: string[] = [];
    for (const [key, value] of found) {
      const text = readable(`${key}\n${value}`);
      for (const [name, needle] of needles) if (text.includes(needle)) leaks.push(`${name} in ${key}`);
    }
    expect(leaks).toEqual([]);
    console.log(`${found.size} keys read (${[...families].sort().join(', ')}); no token and no secret found`);
  });
});
