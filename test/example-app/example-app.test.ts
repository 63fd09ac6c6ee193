import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';

// `npm start` as a new user runs it: the built example app with the embedded mock IdP. The tests
// sign in the way a browser does (follow redirects, fill in the IdP's form, keep cookies) and start
// it with bad settings the way people do by mistake.

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** Runs the example app until it says it is running, or exits; returns what it printed. */
function start(env: Record<string, string>): Promise<{ child: ChildProcess; output: string; code: number | null }> {
  const child = spawn(process.execPath, ['example-app/server.js'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example app did not start: ${output}`)), 15_000);
    const done = (code: number | null) => {
      clearTimeout(timer);
      resolve({ child, output, code });
    };
    child.stdout?.on('data', (d) => {
      output += d;
      if (output.includes('is running on')) done(null);
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    child.on('exit', (code) => done(code));
  });
}

let app: ChildProcess;
let base: string;
let banner: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
  const started = await start({ PORT: String(port) });
  if (started.code !== null) throw new Error(`example app exited ${started.code}: ${started.output}`);
  app = started.child;
  banner = started.output;
}, 20_000);

afterAll(() => {
  app?.kill('SIGTERM');
});

const decode = (s: string) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');

/** A tiny browser: a cookie jar per origin and manual redirects. */
function browser() {
  const jars = new Map<string, Map<string, string>>();
  async function go(url: string, init: RequestInit = {}): Promise<{ res: Response; url: string; body: string }> {
    let current = url;
    let options = init;
    for (let hops = 0; hops < 10; hops += 1) {
      const origin = new URL(current).origin;
      const jar = jars.get(origin) ?? new Map<string, string>();
      jars.set(origin, jar);
      const headers = new Headers(options.headers);
      if (!headers.has('accept')) headers.set('accept', 'text/html');
      if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
      const res = await fetch(current, { ...options, headers, redirect: 'manual' });
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const [k, v] = (pair as string).split('=');
        jar.set(k as string, v as string);
      }
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        current = new URL(location, current).href;
        options = {};
        continue;
      }
      return { res, url: current, body: await res.text() };
    }
    throw new Error('too many redirects');
  }

  /** Follows the home page's sign-in button through the IdP's form, as `username`. */
  async function signIn(username: string, password: string) {
    const home = await go(`${base}/`);
    const href = /id="login" href="([^"]+)"/.exec(home.body)?.[1];
    const form = await go(new URL(decode(href as string), base).href);
    const action = decode(/<form method="post" action="([^"]+)"/.exec(form.body)?.[1] as string);
    const fields = new URLSearchParams();
    for (const m of form.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.set(m[1]!, decode(m[2]!));
    fields.set('username', username);
    fields.set('password', password);
    fields.set('action', 'login');
    return go(new URL(action, form.url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fields.toString(),
    });
  }
  return { go, signIn };
}

describe('the example app against the embedded mock EmpowerID', () => {
  it('says plainly what runs where, before the library’s plain-http warning', () => {
    expect(banner).toMatch(new RegExp(`example app is running on ${base}`));
    expect(banner).toMatch(/Identity provider: the embedded mock EmpowerID on http:\/\/127\.0\.0\.1:\d+/);
    expect(banner).toContain('Sign in as alice / alice-password');
    const warning = banner.indexOf('EMPOWERID_INSECURE_HTTP');
    if (warning !== -1) expect(warning).toBeGreaterThan(banner.indexOf('is running on'));
  });

  it('the home page lists the demo users the mock knows and links to sign-in', async () => {
    const home = await browser().go(`${base}/`);
    expect(home.res.status).toBe(200);
    expect(home.body).toMatch(/<code class="username">alice<\/code><\/td>\s*<td><code class="password">alice-password<\/code>/);
    expect(home.body).toContain('<link rel="stylesheet" href="/static/style.css" />');
    const css = await fetch(`${base}/static/style.css`);
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
  });

  it('signs in through the IdP form and shows the profile as a person reads it', async () => {
    const b = browser();
    const profile = await b.signIn('alice', 'alice-password');
    expect(profile.url).toBe(`${base}/profile`);
    expect(profile.body).toContain('<p class="person-name" id="name">Alice Anderson</p>');
    expect(profile.body).toContain('<dd id="organization">Hosting Organization</dd>');
    expect(profile.body).toContain('<span class="role">IT Administrator</span> <span class="location">in Headquarters</span>');
    expect(profile.body).toMatch(/<details class="card raw">\s*<summary>Raw ID-token claims and userinfo answer<\/summary>/);
    expect(profile.res.headers.get('cache-control')).toBe('no-store');

    const tokens = await b.go(`${base}/tokens`);
    expect(tokens.body).toMatch(/data-expires-at="\d+"/);
    expect(tokens.body).toContain('<li>openid</li>');
    expect(decode(tokens.body)).toContain('"active": true');
  });

  it('the API answers a bearer token, refuses the missing role with 403, and needs a token', async () => {
    const b = browser();
    await b.signIn('bob', 'bob-password');
    const session = await b.go(`${base}/session/access-token`, { headers: { accept: 'application/json' } });
    expect(session.res.headers.get('cache-control')).toBe('no-store');
    const { accessToken } = JSON.parse(session.body) as { accessToken: string };

    const me = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ username: 'bob', organization: 'Hosting Organization' });
    const payroll = await fetch(`${base}/api/payroll`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(payroll.status).toBe(403);
    expect(payroll.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
    const none = await fetch(`${base}/api/me`);
    expect(none.status).toBe(401);
    const signedOut = await fetch(`${base}/session/access-token`, { headers: { accept: 'application/json' } });
    expect(signedOut.status).toBe(401);
  });

  it('a cancelled sign-in is a friendly page in the app’s layout with a way back', async () => {
    const b = browser();
    const home = await b.go(`${base}/`);
    const href = /id="login" href="([^"]+)"/.exec(home.body)?.[1];
    const form = await b.go(new URL(decode(href as string), base).href);
    const fields = new URLSearchParams();
    for (const m of form.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.set(m[1]!, decode(m[2]!));
    fields.set('action', 'deny');
    const action = decode(/<form method="post" action="([^"]+)"/.exec(form.body)?.[1] as string);
    const page = await b.go(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fields.toString(),
    });
    expect(page.res.status).toBe(403);
    expect(page.body).toContain('<h1 id="error-title">Sign-in cancelled</h1>');
    expect(page.body).toContain('href="/static/style.css"');
    expect(page.body).toContain('>Try again</a>');
  });

  it('a failed and an expired sign-in are friendly pages in the app’s layout with a way back', async () => {
    // A sign-in started here, whose answer never came from the IdP's form: the state is valid.
    const b = browser();
    const home = await b.go(`${base}/`);
    const form = await b.go(new URL(decode(/id="login" href="([^"]+)"/.exec(home.body)?.[1] as string), base).href);
    const state = new URL(form.url).searchParams.get('state') as string;
    expect(state).toBeTruthy();

    // The IdP refuses the code at its token endpoint (it was never issued): failed.
    const failed = await b.go(`${base}/callback?code=never-issued&state=${encodeURIComponent(state)}`);
    expect(failed.res.status).toBe(400);
    expect(failed.body).toContain('<h1 id="error-title">Sign-in failed</h1>');
    expect(failed.body).toContain('Something went wrong while signing you in. Please try again.');
    expect(failed.body).toContain('href="/static/style.css"');
    expect(failed.body).toMatch(/<a class="button primary" href="\/login[^"]*">Try again<\/a>/);
    expect(failed.body).toContain('>Back to the start page</a');

    // The same answer again, or one this browser never started: the transaction is gone (expired).
    for (const url of [`${base}/callback?code=x&state=${encodeURIComponent(state)}`, `${base}/callback?code=x&state=unknown`]) {
      const expired = await b.go(url);
      expect(expired.res.status).toBe(400);
      expect(expired.body).toContain('<h1 id="error-title">Sign-in expired</h1>');
      expect(expired.body).toContain('it took too long, was already used, or cookies are blocked');
      expect(expired.body).toContain('href="/static/style.css"');
      expect(expired.body).toContain('>Try again</a>');
    }
  });

  it('signs out with a same-origin form POST (local or global) and lands on "You are signed out"', async () => {
    for (const mode of ['local', 'global']) {
      const b = browser();
      await b.signIn('alice', 'alice-password');
      const choice = await b.go(`${base}/sign-out`);
      expect(choice.body).toContain('<form method="post" action="/logout"');
      expect(choice.body).toContain(`name="mode" value="${mode}"`);
      // A browser sends its Origin with a form POST.
      const out = await b.go(`${base}/logout`, {
        method: 'POST',
        headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' },
        body: `mode=${mode}`,
      });
      expect(out.url).toBe(`${base}/signed-out`);
      expect(out.body).toContain('You are signed out');
      const home = await b.go(`${base}/`);
      expect(home.body).toContain('id="login"');
    }
  });

  it('unknown pages are a styled 404; the IdP’s return to /signed-out drops its query', async () => {
    const missing = await browser().go(`${base}/nope`);
    expect(missing.res.status).toBe(404);
    expect(missing.body).toContain('Page not found');
    const landing = await fetch(`${base}/signed-out?state=abc`, { redirect: 'manual' });
    expect(landing.status).toBe(303);
    expect(landing.headers.get('location')).toBe('/signed-out');
    const page = await browser().go(`${base}/signed-out`);
    expect(page.body).toContain('You are signed out');
  });
});

describe('the example app when the IdP fails after sign-in', () => {
  let mock: MockEmpowerID;
  let child: ChildProcess;
  let appBase: string;

  beforeAll(async () => {
    const port = await freePort();
    appBase = `http://localhost:${port}`;
    mock = await startMockEmpowerID({
      autoLogin: 'alice',
      clients: [{ ...DEFAULT_CLIENT, redirectUris: [`${appBase}/callback`], postLogoutRedirectUris: [`${appBase}/signed-out`] }],
    });
    const started = await start({
      PORT: String(port),
      EMPOWERID_BASE_URL: appBase,
      EMPOWERID_SERVER: mock.url,
      EMPOWERID_CLIENT_ID: DEFAULT_CLIENT.clientId,
      EMPOWERID_CLIENT_SECRET: DEFAULT_CLIENT.clientSecret,
    });
    if (started.code !== null) throw new Error(`example app exited ${started.code}: ${started.output}`);
    child = started.child;
  }, 20_000);
  afterAll(async () => {
    child?.kill('SIGTERM');
    await mock?.close();
  });

  it('a profile that cannot be loaded is “could not load your profile” with a retry, not a sign-in failure', async () => {
    const b = browser();
    const signedIn = await b.go(`${appBase}/profile`);
    expect(signedIn.body).toContain('<p class="person-name" id="name">Alice Anderson</p>');

    mock.setOutage('down');
    const failed = await b.go(`${appBase}/profile`);
    mock.setOutage(false);
    expect(failed.res.status).toBe(502);
    expect(failed.res.headers.get('cache-control')).toBe('no-store');
    expect(failed.body).toContain('<h1 id="error-title">Could not load your profile</h1>');
    expect(failed.body).not.toMatch(/Sign-in (failed|unavailable)/);
    expect(failed.body).toContain('You are still signed in');
    expect(failed.body).toContain('<a class="button primary" href="/profile">Try again</a>');
    expect(failed.body).toContain('id="whoami">Alice Anderson<'); // the header still shows who is signed in

    const again = await b.go(`${appBase}/profile`);
    expect(again.res.status).toBe(200);
    expect(again.body).toContain('<p class="person-name" id="name">Alice Anderson</p>');
  });
});

