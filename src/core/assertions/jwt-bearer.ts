/**
 * The signed JWT that EmpowerID's JWT bearer grant
 * (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`) takes as its `assertion`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { debug } from '../debug.js';
import type { SigningCredentials } from './certificate.js';
import { fail, readClock, requireCredentials, requireSeconds, requireText } from './internal.js';

const log = debug('assertions');

/**
 * JWS algorithms the JWT bearer assertion can be signed with. EmpowerID's example is RSA (`RS256`).
 *
 * @example
 * ```ts
 * const algorithm: JwtBearerAlgorithm = 'RS256';
 * ```
 */
export type JwtBearerAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'ES512';

/**
 * How the assertion string is returned.
 * - `'compact'` (default): the JWS compact serialization `header.payload.signature`, whose three
 *   segments are already base64url. This is what RFC 7523 and .NET's `JwtSecurityTokenHandler.WriteToken`
 *   produce, and what the docs' "Base64(Sign(JWT))" describes.
 * - `'base64'`: that compact string once more encoded as standard base64 (UTF-8), for a server that
 *   reads the docs' formula literally. Use it only if EmpowerID rejects the compact form.
 *
 * @example
 * ```ts
 * const wrapped = await createJwtBearerAssertion({ credentials, clientId, audience, encoding: 'base64' });
 * Buffer.from(wrapped, 'base64').toString('utf8'); // 'eyJhbGciOiJSUzI1NiIs…'
 * ```
 */
export type JwtBearerEncoding = 'compact' | 'base64';

/**
 * Input of {@link createJwtBearerAssertion}.
 *
 * @example
 * ```ts
 * const options: JwtBearerAssertionOptions = {
 *   credentials,
 *   clientId: 'my-client-id',
 *   audience: 'https://eid.example.com/WebIdPForms/OAuth/v2',
 *   now: () => clock.now(), // inject the clock in tests
 * };
 * ```
 */
export interface JwtBearerAssertionOptions {
  /** From {@link loadSigningCredentials}. Its thumbprint becomes `sub`, `kid` and (as base64url) `x5t`. */
  credentials: SigningCredentials;
  /** The EmpowerID OAuth application's client id: becomes `iss`. */
  clientId: string;
  /** Becomes `aud`: EmpowerID expects `https://<EID Server>/WebIdPForms/OAuth/v2`. */
  audience: string;
  /** Clock in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** `exp` = `iat` + this. Whole seconds, 1–3600. Default 300 (the docs' "+ 5 minutes"). */
  lifetimeSeconds?: number;
  /** `nbf` = `iat` − this, absorbing clock skew. Whole seconds, 0–3600. Default 300 (the docs' "− 5 minutes"). */
  clockSkewSeconds?: number;
  /** Default `RS256` for an RSA key, `ES256`/`ES384`/`ES512` for an EC key on P-256/P-384/P-521. */
  algorithm?: JwtBearerAlgorithm;
  /** See {@link JwtBearerEncoding}. Default `'compact'`. */
  encoding?: JwtBearerEncoding;
  /** `jti` claim. Default `crypto.randomUUID()`; pass one only to make a test deterministic. */
  jti?: string;
}

const RSA_ALGORITHMS: readonly JwtBearerAlgorithm[] = ['RS256', 'RS384', 'RS512'];
const EC_ALGORITHM_BY_CURVE: Readonly<Record<string, JwtBearerAlgorithm>> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

