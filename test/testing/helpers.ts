/**
 * Helpers for the mock server's own tests: a cookie-keeping "browser", form posts, PKCE and
 * certificate fixtures. Everything goes over real loopback HTTP with global fetch.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';
import { DEFAULT_CLIENT, type MockClient, type MockEmpowerID } from '../../src/testing/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/testing/${name}`, import.meta.url), 'utf8');

/** Registered certificate/key pair (what the client registers) and a foreign one (attacker). */
export const REGISTERED_CERT = fixture('registered-cert.pem');
export const REGISTERED_KEY = fixture('registered-key.pem');
export const FOREIGN_CERT = fixture('foreign-cert.pem');
export const FOREIGN_KEY = fixture('foreign-key.pem');

export const CLIENT = DEFAULT_CLIENT;
export const REDIRECT_URI = 'http://localhost:3000/callback';

/** A second client, with the registered certificate, owned by bob. */
export const CERT_CLIENT: MockClient = {
  clientId: 'service-app',
  clientSecret: 'service secret/with+special&chars',
  redirectUris: ['https://service.example.com/cb'],
  certificate: REGISTERED_CERT,
  owner: 'bob',
};

export const PATH = {
  discovery: '/oauth/.well-known/openid-configuration',
  authorize: '/oauth/v2/ui/authorize',
  login: '/oauth/v2/ui/login',
  token: '/oauth/v2/token',
  tokeninfo: '/oauth/v2/tokeninfo',
  tokenrevoke: '/oauth/v2/tokenrevoke',
  userinfo: '/oauth/v2/userinfo',
  logout: '/oauth/v2/ui/logout',
};

/** `Authorization: Basic` as EmpowerID documents it: `base64Encode(<user>:<pass>)`, nothing escaped. */
export function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON answers ad hoc; expect() checks their shape.
type Loose = any;

/** POSTs a form; returns status, headers and the parsed JSON (or text) body. */
export async function post(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Loose; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** POSTs to the token endpoint with client_secret_post for `client` (default: DEFAULT_CLIENT). */
export function token(mock: MockEmpowerID, fields: Record<string, string>, client: MockClient = CLIENT) {
  return post(mock.url + PATH.token, { client_id: client.clientId, client_secret: client.clientSecret, ...fields });
}

/** A PKCE pair (RFC 7636, S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A minimal browser: follows nothing, keeps cookies. */
export class Browser {
  readonly cookies = new Map<string, string>();

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as object), ...(cookie ? { cookie } : {}) } });
    for (const c of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = c.split(';');
      const [name = '', value = ''] = pair.split('=');
      if (attrs.some((a) => /max-age=0/i.test(a.trim()))) this.cookies.delete(name.trim());
      else this.cookies.set(name.trim(), value.trim());
    }
    return res;
  }

  get(url: string): Promise<Response> {
    return this.request(url);
  }

  postForm(url: string, fields: Record<string, string>): Promise<Response> {
    return this.request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
  }
}

/** The authorize URL for `params` merged over sensible code-flow defaults. */
export function authorizeUrl(mock: MockEmpowerID, params: Record<string, string | undefined> = {}): string {
  const all: Record<string, string | undefined> = {
    client_id: CLIENT.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid profile',
    state: 'state-123',
    nonce: 'nonce-456',
    ...params,
  };
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(all)) if (v !== undefined) q.set(k, v);
  return `${mock.url}${PATH.authorize}?${q}`;
}

/** Parses the Location of a redirect response. */
export function location(res: Response): URL {
  const loc = res.headers.get('location');
  if (!loc) throw new Error(`expected a redirect, got ${res.status}`);
  return new URL(loc);
}

/** Signs in through the real login form and returns the callback URL. */
export async function signInWithForm(
  mock: MockEmpowerID,
  browser: Browser,
  params: Record<string, string | undefined> = {},
  user = { username: 'alice', password: 'alice-password' },
): Promise<URL> {
  const form = await browser.get(authorizeUrl(mock, params));
  const page = await form.text();
  const fields: Record<string, string> = {};
  for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1] as string] = decodeEntities(m[2] as string);
  }
  const res = await browser.postForm(`${mock.url}${PATH.login}`, { ...fields, ...user, action: 'login' });
  return location(res);
}

export function decodeEntities(s: string): string {
  return s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
}

/** A full code flow with PKCE S256 via autoLogin-free form sign-in; returns the token response. */
export async function codeFlow(mock: MockEmpowerID, params: Record<string, string | undefined> = {}) {
  const { verifier, challenge } = pkce();
  const cb = await signInWithForm(mock, new Browser(), { code_challenge: challenge, code_challenge_method: 'S256', ...params });
  const code = cb.searchParams.get('code') ?? '';
  const res = await token(mock, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
  return { res, code, verifier, callback: cb };
}

/** Verifies an ID token against the mock's published JWKS. */
export async function verifyIdToken(mock: MockEmpowerID, idToken: string): Promise<JWTPayload> {
  const jwks = (await (await fetch(`${mock.url}/oauth/v2/jwks`)).json()) as JSONWebKeySet;
  const { payload } = await jwtVerify(idToken, createLocalJWKSet(jwks), { issuer: mock.issuer, algorithms: ['RS256'] });
  return payload;
}

/** OIDC at_hash / c_hash for RS256. */
export function halfHash(value: string): string {
  return createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url');
}
