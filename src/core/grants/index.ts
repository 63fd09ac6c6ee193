/**
 * Server-side grants, one file each, framework-free: every function takes the
 * `EmpowerIDClient` and its parameters and answers a `TokenSet`. `EmpowerIDClient` exposes them
 * as methods (`eid.clientCredentials(…)`, …). Re-exports only.
 */
export {
  clientCertificate,
  CERTIFICATE_BEARER_GRANT_TYPE,
  type ClientCertificateParams,
  type SamlShapeOptions,
} from './client-certificate.js';
export { clientCredentials, clientCredentialsCache, type ClientCredentialsParams } from './client-credentials.js';
export type { SigningInput } from './credentials.js';
export {
  jwtBearer,
  JWT_BEARER_GRANT_TYPE,
  type JwtBearerAssertionParams,
  type JwtBearerParams,
  type JwtBearerSignedParams,
} from './jwt-bearer.js';
export { password, type PasswordParams } from './password.js';
export { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT_TYPE, tokenExchange, type TokenExchangeParams } from './token-exchange.js';
export { TokenReuse, type TokenReuseOptions } from './token-reuse.js';
