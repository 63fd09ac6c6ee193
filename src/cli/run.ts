/**
 * The `empowerid-token` runner: a parsed command line in, one call to the IdP, JSON out.
 * Side effects go through {@link CliIO}, so tests can run it in-process.
 */
import { createClient, type EmpowerIDClient } from '../core/client.js';
import { ConfigurationError, EmpowerIDError } from '../errors.js';
import { type Invocation, parseCliArgs, UsageError } from './args.js';
import { packageVersion } from './version.js';

/** The runner's window on the world. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Reads a UTF-8 file (the --key and --cert paths). */
  readFile(path: string): string;
  /** The `fetch` the client uses; default: the library's pooled fetch. */
  fetch?: typeof globalThis.fetch;
}

/** Exit statuses. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Runs one command and returns the exit status: 0 with the JSON answer on stdout, 1 when the call
 * failed, 2 for a wrong command line, each error as one `error: <code>: <message>` line on stderr.
 * Secrets (client secret, password, passphrase, key) never reach either stream.
 */
export async function runCli(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: CliIO): Promise<number> {
  let invocation: Invocation;
  try {
    const parsed = parseCliArgs(argv, env);
    if (parsed.kind === 'help') {
      io.stdout(parsed.text);
      return EXIT.ok;
    }
    if (parsed.kind === 'version') {
      io.stdout(`empowerid-token ${packageVersion()}\n`);
      return EXIT.ok;
    }
    invocation = parsed.invocation;
  } catch (err) {
    if (err instanceof UsageError) return fail(io, 'ERR_USAGE', `${err.message} (see empowerid-token --help)`, EXIT.usage);
    throw err;
  }

  let client: EmpowerIDClient | undefined;
  try {
    const key = invocation.keyFile === undefined ? undefined : readPem(io, invocation.keyFile, 'key');
    const cert = invocation.certFile === undefined ? undefined : readPem(io, invocation.certFile, 'cert');
    const options = { ...invocation.client, ...(io.fetch && { fetch: io.fetch }) };
    if (options.clientAuthMethod === 'private_key_jwt') options.privateKey = key;
    client = createClient(options);
    const result = await execute(client, invocation, key, cert);
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) return fail(io, 'ERR_USAGE', err.message, EXIT.usage);
    if (err instanceof ConfigurationError) return fail(io, err.code, message(err), EXIT.usage);
    if (err instanceof EmpowerIDError) return fail(io, err.code, message(err), EXIT.failed);
    return fail(io, 'ERR_UNEXPECTED', err instanceof Error ? err.message : String(err), EXIT.failed);
  } finally {
    client?.close();
  }
}

function execute(client: EmpowerIDClient, inv: Invocation, key: string | undefined, cert: string | undefined): Promise<unknown> {
  const scope = inv.scope === undefined ? {} : { scope: inv.scope };
  const signing = () => ({
    privateKey: key as string,
    certificate: cert as string,
    ...(inv.passphrase !== undefined && { passphrase: inv.passphrase }),
  });
  switch (inv.command) {
    case 'client-credentials':
      return client.clientCredentials({ ...scope, ...(inv.username !== undefined && { username: inv.username }) });
    case 'password':
      return client.password({
        username: inv.username as string,
        password: inv.password as string,
        ...scope,
        ...(inv.style !== undefined && { style: inv.style }),
      });
    case 'jwt-bearer':
      return client.jwtBearer(inv.assertion !== undefined ? { assertion: inv.assertion, ...scope } : { ...signing(), ...scope });
    case 'client-certificate':
      return client.clientCertificate(
        inv.assertion !== undefined
          ? { assertion: inv.assertion, ...scope }
          : {
              ...signing(),
              ...scope,
              ...(inv.algorithm !== undefined && { algorithm: inv.algorithm }),
              ...(inv.shape !== undefined && { shape: inv.shape }),
            },
      );
    case 'refresh':
      return client.refresh(inv.token as string, inv.scope === undefined ? undefined : { scope: inv.scope });
    case 'token-exchange':
      return client.tokenExchange({
        subjectToken: inv.subjectToken as string,
        ...scope,
        ...(inv.subjectTokenType !== undefined && { subjectTokenType: inv.subjectTokenType }),
        ...(inv.audience !== undefined && { audience: inv.audience }),
      });
    case 'introspect':
      return client.introspect(inv.token as string, inv.hint);
    case 'userinfo':
      return client.userinfo(inv.token as string);
    case 'revoke':
      return client.revoke(inv.token as string, inv.hint).then(() => ({ revoked: true }));
  }
}

function readPem(io: CliIO, path: string, flag: string): string {
  try {
    return io.readFile(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new UsageError(`cannot read the --${flag} file "${path}"${code ? ` (${code})` : ''}`);
  }
}

function fail(io: CliIO, code: string, text: string, status: number): number {
  io.stderr(`error: ${code}: ${text.replace(/\s*\n\s*/g, ' ')}\n`);
  return status;
}

/** The library's messages start with "empowerid: "; the CLI line already says what it is. */
function message(err: Error): string {
  return err.message.replace(/^empowerid: /, '');
}
