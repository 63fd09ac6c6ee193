/**
 * POST S/oauth/v2/tokenrevoke: token revocation (RFC 7009, docs: "Returns null").
 *
 * Answers 200 with an empty body whether or not the token was known (RFC 7009 §2.2), so the
 * endpoint cannot be used to probe for tokens. A client may only revoke its own tokens; another
 * client's token is silently left alone. Revoking a refresh token revokes its whole grant
 * (every access token issued from it), as RFC 7009 §2.1 suggests.
 */
import { authenticateClient } from '../client-auth.js';
import type { MockContext } from '../context.js';
import { type MockRequest, type MockResponse, OAuthError, oauthError } from '../http.js';
import { findActive } from './tokeninfo.js';

const HINTS = ['access_token', 'refresh_token'];

/** The revocation endpoint. */
export async function handleTokenrevoke(ctx: MockContext, req: MockRequest): Promise<MockResponse> {
  try {
    if (req.method !== 'POST') throw new OAuthError('invalid_request', 'tokenrevoke accepts POST only', 405, { Allow: 'POST' });
    if (!req.isForm) throw new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    const client = authenticateClient(ctx, req, 'basic');
    const token = req.body.get('token');
    if (!token) throw new OAuthError('invalid_request', 'token is required');
    const hint = req.body.get('token_type_hint');
    if (hint !== null && !HINTS.includes(hint)) {
      throw new OAuthError('unsupported_token_type', `token_type_hint "${hint}" is not supported`);
    }
    const r = findActive(ctx, token, hint);
    if (r && r.clientId === client.clientId) {
      if (r.kind === 'refresh_token') ctx.tokens.revokeGrant(r.grantId);
      else r.revoked = true;
    }
    return { status: 200, headers: { 'Cache-Control': 'no-store' }, body: '' };
  } catch (e) {
    if (e instanceof OAuthError) return oauthError(e);
    throw e;
  }
}
