import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Account, errors } from 'oidc-provider';
import type request from 'supertest';

// A certified OpenID provider (panva's oidc-provider) in-process on a random loopback port, with
// one confidential client, one user, its built-in development login and consent pages, and a
// log of what it saw, so the tests can assert on both sides of every exchange.

export const BASE_URL = 'http://127.0.0.1:3000';
export const CLIENT_ID = 'interop-app';
// Characters that must be form-encoded inside HTTP Basic (RFC 6749 §2.3.1; all VSCHAR, as the RFC
// requires of a secret).
export const CLIENT_SECRET = 'interop secret:with+special/chars&%=~';
export const ALICE = {
  sub: 'alice',
  name: 'Alice Liddell',
  given_name: 'Alice',
  family_name: 'Liddell',
  preferred_username: 'alice',
  email: 'alice@example.com',
  email_verified: true,
} as const;

/** One HTTP request as the provider received it. */
export interface SeenRequest {
  method: string;
  path: string;
  /** The `Authorization` scheme, lowercased (`basic`, `bearer`), if any. */
  auth: string | undefined;
}

export interface SeenError {
  event: string;
  error: string | undefined;
  description: string | undefined;
}

export interface TestProvider {
  issuer: string;
  discoveryUrl: string;
  requests: SeenRequest[];
  /** `grant_type` of every successful token request, in order. */
  grants: string[];
  /** The body of the last successful token response (the provider's own view of the tokens). */
  lastTokenResponse: Record<string, unknown> | undefined;
  /** Refresh tokens the provider marked consumed (rotation). */
  consumedRefreshTokens: number;
  endSessions: number;
  /** Back-channel logout deliveries the relying party answered 200 to, and those it refused. */
  backchannel: { delivered: number; failed: string[] };
  /** The provider's signing key (private JWK), for tests that forge or alter tokens. */
  signingKey: Record<string, unknown>;
  /** Every error event the provider emitted (invalid_client, invalid_grant, …). */
  errors: SeenError[];
  /** Clears the logs. */
  reset(): void;
  close(): Promise<void>;
}

const ERROR_EVENTS = [
  'authorization.error',
  'grant.error',
  'introspection.error',
  'revocation.error',
  'userinfo.error',
  'end_session.error',
  'discovery.error',
  'jwks.error',
  'server_error',
] as const;

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export interface ProviderSetup {
  /** An app URL to register a second client (`SCENARIO_CLIENT_ID`) for: code, hybrid, implicit, token exchange. */
  appUrl?: string;
  /** Registers the first client for OpenID Connect Back-Channel Logout at this URI (sid required). */
  backchannelLogoutUri?: string;
  /** Features turned off, so the discovery document lacks their endpoint (default: all on). */
  disable?: readonly ('revocation' | 'rpInitiatedLogout')[];
}
export const SCENARIO_CLIENT_ID = 'scenario-app';

