/**
 * Client authentication: HTTP Basic as EmpowerID documents it (`base64Encode(<ClientID>:<ClientSecret>)`,
 * decoded literally, see `parseBasic`) or `client_id` + `client_secret` in the body.
 *
 * Secrets are compared in constant time over their SHA-256 hashes (equal lengths, so
 * timingSafeEqual never throws and the length of the secret does not leak). Unknown client ids
 * go through the same comparison against a dummy secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MockContext } from './context.js';
import { type MockRequest, OAuthError, parseBasic } from './http.js';
import type { MockClient } from './types.js';

/**
 * Which client authentication an endpoint accepts:
 * `any` — Basic or body; `basic` — Basic only (tokeninfo, tokenrevoke, userinfo, token exchange);
 * `body` — body only (password grant: the Basic header carries the person, docs detail 5).
 */
export type ClientAuthMode = 'any' | 'basic' | 'body';

/** Constant-time string comparison. */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

function check(ctx: MockContext, id: string, secret: string): MockClient | undefined {
  const client = ctx.clients.get(id);
  const ok = safeEqual(secret, client?.clientSecret ?? '\u0000no-such-client');
  return client && ok ? client : undefined;
}

/**
 * Authenticates the client of `req` or throws `invalid_client` (401; with
 * `WWW-Authenticate: Basic` when the client tried Basic, RFC 6749 §5.2).
 */
export function authenticateClient(ctx: MockContext, req: MockRequest, mode: ClientAuthMode): MockClient {
  const basic = mode === 'body' ? undefined : parseBasic(req.headers);
  const bodyId = req.body.get('client_id');
  const bodySecret = req.body.get('client_secret');
  const challenge = { 'WWW-Authenticate': 'Basic realm="EmpowerID"' };

  if (basic !== undefined) {
    if (bodySecret !== null) {
      throw new OAuthError('invalid_request', 'use only one client authentication method (Basic header or client_secret in the body)');
    }
    if (basic === 'malformed') throw new OAuthError('invalid_client', 'malformed Basic authorization header', 401, challenge);
    if (bodyId !== null && bodyId !== basic.user) {
      throw new OAuthError('invalid_client', 'client_id in the body differs from the Basic header', 401, challenge);
    }
    const client = check(ctx, basic.user, basic.pass);
    if (!client) throw new OAuthError('invalid_client', 'client authentication failed', 401, challenge);
    return client;
  }
  if (mode === 'basic') {
    throw new OAuthError('invalid_client', 'HTTP Basic client authentication is required', 401, challenge);
  }
  if (bodyId === null || bodySecret === null) {
    throw new OAuthError('invalid_client', 'client authentication is required (client_id and client_secret)', 401);
  }
  const client = check(ctx, bodyId, bodySecret);
  if (!client) throw new OAuthError('invalid_client', 'client authentication failed', 401);
  return client;
}
