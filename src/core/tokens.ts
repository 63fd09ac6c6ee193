import type { IDToken, TokenEndpointResponse, TokenEndpointResponseHelpers } from 'openid-client';
import { CallbackError } from '../errors.js';
import { checkAtHash } from './at-hash.js';

/** A token endpoint answer with an absolute expiry. EmpowerID adds `id` (the person GUID). */
export interface TokenSet {
  /** The access token, to call APIs with (`Authorization: Bearer …`). Never log it. */
  access_token: string;
  /** The token type, usually `Bearer`. */
  token_type: string;
  /** Seconds, as the IdP sent it. */
  expires_in?: number;
  /** Absolute expiry in milliseconds since the epoch, computed when the answer arrived. */
  expires_at?: number;
  /** The refresh token, when the grant issues one; a rotated one replaces the old after a refresh. */
  refresh_token?: string;
  /** The raw ID token (a JWT), when the answer had one; keep it for `id_token_hint`. */
  id_token?: string;
  /** Space-separated scopes granted, when the IdP said. */
  scope?: string;
  /** EmpowerID's person GUID; all zeros after a refresh. */
  id?: string;
  /** RFC 8693: the type of the issued token. */
  issued_token_type?: string;
  /** Validated ID-token claims, when an ID token came with the answer. */
  claims?: IDToken;
  [extra: string]: unknown;
}

/**
 * The one place a token-endpoint answer becomes a {@link TokenSet}: the validated ID-token claims
 * (with `at_hash` checked against the access token, `iat` not in the future) and `expires_at` from
 * `expires_in` on the caller's clock. Every grant and the sign-in callback go through here. (EmpowerID's
 * `"id_token": null` never gets this far: the client's token-endpoint fetch drops null fields.)
 */
export function toTokenSet(
  response: TokenEndpointResponse & TokenEndpointResponseHelpers,
  now: number,
  clockToleranceSeconds: number,
): TokenSet {
  const claims = response.claims();
  if (response.id_token) checkAtHash(response.id_token, response.access_token, claims?.at_hash);
  // openid-client checks exp and nbf but lets iat lie in the future; a token "issued" later than
  // now (beyond the tolerance) is forged or from a broken clock, and is not valid yet either.
  if (claims && typeof claims.iat === 'number' && claims.iat * 1000 > now + clockToleranceSeconds * 1000) {
    throw new CallbackError('ERR_ID_TOKEN_INVALID', 'empowerid: the ID token was rejected: iat is in the future');
  }
  const set: TokenSet = { ...(response as unknown as TokenSet) };
  const expiresIn = typeof response.expires_in === 'number' ? response.expires_in : Number(response.expires_in);
  if (Number.isFinite(expiresIn) && expiresIn > 0) {
    set.expires_in = expiresIn;
    set.expires_at = now + expiresIn * 1000;
  }
  if (claims) set.claims = claims;
  return set;
}

/**
 * The moment a token should be renewed: `skew` seconds before expiry, but never earlier than
 * halfway through its lifetime, so a short-lived token is not refreshed on every request.
 */
export function renewAt(expiresAt: number, lifetimeSeconds: number | undefined, skewSeconds: number): number {
  const lifetimeMs = (lifetimeSeconds ?? Number.POSITIVE_INFINITY) * 1000;
  const skewMs = Math.min(skewSeconds * 1000, lifetimeMs / 2);
  return expiresAt - skewMs;
}