describe('a request while the example app is still starting', () => {
  it('is answered 503 with Retry-After, not left hanging; then the app answers', async () => {
    // The port is taken first (so a busy port is reported before anything starts); the embedded
    // mock then generates its signing key. A preload makes that take 2 s, so the window is certain.
    const port = await freePort();
    const slowKeys = `const s = globalThis.crypto.subtle; const g = s.generateKey.bind(s);
      s.generateKey = async (...a) => { await new Promise((r) => setTimeout(r, 2000)); return g(...a); };`;
    const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(slowKeys)}`, 'example-app/server.js'], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    try {
      let early: Response | undefined;
      const deadline = Date.now() + 15_000;
      while (!early && !output.includes('is running on') && Date.now() < deadline) {
        early = await fetch(`http://localhost:${port}/`, { signal: AbortSignal.timeout(1500) }).catch((err: Error) => {
          if (err.name === 'TimeoutError') throw new Error('a request during start-up got no answer within 1.5 s');
          return undefined; // not listening yet
        });
        if (!early) await new Promise((r) => setTimeout(r, 25));
      }
      expect(output).not.toContain('is running on');
      expect(early?.status).toBe(503);
      expect(early?.headers.get('retry-after')).toBe('1');
      expect(await early?.text()).toContain('starting');
      while (!output.includes('is running on') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const ready = await fetch(`http://localhost:${port}/`, { signal: AbortSignal.timeout(5000) });
      expect(ready.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  }, 30_000);
});

