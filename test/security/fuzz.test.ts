/**
 * Property-based fuzzing of the request parsing an attacker controls, against the real app over
 * loopback HTTP: bearer extraction, returnTo (through a full sign-in), and the callback's query
 * and body. Every answer must be non-5xx, carry no stack trace and no off-site Location, and no
 * promise may be left rejected. The run counts are fixed and printed, so a report can quote them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../src/core/return-to.js';
import { requireToken } from '../../src/index.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { BASE_URL, buildApp } from '../helpers/sign-in.js';
import { rawRequest } from './raw-http.js';
import { staysOnOrigin } from './spellings.js';

/** Inputs per property and run; fixed so the total is known (printed at the end). */
export const RUNS = {
  returnToPure: 20_000,
  returnToSignIn: 300,
  bearer: 1_500,
  callbackQuery: 1_000,
  callbackBody: 1_000,
} as const;
// A new seed every run explores new inputs; FUZZ_SEED=<n> replays a reported one.
const SEED = process.env.FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED);

const STACK = /\n\s+at |\.ts:\d+|\.js:\d+|node_modules|\bError: /;
const base = new URL(BASE_URL);
let mock: MockEmpowerID;
let server: Server;
let origin: string;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
const tally: Record<string, number> = {};
const count = (name: string) => (tally[name] = (tally[name] ?? 0) + 1);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
  const app = buildApp(mock);
  app.get(
    '/api',
    requireToken({ server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret, allowQueryToken: true }),
    (_req: express.Request, res: express.Response) => res.json({ ok: true }),
  );
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await new Promise((resolve) => server.close(resolve));
  await mock.close();
  const total = Object.values(tally).reduce((a, b) => a + b, 0);
  console.log(
    `fuzz: ${total} inputs (${Object.entries(tally)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}), seed ${SEED}`,
  );
});

// Pieces that matter to URL parsers and browsers, mixed with arbitrary text.
const piece = fc.oneof(
  fc.constantFrom('/', '\\', '.', '..', '%2e', '%2E', '%2f', '%2F', '%5c', '%5C', '%252f', '//', '\t', '\n', '\r', '%09', '%0a', '%0d'),
  fc.constantFrom('@', ':', '?', '#', '&', '=', ';', 'evil.example', 'http:', 'https:', 'javascript:', '127.0.0.1:3000', ' ', '%20', '%00'),
  fc.constantFrom('\uff0f', '\uff3c', '\u2215', '\u2044', '\u3002', '\u200b', '\u0000', '\u00a0', '%ef%bc%8f', 'localhost', '[::1]'),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const urlish = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));
