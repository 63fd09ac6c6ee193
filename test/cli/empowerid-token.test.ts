/**
 * The built `empowerid-token` as a user runs it: a child process against the mock over real HTTP.
 * The build runs once, only when dist/ is missing or older than a source file.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'dist/cli/empowerid-token.js');
const fixtures = join(root, 'test/fixtures/assertions');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 15_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

let mock: MockEmpowerID;
let env: Record<string, string>;

beforeAll(async () => {
  if (mtime(bin) < newestSource(join(root, 'src'))) {
    // tsc still emits when some other file has a type error; the check below is what matters.
    await new Promise<void>((resolve) => {
      execFile(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], () => resolve());
    });
  }
  expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  mock = await startMockEmpowerID({
    clients: [{ ...DEFAULT_CLIENT, certificate: readFileSync(join(fixtures, 'client.cert.pem'), 'utf8') }],
  });
  env = { EMPOWERID_SERVER: mock.url, EMPOWERID_CLIENT_ID: DEFAULT_CLIENT.clientId, EMPOWERID_CLIENT_SECRET: DEFAULT_CLIENT.clientSecret };
}, 60_000);
afterAll(() => mock?.close());

describe('empowerid-token (built, as a child process)', () => {
  it('prints the token set as JSON on stdout and exits 0', async () => {
    const { code, stdout, stderr } = await cli(['client-credentials', '--scope', 'openid', '--username', 'bob'], env);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const tokens = JSON.parse(stdout);
    expect(tokens).toMatchObject({ access_token: expect.any(String), id: '9b592c74-c014-4536-bfac-f706a4c8d89f', expires_in: 3600 });
    expect(tokens.claims.sub).toBe('bob');
    expect(stdout).not.toContain(DEFAULT_CLIENT.clientSecret);
  });

  it('signs the JWT bearer assertion from --key and --cert files, then introspects the token', async () => {
    const granted = await cli(
      ['jwt-bearer', '--key', join(fixtures, 'client.key.pem'), '--cert', join(fixtures, 'client.cert.pem'), '--scope', ''],
      env,
    );
    expect(granted.code).toBe(0);
    const { access_token } = JSON.parse(granted.stdout);
    const info = await cli(['introspect', '--token', access_token], env);
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ active: true, client_id: DEFAULT_CLIENT.clientId });
  });

  it('a bad client secret: one "error: <code>: <message>" line on stderr, exit 1, no secret printed', async () => {
    const { code, stdout, stderr } = await cli(['password', '--username', 'alice', '--client-secret', 'wr0ng-s3cret'], {
      ...env,
      EMPOWERID_PASSWORD: 'alice-password',
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('error: ERR_OAUTH_ERROR: the identity provider answered invalid_client: client authentication failed\n');
    expect(stderr).not.toMatch(/wr0ng-s3cret|alice-password/);
  });

  it('a wrong person password is invalid_grant, exit 1', async () => {
    const { code, stderr } = await cli(['password', '--username', 'alice', '--password', 'Not-Her-Password'], env);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error: ERR_OAUTH_ERROR: .*invalid_grant/);
    expect(stderr).not.toContain('Not-Her-Password');
  });

  it('a missing required flag is a usage error: exit 2 with the flag and its variable named', async () => {
    const { code, stdout, stderr } = await cli(['token-exchange'], env);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'error: ERR_USAGE: token-exchange needs --subject-token (or EMPOWERID_SUBJECT_TOKEN) (see empowerid-token --help)\n',
    );
  });

  it('--version prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `empowerid-token ${version}\n`, stderr: '' });
  });

  it('a mistyped flag is named in the CLI’s words, with the nearest flag', async () => {
    const { code, stderr } = await cli(['introspect', '--tokn', 'abc'], env);
    expect(code).toBe(2);
    expect(stderr).toBe('error: ERR_USAGE: unknown option --tokn (did you mean --token?) (see empowerid-token --help)\n');
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: empowerid-token <command> \[options\]/);
  });
});
