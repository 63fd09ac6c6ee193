/**
 * POST S/oauth/v2/tokeninfo: token introspection (RFC 7662, docs detail 11).
 *
 * The caller authenticates with HTTP Basic. Tokens issued to other clients are described too:
 * a resource server introspects tokens that were issued to the applications calling it.
 * Unknown, expired, revoked and rotated-away tokens are all just `{ active: false }`.
 *
 * `token_type_hint` is read as the docs write it, not as RFC 7662's mere hint: "set to
 * refresh_token if the token is a refresh token string; else set to access_token" (the default).
 * So tokeninfo describes only tokens of the named kind, and a refresh token introspected as an
 * access token is not active: a resource server asking about an access token never learns that a
 * refresh token is live. (Revocation still extends its search, RFC 7009 §2.1.)
 */
import { authenticateClient } from '../client-auth.js';
import type { MockContext } from '../context.js';
import { json, type MockRequest, type MockResponse, OAuthError, oauthError } from '../http.js';
import type { TokenRecord } from '../tokens.js';

type Kind = TokenRecord['kind'];

/**
 * Finds an active token, trying the hinted type first. RFC 7662 §2.1 / RFC 7009 §2.1: when the
 * hint is wrong the server extends its search to the other types.
 */
export function findActive(ctx: MockContext, token: string, hint: string | null): TokenRecord | undefined {
  const order: Kind[] = hint === 'refresh_token' ? ['refresh_token', 'access_token'] : ['access_token', 'refresh_token'];
  for (const kind of order) {
    const r = ctx.tokens.active(token, kind);
    if (r) return r;
  }
  return undefined;
}

/** The introspection endpoint. */
export async function handleTokeninfo(ctx: MockContext, req: MockRequest): Promise<MockResponse> {
  try {
    if (req.method !== 'POST') throw new OAuthError('invalid_request', 'tokeninfo accepts POST only', 405, { Allow: 'POST' });
    if (!req.isForm) throw new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
    authenticateClient(ctx, req, 'basic');
    const token = req.body.get('token');
    if (!token) throw new OAuthError('invalid_request', 'token is required');
    const hint = req.body.get('token_type_hint') ?? 'access_token';
    if (hint !== 'access_token' && hint !== 'refresh_token') {
      throw new OAuthError('unsupported_token_type', 'token_type_hint must be access_token or refresh_token');
    }
    const r = ctx.tokens.active(token, hint);
    if (!r) return json(200, { active: false });
    const seconds = (ms: number) => Math.floor(ms / 1000);
    return json(200, {
      active: true,
      client_id: r.clientId,
      username: r.username,
      exp: seconds(r.expiresAt),
      iat: seconds(r.issuedAt),
      nbf: seconds(r.issuedAt),
      sub: r.username,
      iss: ctx.issuer,
      ...(r.scope ? { scope: r.scope } : {}),
      token_type: r.kind === 'access_token' ? 'Bearer' : 'refresh_token',
    });
  } catch (e) {
    if (e instanceof OAuthError) return oauthError(e);
    throw e;
  }
}
