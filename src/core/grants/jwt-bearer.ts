/**
 * The JWT bearer grant (RFC 7523): EmpowerID's (documents 000/002/003, an assertion signed with
 * the application's certificate) or any provider's that takes a third-party JWT (Asgardeo,
 * document 004).
 */
import * as oidc from 'openid-client';
import { ConfigurationError } from '../../errors.js';
import { createJwtBearerAssertion, type JwtBearerAlgorithm, type JwtBearerEncoding } from '../assertions/jwt-bearer.js';
import type { EmpowerIDClient } from '../client.js';
import type { ClientAuthMethod } from '../config.js';
import { debug } from '../debug.js';
import { jwtBearerAudience } from '../endpoints.js';
import type { TokenSet } from '../tokens.js';
import { type SigningInput, signingCredentials } from './credentials.js';
import { configurationFor, formParams, requireParam, scopeParam, tokenRequest } from './request.js';

const log = debug('grants');

/** `grant_type` of the JWT bearer grant. */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * Parameters every JWT bearer grant call takes.
 * @inline
 */
interface JwtBearerCommon {
  /**
   * Scopes. With a minted EmpowerID assertion: default `openid` (EmpowerID marks scope required);
   * with your own `assertion`: sent only when given. `''` sends none.
   */
  scope?: string;
  /**
   * Client authentication for this call. Default: the client's `clientAuthMethod`. Asgardeo
   * (document 004) authenticates the client with HTTP Basic: create that client with
   * `clientAuthMethod: 'client_secret_basic'`, or pass it here.
   */
  clientAuthMethod?: ClientAuthMethod;
}

/** A JWT made elsewhere (an IdP trusted by the token endpoint), sent as it is. */
export interface JwtBearerAssertionParams extends JwtBearerCommon {
  /** The compact JWS, sent as the `assertion` parameter (RFC 7523 §2.1). */
  assertion: string;
}

/** EmpowerID's assertion, minted and signed here with the application's certificate key. */
export type JwtBearerSignedParams = JwtBearerCommon &
  SigningInput & {
    /** `exp` − `iat`, whole seconds 1–3600. Default 300 (the docs' "+ 5 minutes"). */
    lifetimeSeconds?: number;
    /** Default RS256 (ES256/384/512 for an EC key). */
    algorithm?: JwtBearerAlgorithm;
    /**
     * `compact` (default): the JWS as RFC 7523 sends it. `base64`: that string base64-encoded once
     * more, the docs' "Base64(Sign(JWT))" read literally; only if your server refuses `compact`.
     */
    encoding?: JwtBearerEncoding;
  };

/** Parameters of {@link EmpowerIDClient.jwtBearer}: a ready `assertion`, or the key pair to sign EmpowerID's. */
export type JwtBearerParams = JwtBearerAssertionParams | JwtBearerSignedParams;

/**
 * JWT bearer grant.
 *
 * - `{ assertion }`: the JWT is passed through untouched.
 * - `{ privateKey, certificate, passphrase? }` (or `{ credentials }`): EmpowerID's assertion is
 *   minted with `createJwtBearerAssertion`: `iss` = client id, `sub` = certificate thumbprint,
 *   `aud` = `<server>/WebIdPForms/OAuth/v2`, `iat` = now (the client's clock), `nbf` = now − 5 min,
 *   `exp` = now + 5 min, a random `jti`, signed RS256. The loaded key pair is kept per client.
 *
 * @throws {OAuthError} `invalid_grant` (unregistered certificate, expired or replayed assertion, …).
 * @throws {EmpowerIDError} `ERR_ASSERTION_INVALID` when the key or certificate cannot be used.
 *
 * @example
 * ```ts
 * // EmpowerID: sign with the certificate registered for the application.
 * const tokens = await eid.jwtBearer({
 *   privateKey: readFileSync('client.key.pem', 'utf8'),
 *   certificate: readFileSync('client.cert.pem', 'utf8'),
 * });
 *
 * // Asgardeo (document 004): exchange a third-party JWT; the client authenticates with Basic.
 * const asgardeo = createClient({
 *   server: 'https://api.asgardeo.io/t/myorg',
 *   discoveryUrl: 'https://api.asgardeo.io/t/myorg/oauth2/token/.well-known/openid-configuration',
 *   clientId: '…',
 *   clientSecret: '…',
 *   clientAuthMethod: 'client_secret_basic',
 * });
 * const exchanged = await asgardeo.jwtBearer({ assertion: thirdPartyJwt });
 * ```
 */
export async function jwtBearer(client: EmpowerIDClient, params: JwtBearerParams): Promise<TokenSet> {
  if (params === null || typeof params !== 'object') throw new ConfigurationError('params', 'must be an object');
  let assertion: string;
  let scope: string | undefined;
  if ('assertion' in params && params.assertion !== undefined) {
    assertion = requireParam(params.assertion, 'assertion');
    scope = scopeParam(params.scope, undefined);
    log('jwt-bearer: passing a given assertion through');
  } else {
    const signed = params as JwtBearerSignedParams;
    const credentials = await signingCredentials(client, signed);
    assertion = await createJwtBearerAssertion({
      credentials,
      clientId: client.config.clientId,
      audience: jwtBearerAudience(client.config.server),
      now: client.config.clock,
      ...(signed.lifetimeSeconds !== undefined && { lifetimeSeconds: signed.lifetimeSeconds }),
      ...(signed.algorithm !== undefined && { algorithm: signed.algorithm }),
      ...(signed.encoding !== undefined && { encoding: signed.encoding }),
    });
    scope = scopeParam(params.scope, 'openid');
  }
  const config = await configurationFor(client, params.clientAuthMethod);
  return tokenRequest(client, () => oidc.genericGrantRequest(config, JWT_BEARER_GRANT_TYPE, formParams({ assertion, scope })));
}
