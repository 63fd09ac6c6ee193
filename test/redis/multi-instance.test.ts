import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { type RedisServer, freePort, hasRedis, startRedis } from '../helpers/redis.js';
import { authorize, sessionCookie } from '../helpers/sign-in.js';

// Two app processes on different ports, one real redis-server, one IdP (the mock): what a
// deployment behind a load balancer does to the library.

const APP = fileURLToPath(new URL('../fixtures/multi-instance/app.mjs', import.meta.url));
const SECRET = 'the deployment secret, 32 characters or more';
const ACCESS_TOKEN_TTL = 8; // seconds: renewal starts at half of it
// An API-only service of the same IdP, with a registration of its own.
const API_CLIENT = { clientId: 'orders-api', clientSecret: 'orders-api-secret', redirectUris: ['http://127.0.0.1:4000/callback'] };

interface Instance {
  url: string;
  port: number;
  stop(): Promise<void>;
}

async function startApp(port: number, env: Record<string, string>): Promise<Instance> {
  const child: ChildProcess = spawn(process.execPath, [APP], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app ${port} did not start: ${output}`)), 15_000);
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes(`listening ${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app ${port} exited ${code}: ${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

describe.runIf(hasRedis('test/redis/multi-instance.test.ts'))('two instances on one Redis', () => {
  let redis: RedisServer;
  let mock: MockEmpowerID;
  let env: Record<string, string>;
  let a: Instance;
  let b: Instance;
  let c: Instance;
  let cookie: string;
  let signedInAt: number;

  beforeAll(async () => {
    [redis, mock] = await Promise.all([
      startRedis(),
      startMockEmpowerID({ autoLogin: 'alice', accessTokenTTL: ACCESS_TOKEN_TTL, clients: [DEFAULT_CLIENT, API_CLIENT] }),
    ]);
    env = {
      REDIS_URL: redis.url,
      IDP_URL: mock.url,
      TOKEN_SECRET: SECRET,
      CLIENT_ID: DEFAULT_CLIENT.clientId,
      CLIENT_SECRET: DEFAULT_CLIENT.clientSecret,
      API_CLIENT_ID: API_CLIENT.clientId,
      API_CLIENT_SECRET: API_CLIENT.clientSecret,
    };
    const [portA, portB, portC] = [await freePort(), await freePort(), await freePort()];
    [a, b, c] = await Promise.all([startApp(portA, env), startApp(portB, env), startApp(portC, { ...env, ROLE: 'api' })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    await redis?.stop();
    await mock?.close();
  });

  const me = (instance: Instance) => request(instance.url).get('/me').set('Cookie', cookie).set('Accept', 'application/json');
  const api = (instance: Instance, token: string, path = '/api') => request(instance.url).get(path).set('Authorization', `Bearer ${token}`);
  /** A sign-in through `instance` of its own: the session cookie and the callback answer. */
  const pendingCallback = async (instance: Instance, returnTo = '/me') => {
    const login = await request(instance.url)
      .get(`/login?returnTo=${encodeURIComponent(returnTo)}`)
      .expect(302);
    const started = sessionCookie(login) as string;
    const callback = await authorize(new URL(login.headers.location as string));
    return { cookie: started, url: callback.pathname + callback.search };
  };

  it('a sign-in through A is a session on B', async () => {
    const agent = request.agent(a.url);
    const login = await agent.get('/login').expect(302);
    const callback = await authorize(new URL(login.headers.location as string));
    const done = await agent.get(callback.pathname + callback.search).expect(302);
    signedInAt = Date.now();
    cookie = sessionCookie(done) as string;
    expect(cookie).toBeDefined();
    const onB = await me(b).expect(200);
    expect(onB.body.user.sub).toBe('alice');
    expect(onB.body.instance).toBe(String(b.port));
  });

  it('20 concurrent requests split over A and B with an expiring token: one refresh at the IdP, every request succeeds', async () => {
    const before = (await me(a).expect(200)).body.accessToken as string;
    // Renewal starts halfway through the token's life.
    await new Promise((r) => setTimeout(r, Math.max(0, signedInAt + (ACCESS_TOKEN_TTL / 2) * 1000 + 300 - Date.now())));
    mock.resetCounts();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => me(i % 2 ? b : a)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(mock.counts['token:refresh_token']).toBe(1);
    const tokens = new Set(results.map((r) => r.body.accessToken));
    expect(tokens.size).toBe(1);
    expect(tokens.has(before)).toBe(false);
    // The session store ended with the rotated refresh token: an explicit refresh spends it
    // (a second call at the IdP, accepted), rather than replaying the old one.
    const refreshed = await request(b.url).post('/refresh').set('Cookie', cookie).set('Accept', 'application/json');
    expect(refreshed.status).toBe(200);
    expect(mock.counts['token:refresh_token']).toBe(2);
    await me(a).expect(200);
  });

  it('restarting A keeps the session', async () => {
    await a.stop();
    a = await startApp(a.port, env);
    const onA = await me(a).expect(200);
    expect(onA.body.user.sub).toBe('alice');
  });

  it('logout through A: B’s requireToken() rejects the access token within one second', async () => {
    const token = (await me(b).expect(200)).body.accessToken as string;
    await api(b, token).expect(200); // now in B's in-process cache
    await api(b, token).expect(200);
    await request(a.url).get('/logout').set('Cookie', cookie).set('Sec-Fetch-Site', 'same-origin').expect(302);
    const loggedOut = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - loggedOut < 1000) status = (await api(b, token)).status;
    expect(status).toBe(401);
    const elapsed = Date.now() - loggedOut;
    expect(elapsed).toBeLessThan(1000);
    console.log(`B refused the logged-out token ${elapsed} ms after the logout on A`);
    await me(b).expect(401);
  });

  it('logout through A reaches every guard of the IdP on every instance: own-settings guards on A and B, an API-only service of another client', async () => {
    const agent = request.agent(a.url);
    const login = await agent.get('/login').expect(302);
    const callback = await authorize(new URL(login.headers.location as string));
    const session = sessionCookie(await agent.get(callback.pathname + callback.search).expect(302)) as string;
    const token = (await request(a.url).get('/me').set('Cookie', session).expect(200)).body.accessToken as string;
    const guards: Array<[string, Instance, string]> = [
      ['A /api-own', a, '/api-own'],
      ['B /api-own', b, '/api-own'],
      ['B /api', b, '/api'],
      ['C /orders (API-only, client orders-api)', c, '/orders'],
    ];
    for (const [, instance, path] of guards) {
      await api(instance, token, path).expect(200);
      await api(instance, token, path).expect(200); // now in that guard's in-process cache
    }
    await request(a.url).post('/logout').set('Cookie', session).set('Origin', 'http://127.0.0.1:3000').expect(302);
    const loggedOut = Date.now();
    const accepted = new Set(guards.map(([name]) => name));
    while (accepted.size && Date.now() - loggedOut < 1000) {
      for (const [name, instance, path] of guards)
        if (accepted.has(name) && (await api(instance, token, path)).status === 401) accepted.delete(name);
    }
    expect([...accepted]).toEqual([]);
    console.log(`every guard refused the logged-out token ${Date.now() - loggedOut} ms after the logout on A`);
  });

  describe('the same callback sent to A and B at once', () => {
    for (const round of [1, 2, 3]) {
      it(`round ${round}: one code exchange; both answers redirect to returnTo with the same signed-in session`, async () => {
        const pending = await pendingCallback(a);
        mock.resetCounts();
        const send = (instance: Instance) =>
          request(instance.url).get(pending.url).set('Cookie', pending.cookie).set('Accept', 'application/json');
        const [ra, rb] = await Promise.all([send(a), send(b)]);
        expect(mock.counts['token:authorization_code']).toBe(1);
        expect([ra.status, rb.status]).toEqual([302, 302]);
        expect([ra.headers.location, rb.headers.location]).toEqual(['/me', '/me']);
        const [ca, cb] = [sessionCookie(ra), sessionCookie(rb)];
        expect(ca).toBeDefined();
        expect(cb).toBe(ca);
        // The sign-in was not burnt by a second use of the code: its access token is still good.
        const signedIn = await request(b.url)
          .get('/me')
          .set('Cookie', ca as string)
          .set('Accept', 'application/json')
          .expect(200);
        expect(signedIn.body.user.sub).toBe('alice');
        await api(a, signedIn.body.accessToken).expect(200);
      });
    }

    it('a duplicate arriving after the first completed on the other instance gets the in-process answer: a clean 400, the sign-in intact', async () => {
      // As in one process: the pre-login session is gone (regenerated), so nothing is in progress
      // for that cookie any more; the code is not exchanged a second time.
      const pending = await pendingCallback(a);
      mock.resetCounts();
      const first = await request(a.url).get(pending.url).set('Cookie', pending.cookie).expect(302);
      const late = await request(b.url).get(pending.url).set('Cookie', pending.cookie).set('Accept', 'application/json');
      expect(late.status).toBe(400);
      expect(late.body.code).toBe('ERR_CALLBACK_NO_TRANSACTION');
      expect(mock.counts['token:authorization_code']).toBe(1);
      const signedIn = await request(b.url)
        .get('/me')
        .set('Cookie', sessionCookie(first) as string)
        .expect(200);
      await api(b, signedIn.body.accessToken).expect(200);
    });

    it('another browser sending the same callback to the other instance does not get the sign-in', async () => {
      const victim = await pendingCallback(a);
      const attacker = await pendingCallback(b); // a session of its own, with a login of its own
      const [v, x] = await Promise.all([
        request(a.url).get(victim.url).set('Cookie', victim.cookie),
        request(b.url).get(victim.url).set('Cookie', attacker.cookie).set('Accept', 'application/json'),
      ]);
      expect(v.status).toBe(302);
      expect(x.status).toBe(400);
      expect(sessionCookie(x)).not.toBe(sessionCookie(v));
    });
  });

  it('Redis killed mid-run: 503 with Retry-After, then recovery without restarting the apps', async () => {
    const token = await mock.issueAccessToken({ username: 'alice', clientId: DEFAULT_CLIENT.clientId });
    await api(a, token).expect(200);
    await redis.kill();
    try {
      for (const instance of [a, b]) {
        const res = await api(instance, token);
        expect(res.status).toBe(503);
        expect(res.body.code).toBe('ERR_SHARED_UNAVAILABLE');
        expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
      const login = await request(a.url).get('/login').set('Accept', 'application/json');
      expect(login.status).toBe(503);
      expect(Number(login.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      await redis.start();
    }
    const back = Date.now();
    // Each instance reconnects on its own (client and subscriber): poll each until it answers, with
    // nothing but 503s before, within 5 s of redis-server's return.
    const recovered = async (send: () => Promise<request.Response>, ok: number) => {
      const statuses: number[] = [];
      for (;;) {
        const res = await send();
        statuses.push(res.status);
        if (res.status === ok) return statuses.length;
        expect(res.status).toBe(503);
        expect(Date.now() - back).toBeLessThan(5000);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const requests = [
      await recovered(() => api(b, token), 200),
      await recovered(() => api(a, token), 200),
      await recovered(() => request(a.url).get('/login'), 302),
    ];
    console.log(`recovered ${Date.now() - back} ms after redis-server was back (B, A, A's /login: ${requests.join(', ')} request(s))`);
  });
});
