import * as oidc from 'openid-client';

/**
 * How the two halves of an HTTP Basic credential are written before base64:
 * - `literal`: `base64(id:secret)` of the UTF-8 text, nothing escaped — EmpowerID's documented
 *   `base64Encode(<ClientID>:<ClientSecret>)`. An id containing `:` cannot be carried.
 * - `form`: each half `application/x-www-form-urlencoded` first (RFC 6749 §2.3.1), as standard
 *   providers decode it.
 */
export type BasicEncoding = 'literal' | 'form';

// RFC 6749 Appendix B: everything but ALPHA / DIGIT is escaped, space as "+".
const formEncode = (s: string): string =>
  encodeURIComponent(s)
    .replace(/[!'()*\-._~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');

/** The `Authorization` header value `Basic …` for `id` and `secret` in the given encoding. */
export function basicAuth(id: string, secret: string, encoding: BasicEncoding): string {
  const pair = encoding === 'literal' ? `${id}:${secret}` : `${formEncode(id)}:${formEncode(secret)}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

/**
 * openid-client client authentication with the client's id and secret in HTTP Basic, in the given
 * encoding: openid-client's own `ClientSecretBasic` for `form` (it always form-encodes), the same
 * hook with the literal pair for `literal`.
 */
export function clientSecretBasic(secret: string | undefined, encoding: BasicEncoding): oidc.ClientAuth {
  if (encoding === 'form') return oidc.ClientSecretBasic(secret);
  // One configuration serves one client id: the header is the same on every call.
  let header: string | undefined;
  return (_as, client, _body, headers) => {
    headers.set('authorization', (header ??= basicAuth(client.client_id, secret ?? '', encoding)));
  };
}