const returnTo = fc.oneof(
  urlish,
  urlish.map((s) => `/${s}`),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

function expectClean(status: number, location: string | undefined | null, body: string, allowIdP = false) {
  expect(status).toBeLessThan(500);
  expect(body).not.toMatch(STACK);
  if (location) {
    expect(location).not.toMatch(/[\r\n]/);
    const onIdP = allowIdP && location.startsWith(`${mock.url}/`);
    expect(onIdP || staysOnOrigin(location)).toBe(true);
  }
}

describe('fuzz', { timeout: 90_000 }, () => {
  it(`returnTo, safeReturnTo itself: ${RUNS.returnToPure} inputs`, () => {
    fc.assert(
      fc.property(returnTo, (value) => {
        count('returnTo(pure)');
        const out = safeReturnTo(value, base);
        expect(out).toMatch(/^\/(?![/\\])/);
        expect(staysOnOrigin(out)).toBe(true);
        expect(safeReturnTo(out, base)).toBe(out);
      }),
      { numRuns: RUNS.returnToPure, seed: SEED },
    );
  });

  it(`returnTo through a full sign-in over HTTP: ${RUNS.returnToSignIn} inputs`, async () => {
    await fc.assert(
      fc.asyncProperty(returnTo, async (value) => {
        count('returnTo(sign-in)');
        const agent = request.agent(origin);
        const login = await agent.get(`/login?returnTo=${encodeURIComponent(value)}`);
        expectClean(login.status, login.headers.location, login.text, true);
        const authorizeUrl = new URL(login.headers.location as string);
        const idp = await fetch(authorizeUrl, { redirect: 'manual' });
        const callback = new URL(idp.headers.get('location') as string);
        const done = await agent.get(callback.pathname + callback.search);
        expect(done.status).toBe(302);
        expectClean(done.status, done.headers.location, done.text);
        expect(done.headers.location).toMatch(/^\/(?![/\\])/);
      }),
      { numRuns: RUNS.returnToSignIn, seed: SEED },
    );
  });

  const token = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc
      .array(
        fc.constantFrom(
          'Bearer',
          'bearer',
          'BEARER',
          ' ',
          '\t',
          ',',
          '=',
          'abc',
          'A-._~+/',
          '"',
          '\u00e9',
          '\u200b',
          '\uff41',
          'Basic',
          '',
        ),
        {
          maxLength: 8,
        },
      )
      .map((p) => p.join('')),
  );
  it(`bearer extraction over the wire: ${RUNS.bearer} inputs`, async () => {
    const port = Number(new URL(origin).port);
    await fc.assert(
      fc.asyncProperty(fc.array(token, { minLength: 0, maxLength: 3 }), fc.option(fc.string({ maxLength: 20 })), async (values, query) => {
        count('bearer');
        // CR and LF would start a new header line: strip them so each value stays one header.
        const head = [
          `GET /api${query === null ? '' : `?access_token=${encodeURIComponent(query)}`} HTTP/1.1`,
          'Accept: application/json',
          ...values.map((v) => `Authorization: ${v.replace(/[\r\n]/g, '')}`),
        ];
        const res = await rawRequest(port, head);
        expectClean(res.status, res.headers.location?.[0], res.body);
        if (values.length > 1) expect(res.status).toBe(400);
        if (res.status === 200) expect(values.length + (query === null ? 0 : 1)).toBe(1);
      }),
      { numRuns: RUNS.bearer, seed: SEED },
    );
  });

  const param = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 30 }),
    urlish,
    fc.constantFrom('', 'access_denied', 'login_required', 'none'),
  );
  const name = fc.constantFrom(
    'code',
    'state',
    'error',
    'error_description',
    'id_token',
    'iss',
    'session_state',
    'code[]',
    'state[x]',
    '__proto__',
    'constructor',
  );
  const params = fc.array(fc.tuple(name, param), { maxLength: 6 });
  const encode = (pairs: [string, string][], realState: string | undefined) => {
    const q = new URLSearchParams(pairs);
    if (realState !== undefined && !q.has('state')) q.set('state', realState);
    return q.toString();
  };

  it(`callback query parsing: ${RUNS.callbackQuery} inputs`, async () => {
    await fc.assert(
      fc.asyncProperty(params, fc.boolean(), async (pairs, withLogin) => {
        count('callback(query)');
        const agent = request.agent(origin);
        let state: string | undefined;
        if (withLogin) state = new URL((await agent.get('/login')).headers.location as string).searchParams.get('state') as string;
        const res = await agent.get(`/callback?${encode(pairs, state)}`);
        expectClean(res.status, res.headers.location, res.text);
        if (res.status === 302) expect(res.headers.location).toMatch(/^\/(?![/\\])/);
      }),
      { numRuns: RUNS.callbackQuery, seed: SEED },
    );
  });

  const contentType = fc.constantFrom(
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=utf-8',
    'application/x-www-form-urlencoded; charset=latin1',
    'application/x-www-form-urlencoded; charset=utf-16',
    'application/json',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded; charset="',
    '',
    '; ; ;',
  );
  it(`callback body parsing: ${RUNS.callbackBody} inputs`, async () => {
    await fc.assert(
      fc.asyncProperty(
        params,
        contentType,
        fc.oneof(fc.constant(undefined), fc.string({ unit: 'binary', maxLength: 80 })),
        async (pairs, type, raw) => {
          count('callback(body)');
          const agent = request.agent(origin);
          let req = agent.post('/callback');
          if (type) req = req.set('Content-Type', type);
          const res = await req.send(raw ?? encode(pairs, undefined));
          expectClean(res.status, res.headers.location, res.text);
          expect(res.headers['cache-control']).toBe('no-store');
        },
      ),
      { numRuns: RUNS.callbackBody, seed: SEED },
    );
  });

  it('left no unhandled rejection behind', () => {
    expect(unhandled).toEqual([]);
  });
});
