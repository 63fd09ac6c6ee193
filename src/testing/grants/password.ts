/**
 * grant_type=password (docs 002/003, README detail 5).
 *
 * EmpowerID's form: the person's `username:password` in `Authorization: Basic`, the client's id
 * and secret in the body. The RFC 6749 §4.3 form (`username`/`password` body fields, client by
 * Basic or body) is accepted too, so standard clients work against the mock.
 */
import { safeEqual } from '../client-auth.js';
import { type MockRequest, OAuthError, parseBasic } from '../http.js';
import { issueTokenResponse } from '../tokens.js';
import { type GrantHandler, invalidGrant, requestedScope } from './types.js';

/** RFC form when both person fields are in the body; otherwise Basic carries the person. */
function rfcForm(req: MockRequest): boolean {
  return req.body.has('username') && req.body.has('password');
}

export const password: GrantHandler = {
  clientAuth: (req) => (rfcForm(req) ? 'any' : 'body'),
  async handle(ctx, req, client) {
    let credentials: { user: string; pass: string };
    if (rfcForm(req)) {
      credentials = { user: req.body.get('username') ?? '', pass: req.body.get('password') ?? '' };
    } else {
      // The docs: `base64Encode(<username>:<password>)`, the person's credentials as they are.
      const basic = parseBasic(req.headers);
      if (basic === undefined) {
        throw new OAuthError('invalid_request', "the person's credentials are required (Authorization: Basic username:password)");
      }
      if (basic === 'malformed') throw new OAuthError('invalid_request', 'malformed Basic authorization header');
      credentials = basic;
    }
    const user = ctx.users.get(credentials.user);
    const ok = safeEqual(credentials.pass, user?.password ?? '\u0000no-such-user');
    if (!user || !ok) throw invalidGrant('invalid username or password');
    return issueTokenResponse(ctx, {
      user,
      client,
      scope: requestedScope(req),
      refreshToken: true,
      idToken: 'auto',
      id: 'person',
    });
  },
};
