/**
 * grant_type=authorization_code (docs 002/003, with PKCE per RFC 7636).
 *
 * The code is bound to the client, redirect URI, PKCE challenge, nonce, scope and user it was
 * issued for. It is single-use: presenting it again revokes every token issued from it
 * (RFC 6749 §4.1.2). A validation failure does not consume the code.
 */
import { createHash } from 'node:crypto';
import { issueTokenResponse } from '../tokens.js';
import { type GrantHandler, invalidGrant, required } from './types.js';

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export const authorizationCode: GrantHandler = {
  clientAuth: 'any',
  async handle(ctx, req, client) {
    const code = ctx.tokens.findCode(required(req, 'code'));
    if (!code) throw invalidGrant('authorization code is unknown');
    if (code.clientId !== client.clientId) throw invalidGrant('authorization code was issued to another client');
    if (code.used) {
      ctx.tokens.revokeGrant(code.grantId);
      throw invalidGrant('authorization code was already used; tokens issued from it are revoked');
    }
    if (code.expiresAt <= ctx.now()) throw invalidGrant('authorization code has expired');

    // The docs' code exchange sends no redirect_uri (RFC 6749 §4.1.3 would require it), and
    // EmpowerID evidently redeems it: absent is accepted; sent, it must be the authorization
    // request's. The code could only have been delivered to that registered Callback URL anyway.
    const redirectUri = req.body.get('redirect_uri');
    if (redirectUri !== null && redirectUri !== code.redirectUri) throw invalidGrant('redirect_uri differs from the authorization request');

    const verifier = req.body.get('code_verifier');
    if (code.codeChallenge !== undefined) {
      if (!verifier) throw invalidGrant('code_verifier is required (the authorization request had a code_challenge)');
      if (!VERIFIER.test(verifier)) throw invalidGrant('code_verifier must be 43-128 characters of [A-Za-z0-9-._~]');
      const computed = code.codeChallengeMethod === 'S256' ? s256(verifier) : verifier;
      if (computed !== code.codeChallenge)
        throw invalidGrant(`code_verifier does not match the code_challenge (${code.codeChallengeMethod})`);
    } else if (verifier) {
      // RFC 9700 §2.1.1: a verifier without a challenge signals a PKCE downgrade attempt.
      throw invalidGrant('code_verifier sent but the authorization request had no code_challenge');
    }

    const user = ctx.users.get(code.username);
    if (!user) throw invalidGrant('the user of this code no longer exists');
    code.used = true;
    return issueTokenResponse(ctx, {
      user,
      client,
      scope: code.scope,
      grantId: code.grantId,
      refreshToken: ctx.issueRefreshTokens,
      idToken: 'auto',
      nonce: code.nonce,
      id: 'person',
    });
  },
};
