import { createHash, X509Certificate } from 'node:crypto';
import { decodeProtectedHeader, errors, importX509, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SigningCredentials } from '../../../src/core/assertions/index.js';
import { createJwtBearerAssertion, loadSigningCredentials } from '../../../src/core/assertions/index.js';
import { EmpowerIDError } from '../../../src/errors.js';
import { client, ec, other } from './fixtures.js';

const AUDIENCE = 'https://eid.example.com/WebIdPForms/OAuth/v2';
const CLIENT_ID = 'b1b4e8a0-3c1e-4bd2-9f1f-8c7e6d5a4b3c';
// 2030-01-02T03:04:05.678Z: a fractional second, to check that iat is floored.
const NOW = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
const IAT = Math.floor(NOW / 1000);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// Independent expectations, computed from the fixture with node:crypto only.
const clientCert = new X509Certificate(client.cert);
const expectedThumbprint = clientCert.fingerprint.replaceAll(':', '');
const expectedX5t = createHash('sha1').update(clientCert.raw).digest('base64url');

let credentials: SigningCredentials;
let otherCredentials: SigningCredentials;
let ecCredentials: SigningCredentials;
beforeAll(async () => {
  credentials = await loadSigningCredentials({ privateKey: client.key, certificate: client.cert });
  otherCredentials = await loadSigningCredentials({ privateKey: other.key, certificate: other.cert });
  ecCredentials = await loadSigningCredentials({ privateKey: ec.key, certificate: ec.cert });
});

const verify = async (jwt: string, certPem: string, alg = 'RS256', at = NOW) =>
  jwtVerify(jwt, await importX509(certPem, alg), {
    algorithms: [alg],
    issuer: CLIENT_ID,
    audience: AUDIENCE,
    typ: 'JWT',
    currentDate: new Date(at),
  });

