export { empowerid } from './express/router.js';
export { requiresAuth, type RequiresAuthOptions } from './express/requires-auth.js';
export { errorHandler } from './express/errors.js';
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
  type ResponseType,
  type UserInfo,
} from './core/client.js';
export type { BasicEncoding, ClientAuthMethod, ClientOptions, EndpointOverrides } from './core/config.js';
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
