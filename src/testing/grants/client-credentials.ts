/**
 * grant_type=client_credentials (docs 001).
 *
 * The token is issued to the application's owner, or to the person named by the optional
 * `username` parameter (an unknown username is `invalid_request`: it is a bad parameter value,
 * not a bad grant). No refresh token (RFC 6749 §4.4.3); an ID token when scope has openid.
 */
import { OAuthError } from '../http.js';
import { issueTokenResponse } from '../tokens.js';
import { type GrantHandler, ownerUser, requestedScope } from './types.js';

export const clientCredentials: GrantHandler = {
  clientAuth: 'any',
  async handle(ctx, req, client) {
    const username = req.body.get('username');
    let user = ownerUser(ctx, client);
    if (username) {
      const named = ctx.users.get(username);
      if (!named) throw new OAuthError('invalid_request', `username "${username}" is not a known person`);
      user = named;
    }
    return issueTokenResponse(ctx, {
      user,
      client,
      scope: requestedScope(req),
      refreshToken: false,
      idToken: 'auto',
      id: 'person',
    });
  },
};