describe('createJwtBearerAssertion', () => {
  it('signs RS256 with the header and claims EmpowerID expects', async () => {
    const jwt = await createJwtBearerAssertion({ credentials, clientId: CLIENT_ID, audience: AUDIENCE, now: () => NOW });
    expect(jwt.split('.')).toHaveLength(3);
    const { payload, protectedHeader } = await verify(jwt, client.cert);

    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT', x5t: expectedX5t, kid: expectedThumbprint });
    expect(Object.keys(payload).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'sub']);
    expect(payload.iss).toBe(CLIENT_ID);
    expect(payload.sub).toBe(expectedThumbprint);
    expect(payload.aud).toBe(AUDIENCE);
    expect(payload.iat).toBe(IAT);
    expect(payload.nbf).toBe(IAT - 300);
    expect(payload.exp).toBe(IAT + 300);
    expect(payload.jti).toMatch(UUID);
  });

  it('x5t is the base64url SHA-1 of the DER certificate and decodes to the thumbprint', async () => {
    const jwt = await createJwtBearerAssertion({ credentials, clientId: CLIENT_ID, audience: AUDIENCE });
    const { x5t } = decodeProtectedHeader(jwt);
    expect(Buffer.from(String(x5t), 'base64url').toString('hex').toUpperCase()).toBe(expectedThumbprint);
  });

  it('is valid from iat − 300 s and expires at iat + 300 s on the injected clock', async () => {
    const jwt = await createJwtBearerAssertion({ credentials, clientId: CLIENT_ID, audience: AUDIENCE, now: () => NOW });
    await expect(verify(jwt, client.cert, 'RS256', (IAT - 300) * 1000)).resolves.toBeDefined();
    await expect(verify(jwt, client.cert, 'RS256', (IAT + 299) * 1000)).resolves.toBeDefined();
    await expect(verify(jwt, client.cert, 'RS256', (IAT - 301) * 1000)).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
    await expect(verify(jwt, client.cert, 'RS256', (IAT + 300) * 1000)).rejects.toBeInstanceOf(errors.JWTExpired);
  });

  it('honours lifetimeSeconds and clockSkewSeconds', async () => {
    const jwt = await createJwtBearerAssertion({
      credentials,
      clientId: CLIENT_ID,
      audience: AUDIENCE,
      now: () => NOW,
      lifetimeSeconds: 60,
      clockSkewSeconds: 0,
    });
    const { payload } = await verify(jwt, client.cert);
    expect(payload.nbf).toBe(IAT);
    expect(payload.exp).toBe(IAT + 60);
  });

  it('uses a fresh jti each time, or the one given', async () => {
    const options = { credentials, clientId: CLIENT_ID, audience: AUDIENCE, now: () => NOW };
    const [a, b] = await Promise.all([createJwtBearerAssertion(options), createJwtBearerAssertion(options)]);
    const jtiA = (await verify(a, client.cert)).payload.jti;
    const jtiB = (await verify(b, client.cert)).payload.jti;
    expect(jtiA).not.toBe(jtiB);
    const fixed = await createJwtBearerAssertion({ ...options, jti: 'fixed-jti' });
    expect((await verify(fixed, client.cert)).payload.jti).toBe('fixed-jti');
  });

  it("encoding 'base64' wraps the compact JWS in standard base64", async () => {
    const b64 = await createJwtBearerAssertion({
      credentials,
      clientId: CLIENT_ID,
      audience: AUDIENCE,
      now: () => NOW,
      encoding: 'base64',
    });
    expect(b64).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    const compact = Buffer.from(b64, 'base64').toString('utf8');
    expect(compact.split('.')).toHaveLength(3);
    const { payload } = await verify(compact, client.cert);
    expect(payload.sub).toBe(expectedThumbprint);
  });

  it('does not verify against a certificate other than the signing one', async () => {
    const jwt = await createJwtBearerAssertion({
      credentials: otherCredentials,
      clientId: CLIENT_ID,
      audience: AUDIENCE,
      now: () => NOW,
    });
    await expect(verify(jwt, client.cert)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    await expect(verify(jwt, other.cert)).resolves.toBeDefined();
  });

  it('fails verification when a claim is altered', async () => {
    const jwt = await createJwtBearerAssertion({ credentials, clientId: CLIENT_ID, audience: AUDIENCE, now: () => NOW });
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    claims.sub = certificateLike();
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    await expect(verify(forged, client.cert)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('signs ES256 with an EC P-256 key', async () => {
    const jwt = await createJwtBearerAssertion({
      credentials: ecCredentials,
      clientId: CLIENT_ID,
      audience: AUDIENCE,
      now: () => NOW,
    });
    const { payload, protectedHeader } = await verify(jwt, ec.cert, 'ES256');
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.sub).toBe(new X509Certificate(ec.cert).fingerprint.replaceAll(':', ''));
  });

  it('signs RS512 when asked', async () => {
    const jwt = await createJwtBearerAssertion({
      credentials,
      clientId: CLIENT_ID,
      audience: AUDIENCE,
      now: () => NOW,
      algorithm: 'RS512',
    });
    expect((await verify(jwt, client.cert, 'RS512')).protectedHeader.alg).toBe('RS512');
  });

  it.each([
    ['an empty clientId', { clientId: '' }, /"clientId"/],
    ['a missing audience', { audience: undefined }, /"audience"/],
    ['a clientId with a control character', { clientId: 'a\u0000b' }, /"clientId" contains a control character/],
    ['lifetimeSeconds 0', { lifetimeSeconds: 0 }, /"lifetimeSeconds"/],
    ['fractional lifetimeSeconds', { lifetimeSeconds: 1.5 }, /"lifetimeSeconds"/],
    ['lifetimeSeconds over an hour', { lifetimeSeconds: 3601 }, /"lifetimeSeconds"/],
    ['negative clockSkewSeconds', { clockSkewSeconds: -1 }, /"clockSkewSeconds"/],
    ['a clock returning NaN', { now: () => Number.NaN }, /"now"/],
    ['an unknown encoding', { encoding: 'hex' }, /"encoding"/],
    ['ES256 with an RSA key', { algorithm: 'ES256' }, /does not fit an RSA key/],
    ['HS256', { algorithm: 'HS256' }, /does not fit an RSA key/],
    ['hand-built credentials', { credentials: { thumbprint: 'X' } }, /loadSigningCredentials\(\)/],
  ])('rejects %s with ERR_ASSERTION_INVALID', async (_name, override, message) => {
    const error = await createJwtBearerAssertion({
      credentials,
      clientId: CLIENT_ID,
      audience: AUDIENCE,
      ...(override as object),
    } as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EmpowerIDError);
    expect((error as EmpowerIDError).code).toBe('ERR_ASSERTION_INVALID');
    expect((error as EmpowerIDError).message).toMatch(message);
  });

  it('rejects an EC algorithm that does not fit the curve', async () => {
    await expect(
      createJwtBearerAssertion({ credentials: ecCredentials, clientId: CLIENT_ID, audience: AUDIENCE, algorithm: 'ES384' }),
    ).rejects.toMatchObject({ code: 'ERR_ASSERTION_INVALID', message: expect.stringMatching(/use ES256/) });
    await expect(
      createJwtBearerAssertion({ credentials: ecCredentials, clientId: CLIENT_ID, audience: AUDIENCE, algorithm: 'RS256' }),
    ).rejects.toMatchObject({ code: 'ERR_ASSERTION_INVALID' });
  });
});

function certificateLike(): string {
  return new X509Certificate(other.cert).fingerprint.replaceAll(':', '');
}
