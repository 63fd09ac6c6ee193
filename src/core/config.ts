import type { KeyObject } from 'node:crypto';
import { ConfigurationError } from '../errors.js';
import type { BasicEncoding } from './basic-auth.js';

export type { BasicEncoding } from './basic-auth.js';

/** How the client authenticates at the token endpoint. EmpowerID documents `client_secret_post`. */
export type ClientAuthMethod = 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt';

/** Overrides for single endpoints; anything left out comes from discovery or EmpowerID's layout. */
export interface EndpointOverrides {
  /** Authorization endpoint (RFC 6749 §3.1), where the browser signs in. */
  authorization?: string;
  /** Token endpoint (RFC 6749 §3.2): code exchange, refresh and every grant. */
  token?: string;
  /** Token introspection endpoint (RFC 7662; EmpowerID's `tokeninfo`), used by `requireToken()`. */
  introspection?: string;
  /** Token revocation endpoint (RFC 7009; EmpowerID's `tokenrevoke`). */
  revocation?: string;
  /** UserInfo endpoint (OpenID Connect Core §5.3), for the profile on `req.empowerid`. */
  userinfo?: string;
  /** End-session endpoint (OpenID Connect RP-Initiated Logout 1.0), for logout. */
  endSession?: string;
  /** JSON Web Key Set (RFC 7517) with the keys that sign ID tokens. */
  jwks?: string;
}

/**
 * `empowerid` (default): EmpowerID's endpoint layout, discovery below `/oauth`, its client
 * authentication and userinfo habits. `oidc`: any standard OpenID provider — `server` is the
 * issuer, discovery at `issuer/.well-known/openid-configuration` (then RFC 8414's
 * `/.well-known/oauth-authorization-server`), and endpoints, client authentication, response modes
 * and userinfo style taken from its metadata.
 */
export type ProviderKind = 'empowerid' | 'oidc';

/** Options shared by `createClient`, `empowerid()` and `requireToken()`. */
export interface ClientOptions {
  /** Which kind of provider `server` is. Default `empowerid`. */
  provider?: ProviderKind;
  /** EmpowerID base URL (e.g. `https://eid.example.com`), or the issuer URL when `provider` is `oidc`. */
  server: string;
  /** The application's `client_id` as registered at the provider (EmpowerID: the OAuth application's client ID). */
  clientId: string;
  /** Required for `client_secret_post` / `client_secret_basic`, and for tokeninfo, tokenrevoke, userinfo. */
  clientSecret?: string;
  /**
   * Default `client_secret_post`, as EmpowerID documents. With `provider: 'oidc'`: chosen from the
   * metadata's `token_endpoint_auth_methods_supported` (`private_key_jwt` when a `privateKey` is
   * given, else `client_secret_basic`, else `client_secret_post`).
   */
  clientAuthMethod?: ClientAuthMethod;
  /** PEM (PKCS#8) private key or KeyObject, for `private_key_jwt`. */
  privateKey?: string | KeyObject;
  /**
   * Discovery document URL. Default `${server}/oauth/.well-known/openid-configuration`; with
   * `provider: 'oidc'`, `${server}/.well-known/openid-configuration` falling back to RFC 8414.
   */
  discoveryUrl?: string;
  /** `false` skips discovery: then `issuer` and `endpoints.jwks` must be given. Default `true`. */
  discovery?: boolean;
  /** Expected `iss`. Default: the discovery document's `issuer` (for EmpowerID, `EmpowerID`). */
  issuer?: string;
  /** Single endpoints to use instead of the discovered ones (or all of them, with `discovery: false`). */
  endpoints?: EndpointOverrides;
  /** Accept an `http://` server that is not on a loopback host. Never do this in production. */
  allowInsecureHttp?: boolean;
  /** Timeout of every request to the IdP, in milliseconds. Default 5000. */
  timeoutMs?: number;
  /** Clock tolerance for ID tokens and introspection answers, in seconds. Default 60. */
  clockToleranceSeconds?: number;
  /** A `fetch` to use for every IdP request. Default: a pooled keep-alive client (undici). */
  fetch?: typeof globalThis.fetch;
  /** `empowerid` (POST, Basic client credentials, `access_token` form field) or `bearer` (default with `provider: 'oidc'`). */
  userinfoStyle?: 'empowerid' | 'bearer';
  /** Expected ID-token signing algorithm. Default `RS256`. */
  idTokenSigningAlg?: string;
  /** Base delay of discovery retries (doubles up to 30 s). Default 500 ms. */
  discoveryRetryBaseMs?: number;
  /** Clock, in milliseconds since the epoch. Default `Date.now`. */
  clock?: () => number;
  /**
   * How every HTTP Basic header the library sends is written: the client's id and secret (tokeninfo,
   * tokenrevoke, userinfo, token exchange, `client_secret_basic`) and the person's username and
   * password (EmpowerID's password grant). `literal`: `base64(id:secret)` as EmpowerID documents;
   * `form`: each half form-encoded first (RFC 6749 §2.3.1), as standard providers expect.
   * Default: `literal` for EmpowerID's layout, `form` when `discoveryUrl` points elsewhere or
   * `userinfoStyle` is `bearer` (a standard OpenID Connect provider). In `literal` mode a
   * `clientId` containing `:` is refused.
   */
  basicEncoding?: BasicEncoding;
}

