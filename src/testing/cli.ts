/**
 * `empowerid-mock`: the mock EmpowerID on the command line, so the CLI and other apps can be tried
 * against it. Parsing and the banner are pure ({@link parseMockArgs}, {@link banner}); `main` runs it.
 */
import { parseArgs } from 'node:util';
import { startMockEmpowerID } from './server.js';
import type { MockClient, MockEmpowerID, MockEmpowerIDOptions, MockUser } from './types.js';
import { DEFAULT_CLIENT, DEFAULT_USERS } from './users.js';

export const MOCK_USAGE = `Usage: empowerid-mock [options]

Starts a mock EmpowerID server (development and tests only: its keys and users are not secret).

Options:
  --port <n>            port to listen on (default 4000; 0 picks a free one)
  --host <address>      interface to listen on (default 127.0.0.1)
  --auto-login <user>   sign this user in without showing the login form
  --redirect-uri <uri>  also accept this callback URL for the default client (repeatable)
  --no-refresh-tokens   issue no refresh tokens (to try silent re-authentication)
  --help                show this help
  --version             print the version
`;

/** What the command line asks for. */
export type MockCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; options: MockEmpowerIDOptions };

/** A wrong command line; printed as `empowerid-mock: <message>` with exit status 2. */
export class MockUsageError extends Error {
  override readonly name = 'MockUsageError';
}

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'auto-login': { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'no-refresh-tokens': { type: 'boolean' },
  help: { type: 'boolean' },
  version: { type: 'boolean' },
} as const;

/** Parses `argv` (without node and the script). */
export function parseMockArgs(argv: readonly string[]): MockCommand {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    const parsed = parseArgs({ args: [...argv], options: FLAGS, allowPositionals: false, strict: true });
    values = parsed.values;
  } catch (err) {
    throw new MockUsageError(words(err));
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  const options: MockEmpowerIDOptions = { port: 4000 };
  if (typeof values.port === 'string') {
    if (!/^\d+$/.test(values.port) || Number(values.port) > 65535)
      throw new MockUsageError(`--port must be a number from 0 to 65535 (got "${values.port}")`);
    options.port = Number(values.port);
  }
  if (typeof values.host === 'string') options.host = values.host;
  const autoLogin = values['auto-login'];
  if (typeof autoLogin === 'string') {
    if (!DEFAULT_USERS.some((u) => u.username === autoLogin)) {
      throw new MockUsageError(`--auto-login: no user "${autoLogin}" (users: ${DEFAULT_USERS.map((u) => u.username).join(', ')})`);
    }
    options.autoLogin = autoLogin;
  }
  const extra = (values['redirect-uri'] as string[] | undefined) ?? [];
  for (const uri of extra) {
    if (!URL.canParse(uri) || !/^https?:$/.test(new URL(uri).protocol))
      throw new MockUsageError(`--redirect-uri must be an absolute http(s) URL (got "${uri}")`);
  }
  if (extra.length) {
    const origins = extra.map((uri) => `${new URL(uri).origin}/`);
    options.clients = [
      {
        ...DEFAULT_CLIENT,
        redirectUris: [...DEFAULT_CLIENT.redirectUris, ...extra],
        postLogoutRedirectUris: [...(DEFAULT_CLIENT.postLogoutRedirectUris ?? []), ...origins],
      },
    ];
  }
  if (values['no-refresh-tokens']) options.issueRefreshTokens = false;
  return { kind: 'run', options };
}

function words(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  const flag = /ption '(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) return `unknown option ${flag} (see empowerid-mock --help)`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
    return FLAGS[flag.replace(/^-+/, '') as keyof typeof FLAGS]?.type === 'boolean' ? `${flag} takes no value` : `${flag} needs a value`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return 'empowerid-mock takes no arguments, only options (see empowerid-mock --help)';
  return 'the command line could not be read (see empowerid-mock --help)';
}

/** What is printed once the mock listens: its URL, its clients and its people. */
export function banner(mock: Pick<MockEmpowerID, 'url' | 'issuer'>, clients: readonly MockClient[], users: readonly MockUser[]): string {
  const lines = [
    `Mock EmpowerID listening on ${mock.url} (issuer "${mock.issuer}")`,
    `  discovery   ${mock.url}/oauth/.well-known/openid-configuration`,
    '',
    'Clients:',
  ];
  for (const c of clients) {
    lines.push(`  ${c.clientId}  secret: ${c.clientSecret}`);
    for (const uri of c.redirectUris) lines.push(`    redirect URI  ${uri}`);
  }
  lines.push('', 'Users (username / password):');
  for (const u of users) lines.push(`  ${u.username.padEnd(8)} ${u.password.padEnd(16)} ${u.name} <${u.email}>`);
  lines.push(
    '',
    'Try it:',
    `  EMPOWERID_SERVER=${mock.url} EMPOWERID_CLIENT_ID=${clients[0]?.clientId ?? ''} EMPOWERID_CLIENT_SECRET=${clients[0]?.clientSecret ?? ''} \\`,
    '    npx empowerid-token password --username alice --password alice-password',
    '',
    'Press Ctrl+C to stop.',
  );
  return `${lines.join('\n')}\n`;
}

/** Runs the command line; resolves with the exit status once the server has stopped. */
export async function main(
  argv: readonly string[],
  io: { stdout(text: string): void; stderr(text: string): void; version: string; onStop(stop: () => void): void },
): Promise<number> {
  let command: MockCommand;
  try {
    command = parseMockArgs(argv);
  } catch (err) {
    if (!(err instanceof MockUsageError)) throw err;
    io.stderr(`empowerid-mock: ${err.message}\n`);
    return 2;
  }
  if (command.kind === 'help') {
    io.stdout(MOCK_USAGE);
    return 0;
  }
  if (command.kind === 'version') {
    io.stdout(`empowerid-mock ${io.version}\n`);
    return 0;
  }
  let mock: MockEmpowerID;
  try {
    mock = await startMockEmpowerID(command.options);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const port = command.options.port;
    io.stderr(
      code === 'EADDRINUSE'
        ? `empowerid-mock: port ${port} is already in use; pick another with --port\n`
        : `empowerid-mock: could not start (${err instanceof Error ? err.message : String(err)})\n`,
    );
    return 1;
  }
  io.stdout(banner(mock, command.options.clients ?? [DEFAULT_CLIENT], DEFAULT_USERS));
  await new Promise<void>((resolve) => io.onStop(resolve));
  await mock.close();
  return 0;
}
