/**
 * S/oauth/v2/userinfo (docs detail 12).
 *
 * Two styles: EmpowerID's (POST, HTTP Basic client credentials, the access token as the form
 * field `access_token`, or `token` as one docs table says) and the standard RFC 6750 one
 * (`Authorization: Bearer`, GET or POST, no client authentication). The answer is
 * EmpowerID-shaped, plus `sub` for OpenID Connect clients.
 */
import { authenticateClient } from '../client-auth.js';
import type { MockContext } from '../context.js';
import { json, type MockRequest, type MockResponse, OAuthError, oauthError, parseBearer } from '../http.js';

/** The access token of the request, after the client check of the EmpowerID style. */
function accessToken(ctx: MockContext, req: MockRequest): string {
  const bearer = parseBearer(req.headers);
  const field = req.body.get('access_token') ?? req.body.get('token');
  if (bearer !== undefined) {
    if (field !== null) throw new OAuthError('invalid_request', 'send the access token once (header or body, not both)');
    return bearer;
  }
  if (field !== null) {
    if (req.method !== 'POST') throw new OAuthError('invalid_request', 'the access token field requires POST');
    authenticateClient(ctx, req, 'basic');
    return field;
  }
  // RFC 6750 §3.1: no credentials at all → a bare challenge, without an error code in the header.
  throw new OAuthError('invalid_request', 'no access token was sent', 401, { 'WWW-Authenticate': 'Bearer realm="EmpowerID"' });
}

/** The userinfo endpoint. */
export async function handleUserinfo(ctx: MockContext, req: MockRequest): Promise<MockResponse> {
  try {
    if (req.method !== 'GET' && req.method !== 'POST') {
      throw new OAuthError('invalid_request', 'userinfo accepts GET and POST', 405, { Allow: 'GET, POST' });
    }
    const token = accessToken(ctx, req);
    const record = ctx.tokens.active(token, 'access_token');
    const user = record ? ctx.users.get(record.username) : undefined;
    if (!user) {
      throw new OAuthError('invalid_token', 'the access token is not active', 401, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    }
    return json(200, {
      id: user.id,
      username: user.username,
      first_name: user.first_name,
      last_name: user.last_name,
      email: user.email,
      organization: user.organization,
      business_role_locations: [...user.business_role_locations],
      sub: user.username,
    });
  } catch (e) {
    if (e instanceof OAuthError) return oauthError(e);
    throw e;
  }
}
