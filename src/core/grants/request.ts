/**
 * What every server-side grant shares: choosing the client authentication for one call, sending
 * the token request through openid-client, and turning its answer into a {@link TokenSet} and its
 * failures into coded errors.
 */
import * as oidc from 'openid-client';
import { ConfigurationError } from '../../errors.js';
import type { EmpowerIDClient } from '../client.js';
import type { ClientAuthMethod } from '../config.js';
import { mapError } from '../map-error.js';
import { type TokenSet, toTokenSet } from '../tokens.js';

const WHERE = 'the token endpoint';
const AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_post', 'client_secret_basic', 'private_key_jwt'];

type TokenResponse = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

/**
 * Sends one token request and shapes the answer: `expires_at` from the client's clock, validated
 * ID-token `claims` when an ID token came back, EmpowerID's `id` kept, null fields (EmpowerID's
 * `"id_token": null`) dropped by the client's tolerant fetch.
 *
 * @throws {OAuthError} the IdP's `error`/`error_description` (`invalid_grant`, `invalid_client`, …).
 * @throws {IdPUnavailableError} the IdP is unreachable, timed out or answered 5xx.
 * @throws {IdPResponseError} the IdP answered something that is not a token response.
 */
export async function tokenRequest(client: EmpowerIDClient, send: () => Promise<TokenResponse>): Promise<TokenSet> {
  let response: TokenResponse;
  try {
    response = await send();
  } catch (err) {
    throw mapError(err, WHERE);
  }
  return toTokenSet(response, client.config.clock(), client.config.clockToleranceSeconds);
}

/**
 * The client's openid-client Configuration for the token endpoint with the client authentication
 * `method` for this call: the client's configured method when `method` is undefined.
 */
export async function configurationFor(client: EmpowerIDClient, method: ClientAuthMethod | undefined): Promise<oidc.Configuration> {
  if (method !== undefined && !AUTH_METHODS.includes(method)) {
    throw new ConfigurationError('clientAuthMethod', `must be one of ${AUTH_METHODS.map((m) => `"${m}"`).join(', ')}`);
  }
  const configured = client.config.clientAuthMethod;
  if (method === undefined || method === configured) return client.configuration('token');
  if (method === 'client_secret_basic') return client.configuration('basic');
  if (method === 'client_secret_post') return client.configurationWith(oidc.ClientSecretPost(requireSecret(client, method)));
  throw new ConfigurationError(
    'clientAuthMethod',
    '"private_key_jwt" can only be used per call when the client itself is configured with it (clientAuthMethod and privateKey)',
  );
}

/** The client secret, or a ConfigurationError naming what needs it. */
export function requireSecret(client: EmpowerIDClient, what: string): string {
  const secret = client.config.clientSecret;
  if (secret === undefined) throw new ConfigurationError('clientSecret', `is required for ${what}`);
  return secret;
}

/** A required, non-empty string parameter of a grant call. */
export function requireParam(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new ConfigurationError(name, 'is required and must be a non-empty string');
  return value;
}

/** An optional string parameter of a grant call; `undefined` stays undefined. */
export function optionalParam(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new ConfigurationError(name, 'must be a non-empty string when given');
  return value;
}

/** Grant parameters in form order, skipping undefined values; arrays become repeated parameters. */
export function formParams(entries: Record<string, string | readonly string[] | undefined>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(entries)) {
    if (value === undefined) continue;
    for (const v of typeof value === 'string' ? [value] : value) params.append(name, v);
  }
  return params;
}

/**
 * The `scope` to send: `fallback` when undefined (`openid` for the grants whose docs mark scope
 * required), nothing when `''`, else the value with its whitespace normalised.
 */
export function scopeParam(value: unknown, fallback: string | undefined): string | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== 'string') throw new ConfigurationError('scope', 'must be a space-separated string');
  const scope = value.split(/\s+/).filter(Boolean).join(' ');
  return scope === '' ? undefined : scope;
}
