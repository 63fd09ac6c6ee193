/**
 * EmpowerID's resource owner password grant (documents 002/003): the person's credentials in
 * `Authorization: Basic`, the client's id and secret in the body. The RFC 6749 §4.3 form is
 * available too.
 */
import * as oidc from 'openid-client';
import { ConfigurationError } from '../../errors.js';
import { basicAuth, type BasicEncoding } from '../basic-auth.js';
import type { EmpowerIDClient } from '../client.js';
import { debug } from '../debug.js';
import type { TokenSet } from '../tokens.js';
import { formParams, requireParam, requireSecret, scopeParam, tokenRequest } from './request.js';

const log = debug('grants');

/** Parameters of {@link EmpowerIDClient.password}. */
export interface PasswordParams {
  /** The person's EmpowerID username. */
  username: string;
  /** The person's password. Never logged. */
  password: string;
  /** Default `openid` (EmpowerID marks scope required); `''` sends none. */
  scope?: string;
  /**
   * `empowerid` (default): `Authorization: Basic base64(username:password)` of the **person**, and
   * `client_id` + `client_secret` in the body, as EmpowerID documents.
   * `rfc6749`: `username` and `password` body fields, with the client authenticated as configured.
   */
  style?: 'empowerid' | 'rfc6749';
  /**
   * How the person's credentials are put in the Basic header (EmpowerID style only). Default: the
   * client's `basicEncoding`. `literal`: `base64(username:password)` in UTF-8, exactly as EmpowerID
   * documents; a username containing ":" cannot be sent this way. `form`: each half form-encoded
   * first (RFC 6749 §2.3.1).
   */
  basicEncoding?: BasicEncoding;
}

/**
 * Resource owner password grant.
 *
 * In the default `empowerid` style the person's `username:password` is base64-encoded into
 * `Authorization: Basic` as the docs show (the client's `basicEncoding`, `literal` for EmpowerID;
 * `form` form-encodes each half first, as RFC 6749 §2.3.1 does for clients), and the client always
 * authenticates with `client_id` + `client_secret` in the body (so a client secret is required,
 * whatever `clientAuthMethod` says).
 *
 * @throws {OAuthError} `invalid_grant` (wrong username or password), `invalid_client` (wrong client secret).
 *
 * @example
 * ```ts
 * const tokens = await eid.password({ username: 'alice', password: process.env.ALICE_PASSWORD! });
 * tokens.refresh_token; // for eid.refresh(…)
 * tokens.id;            // EmpowerID's person GUID
 * ```
 */
export async function password(client: EmpowerIDClient, params: PasswordParams): Promise<TokenSet> {
  if (params === null || typeof params !== 'object') throw new ConfigurationError('params', 'must be an object');
  const username = requireParam(params.username, 'username');
  // Only the type is checked: an empty password is the IdP's to refuse.
  if (typeof params.password !== 'string') throw new ConfigurationError('password', 'is required and must be a string');
  const secretWord = params.password;
  const scope = scopeParam(params.scope, 'openid');
  const style = params.style ?? 'empowerid';
  log('password grant: style=%s', style);

  if (style === 'rfc6749') {
    const config = await client.configuration('token');
    const body = formParams({ username, password: secretWord, scope });
    return tokenRequest(client, () => oidc.genericGrantRequest(config, 'password', body));
  }
  if (style !== 'empowerid') throw new ConfigurationError('style', 'must be "empowerid" or "rfc6749"');

  const encoding = params.basicEncoding ?? client.config.basicEncoding;
  if (encoding !== 'literal' && encoding !== 'form') throw new ConfigurationError('basicEncoding', 'must be "literal" or "form"');
  if (encoding === 'literal' && username.includes(':')) {
    throw new ConfigurationError(
      'username',
      'contains ":", which a literal Basic header cannot carry; use basicEncoding: "form" or style: "rfc6749"',
    );
  }
  const personHeader = basicAuth(username, secretWord, encoding);
  const clientAuth = oidc.ClientSecretPost(requireSecret(client, 'the EmpowerID-style password grant (client_secret in the body)'));
  const personInBasic: oidc.ClientAuth = (as, metadata, body, headers) => {
    clientAuth(as, metadata, body, headers);
    headers.set('authorization', personHeader);
  };
  const config = await client.configurationWith(personInBasic);
  try {
    return await tokenRequest(client, () => oidc.genericGrantRequest(config, 'password', formParams({ scope })));
  } finally {
    // Keep the JWKS this call fetched (to check an ID token) for the next calls.
    const jwks = oidc.getJwksCache(config);
    if (jwks) oidc.setJwksCache(await client.configuration('token'), jwks);
  }
}
