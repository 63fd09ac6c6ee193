export { empowerid } from './express/router.js';
export { requiresAuth, type RequiresAuthOptions } from './express/requires-auth.js';
export { errorHandler, type ErrorHandlerOptions } from './express/errors.js';
export type { ErrorPageInfo, ErrorPageRenderer } from './express/error-page.js';
export { anyOf, claimCheck, claimEquals, claimIncludes, type ClaimCheck, type Claims } from './express/claim-checks.js';
export type { EmpowerIDOptions, RouteOptions } from './express/options.js';
export type { AccessTokenInfo, EmpowerIDRequestContext, UserClaims } from './express/augment.js';
export {
  createClient,
  EmpowerIDClient,
  type AuthorizationRequest,
  type CallbackParams,
  type EndSessionRequest,
  type IntrospectionResponse,
  type LoginTransaction,
  type ResponseMode,
  type ResponseType,
  type UserInfo,
} from './core/client.js';
export type { BasicEncoding, ClientAuthMethod, ClientOptions, EndpointOverrides, ProviderKind } from './core/config.js';
export type { TokenSet } from './core/tokens.js';
export { createPooledFetch } from './core/http.js';
export {
  BearerError,
  CallbackError,
  ConfigurationError,
  EmpowerIDError,
  IdPResponseError,
  IdPUnavailableError,
  OAuthError,
  SharedUnavailableError,
  type EmpowerIDErrorCode,
} from './errors.js';
export { requireToken, type RequireTokenOptions } from './express/require-token.js';
export {
  TokenVerifier,
  TokenPolicy,
  type TokenCacheSettings,
  type TokenFacts,
  type TokenPolicyOptions,
  type TokenVerifierOptions,
  type VerifiedToken,
} from './core/introspection.js';
export { TokenCache, MemoryStore, type CacheStore, type CacheStats } from './core/cache.js';
export { extractBearerToken, type BearerExtractionOptions, type BearerRequestShape } from './core/bearer.js';
// Signed assertions of the certificate-based grants, useful on their own (e.g. to sign with a key
// kept elsewhere and pass `{ assertion }`), and the thumbprint EmpowerID registers.
export {
  certificateThumbprint,
  createJwtBearerAssertion,
  createSamlAssertion,
  loadSigningCredentials,
  SAML_ASSERTION_NAMESPACE,
  SAML_AUTHN_CONTEXT_X509,
  SAML_DOCS_PREFIX_LIST,
  SAML_NAMEID_FORMAT_UNSPECIFIED,
  type JwtBearerAlgorithm,
  type JwtBearerAssertionOptions,
  type JwtBearerEncoding,
  type LoadSigningCredentialsOptions,
  type SamlAssertion,
  type SamlAssertionOptions,
  type SamlAssertionShape,
  type SamlConditionsMode,
  type SamlSignatureAlgorithm,
  type SigningCredentials,
} from './core/assertions/index.js';
// Parameters of the grant methods of EmpowerIDClient, and the store of reused client-credentials tokens.
export {
  ACCESS_TOKEN_TYPE,
  CERTIFICATE_BEARER_GRANT_TYPE,
  clientCredentialsCache,
  JWT_BEARER_GRANT_TYPE,
  TOKEN_EXCHANGE_GRANT_TYPE,
  type ClientCertificateParams,
  type ClientCredentialsParams,
  type JwtBearerAssertionParams,
  type JwtBearerParams,
  type JwtBearerSignedParams,
  type PasswordParams,
  type SamlShapeOptions,
  type SigningInput,
  type TokenExchangeParams,
  type TokenReuse,
} from './core/grants/index.js';
export { memoryShared, Shared, type SharedOptions, type SharedBackend, type CacheBackTier } from './core/shared.js';