/**
 * Builds and signs the JWT assertion of EmpowerID's JWT bearer grant, with jose's `SignJWT`.
 *
 * Header: `{ alg, typ: 'JWT', x5t, kid }` where `x5t` is the base64url SHA-1 of the DER certificate
 * (RFC 7515 §4.1.7) and `kid` the thumbprint in uppercase hex, as .NET's `X509SigningCredentials`
 * write them. Claims, with `iat` = the clock in whole seconds:
 * `iss` = client id, `sub` = certificate thumbprint, `aud` = audience, `iat`,
 * `nbf` = iat − 300, `exp` = iat + 300, `jti` = a random UUID.
 *
 * The returned string goes in the token request's `assertion` form field.
 *
 * @see EmpowerID docs: JWT Bearer grant; EmpowerID docs: OAuth 2.0 / OIDC, JWT (JSON Web Token) Bearer Grant; RFC 7523 §3
 * @returns The compact JWS (or its base64 form, see {@link JwtBearerEncoding}).
 * @throws {EmpowerIDError} `ERR_ASSERTION_INVALID` for a missing or malformed option, or an
 * `algorithm` that does not fit the key.
 *
 * @example
 * ```ts
 * import { createJwtBearerAssertion, loadSigningCredentials } from 'empowerid-express';
 *
 * const credentials = await loadSigningCredentials({ privateKey: keyPem, certificate: certPem });
 * const assertion = await createJwtBearerAssertion({
 *   credentials,
 *   clientId: 'my-client-id',
 *   audience: 'https://eid.example.com/WebIdPForms/OAuth/v2',
 * });
 * // POST https://eid.example.com/oauth/v2/token
 * //   grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<assertion>&client_id=…&client_secret=…
 * ```
 */
export async function createJwtBearerAssertion(options: JwtBearerAssertionOptions): Promise<string> {
  if (!options || typeof options !== 'object') fail('createJwtBearerAssertion() needs an options object');
  const credentials = requireCredentials(options.credentials);
  const clientId = requireText(options.clientId, 'clientId');
  const audience = requireText(options.audience, 'audience');
  const lifetime = requireSeconds(options.lifetimeSeconds, 'lifetimeSeconds', 300, { min: 1, max: 3600 });
  const skew = requireSeconds(options.clockSkewSeconds, 'clockSkewSeconds', 300, { min: 0, max: 3600 });
  const encoding = options.encoding ?? 'compact';
  if (encoding !== 'compact' && encoding !== 'base64') fail('option "encoding" must be "compact" or "base64"');
  const jti = options.jti === undefined ? randomUUID() : requireText(options.jti, 'jti');
  const alg = pickAlgorithm(credentials, options.algorithm);
  const iat = Math.floor(readClock(options.now) / 1000);

  const x5t = createHash('sha1').update(credentials.certificate.raw).digest('base64url');
  let jws: string;
  try {
    jws = await new SignJWT({})
      .setProtectedHeader({ alg, typ: 'JWT', x5t, kid: credentials.thumbprint })
      .setIssuer(clientId)
      .setSubject(credentials.thumbprint)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setNotBefore(iat - skew)
      .setExpirationTime(iat + lifetime)
      .setJti(jti)
      .sign(credentials.privateKey);
  } catch (error) {
    fail(`the JWT bearer assertion could not be signed (${(error as Error).message})`, error);
  }
  log('signed JWT bearer assertion alg=%s kid=%s jti=%s exp=%d', alg, credentials.thumbprint, jti, iat + lifetime);
  return encoding === 'base64' ? Buffer.from(jws, 'utf8').toString('base64') : jws;
}

function pickAlgorithm(credentials: SigningCredentials, requested: unknown): JwtBearerAlgorithm {
  const key = credentials.privateKey;
  if (key.asymmetricKeyType === 'rsa') {
    if (requested === undefined) return 'RS256';
    if (RSA_ALGORITHMS.includes(requested as JwtBearerAlgorithm)) return requested as JwtBearerAlgorithm;
    fail(`option "algorithm" ${JSON.stringify(requested)} does not fit an RSA key: use ${RSA_ALGORITHMS.join(', ')}`);
  }
  if (key.asymmetricKeyType === 'ec') {
    const expected = EC_ALGORITHM_BY_CURVE[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (expected === undefined) fail('the EC key of "credentials" is not on P-256, P-384 or P-521');
    if (requested === undefined || requested === expected) return expected;
    fail(`option "algorithm" ${JSON.stringify(requested)} does not fit this EC key: use ${expected}`);
  }
  fail(`the key of "credentials" is ${key.asymmetricKeyType ?? 'of an unknown type'}; RSA or EC is required`);
}
