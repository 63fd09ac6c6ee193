import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

// The package as a consumer gets it: `npm pack` (after pretest's build), installed with npm into
// scratch projects on Express 4 and Express 5, used from ESM `import` and CommonJS `require` (a
// real sign-in against the packaged mock), and type-checked with TypeScript's node16 and bundler
// resolution. Installs come from npm's cache when it has the versions (CI: from the registry).

let scratch: string;
let tarball: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'empowerid-consumer-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: ROOT });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  if (!packed) throw new Error('npm pack printed nothing');
  tarball = join(scratch, packed.filename);
  packedFiles = packed.files.map((f) => f.path);
}, 120_000);
afterAll(() => (scratch ? rm(scratch, { recursive: true, force: true }) : undefined));

let packedFiles: string[] = [];

describe('the packed tarball', () => {
  it('ships LICENSE, README and dist, and no sources or tests', () => {
    expect(packedFiles).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']));
    expect(packedFiles.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });

  // attw's cjs-resolves-to-esm is the one rule ignored: the package is ESM-only on purpose, and
  // Node ≥ 20.19 (engines) loads it with require() — which the smoke test below proves.
  it('passes publint --strict and @arethetypeswrong/cli', async () => {
    const publint = await run(process.execPath, [join(ROOT, 'node_modules/publint/src/cli.js'), '--strict', tarball], { cwd: ROOT });
    expect(publint.stdout).toMatch(/All good/);
    const attw = await run(
      process.execPath,
      [
        join(ROOT, 'node_modules/@arethetypeswrong/cli/dist/index.js'),
        tarball,
        '--ignore-rules',
        'cjs-resolves-to-esm',
        '--format',
        'json',
      ],
      { cwd: ROOT },
    ).catch((err: { stdout: string }) => err);
    const report = JSON.parse(attw.stdout) as { analysis: { problems: unknown[] } };
    expect(report.analysis.problems.filter((p) => (p as { kind: string }).kind !== 'CJSResolvesToESM')).toEqual([]);
  }, 60_000);
});

const EXPRESS = {
  4: { express: 'express@^4.22.3', types: '@types/express@^4.17.25' },
  5: { express: 'express@^5.3.0', types: '@types/express@^5.0.6' },
} as const;

// One sign-in, written once, as ESM and as CommonJS: mock IdP from empowerid-express/testing,
// app on a random port, the browser's three hops by hand.
const signInScript = (header: string) => `${header}
(async () => {
  const app = express();
  app.use(session({ secret: 'consumer', resave: false, saveUninitialized: false, cookie: { sameSite: 'lax' } }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = 'http://127.0.0.1:' + server.address().port;
  const mock = await startMockEmpowerID({ autoLogin: 'alice', clients: [{ ...DEFAULT_CLIENT, redirectUris: [base + '/callback'] }] });
  app.use(empowerid({ server: mock.url, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret, baseURL: base }));
  app.get('/me', requiresAuth(), (req, res) => res.json({ sub: req.empowerid.user.sub }));
  const cookieOf = (res) => (res.headers.getSetCookie()[0] || '').split(';')[0];
  const login = await fetch(base + '/login', { redirect: 'manual' });
  const authorized = await fetch(login.headers.get('location'), { redirect: 'manual' });
  const callback = await fetch(authorized.headers.get('location'), { redirect: 'manual', headers: { cookie: cookieOf(login) } });
  const me = await fetch(base + '/me', { headers: { cookie: cookieOf(callback), accept: 'application/json' } });
  console.log(me.status, (await me.json()).sub, typeof EmpowerIDError);
  server.close();
  await mock.close();
})().catch((err) => { console.error(err); process.exit(1); });
`;

const ESM_HEADER = `import express from 'express';
import session from 'express-session';
import { empowerid, requiresAuth, EmpowerIDError } from 'empowerid-express';
import { startMockEmpowerID, DEFAULT_CLIENT } from 'empowerid-express/testing';`;

const CJS_HEADER = `const express = require('express');
const session = require('express-session');
const { empowerid, requiresAuth, EmpowerIDError } = require('empowerid-express');
const { startMockEmpowerID, DEFAULT_CLIENT } = require('empowerid-express/testing');`;

const TS_CONFIGS = {
  node16: { module: 'node16', moduleResolution: 'node16' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
} as const;

describe.each([4, 5] as const)('a consumer project on Express %i', (major) => {
  let dir: string;
  beforeAll(async () => {
    dir = join(scratch, `express${major}`);
    await mkdir(dir, { recursive: true });
    await cp(join(ROOT, 'test/fixtures/consumer/app.ts'), join(dir, 'app.ts'));
    // An ES-module project; cjs.cjs is CommonJS by its extension.
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: `consumer-express${major}`, private: true, type: 'module' }));
    await run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--no-package-lock',
        tarball,
        EXPRESS[major].express,
        'express-session@^1.19.0',
        EXPRESS[major].types,
        '@types/express-session@^1.19.0',
        '@types/node@^20.19.43',
        // The scale-out contract of the fixture: node-redis v5 and connect-redis, as a user installs them.
        'redis@^5.12.1',
        'connect-redis@^10.0.0',
      ],
      { cwd: dir },
    );
    await writeFile(join(dir, 'esm.mjs'), signInScript(ESM_HEADER));
    await writeFile(join(dir, 'cjs.cjs'), signInScript(CJS_HEADER));
  }, 240_000);

  it(`installs Express ${major}`, async () => {
    const pkg = JSON.parse(await readFile(join(dir, 'node_modules/express/package.json'), 'utf8')) as { version: string };
    expect(pkg.version.split('.')[0]).toBe(String(major));
  });

  it.each([
    ['ESM import', 'esm.mjs'],
    ['CommonJS require', 'cjs.cjs'],
  ])(
    'signs in through the package from %s',
    async (_label, file) => {
      const { stdout } = await run(process.execPath, [file], { cwd: dir });
      expect(stdout.trim()).toBe('200 alice function');
    },
    30_000,
  );

  it.each(Object.keys(TS_CONFIGS) as (keyof typeof TS_CONFIGS)[])(
    'type-checks with TypeScript moduleResolution %s',
    async (name) => {
      const config = {
        compilerOptions: { target: 'ES2022', ...TS_CONFIGS[name], strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
        files: ['app.ts'],
      };
      await writeFile(join(dir, `tsconfig.${name}.json`), JSON.stringify(config));
      const tsc = await run(process.execPath, [TSC, '-p', `tsconfig.${name}.json`], { cwd: dir }).catch((err: { stdout: string }) => err);
      expect(tsc.stdout).toBe('');
    },
    60_000,
  );
});