/**
 * The client options after validation, frozen, with every default filled in.
 * @inline
 */
export interface ResolvedClientConfig {
  /** The `provider` option, or its default. */
  readonly provider: ProviderKind;
  /** The `server` option, parsed. */
  readonly server: URL;
  /** The `clientId` option. */
  readonly clientId: string;
  /** The `clientSecret` option. */
  readonly clientSecret: string | undefined;
  /** The `clientAuthMethod` option, or its default. */
  readonly clientAuthMethod: ClientAuthMethod;
  /** True when `clientAuthMethod` is to be chosen from the provider metadata (`provider: 'oidc'`, not given). */
  readonly clientAuthMethodFromMetadata: boolean;
  /** The `privateKey` option. */
  readonly privateKey: string | KeyObject | undefined;
  /** The discovery document URL in use; `undefined` with `discovery: false`. */
  readonly discoveryUrl: URL | undefined;
  /** RFC 8414 discovery, tried when `discoveryUrl` (the default one, `provider: 'oidc'`) answers 404. */
  readonly discoveryFallbackUrl: URL | undefined;
  /** The `issuer` option; `undefined`: the discovery document's `issuer` is expected. */
  readonly issuer: string | undefined;
  /** The `endpoints` overrides. */
  readonly endpoints: Readonly<EndpointOverrides>;
  /** The `allowInsecureHttp` option, or its default. */
  readonly allowInsecureHttp: boolean;
  /** The `timeoutMs` option, or its default. */
  readonly timeoutMs: number;
  /** The `clockToleranceSeconds` option, or its default. */
  readonly clockToleranceSeconds: number;
  /** The `fetch` option; `undefined`: the shared keep-alive pool. */
  readonly fetch: typeof globalThis.fetch | undefined;
  /** The `userinfoStyle` option, or its default. */
  readonly userinfoStyle: 'empowerid' | 'bearer';
  /** The `idTokenSigningAlg` option, or its default. */
  readonly idTokenSigningAlg: string;
  /** The `discoveryRetryBaseMs` option, or its default. */
  readonly discoveryRetryBaseMs: number;
  /** The `clock` option, or its default. */
  readonly clock: () => number;
  /** The `basicEncoding` option, or its default. */
  readonly basicEncoding: BasicEncoding;
}

/** The one table of defaults. */
export const CLIENT_DEFAULTS = {
  provider: 'empowerid',
  clientAuthMethod: 'client_secret_post',
  timeoutMs: 5000,
  clockToleranceSeconds: 60,
  userinfoStyle: 'empowerid',
  idTokenSigningAlg: 'RS256',
  discoveryRetryBaseMs: 500,
} as const;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True for hosts where plain `http://` is acceptable (tests, the example app). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname.endsWith('.localhost');
}

/**
 * Validates client options once, at construction, and returns a frozen config. Every error names
 * the option, so a typo fails at startup instead of as an HTTP 500 on the first login.
 */
