/**
 * grant_type=refresh_token (docs 002/003).
 *
 * Rotation: each use returns a new refresh token and retires the old one. Presenting a retired
 * token again means two parties hold it, so the whole grant is revoked (RFC 9700 §4.14.2).
 * The answer carries `id_token: null` and the all-zero `id`, as the docs show.
 */
import { OAuthError } from '../http.js';
import { issueTokenResponse } from '../tokens.js';
import { type GrantHandler, invalidGrant, required } from './types.js';

export const refreshToken: GrantHandler = {
  clientAuth: 'any',
  async handle(ctx, req, client) {
    const presented = required(req, 'refresh_token');
    const record = ctx.tokens.find(presented);
    if (record?.kind !== 'refresh_token') throw invalidGrant('refresh token is unknown');
    if (record.clientId !== client.clientId) throw invalidGrant('refresh token was issued to another client');
    if (record.rotated) {
      ctx.tokens.revokeGrant(record.grantId);
      throw invalidGrant('refresh token was already used (rotated); the grant is revoked');
    }
    if (record.revoked) throw invalidGrant('refresh token is revoked');
    if (record.expiresAt <= ctx.now()) throw invalidGrant('refresh token has expired');

    // RFC 6749 §6: a narrower scope may be asked for, never a wider one.
    const granted = record.scope.split(' ').filter(Boolean);
    const asked = req.body.get('scope');
    let scope = record.scope;
    if (asked !== null) {
      const wanted = asked.split(' ').filter(Boolean);
      const extra = wanted.find((s) => !granted.includes(s));
      if (extra) throw new OAuthError('invalid_scope', `scope "${extra}" was not granted originally`);
      scope = wanted.join(' ');
    }

    const user = ctx.users.get(record.username);
    if (!user) throw invalidGrant('the user of this refresh token no longer exists');
    record.rotated = true;
    return issueTokenResponse(ctx, {
      user,
      client,
      scope,
      refreshScope: record.scope,
      grantId: record.grantId,
      refreshToken: true,
      idToken: 'null',
      id: 'zero',
    });
  },
};
