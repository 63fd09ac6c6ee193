import { describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from '../../src/cli/args.js';

const env = { EMPOWERID_SERVER: 'https://eid.example.com', EMPOWERID_CLIENT_ID: 'app', EMPOWERID_CLIENT_SECRET: 'env-secret' };

function run(argv: string[], e: Record<string, string | undefined> = env) {
  const result = parseCliArgs(argv, e);
  if (result.kind !== 'run') throw new Error('expected a run');
  return result.invocation;
}

function usageError(argv: string[], e: Record<string, string | undefined> = env): string {
  try {
    parseCliArgs(argv, e);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseCliArgs', () => {
  it('reads the client from the environment', () => {
    expect(run(['client-credentials'])).toEqual({
      command: 'client-credentials',
      client: { server: 'https://eid.example.com', clientId: 'app', clientSecret: 'env-secret' },
    });
  });

  it('flags win over environment variables', () => {
    const inv = run(['client-credentials', '--client-secret', 'flag-secret', '--scope', 'openid', '--username', 'bob'], {
      ...env,
      EMPOWERID_SCOPE: 'other',
    });
    expect(inv.client.clientSecret).toBe('flag-secret');
    expect(inv).toMatchObject({ scope: 'openid', username: 'bob' });
  });

  it('takes the next argument as a value flag\'s value even when it starts with "-" (base64url tokens and secrets do)', () => {
    expect(run(['introspect', '--token', '-Xb3_q'])).toMatchObject({ token: '-Xb3_q' });
    expect(run(['introspect', '--token', '--Xb3'])).toMatchObject({ token: '--Xb3' });
    expect(run(['client-credentials', '--client-secret', '-s3cret']).client.clientSecret).toBe('-s3cret');
    expect(run(['introspect', '--token=-Xb3'])).toMatchObject({ token: '-Xb3' });
    // One of our own flags right after is a forgotten value, not a value.
    expect(usageError(['introspect', '--token', '--hint', 'access_token'])).toBe('--token needs a value (--token <token>)');
    expect(usageError(['introspect', '--token', '--server=https://x.example'])).toBe('--token needs a value (--token <token>)');
  });

  it('maps the client flags onto ClientOptions', () => {
    const inv = run([
      'introspect',
      '--server',
      'http://eid.internal',
      '--client-id',
      'x',
      '--auth-method',
      'client_secret_basic',
      '--allow-insecure-http',
      '--timeout',
      '2500',
      '--discovery-url',
      'http://eid.internal/.well-known/openid-configuration',
      '--token',
      't',
      '--hint',
      'refresh_token',
    ]);
    expect(inv.client).toEqual({
      server: 'http://eid.internal',
      clientId: 'x',
      clientSecret: 'env-secret',
      clientAuthMethod: 'client_secret_basic',
      allowInsecureHttp: true,
      timeoutMs: 2500,
      discoveryUrl: 'http://eid.internal/.well-known/openid-configuration',
    });
    expect(inv).toMatchObject({ token: 't', hint: 'refresh_token' });
  });

  it.each([
    [['password', '--username', 'alice'], /password needs --password \(or EMPOWERID_PASSWORD\)/],
    [['client-credentials'], /needs --server/, {}],
    [['jwt-bearer'], /needs --key/],
    [['jwt-bearer', '--key', 'k.pem'], /needs --cert/],
    [['token-exchange'], /needs --subject-token/],
    [['userinfo'], /needs --token/],
    [['revoke', '--token', 't', '--hint', 'id_token'], /--hint must be one of access_token, refresh_token/],
    [['introspect', '--token', 't', '--timeout', '5s'], /--timeout/],
    [['client-credentials', '--auth-method', 'none'], /--auth-method must be one of/],
    [['client-credentials', '--password', 'x'], /--password is not used by client-credentials/],
    [['jwt-bearer', '--assertion', 'a', '--key', 'k'], /either --assertion or --key/],
    [['launch'], /unknown command "launch"/],
    [[], /a command is required/],
    [['userinfo', '--tokn', 'x'], /^unknown option --tokn \(did you mean --token\?\)$/],
    [['userinfo', '-t', 'x'], /^unknown option -t$/],
    [['userinfo', '--token'], /^--token needs a value \(--token <token>\)$/],
    [['userinfo', '--help=yes'], /^--help takes no value$/],
    [['userinfo', 'extra', '--token', 'x'], /unexpected argument "extra"/],
  ] as [string[], RegExp, Record<string, string>?][])('%j is a usage error', (argv, message, e) => {
    expect(usageError(argv, e ?? env)).toMatch(message);
  });

  it('takes secrets from variables, and a variable never applies to a command it means nothing for', () => {
    const e = { ...env, EMPOWERID_PASSWORD: 'pw', EMPOWERID_USERNAME: 'alice', EMPOWERID_TOKEN: 'tok' };
    expect(run(['password'], e)).toMatchObject({ username: 'alice', password: 'pw' });
    const cc = run(['client-credentials'], e);
    expect(cc.password).toBeUndefined();
    expect(cc.token).toBeUndefined();
    expect(cc.username).toBe('alice');
  });

  it('jwt-bearer: --key/--cert flags beat an EMPOWERID_ASSERTION variable', () => {
    const e = { ...env, EMPOWERID_ASSERTION: 'from-env' };
    expect(run(['jwt-bearer'], e)).toMatchObject({ assertion: 'from-env' });
    const inv = run(['jwt-bearer', '--key', 'k.pem', '--cert', 'c.pem'], e);
    expect(inv).toMatchObject({ keyFile: 'k.pem', certFile: 'c.pem' });
    expect(inv.assertion).toBeUndefined();
  });

  it('private_key_jwt needs --key and no secret', () => {
    const e = { EMPOWERID_SERVER: 'https://eid.example.com', EMPOWERID_CLIENT_ID: 'app' };
    expect(usageError(['client-credentials', '--auth-method', 'private_key_jwt'], e)).toMatch(/needs --key/);
    expect(usageError(['client-credentials'], e)).toMatch(/needs --client-secret/);
    expect(run(['client-credentials', '--auth-method', 'private_key_jwt', '--key', 'k.pem'], e)).toMatchObject({ keyFile: 'k.pem' });
  });

  it('--help wins and lists every command and variable', () => {
    const result = parseCliArgs(['password', '--help'], {});
    expect(result.kind).toBe('help');
    const text = result.kind === 'help' ? result.text : '';
    for (const word of ['client-credentials', 'client-certificate', 'token-exchange', 'EMPOWERID_CLIENT_SECRET', '--auth-method']) {
      expect(text).toContain(word);
    }
  });
});
