/**
 * Token store (authorization codes, access tokens, refresh tokens) and the minting of ID tokens
 * and token responses.
 *
 * Access and refresh tokens are opaque random strings, as EmpowerID's are: a resource server
 * must ask tokeninfo/userinfo about them and cannot read them locally. Every token belongs to a
 * "grant" (one sign-in or one client-only token request); refresh rotation keeps the grant, and
 * revoking a grant revokes every token in it. That is how code reuse and refresh-token reuse
 * revoke what was issued before (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
 */
import { createHash } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { type MockContext, randomId } from './context.js';
import type { MockClient, MockUser } from './types.js';
import { ZERO_GUID } from './users.js';

/** Who a token is for, what for, and which grant it belongs to. */
export interface Authorization {
  grantId: string;
  username: string;
  clientId: string;
  scope: string;
}

export interface TokenRecord extends Authorization {
  kind: 'access_token' | 'refresh_token';
  token: string;
  /** Milliseconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
  /** Refresh tokens only: already exchanged for a new one. */
  rotated?: boolean;
}

export interface CodeRecord extends Authorization {
  code: string;
  redirectUri: string;
  nonce?: string;
  codeChallenge?: string;
  /** `plain` when the request carried a challenge without a method (docs, PKCE section). */
  codeChallengeMethod?: 'plain' | 'S256';
  expiresAt: number;
  used: boolean;
}

/** In-memory codes and tokens of one mock server. */
export class TokenStore {
  private readonly codes = new Map<string, CodeRecord>();
  private readonly tokens = new Map<string, TokenRecord>();
  private issued = 0;

  constructor(private readonly now: () => number) {}

  /**
   * Drops expired codes and tokens now and then, so a long-running mock (the example app's IdP)
   * does not grow without bound. Safe: an expired token is refused whether remembered or not.
   */
  private prune(): void {
    if (++this.issued % 500 !== 0) return;
    const now = this.now();
    for (const [k, c] of this.codes) if (c.expiresAt <= now) this.codes.delete(k);
    for (const [k, t] of this.tokens) if (t.expiresAt <= now) this.tokens.delete(k);
  }

  createCode(data: Omit<CodeRecord, 'code' | 'used'>): CodeRecord {
    this.prune();
    const record: CodeRecord = { ...data, code: randomId(), used: false };
    this.codes.set(record.code, record);
    return record;
  }

  findCode(code: string): CodeRecord | undefined {
    return this.codes.get(code);
  }

  issue(kind: TokenRecord['kind'], auth: Authorization, ttlSeconds: number): TokenRecord {
    this.prune();
    const issuedAt = this.now();
    const record: TokenRecord = { ...auth, kind, token: randomId(), issuedAt, expiresAt: issuedAt + ttlSeconds * 1000, revoked: false };
    this.tokens.set(record.token, record);
    return record;
  }

  /** The record of `token` whatever its state (for reuse detection). */
  find(token: string): TokenRecord | undefined {
    return this.tokens.get(token);
  }

  /** The record of `token` when it is of `kind`, not revoked, not rotated away and not expired. */
  active(token: string, kind: TokenRecord['kind']): TokenRecord | undefined {
    const r = this.tokens.get(token);
    if (!r || r.kind !== kind || r.revoked || r.rotated || r.expiresAt <= this.now()) return undefined;
    return r;
  }

  /** Revokes every token and unused code of a grant. */
  revokeGrant(grantId: string): void {
    for (const r of this.tokens.values()) if (r.grantId === grantId) r.revoked = true;
    for (const c of this.codes.values()) if (c.grantId === grantId) c.used = true;
  }

  /** Revokes every token and code of a user. */
  revokeUser(username: string): void {
    for (const r of this.tokens.values()) if (r.username === username) r.revoked = true;
    for (const c of this.codes.values()) if (c.username === username) c.used = true;
  }
}

/** OIDC `at_hash` / `c_hash`: base64url of the left half of SHA-256 of the ASCII value (RS256). */
export function halfHash(value: string): string {
  return createHash('sha256').update(value, 'ascii').digest().subarray(0, 16).toString('base64url');
}

/** Whether a space-separated scope string contains `openid`. */
export function hasOpenid(scope: string): boolean {
  return scope.split(' ').includes('openid');
}

/** Mints an ID token with the claims EmpowerID documents, applying a pending test tamper. */
export async function issueIdToken(
  ctx: MockContext,
  o: { user: MockUser; clientId: string; nonce?: string; accessToken?: string; code?: string },
): Promise<string> {
  const iat = Math.floor(ctx.now() / 1000);
  let claims: JWTPayload = {
    iss: ctx.issuer,
    sub: o.user.username,
    aud: o.clientId,
    iat,
    nbf: iat,
    exp: iat + ctx.ttl.idToken,
    oid: o.user.id,
    name: o.user.name,
    email: o.user.email,
    azp: o.clientId,
    ...(o.nonce !== undefined ? { nonce: o.nonce } : {}),
    ...(o.accessToken !== undefined ? { at_hash: halfHash(o.accessToken) } : {}),
    ...(o.code !== undefined ? { c_hash: halfHash(o.code) } : {}),
    jti: crypto.randomUUID(),
  };
  const tamper = ctx.takeTamper();
  if (tamper?.claims) claims = { ...claims, ...tamper.claims };
  return ctx.keys.sign(claims, tamper?.signWith ?? 'real');
}

/** Options of {@link issueTokenResponse}. */
export interface TokenResponseOptions {
  user: MockUser;
  client: MockClient;
  scope: string;
  /** Grant the tokens join; a new grant when absent. */
  grantId?: string;
  refreshToken: boolean;
  /** Scope of the new refresh token when it differs from `scope` (RFC 6749 §6: it keeps the original). */
  refreshScope?: string;
  /** `auto`: a signed ID token when scope has openid, else omitted; `null`: EmpowerID's `id_token: null`. */
  idToken: 'auto' | 'null';
  nonce?: string;
  /** `person`: the user's GUID; `zero`: the all-zero GUID EmpowerID answers after a refresh. */
  id: 'person' | 'zero';
  extra?: Record<string, unknown>;
}

/** Issues the tokens of one successful token request and shapes the EmpowerID answer. */
export async function issueTokenResponse(ctx: MockContext, o: TokenResponseOptions): Promise<Record<string, unknown>> {
  const auth: Authorization = {
    grantId: o.grantId ?? randomId(16),
    username: o.user.username,
    clientId: o.client.clientId,
    scope: o.scope,
  };
  const access = ctx.tokens.issue('access_token', auth, ctx.ttl.accessToken);
  const refreshAuth = { ...auth, scope: o.refreshScope ?? o.scope };
  const refresh = o.refreshToken ? ctx.tokens.issue('refresh_token', refreshAuth, ctx.ttl.refreshToken) : undefined;
  let idToken: string | null | undefined = null;
  if (o.idToken === 'auto') {
    idToken = hasOpenid(o.scope)
      ? await issueIdToken(ctx, { user: o.user, clientId: o.client.clientId, nonce: o.nonce, accessToken: access.token })
      : undefined;
  }
  return {
    access_token: access.token,
    token_type: 'Bearer',
    ...o.extra,
    expires_in: ctx.ttl.accessToken,
    ...(refresh ? { refresh_token: refresh.token } : {}),
    ...(idToken !== undefined ? { id_token: idToken } : {}),
    id: o.id === 'person' ? o.user.id : ZERO_GUID,
    // RFC 6749 §5.1: scope is optional; an empty one would only confuse clients.
    ...(o.scope ? { scope: o.scope } : {}),
  };
}
