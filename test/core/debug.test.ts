import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import createDebug from 'debug';
import request from 'supertest';
import ts from 'typescript';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import { createClient, requireToken } from '../../src/index.js';
import { type MockEmpowerID, startMockEmpowerID, DEFAULT_CLIENT } from '../../src/testing/index.js';
import { buildApp, signIn } from '../helpers/sign-in.js';

// The library logs through the `debug` package, like Express and express-session, so
// `DEBUG=empowerid-express:*` switches it on. Captured here through debug's own output hook.

let mock: MockEmpowerID;
const lines: string[] = [];
const previousLog = createDebug.log;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
  createDebug.enable('empowerid-express:*');
  createDebug.log = (...args: unknown[]) => lines.push(format(...args));
});
afterAll(async () => {
  createDebug.disable();
  createDebug.log = previousLog;
  await mock.close();
});

describe('debug lines (DEBUG=empowerid-express:*)', () => {
  it('name each decision of a sign-in and of a guard, under empowerid-express:<scope>, and never a token or secret', async () => {
    const agent = request.agent(buildApp(mock));
    const done = await signIn(agent);
    expect(done.status).toBe(302);
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    const api = express();
    api.get(
      '/api',
      requireToken({ server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret }),
      (_q, r) => r.send('ok'),
    );
    await request(api).get('/api').set('Authorization', `Bearer ${me.body.accessToken}`).expect(200);
    await request(api).get('/api').set('Authorization', `Bearer ${me.body.accessToken}`).expect(200);
    await request(api).get('/api').set('Authorization', 'Bearer unknown-token').expect(401);

    const text = lines.join('\n');
    for (const [scope, decision] of [
      ['endpoints', /discovered issuer=EmpowerID/],
      ['client', /login: response_type=code/],
      ['callback', /signed in sub=alice/],
      ['require-token', /cache miss/],
      ['require-token', /cache hit/],
      ['require-token', /rejected: ERR_BEARER_INVALID_TOKEN/],
    ] as const) {
      expect(
        lines.some((l) => l.includes(`empowerid-express:${scope}`) && decision.test(l)),
        `${scope} ${decision}`,
      ).toBe(true);
    }
    expect(text).not.toContain(me.body.accessToken);
    expect(text).not.toContain(DEFAULT_CLIENT.clientSecret);
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it('a failed callback says why', async () => {
    lines.length = 0;
    const agent = request.agent(buildApp(mock));
    await agent.get('/callback?state=nobody-started-this&code=x').set('Accept', 'application/json').expect(400);
    expect(lines.some((l) => l.includes('empowerid-express:callback') && /callback failed: ERR_CALLBACK_NO_TRANSACTION/.test(l))).toBe(
      true,
    );
  });
});

/** The app's clock, moved forward by the test instead of sleeping. */
function testClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (seconds: number) => (offset += seconds * 1000) };
}

/** A fetch that records every token the IdP hands out, so the test can look for them in the log. */
function recordingFetch(issued: Set<string>): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const type = res.headers.get('content-type') ?? '';
    if (type.includes('json')) {
      const body = (await res.clone().json()) as Record<string, unknown>;
      for (const k of ['access_token', 'refresh_token', 'id_token']) if (typeof body[k] === 'string') issued.add(body[k] as string);
    }
    return res;
  };
}

const line = (scope: string, decision: RegExp) => lines.some((l) => l.includes(`empowerid-express:${scope}`) && decision.test(l));

/** No token the IdP issued, no client secret and no JWT in any line captured so far. */
function expectNoCredentials(issued: Set<string>): void {
  const text = lines.join('\n');
  expect(issued.size).toBeGreaterThan(0);
  for (const token of issued) expect(text).not.toContain(token);
  expect(text).not.toContain(DEFAULT_CLIENT.clientSecret);
  expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
}

