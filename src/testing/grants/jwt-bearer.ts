/**
 * grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer (docs 000/002/003, README detail 6).
 *
 * The assertion is a JWT signed (RS256) with the private key of the client's registered
 * certificate: `iss` = client id, `sub` = certificate thumbprint, `aud` = `S/WebIdPForms/OAuth/v2`.
 * The docs also say "base64(sign(JWT))", so base64 of the compact JWT is accepted too.
 * Every failed check is `invalid_grant` with a description naming it.
 */
import { compactVerify, errors } from 'jose';
import { certificatePublicKey, registeredCertificate, thumbprintMatches } from '../certificates.js';
import { OAuthError } from '../http.js';
import { issueTokenResponse } from '../tokens.js';
import { type GrantHandler, invalidGrant, ownerUser, requestedScope, required } from './types.js';

/** Allowed clock difference between the client and the mock, in seconds. */
const SKEW = 60;
/** The docs' assertion lives from now − 5 min to now + 5 min. */
const MAX_LIFETIME = 600;
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The audience EmpowerID expects in JWT-bearer assertions. */
export function jwtBearerAudience(base: string): string {
  return `${base}/WebIdPForms/OAuth/v2`;
}

function compactJwt(assertion: string): string {
  if (COMPACT.test(assertion)) return assertion;
  const decoded = Buffer.from(assertion, 'base64').toString('utf8').trim();
  if (COMPACT.test(decoded)) return decoded;
  throw invalidGrant('assertion is not a compact JWT (nor base64 of one)');
}

async function verifiedClaims(jwt: string, key: Awaited<ReturnType<typeof certificatePublicKey>>): Promise<Record<string, unknown>> {
  try {
    const { payload } = await compactVerify(jwt, key, { algorithms: ['RS256'] });
    const claims: unknown = JSON.parse(new TextDecoder().decode(payload));
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new Error('not an object');
    return claims as Record<string, unknown>;
  } catch (e) {
    if (e instanceof errors.JOSEAlgNotAllowed) throw invalidGrant('assertion alg must be RS256');
    if (e instanceof errors.JWSSignatureVerificationFailed) {
      throw invalidGrant('assertion signature does not verify with the registered certificate');
    }
    throw invalidGrant('assertion is not a valid JWS with a JSON claims set');
  }
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export const jwtBearer: GrantHandler = {
  clientAuth: 'any',
  async handle(ctx, req, client) {
    const cert = registeredCertificate(client);
    if (!cert) throw new OAuthError('unauthorized_client', 'the client has no registered certificate for the JWT bearer grant');
    const claims = await verifiedClaims(compactJwt(required(req, 'assertion')), await certificatePublicKey(cert));

    const now = ctx.now() / 1000;
    const audience = jwtBearerAudience(ctx.url);
    if (claims.iss !== client.clientId) throw invalidGrant('assertion iss must be the client id');
    if (!thumbprintMatches(cert, claims.sub)) throw invalidGrant('assertion sub must be the thumbprint of the registered certificate');
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(audience)) throw invalidGrant(`assertion aud must be ${audience}`);
    if (!isNumber(claims.exp)) throw invalidGrant('assertion exp is required');
    if (claims.exp + SKEW <= now) throw invalidGrant('assertion has expired (exp)');
    if (claims.nbf !== undefined && (!isNumber(claims.nbf) || claims.nbf > now + SKEW))
      throw invalidGrant('assertion is not yet valid (nbf)');
    if (claims.iat !== undefined && (!isNumber(claims.iat) || claims.iat > now + SKEW))
      throw invalidGrant('assertion iat is in the future');
    const start = isNumber(claims.nbf) ? claims.nbf : isNumber(claims.iat) ? claims.iat : now;
    if (claims.exp - start > MAX_LIFETIME + SKEW) throw invalidGrant(`assertion lifetime exceeds ${MAX_LIFETIME} seconds`);
    // The docs' assertion has no jti, so replay is only detectable when the client sends one.
    if (claims.jti !== undefined) {
      if (typeof claims.jti !== 'string') throw invalidGrant('assertion jti must be a string');
      const fresh = ctx.replay.remember(`jwt:${client.clientId}:${claims.jti}`, (claims.exp + SKEW) * 1000, ctx.now());
      if (!fresh) throw invalidGrant('assertion jti was already used (replay)');
    }

    return issueTokenResponse(ctx, {
      user: ownerUser(ctx, client),
      client,
      scope: requestedScope(req),
      refreshToken: true,
      idToken: 'auto',
      id: 'person',
    });
  },
};
