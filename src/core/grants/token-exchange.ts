/**
 * RFC 8693 token exchange at EmpowerID's token endpoint (document 003).
 */
import * as oidc from 'openid-client';
import { ConfigurationError } from '../../errors.js';
import type { EmpowerIDClient } from '../client.js';
import { debug } from '../debug.js';
import type { TokenSet } from '../tokens.js';
import { formParams, optionalParam, requireParam, scopeParam, tokenRequest } from './request.js';

const log = debug('grants');

/** `grant_type` of RFC 8693 token exchange. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 §3 token type of an OAuth access token: the default `subject_token_type`. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** Parameters of {@link EmpowerIDClient.tokenExchange}. */
export interface TokenExchangeParams {
  /** The token to exchange: usually the access token your API received. */
  subjectToken: string;
  /** Default `urn:ietf:params:oauth:token-type:access_token`. */
  subjectTokenType?: string;
  /** Sent only when given: without it the IdP decides (RFC 8693: typically the subject token's scope). */
  scope?: string;
  /** RFC 8693 `audience`: logical name(s) of the target service. */
  audience?: string | readonly string[];
  /** RFC 8693 `resource`: absolute URI(s) of the target service. */
  resource?: string | readonly string[];
  /** RFC 8693 `requested_token_type`. */
  requestedTokenType?: string;
}

/**
 * RFC 8693 token exchange. The client authenticates with HTTP Basic, as EmpowerID documents,
 * whatever `clientAuthMethod` says. The answer keeps `issued_token_type`; EmpowerID's
 * `"id_token": null` is dropped and its all-zero `id` kept.
 *
 * @throws {OAuthError} `invalid_grant` (inactive or unknown subject token), `invalid_client`.
 *
 * @example
 * ```ts
 * // In an API, on behalf of the caller:
 * const downstream = await eid.tokenExchange({ subjectToken: req.empowerid.accessToken!.value, scope: 'openid' });
 * downstream.issued_token_type; // 'urn:ietf:params:oauth:token-type:access_token'
 * ```
 */
export async function tokenExchange(client: EmpowerIDClient, params: TokenExchangeParams): Promise<TokenSet> {
  if (params === null || typeof params !== 'object') throw new ConfigurationError('params', 'must be an object');
  const body = formParams({
    subject_token: requireParam(params.subjectToken, 'subjectToken'),
    subject_token_type: optionalParam(params.subjectTokenType, 'subjectTokenType') ?? ACCESS_TOKEN_TYPE,
    scope: scopeParam(params.scope, undefined),
    audience: list(params.audience, 'audience'),
    resource: list(params.resource, 'resource'),
    requested_token_type: optionalParam(params.requestedTokenType, 'requestedTokenType'),
  });
  log('token exchange: subject_token_type=%s', body.get('subject_token_type'));
  const config = await client.configuration('basic');
  return tokenRequest(client, () => oidc.genericGrantRequest(config, TOKEN_EXCHANGE_GRANT_TYPE, body));
}

function list(value: unknown, name: string): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const values = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string' || v === '')) {
    throw new ConfigurationError(name, 'must be a non-empty string or a non-empty array of them');
  }
  return values as readonly string[];
}
