/**
 * OpenID Connect Back-Channel Logout 1.0 §2.6: validation of a `logout_token`.
 */
import { hash } from 'node:crypto';
import { type JWTPayload, createRemoteJWKSet, customFetch, errors, jwtVerify } from 'jose';
import { EmpowerIDError, IdPUnavailableError } from '../errors.js';
import type { EmpowerIDClient } from './client.js';
import type { Shared } from './shared.js';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A logout token older than this is refused (and its `jti` is remembered this long). */
const MAX_AGE_SECONDS = 300;

/** Who is signed out by a valid logout token. */
export interface LogoutSubject {
  sid?: string;
  sub?: string;
}

const jwksOf = new WeakMap<EmpowerIDClient, { uri: string; get: ReturnType<typeof createRemoteJWKSet> }>();

/**
 * Validates `logoutToken`: signature against the IdP's JWKS, `iss`, `aud`, `iat` (recent), the
 * back-channel logout `events` member, no `nonce`, `sid` and/or `sub`, and `jti` not seen before on
 * any instance sharing `shared`.
 *
 * @throws EmpowerIDError `ERR_LOGOUT_TOKEN_INVALID` (400) naming the failed check;
 *   IdPUnavailableError when the JWKS cannot be fetched; SharedUnavailableError when the replay
 *   check cannot be made.
 */
export async function verifyLogoutToken(client: EmpowerIDClient, shared: Shared, logoutToken: unknown): Promise<LogoutSubject> {
  if (typeof logoutToken !== 'string' || logoutToken === '') throw invalid('the request has no logout_token');
  const metadata = await client.metadata();
  if (typeof metadata.jwks_uri !== 'string') throw invalid('the identity provider publishes no jwks_uri to check it against');
  let jwks = jwksOf.get(client);
  if (jwks === undefined || jwks.uri !== metadata.jwks_uri) {
    const get = createRemoteJWKSet(new URL(metadata.jwks_uri), {
      [customFetch]: client.fetch as never,
      timeoutDuration: client.config.timeoutMs,
    });
    jwks = { uri: metadata.jwks_uri, get };
    jwksOf.set(client, jwks);
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(logoutToken, jwks.get, {
      issuer: metadata.issuer,
      audience: client.config.clientId,
      algorithms: [client.config.idTokenSigningAlg],
      requiredClaims: ['iat', 'jti'],
      maxTokenAge: MAX_AGE_SECONDS,
      clockTolerance: client.config.clockToleranceSeconds,
      currentDate: new Date(client.config.clock()),
    }));
  } catch (err) {
    if (
      err instanceof errors.JWKSTimeout ||
      err instanceof errors.JWKSInvalid ||
      (err instanceof Error && !(err instanceof errors.JOSEError))
    ) {
      throw new IdPUnavailableError('empowerid: the identity provider keys (jwks_uri) could not be fetched', { cause: err });
    }
    throw invalid(describe(err), err);
  }
  const events = payload.events as Record<string, unknown> | undefined;
  const event = events && typeof events === 'object' ? events[BACKCHANNEL_LOGOUT_EVENT] : undefined;
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw invalid(`the logout_token has no "events" member ${BACKCHANNEL_LOGOUT_EVENT} holding an object`);
  }
  if ('nonce' in payload) throw invalid('the logout_token carries a "nonce" (an ID token is not a logout token)');
  const sid = payload.sid;
  const sub = payload.sub;
  if (sid !== undefined && typeof sid !== 'string') throw invalid('the logout_token "sid" is not a string');
  if (sid === undefined && sub === undefined) throw invalid('the logout_token has neither "sid" nor "sub"');
  if (typeof payload.jti !== 'string' || payload.jti === '') throw invalid('the logout_token "jti" is not a string');
  const jtiKey = shared.key('logout-jti', hash('sha256', `${metadata.issuer}\n${payload.jti}`, 'base64url'));
  const ttlMs = (MAX_AGE_SECONDS + client.config.clockToleranceSeconds) * 1000 * 2;
  if (!(await shared.backend.setIfAbsent(jtiKey, '1', ttlMs))) throw invalid('the logout_token was already used (jti replay)');
  return { ...(sid !== undefined && { sid }), ...(sub !== undefined && { sub }) };
}

function invalid(reason: string, cause?: unknown): EmpowerIDError {
  return new EmpowerIDError('ERR_LOGOUT_TOKEN_INVALID', `empowerid: ${reason}`, { status: 400, cause });
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTClaimValidationFailed) return `the logout_token "${err.claim}" claim is not acceptable (${err.reason})`;
  if (err instanceof errors.JWTExpired) {
    return err.claim === 'iat' ? `the logout_token "iat" is too old (more than ${MAX_AGE_SECONDS} s)` : 'the logout_token has expired';
  }
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) {
    return 'the logout_token signature does not verify against the identity provider keys';
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the logout_token is signed with an algorithm that is not accepted';
  return 'the logout_token is not a valid signed JWT';
}
