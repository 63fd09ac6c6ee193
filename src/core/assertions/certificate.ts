/**
 * Loading the signing key pair for EmpowerID's JWT bearer and client certificate (SAML) grants,
 * and the certificate thumbprint both assertions carry as their subject.
 */
import { createHash, createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { fail } from './internal.js';

/**
 * A private key and the X.509 certificate it belongs to, checked to match, ready for
 * {@link createJwtBearerAssertion} and {@link createSamlAssertion}. Build it with
 * {@link loadSigningCredentials}; the object is frozen.
 *
 * @example
 * ```ts
 * const credentials: SigningCredentials = await loadSigningCredentials({ privateKey: keyPem, certificate: certPem });
 * console.log(credentials.thumbprint, credentials.certificate.validTo);
 * ```
 */
export interface SigningCredentials {
  /** The signing key: RSA (2048 bits or more), or EC P-256/P-384/P-521 for the JWT assertion only. */
  readonly privateKey: KeyObject;
  /** The certificate registered with EmpowerID for the OAuth application (the leaf, when a chain was given). */
  readonly certificate: X509Certificate;
  /** The leaf certificate re-encoded as a single PEM block. */
  readonly certificatePem: string;
  /** {@link certificateThumbprint} of the certificate: 40 uppercase hex digits. */
  readonly thumbprint: string;
}

/**
 * Input of {@link loadSigningCredentials}.
 *
 * @example
 * ```ts
 * const options: LoadSigningCredentialsOptions = {
 *   privateKey: readFileSync('client.key.pem', 'utf8'),
 *   certificate: readFileSync('client.cert.pem', 'utf8'),
 *   passphrase: 'only if the key is encrypted',
 * };
 * ```
 */
export interface LoadSigningCredentialsOptions {
  /**
   * PEM private key (`PRIVATE KEY` = PKCS#8, `RSA PRIVATE KEY` = PKCS#1, `EC PRIVATE KEY` = SEC 1,
   * `ENCRYPTED PRIVATE KEY` or a legacy encrypted PKCS#1 with `passphrase`), or a private `KeyObject`.
   */
  privateKey: string | KeyObject;
  /**
   * PEM X.509 certificate. When the text holds several `CERTIFICATE` blocks (a chain, or a file that
   * also holds the key) the first one is used as the signing certificate.
   */
  certificate: string | X509Certificate;
  /** Passphrase of an encrypted private key. Ignored for an unencrypted key. */
  passphrase?: string;
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/;
const PEM_LABEL = /-----BEGIN ([A-Z0-9 ]+)-----/;
const PEM_LABELS = /-----BEGIN ([A-Z0-9 ]+)-----/g;
const EC_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);

/**
 * The certificate's thumbprint as EmpowerID expects it in the assertions' subject (`sub` of the JWT,
 * `saml:NameID` of the SAML assertion): the SHA-1 digest of the DER-encoded certificate, written as
 * **40 uppercase hexadecimal digits without separators**. This is the value Windows' certificate
 * manager and .NET's `X509Certificate2.Thumbprint` show, which is what the EmpowerID docs and their
 * .NET client library (`GetSigningCertificate(certificateThumbprint)`) call the thumbprint. It equals
 * `openssl x509 -noout -fingerprint -sha1` with the colons removed.
 *
 * @see EmpowerID docs: OAuth 2.0 / OIDC, JWT (JSON Web Token) Bearer Grant and Client Certificate Grant
 * @param cert A PEM certificate (the first `CERTIFICATE` block is used) or an `X509Certificate`.
 * @throws {EmpowerIDError} `ERR_ASSERTION_INVALID` when the PEM holds no parsable certificate.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { certificateThumbprint } from 'empowerid-express';
 *
 * const thumbprint = certificateThumbprint(readFileSync('client.cert.pem', 'utf8'));
 * // 'FC0463C6E5938E8762D88AE391F5966275A65D8D'
 * ```
 */
export function certificateThumbprint(cert: string | X509Certificate): string {
  const certificate = cert instanceof X509Certificate ? cert : parseCertificate(cert);
  return createHash('sha1').update(certificate.raw).digest('hex').toUpperCase();
}

/**
 * Parses and checks the key pair used to sign EmpowerID assertions.
 *
 * Checks made, each failing with `ERR_ASSERTION_INVALID` and a message naming the offending input:
 * the key and the certificate are PEM (or a `KeyObject`/`X509Certificate`); an encrypted key comes
 * with a `passphrase` that decrypts it; the key is a private RSA key of at least 2048 bits, or an EC
 * key on P-256, P-384 or P-521 (usable for the JWT bearer assertion only: EmpowerID's SAML example,
 * and xml-crypto, sign with RSA); and the private key belongs to the certificate's public key.
 * The certificate's validity dates are not checked: EmpowerID matches the registered certificate.
 *
 * @see EmpowerID docs: OAuth 2.0 / OIDC, JWT (JSON Web Token) Bearer Grant and Client Certificate Grant
 * @returns Frozen {@link SigningCredentials} with the computed {@link certificateThumbprint}.
 * @throws {@link EmpowerIDError} `ERR_ASSERTION_INVALID`, naming the offending input.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { loadSigningCredentials } from 'empowerid-express';
 *
 * const credentials = await loadSigningCredentials({
 *   privateKey: readFileSync('client.key.pem', 'utf8'),
 *   certificate: readFileSync('client.cert.pem', 'utf8'),
 *   passphrase: undefined, // set it when the key is encrypted
 * });
 * credentials.thumbprint; // 'FC0463C6E5938E8762D88AE391F5966275A65D8D'
 * ```
 */
export async function loadSigningCredentials(options: LoadSigningCredentialsOptions): Promise<SigningCredentials> {
  if (!options || typeof options !== 'object') fail('loadSigningCredentials() needs { privateKey, certificate }');
  if (options.passphrase !== undefined && typeof options.passphrase !== 'string') {
    fail('option "passphrase" must be a string');
  }
  const privateKey = parsePrivateKey(options.privateKey, options.passphrase);
  checkKeyType(privateKey);

  const certificate = options.certificate instanceof X509Certificate ? options.certificate : parseCertificate(options.certificate);
  const thumbprint = certificateThumbprint(certificate);

  let matches = false;
  try {
    matches = certificate.checkPrivateKey(privateKey);
  } catch {
    matches = false;
  }
  if (!matches) {
    fail(
      `option "privateKey" does not match option "certificate" (subject "${oneLine(certificate.subject)}", ` +
        `thumbprint ${thumbprint}): the key belongs to a different key pair`,
    );
  }

  return Object.freeze({ privateKey, certificate, certificatePem: certificate.toString(), thumbprint });
}

function parsePrivateKey(input: unknown, passphrase: string | undefined): KeyObject {
  if (input instanceof KeyObject) {
    if (input.type !== 'private') fail(`option "privateKey" is a ${input.type} key; a private key is required`);
    return input;
  }
  if (typeof input !== 'string' || input.trim() === '') {
    fail('option "privateKey" must be a PEM string or a private KeyObject');
  }
  const labels = [...input.matchAll(PEM_LABELS)].map((match) => match[1]);
  if (labels.length === 0) {
    fail('option "privateKey" is not PEM: expected "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----"');
  }
  if (!labels.some((label) => label?.endsWith('PRIVATE KEY'))) {
    fail(`option "privateKey" holds a ${labels[0]}, not a private key (were "privateKey" and "certificate" swapped?)`);
  }
  // A PKCS#8 `ENCRYPTED PRIVATE KEY`, or a legacy OpenSSL PKCS#1/SEC 1 block with a Proc-Type header.
  const encrypted = labels.includes('ENCRYPTED PRIVATE KEY') || /Proc-Type:\s*4,\s*ENCRYPTED/.test(input);
  if (encrypted && (passphrase === undefined || passphrase === '')) {
    fail('option "privateKey" is encrypted: pass its "passphrase"');
  }
  try {
    return createPrivateKey({ key: input, format: 'pem', ...(passphrase === undefined ? {} : { passphrase }) });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_MISSING_PASSPHRASE') fail('option "privateKey" is encrypted: pass its "passphrase"', error);
    if (encrypted) fail('option "privateKey" could not be decrypted: is the "passphrase" right?', error);
    fail(`option "privateKey" is not a readable PEM private key (${(error as Error).message})`, error);
  }
}

function checkKeyType(key: KeyObject): void {
  const type = key.asymmetricKeyType;
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) fail(`option "privateKey" is a ${bits}-bit RSA key; at least 2048 bits are required`);
    return;
  }
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    if (!EC_CURVES.has(curve)) fail(`option "privateKey" is an EC key on ${curve}; only P-256, P-384 and P-521 are supported`);
    return;
  }
  fail(
    `option "privateKey" is a${type === undefined ? 'n unknown' : ` ${type}`} key; EmpowerID assertions are signed ` +
      'with RSA (an EC P-256/P-384/P-521 key is accepted for the JWT bearer assertion only)',
  );
}

function parseCertificate(input: unknown): X509Certificate {
  if (typeof input !== 'string' || input.trim() === '') {
    fail('option "certificate" must be a PEM string or an X509Certificate');
  }
  const block = CERTIFICATE_BLOCK.exec(input)?.[0];
  if (block === undefined) {
    const label = PEM_LABEL.exec(input)?.[1];
    if (label !== undefined) {
      fail(`option "certificate" holds a ${label}, not a CERTIFICATE (were "privateKey" and "certificate" swapped?)`);
    }
    fail('option "certificate" is not PEM: expected "-----BEGIN CERTIFICATE-----"');
  }
  try {
    return new X509Certificate(block);
  } catch (error) {
    fail(`option "certificate" is not a readable X.509 certificate (${(error as Error).message})`, error);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ', ');
}
