import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `npm start` as a new user runs it: the built example app with the embedded mock IdP. The test
// then signs in the way a browser does: follow redirects, fill in the IdP's login form, keep cookies.

let child: ChildProcess;
let base: string;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
  child = spawn(process.execPath, ['example-app/server.js'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example app did not start: ${output}`)), 15_000);
    child.stdout?.on('data', (d) => {
      output += d;
      if (output.includes('example app on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (d) => {
      output += d;
    });
    child.on('exit', (code) => reject(new Error(`example app exited ${code}: ${output}`)));
  });
}, 20_000);

afterAll(() => {
  child?.kill('SIGTERM');
});

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
      headers.set('accept', 'text/html');
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
  return { go };
}

describe('the example app against the embedded mock EmpowerID', () => {
  it('the login button completes a sign-in through the IdP login form, and logout ends it', async () => {
    const b = browser();
    const home = await b.go(`${base}/`);
    expect(home.res.status).toBe(200);
    const href = /id="login" href="([^"]+)"/.exec(home.body)?.[1];
    expect(href).toBeDefined();

    const form = await b.go(new URL(href as string, base).href);
    expect(form.body).toContain('Sign in');
    const action = /<form method="post" action="([^"]+)"/.exec(form.body)?.[1] as string;
    const fields = new URLSearchParams();
    for (const m of form.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
      fields.set(
        m[1] as string,
        (m[2] as string).replace(/&amp;/g, '&').replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))),
      );
    }
    const user = /Sign in as <code>([^<]+)<\/code> \/ <code>([^<]+)<\/code>/.exec(home.body);
    fields.set('username', user?.[1] as string);
    fields.set('password', user?.[2] as string);
    fields.set('action', 'login');

    const profile = await b.go(new URL(action.replace(/&amp;/g, '&'), form.url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fields.toString(),
    });
    expect(profile.url).toBe(`${base}/profile`);
    expect(profile.res.status).toBe(200);
    expect(profile.body).toContain('<span id="username">alice</span>');
    expect(profile.body).toContain('business_role_locations');

    const signedIn = await b.go(`${base}/`);
    expect(signedIn.body).toContain('id="logout"');

    // The page's logout button is a form POST; a browser sends its Origin with it.
    expect(signedIn.body).toContain('<form method="post" action="/logout"');
    const loggedOut = await b.go(`${base}/logout`, {
      method: 'POST',
      headers: { origin: base, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(loggedOut.url).toMatch(new RegExp(`^${base}/(\\?state=.+)?$`));
    expect(loggedOut.body).toContain('id="login"');
  });
});