export async function startOidcProvider(setup: ProviderSetup = {}): Promise<TestProvider> {
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'interop-rs256', alg: 'RS256', use: 'sig' };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [`${BASE_URL}/callback`],
        post_logout_redirect_uris: [`${BASE_URL}/`],
        grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
        response_types: ['code'],
        ...(setup.backchannelLogoutUri !== undefined && {
          backchannel_logout_uri: setup.backchannelLogoutUri,
          backchannel_logout_session_required: true,
        }),
      },
      ...(setup.appUrl === undefined
        ? []
        : [
            {
              client_id: SCENARIO_CLIENT_ID,
              client_secret: CLIENT_SECRET,
              // oidc-provider refuses http redirect URIs for implicit-capable web clients; a native
              // client may use loopback ones (RFC 8252 §7.3), which is what a test on localhost has.
              application_type: 'native',
              token_endpoint_auth_method: 'client_secret_basic',
              redirect_uris: [`${setup.appUrl}/callback`],
              post_logout_redirect_uris: [`${setup.appUrl}/`],
              grant_types: ['authorization_code', 'implicit', 'refresh_token', 'client_credentials', TOKEN_EXCHANGE],
              response_types: ['code', 'code id_token', 'id_token token'],
            },
          ]),
    ],
    responseTypes: ['code', 'code id_token', 'id_token token', 'none'],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'offline_access', 'api:read'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    // Put the scope's claims in the ID token too, as Asgardeo does; oidc-provider's default keeps
    // them for userinfo only when an access token is issued (OIDC Core 5.4).
    conformIdTokenClaims: false,
    findAccount: (_ctx, id): Account | undefined => (id === ALICE.sub ? { accountId: id, claims: () => ({ ...ALICE }) } : undefined),
    features: {
      devInteractions: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: !setup.disable?.includes('revocation') },
      clientCredentials: { enabled: true },
      rpInitiatedLogout: { enabled: !setup.disable?.includes('rpInitiatedLogout') },
      backchannelLogout: { enabled: setup.backchannelLogoutUri !== undefined },
    },
    // Rotate every refresh token (the default rotates only for public clients), so the test
    // shows the library keeps the new one: oidc-provider treats reuse of a rotated token as
    // replay and revokes the whole grant.
    rotateRefreshToken: true,
    // The provider refuses to post to loopback addresses (SSRF protection through its own
    // dispatcher); the app under test listens on 127.0.0.1, so the test provider posts directly.
    ...(setup.backchannelLogoutUri !== undefined && {
      fetch: (url: string | URL, init: RequestInit & { dispatcher?: unknown }) => {
        const { dispatcher: _ssrf, ...rest } = init;
        return globalThis.fetch(url, rest);
      },
    }),
    ttl: { AccessToken: 600, ClientCredentials: 600, IdToken: 600, RefreshToken: 86_400, Grant: 86_400, Session: 86_400 },
  });

  const log: Omit<TestProvider, 'issuer' | 'discoveryUrl' | 'reset' | 'close'> = {
    requests: [],
    grants: [],
    lastTokenResponse: undefined,
    consumedRefreshTokens: 0,
    endSessions: 0,
    backchannel: { delivered: 0, failed: [] },
    signingKey,
    errors: [],
  };
  provider.on('backchannel.success', () => {
    log.backchannel.delivered += 1;
  });
  provider.on('backchannel.error', (_ctx, err) => {
    log.backchannel.failed.push(String(err?.message));
  });
  provider.on('grant.success', (ctx) => {
    log.grants.push(String(ctx.oidc.params?.grant_type));
    log.lastTokenResponse = ctx.body as Record<string, unknown>;
  });
  provider.on('refresh_token.consumed', () => {
    log.consumedRefreshTokens += 1;
  });
  provider.on('end_session.success', () => {
    log.endSessions += 1;
  });
  for (const event of ERROR_EVENTS) {
    provider.on(event, (_ctx, err) => {
      log.errors.push({ event, error: err.error ?? err.message, description: err.error_description });
    });
  }

  // RFC 8693 token exchange, which oidc-provider leaves to a custom grant: an active access token
  // of this provider is exchanged for a new one for the same account.
  provider.registerGrantType(
    TOKEN_EXCHANGE,
    async (ctx) => {
      const params = ctx.oidc.params as Record<string, string | undefined>;
      if ((params.subject_token_type ?? ACCESS_TOKEN_TYPE) !== ACCESS_TOKEN_TYPE) {
        throw new errors.InvalidRequest('only access tokens can be exchanged');
      }
      const subject = await provider.AccessToken.find(params.subject_token ?? '');
      if (!subject || subject.isExpired) throw new errors.InvalidGrant('subject_token is not an active access token');
      const token = new provider.AccessToken({
        accountId: subject.accountId,
        client: ctx.oidc.client,
        grantId: subject.grantId,
        scope: params.scope ?? subject.scope,
        gty: 'token_exchange',
      });
      ctx.body = {
        access_token: await token.save(),
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: 'Bearer',
        expires_in: token.expiration,
        scope: token.scope,
      };
    },
    new Set(['subject_token', 'subject_token_type', 'scope', 'audience', 'resource', 'requested_token_type']),
  );

  const handle = provider.callback();
  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const auth = req.headers.authorization?.split(' ')[0]?.toLowerCase();
    log.requests.push({ method: req.method ?? 'GET', path: url.pathname, auth });
    handle(req, res);
  });

  return Object.assign(log, {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    reset() {
      log.requests.length = 0;
      log.grants.length = 0;
      log.errors.length = 0;
      log.lastTokenResponse = undefined;
      log.consumedRefreshTokens = 0;
      log.endSessions = 0;
      log.backchannel = { delivered: 0, failed: [] };
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  });
}

/**
 * The options a user gives the library for a standard provider such as Asgardeo: one switch, the
 * issuer and the client's credentials. Discovery, client authentication (client_secret_basic,
 * from token_endpoint_auth_methods_supported), bearer userinfo and form-encoded Basic follow.
 */
export function standardProviderOptions(op: TestProvider) {
  return { provider: 'oidc', server: op.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET } as const;
}

export interface Page {
  status: number;
  url: string;
  body: string;
  /** Set when the provider sent the browser to another origin (the app). */
  leftTo: URL | undefined;
}

/** The browser's side at the provider: a cookie jar for its origin, and its redirects followed. */
export class ProviderBrowser {
  readonly #origin: string;
  readonly #jar = new Map<string, string>();

  constructor(issuer: string) {
    this.#origin = new URL(issuer).origin;
  }

