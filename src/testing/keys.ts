/**
 * The mock's ID-token signing key: one RS256 key pair made at start, published as a JWKS.
 *
 * A fresh key per server means tests can never depend on a committed IdP key, and a token from
 * one mock instance never verifies against another.
 */
import {
  type CryptoKey,
  calculateJwkThumbprint,
  compactVerify,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
  UnsecuredJWT,
} from 'jose';

/**
 * How a JWT is signed: normally with the published key; the others exist for negative tests.
 * `hs256-public-key` is the key-confusion attack: HMAC-SHA256 keyed with the published RSA public
 * key (its SPKI PEM), which a verifier that lets the token pick the algorithm would accept.
 */
export type SignMode = 'real' | 'foreign-key' | 'none' | 'hs256-public-key';

export interface SigningKeys {
  /** `kid` of the published key (its RFC 7638 thumbprint). */
  readonly kid: string;
  /** The JWKS document served at the jwks_uri. */
  readonly jwks: { keys: JWK[] };
  /** Signs `claims` as a JWT (`typ: JWT`, `kid` header) in the requested mode. */
  sign(claims: JWTPayload, mode?: SignMode): Promise<string>;
  /**
   * Returns the payload when `jwt` carries a valid signature by this key, else undefined.
   * Expiry is not checked: logout accepts expired `id_token_hint`s, as OIDC RP-initiated logout allows.
   */
  verifySignature(jwt: string): Promise<JWTPayload | undefined>;
}

/** Generates the mock's RS256 key pair and its JWKS. */
export async function createSigningKeys(): Promise<SigningKeys> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const published: JWK = { ...jwk, kid, use: 'sig', alg: 'RS256' };

  const signWith = (claims: JWTPayload, key: CryptoKey): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid }).sign(key);

  return {
    kid,
    jwks: { keys: [published] },
    async sign(claims, mode = 'real') {
      if (mode === 'none') return new UnsecuredJWT(claims).encode();
      if (mode === 'hs256-public-key') {
        const secret = new TextEncoder().encode(await exportSPKI(publicKey));
        return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid }).sign(secret);
      }
      if (mode === 'foreign-key') {
        // Same kid as the real key, so only a signature check (not a kid lookup) can catch it.
        const foreign = await generateKeyPair('RS256');
        return signWith(claims, foreign.privateKey);
      }
      return signWith(claims, privateKey);
    },
    async verifySignature(jwt) {
      try {
        const { payload } = await compactVerify(jwt, publicKey, { algorithms: ['RS256'] });
        const claims: unknown = JSON.parse(new TextDecoder().decode(payload));
        return claims !== null && typeof claims === 'object' ? (claims as JWTPayload) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