describe('debug lines of refresh and IdP errors', () => {
  afterEach(() => mock.setOutage(false));

  it('a silent refresh: "refreshing" (refresh) and "tokens renewed" (context)', async () => {
    const issued = new Set<string>();
    const clock = testClock();
    const agent = request.agent(buildApp(mock, { clock: clock.now, fetch: recordingFetch(issued) }));
    await signIn(agent);
    lines.length = 0;
    clock.advance(3600);
    await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(line('refresh', /^.*refreshing/), lines.join('\n')).toBe(true);
    expect(line('context', /tokens renewed/), lines.join('\n')).toBe(true);
    expectNoCredentials(issued);
  });

  it('a refused refresh: the IdP error at the token endpoint (idp) and the sign-in ended (context)', async () => {
    const issued = new Set<string>();
    const clock = testClock();
    const agent = request.agent(buildApp(mock, { clock: clock.now, fetch: recordingFetch(issued) }));
    await signIn(agent);
    mock.revokeAllFor('alice');
    lines.length = 0;
    clock.advance(3600);
    await agent.get('/me').set('Accept', 'application/json').expect(401);
    expect(line('idp', /the token endpoint: ERR_OAUTH_ERROR .*invalid_grant/), lines.join('\n')).toBe(true);
    expect(line('context', /refresh refused \(invalid_grant\); ending the sign-in/), lines.join('\n')).toBe(true);
    expectNoCredentials(issued);
  });

  it('an IdP answering 503 during a refresh: the IdP error (idp) and the request going on (context)', async () => {
    const issued = new Set<string>();
    const clock = testClock();
    const agent = request.agent(buildApp(mock, { clock: clock.now, fetch: recordingFetch(issued) }));
    await signIn(agent);
    mock.setOutage('down');
    lines.length = 0;
    clock.advance(3600);
    await agent.get('/me').set('Accept', 'application/json');
    expect(line('idp', /the token endpoint: ERR_IDP_UNAVAILABLE .*503/), lines.join('\n')).toBe(true);
    expect(line('context', /refresh failed \(.*\); continuing with the current token/), lines.join('\n')).toBe(true);
    expectNoCredentials(issued);
  });

  it('an unreachable IdP: the transport failure (idp), without the client secret', async () => {
    const client = createClient({
      server: 'http://127.0.0.1:1',
      clientId: DEFAULT_CLIENT.clientId,
      clientSecret: DEFAULT_CLIENT.clientSecret,
      discovery: false,
      issuer: 'EmpowerID',
      endpoints: { jwks: 'http://127.0.0.1:1/jwks' },
    });
    lines.length = 0;
    await expect(client.clientCredentials()).rejects.toMatchObject({ code: 'ERR_IDP_UNAVAILABLE' });
    expect(line('idp', /the token endpoint: ERR_IDP_UNAVAILABLE .*ECONNREFUSED/), lines.join('\n')).toBe(true);
    expect(lines.join('\n')).not.toContain(DEFAULT_CLIENT.clientSecret);
  });
});

// The environment switches are read when a process starts (util.debuglog reads NODE_DEBUG at
// bootstrap, `debug` reads DEBUG on load), so they are tested in a child process running
// src/core/debug.ts itself (type-stripped by TypeScript, its `debug` import pointed at node_modules).
describe('switched on from the environment', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'empowerid-debug-'));
    const source = readFileSync(new URL('../../src/core/debug.ts', import.meta.url), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    const debugPackage = pathToFileURL(createRequire(import.meta.url).resolve('debug')).href;
    writeFileSync(join(dir, 'debug.mjs'), js.replace(/from ['"]debug['"]/, `from ${JSON.stringify(debugPackage)}`));
    writeFileSync(
      join(dir, 'probe.mjs'),
      `import { debug } from './debug.mjs';
debug('refresh')('refreshing');
debug('idp')('the token endpoint: %s (%s)', 'ERR_OAUTH_ERROR', 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl');
debug('context')('token %s', 'Qm9yaXMgdGhlIGFjY2VzcyB0b2tlbiBvZiBhbGljZSAxMjM0NTY3ODkw');
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(env: Record<string, string>): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [join(dir, 'probe.mjs')],
        { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 15_000 },
        (err, _out, stderr) => (err ? reject(err) : resolve(stderr)),
      );
    });
  }

  it('NODE_DEBUG=empowerid writes each line to stderr as EMPOWERID <pid>: [scope] …, credentials redacted', async () => {
    const out = await run({ NODE_DEBUG: 'empowerid' });
    expect(out).toMatch(/^EMPOWERID \d+: \[refresh\] refreshing$/m);
    expect(out).toMatch(/^EMPOWERID \d+: \[idp\] the token endpoint: ERR_OAUTH_ERROR \(\[redacted\]\)$/m);
    expect(out).toMatch(/^EMPOWERID \d+: \[context\] token \[redacted\]$/m);
    expect(out).not.toMatch(/eyJ|Qm9yaXM/);
  });

  it('DEBUG=empowerid-express:* writes them under empowerid-express:<scope>, credentials redacted', async () => {
    const out = await run({ DEBUG: 'empowerid-express:*', DEBUG_COLORS: 'no' });
    expect(out).toMatch(/empowerid-express:refresh refreshing/);
    expect(out).toMatch(/empowerid-express:idp the token endpoint: ERR_OAUTH_ERROR \(\[redacted\]\)/);
    expect(out).not.toMatch(/eyJ|Qm9yaXM/);
  });

  it('writes nothing when neither is set', async () => {
    expect(await run({})).toBe('');
  });
});
