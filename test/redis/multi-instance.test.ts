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
  let cookie: string;
  let signedInAt: number;

  beforeAll(async () => {
    [redis, mock] = await Promise.all([startRedis(), startMockEmpowerID({ autoLogin: 'alice', accessTokenTTL: ACCESS_TOKEN_TTL })]);
    env = {
      REDIS_URL: redis.url,
      IDP_URL: mock.url,
      TOKEN_SECRET: SECRET,
      CLIENT_ID: DEFAULT_CLIENT.clientId,
      CLIENT_SECRET: DEFAULT_CLIENT.clientSecret,
    };
    const [portA, portB] = [await freePort(), await freePort()];
    [a, b] = await Promise.all([startApp(portA, env), startApp(portB, env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    await mock?.close();
  });

  const me = (instance: Instance) => request(instance.url).get('/me').set('Cookie', cookie).set('Accept', 'application/json');
  const api = (instance: Instance, token: string) => request(instance.url).get('/api').set('Authorization', `Bearer ${token}`);

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
