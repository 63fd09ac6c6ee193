/**
 * `empowerid-token client-certificate --shape docs` sends the docs' exact SAML assertion shape
 * (the option used to exist on createSamlAssertion only, so the grant and the CLI ignored it).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { DEFAULT_CLIENT, type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';

const fixtures = new URL('../fixtures/assertions/', import.meta.url);
const cert = readFileSync(new URL('client.cert.pem', fixtures), 'utf8');

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ clients: [{ ...DEFAULT_CLIENT, certificate: cert }] });
});
afterAll(() => mock.close());

async function run(args: string[]) {
  const assertions: string[] = [];
  const err: string[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const body = new URLSearchParams(String(init?.body ?? ''));
    const assertion = body.get('assertion');
    if (assertion) assertions.push(Buffer.from(assertion, 'base64').toString('utf8'));
    return globalThis.fetch(input, init);
  };
  const env = {
    EMPOWERID_SERVER: mock.url,
    EMPOWERID_CLIENT_ID: DEFAULT_CLIENT.clientId,
    EMPOWERID_CLIENT_SECRET: DEFAULT_CLIENT.clientSecret,
  };
  const status = await runCli(args, env, {
    stdout: () => {},
    stderr: (t) => err.push(t),
    readFile: (path) => readFileSync(new URL(path, fixtures), 'utf8'),
    fetch,
  });
  return { status, assertions, stderr: err.join('') };
}

it('--shape docs: <saml:Conditions/>, no KeyInfo, the docs’ PrefixList; the default keeps the validity window', async () => {
  const docs = await run(['client-certificate', '--key', 'client.key.pem', '--cert', 'client.cert.pem', '--shape', 'docs']);
  expect(docs.stderr).toBe('');
  expect(docs.status).toBe(0);
  expect(docs.assertions[0]).toContain('<saml:Conditions/>');
  expect(docs.assertions[0]).not.toContain('KeyInfo');
  expect(docs.assertions[0]).toContain('PrefixList="#default saml ds xs xsi"');

  const plain = await run(['client-certificate', '--key', 'client.key.pem', '--cert', 'client.cert.pem']);
  expect(plain.status).toBe(0);
  expect(plain.assertions[0]).toContain('NotOnOrAfter=');

  const bad = await run(['client-certificate', '--assertion', 'abc', '--shape', 'docs']);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/--shape cannot be used with --assertion/);
});