  async go(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Page> {
    let current = url;
    let method = init.method ?? 'GET';
    let body = init.form ? new URLSearchParams(init.form).toString() : undefined;
    for (let hops = 0; hops < 10; hops += 1) {
      if (new URL(current).origin !== this.#origin) return { status: 0, url: current, body: '', leftTo: new URL(current) };
      const headers: Record<string, string> = { accept: 'text/html' };
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      if (this.#jar.size) headers.cookie = [...this.#jar].map(([k, v]) => `${k}=${v}`).join('; ');
      const res = await fetch(current, { method, headers, ...(body !== undefined && { body }), redirect: 'manual' });
      this.#keep(res.headers.getSetCookie());
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        current = new URL(location, current).href;
        method = 'GET';
        body = undefined;
        continue;
      }
      return { status: res.status, url: current, body: await res.text(), leftTo: undefined };
    }
    throw new Error(`too many redirects at ${current}`);
  }

  /** Submits a form found on a page, with its hidden fields and the given ones. */
  submit(page: Page, fields: Record<string, string> = {}, formId?: string): Promise<Page> {
    const form = parseForm(page.body, formId);
    if (!form) throw new Error(`no form on ${page.url} (HTTP ${page.status}): ${page.body.slice(0, 500)}`);
    return this.go(new URL(form.action, page.url).href, { method: form.method, form: { ...form.fields, ...fields } });
  }

  #keep(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [k = '', v = ''] = a.trim().split('=');
        return (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) || (k.toLowerCase() === 'max-age' && Number(v) <= 0);
      });
      if (expired || value === '') this.#jar.delete(name);
      else this.#jar.set(name, value);
    }
  }
}

export interface Form {
  action: string;
  method: string;
  fields: Record<string, string>;
}

/** The first form of a page (or the one with this id), with its hidden inputs. */
export function parseForm(html: string, id?: string): Form | undefined {
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attrs = attributes(m[1] ?? '');
    if (id !== undefined && attrs.id !== id) continue;
    const fields: Record<string, string> = {};
    for (const input of (m[2] ?? '').matchAll(/<input\b([^>]*)>/g)) {
      const a = attributes(input[1] ?? '');
      if (a.type === 'hidden' && a.name !== undefined) fields[a.name] = a.value ?? '';
    }
    return { action: attrs.action ?? '', method: (attrs.method ?? 'get').toUpperCase(), fields };
  }
  return undefined;
}

function attributes(source: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of source.matchAll(/([\w.-]+)\s*=\s*"([^"]*)"/g)) out[(m[1] as string).toLowerCase()] = decodeHtml(m[2] as string);
  return out;
}

function decodeHtml(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export type Agent = ReturnType<typeof request.agent>;

export interface SignIn {
  /** The app's answer to `/login`. */
  login: request.Response;
  /** The authorization request the app sent the browser to. */
  authorizeUrl: URL;
  /** The provider's pages the user went through, by prompt (`login`, `consent`). */
  prompts: string[];
  /** Where the provider sent the browser back to (the app's callback). */
  callbackUrl: URL;
  /** The app's answer to the callback. */
  callback: request.Response;
}

/**
 * A user signing in: GET /login at the app, then at the provider fill in its login form and
 * accept its consent page, then back to the app's callback with the code.
 */
export async function signIn(agent: Agent, browser: ProviderBrowser, loginPath = '/login?returnTo=%2Fme'): Promise<SignIn> {
  const login = await agent.get(loginPath).redirects(0);
  if (login.status !== 302) throw new Error(`/login answered ${login.status}: ${login.text}`);
  const authorizeUrl = new URL(login.headers.location as string);
  const prompts: string[] = [];
  let page = await browser.go(authorizeUrl.href);
  while (!page.leftTo) {
    if (prompts.length > 4) throw new Error(`the provider keeps asking: ${prompts.join(', ')}`);
    const prompt = parseForm(page.body)?.fields.prompt;
    if (page.status !== 200 || !prompt)
      throw new Error(`unexpected provider page ${page.url} (HTTP ${page.status}): ${page.body.slice(0, 800)}`);
    prompts.push(prompt);
    page = await browser.submit(page, prompt === 'login' ? { login: ALICE.sub, password: 'any-password' } : {});
  }
  const callbackUrl = page.leftTo;
  const callback = await agent.get(callbackUrl.pathname + callbackUrl.search).redirects(0);
  return { login, authorizeUrl, prompts, callbackUrl, callback };
}

export function sessionCookie(res: request.Response): string | undefined {
  const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
  return raw?.find((c) => c.startsWith('connect.sid='))?.split(';')[0];
}

/** The payload of a JWT, unverified (the library verified it; the test only reads it). */
export function jwtPayload(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}
