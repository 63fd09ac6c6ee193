/**
 * `empowerid-token` argument parsing: flags and environment variables in, a checked invocation
 * out. Pure: no I/O, no `process`; the runner reads files and talks to the IdP.
 */
import { parseArgs } from 'node:util';
import type { ClientAuthMethod, ClientOptions } from '../core/config.js';
import { usageText } from './parse-errors.js';

/** The commands (grants and endpoints) of `empowerid-token`. */
export const COMMANDS = [
  'client-credentials',
  'password',
  'jwt-bearer',
  'client-certificate',
  'refresh',
  'token-exchange',
  'introspect',
  'userinfo',
  'revoke',
] as const;
export type Command = (typeof COMMANDS)[number];

/** A wrong command line: the runner prints it and exits with status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** What the command line asks for. Key and certificate are file paths, read by the runner. */
export interface Invocation {
  command: Command;
  client: ClientOptions;
  scope?: string;
  username?: string;
  password?: string;
  style?: 'empowerid' | 'rfc6749';
  keyFile?: string;
  certFile?: string;
  passphrase?: string;
  algorithm?: 'rsa-sha1' | 'rsa-sha256';
  shape?: 'default' | 'docs';
  assertion?: string;
  token?: string;
  subjectToken?: string;
  subjectTokenType?: string;
  audience?: string;
  hint?: 'access_token' | 'refresh_token';
}

export type ParseResult = { kind: 'help'; text: string } | { kind: 'version' } | { kind: 'run'; invocation: Invocation };

interface Flag {
  type: 'string' | 'boolean';
  env?: string;
  /** Commands the flag means something for; undefined: every command. */
  for?: readonly Command[];
  value?: string;
  help: string;
}

const CERT_GRANTS: readonly Command[] = ['jwt-bearer', 'client-certificate'];
const TOKEN_COMMANDS: readonly Command[] = ['refresh', 'introspect', 'userinfo', 'revoke'];
const SCOPED: readonly Command[] = ['client-credentials', 'password', 'jwt-bearer', 'client-certificate', 'refresh', 'token-exchange'];

/** Every flag, in the order `--help` lists them. Secrets have environment variables so they stay out of `ps`. */
const FLAGS: Record<string, Flag> = {
  server: { type: 'string', env: 'EMPOWERID_SERVER', value: 'url', help: 'EmpowerID base URL, e.g. https://eid.example.com' },
  'client-id': { type: 'string', env: 'EMPOWERID_CLIENT_ID', value: 'id', help: 'OAuth application client id' },
  'client-secret': { type: 'string', env: 'EMPOWERID_CLIENT_SECRET', value: 'secret', help: 'client secret (prefer the variable)' },
  'auth-method': {
    type: 'string',
    env: 'EMPOWERID_AUTH_METHOD',
    value: 'method',
    help: 'client_secret_post (default), client_secret_basic (Asgardeo) or private_key_jwt (with --key)',
  },
  'basic-encoding': {
    type: 'string',
    env: 'EMPOWERID_BASIC_ENCODING',
    value: 'enc',
    help: 'Basic headers: literal (EmpowerID default: base64(id:secret)) or form (RFC 6749, default with --discovery-url)',
  },
  'discovery-url': { type: 'string', env: 'EMPOWERID_DISCOVERY_URL', value: 'url', help: 'discovery document (default: EmpowerID layout)' },
  scope: { type: 'string', env: 'EMPOWERID_SCOPE', for: SCOPED, value: 'scopes', help: 'space-separated scopes' },
  username: {
    type: 'string',
    env: 'EMPOWERID_USERNAME',
    for: ['client-credentials', 'password'],
    value: 'name',
    help: 'person (password; optional for client-credentials)',
  },
  password: {
    type: 'string',
    env: 'EMPOWERID_PASSWORD',
    for: ['password'],
    value: 'secret',
    help: "the person's password (prefer the variable)",
  },
  style: { type: 'string', for: ['password'], value: 'style', help: 'empowerid (default: person in Basic) or rfc6749 (body fields)' },
  key: { type: 'string', env: 'EMPOWERID_KEY', value: 'file', help: 'PEM private key file of the registered certificate' },
  cert: { type: 'string', env: 'EMPOWERID_CERT', for: CERT_GRANTS, value: 'file', help: 'PEM certificate file registered with EmpowerID' },
  passphrase: { type: 'string', env: 'EMPOWERID_KEY_PASSPHRASE', value: 'secret', help: 'passphrase of an encrypted --key' },
  algorithm: { type: 'string', for: ['client-certificate'], value: 'alg', help: 'rsa-sha1 (default, as the docs) or rsa-sha256' },
  shape: {
    type: 'string',
    for: ['client-certificate'],
    value: 'shape',
    help: "SAML assertion: default, or docs (the docs' example exactly: empty Conditions, no KeyInfo)",
  },
  assertion: { type: 'string', env: 'EMPOWERID_ASSERTION', for: CERT_GRANTS, value: 'jwt', help: 'a ready assertion to send as is' },
  token: { type: 'string', env: 'EMPOWERID_TOKEN', for: TOKEN_COMMANDS, value: 'token', help: 'the token (refresh token for refresh)' },
  'subject-token': { type: 'string', env: 'EMPOWERID_SUBJECT_TOKEN', for: ['token-exchange'], value: 'token', help: 'token to exchange' },
  'subject-token-type': {
    type: 'string',
    for: ['token-exchange'],
    value: 'uri',
    help: 'default urn:ietf:params:oauth:token-type:access_token',
  },
  audience: { type: 'string', for: ['token-exchange'], value: 'name', help: 'RFC 8693 audience' },
  hint: { type: 'string', for: ['introspect', 'revoke'], value: 'type', help: 'token_type_hint: access_token (default) or refresh_token' },
  'allow-insecure-http': { type: 'boolean', env: 'EMPOWERID_ALLOW_INSECURE_HTTP', help: 'accept http:// on a non-loopback host' },
  timeout: { type: 'string', env: 'EMPOWERID_TIMEOUT', value: 'ms', help: 'timeout of each request in milliseconds (default 5000)' },
  help: { type: 'boolean', help: 'show this help' },
  version: { type: 'boolean', help: 'print the version' },
};

