/**
 * EmpowerID's client certificate grant (documents 002/003): a SAML 2.0 assertion signed with the
 * application's certificate key, sent base64-encoded.
 */
import * as oidc from 'openid-client';
import { ConfigurationError } from '../../errors.js';
import { createSamlAssertion, type SamlAssertionOptions } from '../assertions/saml.js';
import type { EmpowerIDClient } from '../client.js';
import { debug } from '../debug.js';
import type { TokenSet } from '../tokens.js';
import { type SigningInput, signingCredentials } from './credentials.js';
import { formParams, requireParam, scopeParam, tokenRequest } from './request.js';

const log = debug('grants');

/** `grant_type` of EmpowerID's client certificate grant. */
export const CERTIFICATE_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:certificate-bearer';

/**
 * Parameters every client certificate grant call takes.
 * @inline
 */
interface ClientCertificateCommon {
  /** Default `openid` (EmpowerID marks scope required); `''` sends none. */
  scope?: string;
}

/**
 * How the SAML assertion is built, as in `createSamlAssertion`: `algorithm` (default `rsa-sha1`, as
 * the EmpowerID example), `shape: 'docs'` for the docs' exact example (or its parts `conditions`,
 * `keyInfo`, `inclusiveNamespaces`), and the validity window.
 */
export type SamlShapeOptions = Pick<
  SamlAssertionOptions,
  'algorithm' | 'shape' | 'conditions' | 'keyInfo' | 'inclusiveNamespaces' | 'lifetimeSeconds' | 'clockSkewSeconds'
>;
const SHAPE_OPTIONS = [
  'algorithm',
  'shape',
  'conditions',
  'keyInfo',
  'inclusiveNamespaces',
  'lifetimeSeconds',
  'clockSkewSeconds',
] as const;

/**
 * Parameters of {@link EmpowerIDClient.clientCertificate}: the key pair to sign the SAML assertion with, or a
 * ready `assertion` (base64 of a signed SAML assertion, e.g. made by an HSM-backed signer).
 */
export type ClientCertificateParams = ClientCertificateCommon &
  (
    | (SigningInput & SamlShapeOptions)
    | {
        /** Base64 of a signed SAML assertion, sent as it is. */
        assertion: string;
      }
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
    // Shape options cannot apply to an assertion someone else built: say so instead of ignoring them.
    const shaped = SHAPE_OPTIONS.find((name) => (params as unknown as Record<string, unknown>)[name] !== undefined);
    if (shaped) throw new ConfigurationError(shaped, 'cannot be used with a ready "assertion"');
    log('certificate-bearer: passing a given assertion through');
  } else {
    const signed = params as SigningInput & SamlShapeOptions;
    const credentials = await signingCredentials(client, signed);
    const shape: SamlShapeOptions = {};
    for (const name of SHAPE_OPTIONS) if (signed[name] !== undefined) Object.assign(shape, { [name]: signed[name] });
    const saml = await createSamlAssertion({ ...shape, credentials, clientId: client.config.clientId, now: client.config.clock });
    assertion = saml.base64;
  }
  const scope = scopeParam(params.scope, 'openid');
  const config = await client.configuration('token');
  return tokenRequest(client, () => oidc.genericGrantRequest(config, CERTIFICATE_BEARER_GRANT_TYPE, formParams({ assertion, scope })));
}
