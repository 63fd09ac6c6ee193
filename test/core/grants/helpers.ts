/**
 * Shared set-up of the grant tests: the mock EmpowerID over real loopback HTTP with the fixture
 * certificate registered, a client pointed at it, a clock the test moves, and a fetch that records
 * what went over the wire (it forwards every request unchanged).
 */
import { readFileSync } from 'node:fs';
import { createClient, type EmpowerIDClient } from '../../../src/core/client.js';
import type { ClientOptions } from '../../../src/core/config.js';
import { DEFAULT_CLIENT, type MockEmpowerID, type MockEmpowerIDOptions, startMockEmpowerID } from '../../../src/testing/index.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/assertions/${name}`, import.meta.url), 'utf8');

/** The key pair registered for DEFAULT_CLIENT in these tests. */
export const registered = { privateKey: fixture('client.key.pem'), certificate: fixture('client.cert.pem') };
/** A valid key pair EmpowerID has never seen. */
export const unregistered = { privateKey: fixture('other.key.pem'), certificate: fixture('other.cert.pem') };

export const CLIENT_ID = DEFAULT_CLIENT.clientId;
export const CLIENT_SECRET = DEFAULT_CLIENT.clientSecret;

export function startMock(options: MockEmpowerIDOptions = {}): Promise<MockEmpowerID> {
  return startMockEmpowerID({ clients: [{ ...DEFAULT_CLIENT, certificate: registered.certificate }], ...options });
}

/** A clock starting at the real time, moved by the test instead of sleeping. */
export function testClock() {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(seconds: number) {
      offset += seconds * 1000;
    },
  };
}

export interface SentRequest {
  url: string;
  method: string;
  headers: Headers;
  body: URLSearchParams;
}

/** A client of the mock and the token-endpoint requests it sent. */
export function clientOf(mock: MockEmpowerID, overrides: Partial<ClientOptions> = {}): { client: EmpowerIDClient; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const recording: typeof globalThis.fetch = async (input, init) => {
    const url = String(input);
    if (url.endsWith('/oauth/v2/token')) {
      sent.push({
        url,
        method: init?.method ?? 'GET',
        headers: new Headers(init?.headers),
        body: new URLSearchParams(String(init?.body ?? '')),
      });
    }
    return globalThis.fetch(input, init);
  };
  const client = createClient({
    server: mock.url,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    fetch: recording,
    ...overrides,
  });
  return { client, sent };
}

/** Decodes `Authorization: Basic`, undoing RFC 6749 §2.3.1 form-encoding. */
export function decodeBasic(header: string | null): { user: string; pass: string } | undefined {
  const m = /^Basic (.+)$/.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  return { user: unform(decoded.slice(0, colon)), pass: unform(decoded.slice(colon + 1)) };
}

/** The rejection of `promise`, to assert on its fields. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}