/** The `--help` text. */
export function usage(): string {
  const lines = [
    'Usage: empowerid-token <command> [options]',
    '',
    'Gets tokens from EmpowerID (or any OpenID provider) and calls its token endpoints.',
    'Prints the JSON answer on stdout; errors go to stderr as "error: <code>: <message>".',
    'Exit status: 0 success, 1 the call failed, 2 wrong command line.',
    '',
    'Commands:',
    '  client-credentials   client credentials grant (--scope, --username)',
    '  password             password grant (--username, --password, --style)',
    '  jwt-bearer           JWT bearer grant: --key and --cert, or --assertion',
    '  client-certificate   client certificate (SAML) grant: --key and --cert',
    '  refresh              refresh token grant (--token <refresh token>)',
    '  token-exchange       RFC 8693 token exchange (--subject-token)',
    '  introspect           tokeninfo (--token, --hint)',
    '  userinfo             userinfo (--token <access token>)',
    '  revoke               tokenrevoke (--token, --hint)',
    '',
    'Options (flags win over environment variables):',
  ];
  for (const [name, flag] of Object.entries(FLAGS)) {
    const left = `  --${name}${flag.value ? ` <${flag.value}>` : ''}`;
    lines.push(`${left.padEnd(34)}${flag.help}${flag.env ? ` [${flag.env}]` : ''}`);
  }
  lines.push(
    '',
    'Examples:',
    '  export EMPOWERID_SERVER=https://eid.example.com EMPOWERID_CLIENT_ID=… EMPOWERID_CLIENT_SECRET=…',
    '  empowerid-token client-credentials --scope openid',
    '  EMPOWERID_PASSWORD=… empowerid-token password --username alice',
    '  empowerid-token jwt-bearer --key client.key.pem --cert client.cert.pem',
    '  empowerid-token introspect --token "$ACCESS_TOKEN"',
  );
  return `${lines.join('\n')}\n`;
}

/**
 * `--flag value` becomes `--flag=value` when `--flag` takes a value. Node's strict `parseArgs`
 * refuses a value that starts with "-" as ambiguous, and base64url tokens and secrets start with
 * "-" one time in 64. Only one of our own flags after a value flag is read as a forgotten value.
 */
function attachValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if (arg.startsWith('--') && FLAGS[arg.slice(2)]?.type === 'string' && next !== undefined && !isOwnFlag(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

function isOwnFlag(arg: string): boolean {
  return arg.startsWith('--') && Object.hasOwn(FLAGS, arg.slice(2).split('=')[0] as string);
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses `argv` (without the node and script paths) with `env` as the fallback for flags.
 *
 * @throws {UsageError} unknown command or flag, a flag that means nothing for the command, a
 * missing required value, or a value out of its set.
 */
export function parseCliArgs(argv: readonly string[], env: Env = {}): ParseResult {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: attachValues(argv),
      options: Object.fromEntries(Object.entries(FLAGS).map(([name, f]) => [name, { type: f.type }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(usageText(err, FLAGS));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help === true) return { kind: 'help', text: usage() };
  if (values.version === true) return { kind: 'version' };

  const [name, ...extra] = parsed.positionals;
  if (name === undefined) throw new UsageError(`a command is required (${COMMANDS.join(', ')})`);
  if (!(COMMANDS as readonly string[]).includes(name)) {
    throw new UsageError(`unknown command "${name}" (expected one of ${COMMANDS.join(', ')})`);
  }
  const command = name as Command;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);

  for (const [flagName, flag] of Object.entries(FLAGS)) {
    if (values[flagName] !== undefined && flag.for && !flag.for.includes(command)) {
      throw new UsageError(`--${flagName} is not used by ${command}`);
    }
  }

  // Flags win; a variable only fills in a flag that means something for this command.
  const get = (flagName: string): string | undefined => {
    const flag = FLAGS[flagName];
    const v = values[flagName];
    if (typeof v === 'string') return v;
    if (!flag?.env || (flag.for && !flag.for.includes(command))) return undefined;
    const e = env[flag.env];
    return e === undefined || e === '' ? undefined : e;
  };
  const need = (flagName: string, what?: string): string => {
    const v = get(flagName);
    if (v === undefined || v === '') {
      const envName = FLAGS[flagName]?.env;
      throw new UsageError(`${command} needs --${flagName}${envName ? ` (or ${envName})` : ''}${what ? `: ${what}` : ''}`);
    }
    return v;
  };

  const authMethod = oneOf(get('auth-method'), 'auth-method', ['client_secret_post', 'client_secret_basic', 'private_key_jwt'] as const);
  const client: ClientOptions = {
    server: need('server'),
    clientId: need('client-id'),
  };
  const secret = get('client-secret');
  if (secret !== undefined) client.clientSecret = secret;
  else if (authMethod !== 'private_key_jwt') need('client-secret');
  if (authMethod !== undefined) client.clientAuthMethod = authMethod as ClientAuthMethod;
  const discoveryUrl = get('discovery-url');
  if (discoveryUrl !== undefined) client.discoveryUrl = discoveryUrl;
  const basicEncoding = oneOf(get('basic-encoding'), 'basic-encoding', ['literal', 'form'] as const);
  if (basicEncoding !== undefined) client.basicEncoding = basicEncoding;
  if (values['allow-insecure-http'] === true || isTrue(env.EMPOWERID_ALLOW_INSECURE_HTTP)) client.allowInsecureHttp = true;
  const timeout = get('timeout');
  if (timeout !== undefined) {
    if (!/^\d+$/.test(timeout) || Number(timeout) <= 0) throw new UsageError('--timeout must be a positive whole number of milliseconds');
    client.timeoutMs = Number(timeout);
  }

  const invocation: Invocation = { command, client };
  const set = <K extends keyof Invocation>(key: K, value: Invocation[K] | undefined) => {
    if (value !== undefined) invocation[key] = value;
  };
  set('scope', get('scope'));
  set('passphrase', get('passphrase'));

  switch (command) {
    case 'client-credentials':
      set('username', get('username'));
      break;
    case 'password':
      set('username', need('username', "the person's username"));
      set('password', need('password', "the person's password"));
      set('style', oneOf(get('style'), 'style', ['empowerid', 'rfc6749'] as const));
      break;
    case 'jwt-bearer':
    case 'client-certificate': {
      const keyFlags = values.key !== undefined || values.cert !== undefined;
      if (values.assertion !== undefined && keyFlags) throw new UsageError('use either --assertion or --key with --cert, not both');
      // A flag wins over a variable: --key/--cert flags beat EMPOWERID_ASSERTION.
      const assertion = keyFlags ? undefined : get('assertion');
      if (assertion !== undefined) {
        set('assertion', assertion);
      } else {
        set('keyFile', need('key', 'PEM private key file (or --assertion)'));
        set('certFile', need('cert', 'PEM certificate file (or --assertion)'));
      }
      if (command === 'client-certificate') {
        set('algorithm', oneOf(get('algorithm'), 'algorithm', ['rsa-sha1', 'rsa-sha256'] as const));
        set('shape', oneOf(get('shape'), 'shape', ['default', 'docs'] as const));
        if (invocation.assertion !== undefined && invocation.shape !== undefined)
          throw new UsageError('--shape cannot be used with --assertion');
      }
      break;
    }
    case 'token-exchange':
      set('subjectToken', need('subject-token'));
      set('subjectTokenType', get('subject-token-type'));
      set('audience', get('audience'));
      break;
    case 'refresh':
    case 'userinfo':
      set('token', need('token'));
      break;
    case 'introspect':
    case 'revoke':
      set('token', need('token'));
      set('hint', oneOf(get('hint'), 'hint', ['access_token', 'refresh_token'] as const));
      break;
  }
  // private_key_jwt client authentication signs with --key.
  if (authMethod === 'private_key_jwt') set('keyFile', need('key', 'the private key for private_key_jwt'));
  return { kind: 'run', invocation };
}

function oneOf<T extends string>(value: string | undefined, flagName: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flagName} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && ['1', 'true', 'yes'].includes(value.toLowerCase());
}
