/**
 * grant_type=urn:ietf:params:oauth:grant-type:token-exchange (docs 003, RFC 8693).
 *
 * The client authenticates with HTTP Basic, as the docs show. The subject token may have been
 * issued to any client (that is the point: an API exchanges the token it received); it must be
 * an active access token of this mock. The new token acts for the same person.
 */
import { OAuthError } from '../http.js';
import { issueTokenResponse } from '../tokens.js';
import { type GrantHandler, invalidGrant, requestedScope, required } from './types.js';

export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export const tokenExchange: GrantHandler = {
  clientAuth: 'basic',
  async handle(ctx, req, client) {
    const subjectToken = required(req, 'subject_token');
    // The docs mark subject_token_type "recommended": absent means an access token.
    const type = req.body.get('subject_token_type') ?? ACCESS_TOKEN_TYPE;
    if (type !== ACCESS_TOKEN_TYPE) {
      throw new OAuthError('invalid_request', `subject_token_type "${type}" is not supported (only ${ACCESS_TOKEN_TYPE})`);
    }
    const subject = ctx.tokens.active(subjectToken, 'access_token');
    if (!subject) throw invalidGrant('subject_token is not an active access token');
    const user = ctx.users.get(subject.username);
    if (!user) throw invalidGrant('the subject of subject_token no longer exists');
    return issueTokenResponse(ctx, {
      user,
      client,
      scope: requestedScope(req, subject.scope),
      refreshToken: true,
      idToken: 'null',
      id: 'zero',
      extra: { issued_token_type: ACCESS_TOKEN_TYPE },
    });
  },
};
