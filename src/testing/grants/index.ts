/**
 * The grant registry: grant_type → handler. A new grant is one file plus one line here.
 */
import { authorizationCode } from './authorization-code.js';
import { certificateBearer } from './certificate-bearer.js';
import { clientCredentials } from './client-credentials.js';
import { jwtBearer } from './jwt-bearer.js';
import { password } from './password.js';
import { refreshToken } from './refresh-token.js';
import { tokenExchange } from './token-exchange.js';
import type { GrantHandler } from './types.js';

/** A Map, not an object literal, so a grant_type like `constructor` cannot hit a prototype member. */
export const GRANTS: ReadonlyMap<string, GrantHandler> = new Map<string, GrantHandler>([
  ['authorization_code', authorizationCode],
  ['refresh_token', refreshToken],
  ['client_credentials', clientCredentials],
  ['password', password],
  ['urn:ietf:params:oauth:grant-type:jwt-bearer', jwtBearer],
  ['urn:ietf:params:oauth:grant-type:certificate-bearer', certificateBearer],
  ['urn:ietf:params:oauth:grant-type:token-exchange', tokenExchange],
]);

/** Every grant_type the token endpoint understands. */
export const GRANT_TYPES: readonly string[] = [...GRANTS.keys()];

export type { GrantHandler } from './types.js';
