/**
 * GET S/oauth/.well-known/openid-configuration (also the docs' typo `.well-know`) and the JWKS.
 */
import type { MockContext } from '../context.js';
import { json, type MockRequest, type MockResponse } from '../http.js';
import { GRANT_TYPES } from '../grants/index.js';

/** The EmpowerID endpoint layout under the base URL (README "Endpoint layout"). */
export const PATHS = {
  discovery: '/oauth/.well-known/openid-configuration',
  discoveryTypo: '/oauth/.well-know/openid-configuration',
  authorize: '/oauth/v2/ui/authorize',
  login: '/oauth/v2/ui/login',
  token: '/oauth/v2/token',
  tokeninfo: '/oauth/v2/tokeninfo',
  tokenrevoke: '/oauth/v2/tokenrevoke',
  userinfo: '/oauth/v2/userinfo',
  logout: '/oauth/v2/ui/logout',
  jwks: '/oauth/v2/jwks',
} as const;

/** The discovery document. `issuer` is the plain string EmpowerID puts in `iss`, not the URL. */
export function discoveryDocument(ctx: MockContext): Record<string, unknown> {
  const s = ctx.url;
  return {
    issuer: ctx.issuer,
    authorization_endpoint: s + PATHS.authorize,
    token_endpoint: s + PATHS.token,
    introspection_endpoint: s + PATHS.tokeninfo,
    revocation_endpoint: s + PATHS.tokenrevoke,
    userinfo_endpoint: s + PATHS.userinfo,
    end_session_endpoint: s + PATHS.logout,
    jwks_uri: s + PATHS.jwks,
    response_types_supported: ['code', 'code id_token', 'token', 'token id_token'],
    response_modes_supported: ['query', 'fragment', 'form_post'],
    grant_types_supported: [...GRANT_TYPES, 'implicit'],
    code_challenge_methods_supported: ['plain', 'S256'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    subject_types_supported: ['public'],
    claims_supported: ['iss', 'sub', 'aud', 'azp', 'iat', 'nbf', 'exp', 'oid', 'name', 'email', 'nonce', 'at_hash', 'c_hash', 'jti'],
    prompt_values_supported: ['none', 'login', 'consent', 'select_account'],
  };
}

/** GET discovery. */
export function handleDiscovery(ctx: MockContext, _req: MockRequest): MockResponse {
  return json(200, discoveryDocument(ctx), { 'Cache-Control': 'public, max-age=300' });
}

/** GET JWKS. */
export function handleJwks(ctx: MockContext, _req: MockRequest): MockResponse {
  return json(200, ctx.keys.jwks, { 'Cache-Control': 'public, max-age=300' });
}