export function resolveClientConfig(options: ClientOptions): ResolvedClientConfig {
  if (options === null || typeof options !== 'object') {
    throw new ConfigurationError('options', 'must be an object');
  }
  const provider = oneOf(options, 'provider', ['empowerid', 'oidc'] as const) ?? CLIENT_DEFAULTS.provider;
  const standard = provider === 'oidc';
  const allowInsecureHttp = optionalBoolean(options, 'allowInsecureHttp') ?? false;
  const server = url('server', requiredString(options, 'server'), allowInsecureHttp);
  if (server.search || server.hash) throw new ConfigurationError('server', 'must not contain a query or fragment');
  const clientId = requiredString(options, 'clientId');
  const clientSecret = optionalString(options, 'clientSecret');
  const chosenAuthMethod = oneOf(options, 'clientAuthMethod', ['client_secret_post', 'client_secret_basic', 'private_key_jwt']);
  const privateKey = options.privateKey;
  const clientAuthMethodFromMetadata = standard && chosenAuthMethod === undefined;
  // Until the metadata is known, the method the provider will most likely take (OIDC Discovery's default).
  const clientAuthMethod =
    chosenAuthMethod ??
    (clientAuthMethodFromMetadata
      ? privateKey !== undefined && clientSecret === undefined
        ? 'private_key_jwt'
        : 'client_secret_basic'
      : CLIENT_DEFAULTS.clientAuthMethod);
  if (clientAuthMethodFromMetadata && clientSecret === undefined && privateKey === undefined) {
    throw new ConfigurationError('clientSecret', 'is required (or privateKey, for private_key_jwt)');
  }
  if (clientAuthMethod === 'private_key_jwt') {
    if (privateKey === undefined || (typeof privateKey !== 'string' && typeof privateKey !== 'object')) {
      throw new ConfigurationError('privateKey', 'is required when clientAuthMethod is "private_key_jwt"');
    }
  } else if (clientSecret === undefined) {
    throw new ConfigurationError('clientSecret', `is required when clientAuthMethod is "${clientAuthMethod}"`);
  }

  const discovery = optionalBoolean(options, 'discovery') ?? true;
  const endpoints = resolveEndpoints(options.endpoints, allowInsecureHttp);
  const issuer = optionalString(options, 'issuer');
  if (!discovery) {
    if (issuer === undefined) throw new ConfigurationError('issuer', 'is required when discovery is false');
    if (endpoints.jwks === undefined) {
      throw new ConfigurationError('endpoints.jwks', 'is required when discovery is false');
    }
  }
  const givenDiscoveryUrl = optionalString(options, 'discoveryUrl');
  const discoveryUrl = discovery
    ? url(
        'discoveryUrl',
        givenDiscoveryUrl ?? `${trimSlash(server.href)}${standard ? '' : '/oauth'}/.well-known/openid-configuration`,
        allowInsecureHttp,
      )
    : undefined;
  // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
  const discoveryFallbackUrl =
    discovery && standard && givenDiscoveryUrl === undefined
      ? new URL(`${server.origin}/.well-known/oauth-authorization-server${trimSlash(server.pathname)}`)
      : undefined;

  const userinfoStyle = oneOf(options, 'userinfoStyle', ['empowerid', 'bearer']) ?? (standard ? 'bearer' : CLIENT_DEFAULTS.userinfoStyle);
  const empowerIdLayout = `${trimSlash(server.href)}/oauth/.well-known/openid-configuration`;
  // provider: 'oidc' form-encodes Basic (RFC 6749 §2.3.1); so does a client that looks standard.
  const standardProvider = standard || userinfoStyle === 'bearer' || (discoveryUrl !== undefined && discoveryUrl.href !== empowerIdLayout);
  const basicEncoding = oneOf(options, 'basicEncoding', ['literal', 'form']) ?? (standardProvider ? 'form' : 'literal');
  if (basicEncoding === 'literal' && clientId.includes(':')) {
    throw new ConfigurationError(
      'clientId',
      'contains ":", which a literal Basic header (basicEncoding "literal", the EmpowerID default) cannot carry; use basicEncoding: "form" if your provider form-decodes',
    );
  }

  const fetchOption = options.fetch;
  if (fetchOption !== undefined && typeof fetchOption !== 'function') {
    throw new ConfigurationError('fetch', 'must be a function with the signature of the global fetch');
  }
  const clock = options.clock;
  if (clock !== undefined && typeof clock !== 'function')
    throw new ConfigurationError('clock', 'must be a function returning milliseconds');

  return Object.freeze({
    provider,
    server,
    clientId,
    clientSecret,
    clientAuthMethod,
    clientAuthMethodFromMetadata,
    privateKey,
    discoveryUrl,
    discoveryFallbackUrl,
    issuer,
    endpoints: Object.freeze(endpoints),
    allowInsecureHttp,
    timeoutMs: positiveNumber(options, 'timeoutMs') ?? CLIENT_DEFAULTS.timeoutMs,
    clockToleranceSeconds: nonNegativeNumber(options, 'clockToleranceSeconds') ?? CLIENT_DEFAULTS.clockToleranceSeconds,
    fetch: fetchOption,
    userinfoStyle,
    idTokenSigningAlg: optionalString(options, 'idTokenSigningAlg') ?? CLIENT_DEFAULTS.idTokenSigningAlg,
    discoveryRetryBaseMs: positiveNumber(options, 'discoveryRetryBaseMs') ?? CLIENT_DEFAULTS.discoveryRetryBaseMs,
    clock: clock ?? Date.now,
    basicEncoding,
  });
}

