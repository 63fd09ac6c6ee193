/**
 * POST S/oauth/v2/token: request checks common to every grant, then the grant registry.
 */
import { authenticateClient } from '../client-auth.js';
import type { MockContext } from '../context.js';
import { GRANTS } from '../grants/index.js';
import { json, type MockRequest, type MockResponse, OAuthError, oauthError } from '../http.js';

const REPEATABLE_IN_EXCHANGE: ReadonlySet<string> = new Set(['audience', 'resource']);
const NONE: ReadonlySet<string> = new Set();

/** The token endpoint. Every failure is a JSON OAuth error with `Cache-Control: no-store`. */
export async function handleToken(ctx: MockContext, req: MockRequest): Promise<MockResponse> {
  try {
    if (req.method !== 'POST') throw new OAuthError('invalid_request', 'the token endpoint accepts POST only', 405, { Allow: 'POST' });
    if (!req.isForm) throw new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    const grantType = req.body.get('grant_type');
    if (grantType) ctx.count(`token:${grantType}`);
    // RFC 6749 §3.2: parameters must not be repeated, except where an extension allows it
    // (RFC 8693 §2.1: token exchange may name several audiences and resources).
    const repeatable = grantType === 'urn:ietf:params:oauth:grant-type:token-exchange' ? REPEATABLE_IN_EXCHANGE : NONE;
    for (const name of new Set(req.body.keys())) {
      if (!repeatable.has(name) && req.body.getAll(name).length > 1) {
        throw new OAuthError('invalid_request', `parameter ${name} is repeated`);
      }
    }
    if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
    const grant = GRANTS.get(grantType);
    if (!grant) throw new OAuthError('unsupported_grant_type', `grant_type "${grantType}" is not supported`);
    const mode = typeof grant.clientAuth === 'function' ? grant.clientAuth(req) : grant.clientAuth;
    const client = authenticateClient(ctx, req, mode);
    return json(200, await grant.handle(ctx, req, client));
  } catch (e) {
    if (e instanceof OAuthError) return oauthError(e);
    throw e;
  }
}
