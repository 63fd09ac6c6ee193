/**
 * EmpowerID's client certificate grant (documents 002/003): a SAML 2.0 assertion signed with the
 * application's certificate key, sent base64-encoded.
 */
import * as oidc from 'openid-client';
import { ConfigurationError } from '../../errors.js';
import { createSamlAssertion, type SamlSignatureAlgorithm } from '../assertions/saml.js';
import type { EmpowerIDClient } from '../client.js';
import { debug } from '../debug.js';
import type { TokenSet } from '../tokens.js';
import { type SigningInput, signingCredentials } from './credentials.js';
import { formParams, requireParam, scopeParam, tokenRequest } from './request.js';

const log = debug('grants');

/** `grant_type` of EmpowerID's client certificate grant. */
export const CERTIFICATE_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:certificate-bearer';

interface ClientCertificateCommon {
  /** Default `openid` (EmpowerID marks scope required); `''` sends none. */
  scope?: string;
}

/**
 * Parameters of {@link clientCertificate}: the key pair to sign the SAML assertion with, or a
 * ready `assertion` (base64 of a signed SAML assertion, e.g. made by an HSM-backed signer).
 */
export type ClientCertificateParams = ClientCertificateCommon &
  (
    | (SigningInput & {
        /** XML-DSig algorithm. Default `rsa-sha1`, as the EmpowerID example; `rsa-sha256` if your server takes it. */
        algorithm?: SamlSignatureAlgorithm;
      })
    | { assertion: string }
  );

/**
 * Client certificate grant: `grant_type=urn:ietf:params:oauth:grant-type:certificate-bearer` with
 * `assertion` = base64 of the SAML assertion from `createSamlAssertion` (`saml:Issuer` = client
 * id, `saml:NameID` = certificate thumbprint, `IssueInstant` = now on the client's clock, an
 * enveloped exclusive-c14n signature). The client authenticates as configured
 * (`client_id` + `client_secret` in the body by default). The loaded key pair is kept per client.
 *
 * @throws {OAuthError} `invalid_grant` (unregistered certificate, bad signature, expired or replayed assertion).
 * @throws {EmpowerIDError} `ERR_ASSERTION_INVALID` when the key or certificate cannot be used.
 *
 * @example
 * ```ts
 * const tokens = await eid.clientCertificate({
 *   privateKey: readFileSync('client.key.pem', 'utf8'),
 *   certificate: readFileSync('client.cert.pem', 'utf8'),
 * });
 * ```
 */
export async function clientCertificate(client: EmpowerIDClient, params: ClientCertificateParams): Promise<TokenSet> {
  if (params === null || typeof params !== 'object') throw new ConfigurationError('params', 'must be an object');
  let assertion: string;
  if ('assertion' in params && params.assertion !== undefined) {
    assertion = requireParam(params.assertion, 'assertion');
    log('certificate-bearer: passing a given assertion through');
  } else {
    const signed = params as SigningInput & { algorithm?: SamlSignatureAlgorithm };
    const credentials = await signingCredentials(client, signed);
    const saml = await createSamlAssertion({
      credentials,
      clientId: client.config.clientId,
      now: client.config.clock,
      ...(signed.algorithm !== undefined && { algorithm: signed.algorithm }),
    });
    assertion = saml.base64;
  }
  const scope = scopeParam(params.scope, 'openid');
  const config = await client.configuration('token');
  return tokenRequest(client, () => oidc.genericGrantRequest(config, CERTIFICATE_BEARER_GRANT_TYPE, formParams({ assertion, scope })));
}
