import { createHash } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { CallbackError } from '../errors.js';
import { safeEqual } from './safe-equal.js';

// OIDC Core §3.1.3.6: the hash follows the ID token's `alg` (SHA-256 for RS256, ES256, PS256, …).
const HASHES: Record<string, string> = { 256: 'sha256', 384: 'sha384', 512: 'sha512' };

/**
 * Checks an ID token's `at_hash` against the access token it came with. openid-client checks
 * `c_hash` and hybrid responses, but leaves `at_hash` from the token endpoint unchecked (OIDC makes it
 * optional there); EmpowerID always sends it, so a token with a wrong one is refused.
 */
export function checkAtHash(idToken: string, accessToken: string, atHash: unknown): void {
  if (atHash === undefined) return;
  const alg = decodeProtectedHeader(idToken).alg ?? '';
  const hash = alg === 'EdDSA' || alg === 'Ed25519' ? 'sha512' : HASHES[alg.slice(-3)];
  if (!hash) throw new CallbackError('ERR_ID_TOKEN_INVALID', `empowerid: cannot check at_hash for an ID token signed with ${alg}`);
  const digest = createHash(hash).update(accessToken, 'ascii').digest();
  const expected = digest.subarray(0, digest.length / 2).toString('base64url');
  if (typeof atHash !== 'string' || !safeEqual(atHash, expected)) {
    throw new CallbackError('ERR_ID_TOKEN_INVALID', 'empowerid: the ID token was rejected: at_hash does not match the access token');
  }
}
