import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { empowerid, requiresAuth } from '../../src/index.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { BASE_URL, signIn } from '../helpers/sign-in.js';

// Tokens at rest: what the library writes into a session is sealed (jose dir + A256GCM), so a dump
// of any session store holds no usable token; the secret rotates through a list.

const OLD = 'an old secret of at least thirty-two characters';
const NEW = 'a new secret of at least thirty-two characters!';

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());

function app(store: session.Store, secret?: string | string[], env = 'test') {
  const a = express();
  a.set('env', env);
  a.use(session({ store, secret: 'cookie-secret', resave: false, saveUninitialized: false, cookie: { sameSite: 'lax' } }));
  a.use(
    empowerid({
      server: mock.url,
      clientId: DEFAULT_CLIENT.clientId,
      clientSecret: DEFAULT_CLIENT.clientSecret,
      baseURL: BASE_URL,
      ...(secret !== undefined && { secret }),
    }),
  );
  a.get('/me', requiresAuth(), (req, res) => res.json({ access: req.empowerid.accessToken?.value, id: req.empowerid.idToken }));
  return a;
}

function dump(store: session.MemoryStore): string {
  return JSON.stringify((store as unknown as { sessions: Record<string, string> }).sessions);
}

describe('tokens sealed at rest', () => {
  it('a dump of the session store holds none of the tokens, yet the app reads them', async () => {
    const store = new session.MemoryStore();
    const agent = request.agent(app(store, OLD));
    await signIn(agent);
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body.access).toMatch(/.{20,}/);
    const stored = dump(store);
    expect(stored).not.toContain(me.body.access);
    expect(stored).not.toContain(me.body.id);
    expect(stored).not.toMatch(/refresh_token|access_token/);
    // A refresh writes the rotated tokens sealed too.
    await agent.post('/refresh').expect(200);
    const after = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(after.body.access).not.toBe(me.body.access);
    expect(dump(store)).not.toContain(after.body.access);
  });

  it('rotation: sessions sealed under the old secret open with [new, old]; with [new] alone they are signed out', async () => {
    const store = new session.MemoryStore();
    const agent = request.agent(app(store, OLD));
    await signIn(agent);
    const cookie = agent.jar.getCookie('connect.sid', { domain: '127.0.0.1', path: '/', secure: false, script: false });
    expect(cookie).toBeDefined();
    const header = `connect.sid=${cookie?.value}`;
    await request(app(store, [NEW, OLD]))
      .get('/me')
      .set('Cookie', header)
      .set('Accept', 'application/json')
      .expect(200);
    await request(app(store, [NEW]))
      .get('/me')
      .set('Cookie', header)
      .set('Accept', 'application/json')
      .expect(401);
  });

  it('without a secret, an app in production warns once; with one, it does not', async () => {
    const warnings: Array<{ code?: string }> = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push({ code: w.code });
    process.on('warning', onWarning);
    try {
      const bare = app(new session.MemoryStore(), undefined, 'production');
      await request(bare).get('/me').set('Accept', 'application/json').expect(401);
      await request(bare).get('/me').set('Accept', 'application/json').expect(401);
      await request(app(new session.MemoryStore(), NEW, 'production'))
        .get('/me')
        .set('Accept', 'application/json')
        .expect(401);
      await request(app(new session.MemoryStore(), undefined, 'development'))
        .get('/me')
        .set('Accept', 'application/json')
        .expect(401);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.code === 'EMPOWERID_NO_SECRET')).toHaveLength(1);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a secret that is too short is refused at construction, naming the option', () => {
    expect(() => app(new session.MemoryStore(), 'short')).toThrow(/option "secret" must be a string of at least 32 characters/);
    expect(() => app(new session.MemoryStore(), [NEW, 'short'])).toThrow(/option "secret\[1\]"/);
  });
});