function resolveEndpoints(value: unknown, allowInsecureHttp: boolean): EndpointOverrides {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') throw new ConfigurationError('endpoints', 'must be an object');
  const known = ['authorization', 'token', 'introspection', 'revocation', 'userinfo', 'endSession', 'jwks'] as const;
  const out: EndpointOverrides = {};
  for (const key of Object.keys(value)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new ConfigurationError(`endpoints.${key}`, `is not a known endpoint (known: ${known.join(', ')})`);
    }
  }
  for (const key of known) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new ConfigurationError(`endpoints.${key}`, 'must be a URL string');
    out[key] = url(`endpoints.${key}`, v, allowInsecureHttp).href;
  }
  return out;
}

// Option readers: each names the option in its error.

/** @internal */
export function requiredString(o: object, name: string): string {
  const v = (o as Record<string, unknown>)[name];
  if (typeof v !== 'string' || v.trim() === '') throw new ConfigurationError(name, 'is required and must be a non-empty string');
  return v;
}

/** @internal */
export function optionalString(o: object, name: string): string | undefined {
  const v = (o as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new ConfigurationError(name, 'must be a non-empty string');
  return v;
}

/** @internal */
export function optionalBoolean(o: object, name: string): boolean | undefined {
  const v = (o as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new ConfigurationError(name, 'must be true or false');
  return v;
}

/** @internal */
export function positiveNumber(o: object, name: string): number | undefined {
  const v = (o as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new ConfigurationError(name, 'must be a positive number');
  return v;
}

/** @internal */
export function nonNegativeNumber(o: object, name: string): number | undefined {
  const v = (o as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigurationError(name, 'must be a number ≥ 0');
  return v;
}

/** @internal */
export function oneOf<T extends string>(o: object, name: string, allowed: readonly T[]): T | undefined {
  const v = (o as Record<string, unknown>)[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ConfigurationError(name, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
  }
  return v as T;
}

/** @internal Parses an absolute http(s) URL; plain http only for loopback hosts unless allowed. */
export function url(name: string, value: string, allowInsecureHttp: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigurationError(name, `must be an absolute URL (got "${value}")`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ConfigurationError(name, 'must be an http(s) URL');
  }
  if (parsed.protocol === 'http:' && !allowInsecureHttp && !isLoopbackHost(parsed.hostname)) {
    throw new ConfigurationError(
      name,
      `uses http:// on a non-loopback host (${parsed.hostname}); use https://, or set allowInsecureHttp: true for a development IdP`,
    );
  }
  if (parsed.username || parsed.password) throw new ConfigurationError(name, 'must not contain credentials');
  return parsed;
}

/** @internal */
export function trimSlash(s: string): string {
  return s.endsWith('/') ? s.slice(0, -1) : s;
}