describe('starting the example app with bad settings', () => {
  it('PORT=abc and a non-URL EMPOWERID_SERVER: each named, exit 1, nothing started', async () => {
    const r = await start({ PORT: 'abc', EMPOWERID_SERVER: 'eid.example.com', EMPOWERID_CLIENT_ID: 'x', EMPOWERID_CLIENT_SECRET: 'y' });
    expect(r.code).toBe(1);
    expect(r.output).toContain('PORT must be a port number from 1 to 65535 (got "abc")');
    expect(r.output).toContain('EMPOWERID_SERVER must be an absolute URL such as https://eid.example.com (got "eid.example.com")');
    expect(r.output).not.toContain('is running on');
  });

  it('EMPOWERID_SERVER without client credentials, and credentials without a server', async () => {
    const a = await start({ PORT: '3999', EMPOWERID_SERVER: 'https://eid.example.com' });
    expect(a.code).toBe(1);
    expect(a.output).toContain('EMPOWERID_CLIENT_ID is required with EMPOWERID_SERVER');
    expect(a.output).toContain('EMPOWERID_CLIENT_SECRET is required with EMPOWERID_SERVER');
    const b = await start({ PORT: '3999', EMPOWERID_CLIENT_ID: 'x' });
    expect(b.code).toBe(1);
    expect(b.output).toContain('EMPOWERID_CLIENT_ID is set but EMPOWERID_SERVER is not');
  });

  it('EMPOWERID_PROVIDER must be empowerid or oidc; a non-EmpowerID discovery URL needs it said', async () => {
    const creds = { PORT: '3999', EMPOWERID_CLIENT_ID: 'x', EMPOWERID_CLIENT_SECRET: 'y' };
    const a = await start({ ...creds, EMPOWERID_SERVER: 'https://login.example.com', EMPOWERID_PROVIDER: 'keycloak' });
    expect(a.code).toBe(1);
    expect(a.output).toContain('EMPOWERID_PROVIDER must be "empowerid" or "oidc" (a standard OpenID provider) (got "keycloak")');
    const b = await start({
      ...creds,
      EMPOWERID_SERVER: 'https://login.example.com',
      EMPOWERID_DISCOVERY_URL: 'https://login.example.com/.well-known/openid-configuration',
    });
    expect(b.code).toBe(1);
    expect(b.output).toContain('EMPOWERID_DISCOVERY_URL is not EmpowerID');
    expect(b.output).toContain('set EMPOWERID_PROVIDER=oidc for a standard OpenID provider');
    const c = await start({ PORT: '3999', EMPOWERID_PROVIDER: 'oidc' });
    expect(c.code).toBe(1);
    expect(c.output).toContain('EMPOWERID_PROVIDER is set but EMPOWERID_SERVER is not');
  });

  it('a port already in use is a clear error and exit, not a misleading "running" line', async () => {
    const port = new URL(base).port;
    const r = await start({ PORT: port });
    expect(r.code).toBe(1);
    expect(r.output).toContain(`Port ${port} is already in use`);
    expect(r.output).not.toContain('is running on');
  });

  it('.env.example lists every variable the app reads', async () => {
    const { readFile } = await import('node:fs/promises');
    const example = await readFile('example-app/.env.example', 'utf8');
    const config = await readFile('example-app/config.js', 'utf8');
    const read = [...config.matchAll(/(?:value|integer|url)\('([A-Z_]+)'/g)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(5);
    for (const name of new Set(read)) expect(example).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });
});
