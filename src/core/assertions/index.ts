/**
 * Signed assertions for EmpowerID's certificate-based grants: the JWT of the JWT bearer grant and
 * the SAML 2.0 assertion of the client certificate grant, both tied to the certificate registered
 * for the OAuth application through its thumbprint. Re-exports only.
 */
export { certificateThumbprint, loadSigningCredentials } from './certificate.js';
export type { LoadSigningCredentialsOptions, SigningCredentials } from './certificate.js';
export { createJwtBearerAssertion } from './jwt-bearer.js';
export type { JwtBearerAlgorithm, JwtBearerAssertionOptions, JwtBearerEncoding } from './jwt-bearer.js';
export {
  createSamlAssertion,
  SAML_ASSERTION_NAMESPACE,
  SAML_AUTHN_CONTEXT_X509,
  SAML_DOCS_PREFIX_LIST,
  SAML_NAMEID_FORMAT_UNSPECIFIED,
} from './saml.js';
export type { SamlAssertion, SamlAssertionOptions, SamlAssertionShape, SamlConditionsMode, SamlSignatureAlgorithm } from './saml.js';
