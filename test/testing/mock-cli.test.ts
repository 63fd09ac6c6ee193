/**
 * `empowerid-mock` as a user starts it: the built bin as a child process, then the other CLI
 * pointed at the URL it printed.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MOCK_USAGE, parseMockArgs } from '../../src/testing/cli.js';
import { DEFAULT_CLIENT } from '../../src/testing/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const mockBin = join(root, 'dist/testing/empowerid-mock.js');
const tokenBin = join(root, 'dist/cli/empowerid-token.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}
const mtime = (path: string) => (existsSync(path) ? statSync(path).mtimeMs : 0);

beforeAll(async () => {
  // npm test builds first (pretest); a lone `vitest run` of this file builds here when dist/ is stale.
  if (Math.min(mtime(mockBin), mtime(tokenBin)) < newestSource(join(root, 'src'))) {
    await new Promise<void>((resolve) => {
      execFile(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], () => resolve());
    });
  }
  expect(readFileSync(mockBin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
}, 60_000);

let child: ChildProcessWithoutNullStreams | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

function start(args: string[]): Promise<{ banner: string; exit: Promise<number | null> }> {
  const proc = spawn(process.execPath, [mockBin, ...args], { env: { PATH: process.env.PATH ?? '' } });
  child = proc;
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Press Ctrl+C to stop.')) resolve({ banner: out, exit });
    });
    proc.once('exit', (code) => reject(new Error(`empowerid-mock exited ${code} before listening: ${out}`)));
  });
}

function run(bin: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 15_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('empowerid-mock', () => {
  it('prints its URL, clients and demo users; empowerid-token works against it; Ctrl+C stops it', async () => {
    const { banner, exit } = await start(['--port', '0']);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1] as string;
    expect(url).toBeDefined();
    expect(banner).toContain(`${DEFAULT_CLIENT.clientId}  secret: ${DEFAULT_CLIENT.clientSecret}`);
    expect(banner).toContain('redirect URI  http://localhost:3000/callback');
    expect(banner).toMatch(/alice {4}alice-password {3}Alice Anderson/);
    const env = {
      EMPOWERID_SERVER: url,
      EMPOWERID_CLIENT_ID: DEFAULT_CLIENT.clientId,
      EMPOWERID_CLIENT_SECRET: DEFAULT_CLIENT.clientSecret,
    };
    const got = await run(tokenBin, ['password', '--username', 'alice', '--password', 'alice-password'], env);
    expect(got.stderr).toBe('');
    const tokens = JSON.parse(got.stdout) as { access_token: string };
    const info = await run(tokenBin, ['introspect', '--token', tokens.access_token], env);
    expect(JSON.parse(info.stdout)).toMatchObject({ active: true, username: 'alice' });
    child?.kill('SIGINT');
    expect(await exit).toBe(0);
  });

  it('--version, --help, and wrong command lines in its own words', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(await run(mockBin, ['--version'])).toEqual({ code: 0, stdout: `empowerid-mock ${version}\n`, stderr: '' });
    expect(await run(mockBin, ['--help'])).toEqual({ code: 0, stdout: MOCK_USAGE, stderr: '' });
    expect(await run(mockBin, ['--prot', '4000'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'empowerid-mock: unknown option --prot (see empowerid-mock --help)\n',
    });
    expect((await run(mockBin, ['--port', 'http'])).stderr).toBe('empowerid-mock: --port must be a number from 0 to 65535 (got "http")\n');
    expect((await run(mockBin, ['--auto-login', 'dave'])).stderr).toBe(
      'empowerid-mock: --auto-login: no user "dave" (users: alice, bob, carol)\n',
    );
  });

  it('a port in use is named, with what to do', async () => {
    const { banner } = await start(['--port', '0']);
    const port = /127\.0\.0\.1:(\d+)/.exec(banner)?.[1] as string;
    const second = await run(mockBin, ['--port', port]);
    expect(second).toEqual({ code: 1, stdout: '', stderr: `empowerid-mock: port ${port} is already in use; pick another with --port\n` });
  });

  it('--redirect-uri registers another app’s callback for the default client', () => {
    const cmd = parseMockArgs(['--redirect-uri', 'http://localhost:8080/auth/callback', '--no-refresh-tokens']);
    expect(cmd).toMatchObject({
      kind: 'run',
      options: {
        port: 4000,
        issueRefreshTokens: false,
        clients: [
          { clientId: DEFAULT_CLIENT.clientId, redirectUris: [...DEFAULT_CLIENT.redirectUris, 'http://localhost:8080/auth/callback'] },
        ],
      },
    });
  });
});
