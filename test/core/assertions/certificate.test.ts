import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certificateThumbprint, loadSigningCredentials } from '../../../src/core/assertions/index.js';
import { EmpowerIDError } from '../../../src/errors.js';
import { client, ec, fixturePath, other } from './fixtures.js';

/** Independent expectation: Node's own SHA-1 fingerprint ("AB:CD:…") without the colons. */
const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint.replaceAll(':', '');

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function rejection(promise: Promise<unknown>): Promise<EmpowerIDError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EmpowerIDError);
  expect((error as EmpowerIDError).code).toBe('ERR_ASSERTION_INVALID');
  return error as EmpowerIDError;
}

describe('certificateThumbprint', () => {
  it.each([
    ['client', client.cert],
    ['other', other.cert],
    ['ec', ec.cert],
  ])('is the SHA-1 fingerprint of the DER certificate in uppercase hex without separators (%s)', (_name, pem) => {
    const thumbprint = certificateThumbprint(pem);
    expect(thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(thumbprint).toBe(fingerprint(pem));
  });

  it.skipIf(!hasOpenssl())('matches `openssl x509 -noout -fingerprint -sha1`', () => {
    const out = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha1', '-in', fixturePath('client.cert.pem')], {
      encoding: 'utf8',
    });
    const expected = /=([0-9A-F:]+)\s*$/i.exec(out)?.[1]?.replaceAll(':', '').toUpperCase();
    expect(expected).toMatch(/^[0-9A-F]{40}$/);
    expect(certificateThumbprint(client.cert)).toBe(expected);
  });

  it('accepts an X509Certificate and gives the same value as for its PEM', () => {
    expect(certificateThumbprint(new X509Certificate(client.cert))).toBe(certificateThumbprint(client.cert));
  });

  it('differs between unrelated certificates', () => {
    expect(certificateThumbprint(client.cert)).not.toBe(certificateThumbprint(other.cert));
  });

  it.each([
    ['not PEM', 'hello'],
    ['a key instead of a certificate', client.key],
    ['a corrupt certificate body', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'],
  ])('throws ERR_ASSERTION_INVALID for %s', (_name, input) => {
    expect(() => certificateThumbprint(input)).toThrow(expect.objectContaining({ name: 'EmpowerIDError', code: 'ERR_ASSERTION_INVALID' }));
  });
});

describe('loadSigningCredentials', () => {
  it('loads a PKCS#8 RSA key with its certificate', async () => {
    const credentials = await loadSigningCredentials({ privateKey: client.key, certificate: client.cert });
    expect(credentials.thumbprint).toBe(fingerprint(client.cert));
    expect(credentials.privateKey.type).toBe('private');
    expect(credentials.privateKey.asymmetricKeyType).toBe('rsa');
    expect(credentials.certificate.raw.equals(new X509Certificate(client.cert).raw)).toBe(true);
    expect(credentials.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/);
    expect(new X509Certificate(credentials.certificatePem).raw.equals(credentials.certificate.raw)).toBe(true);
    expect(Object.isFrozen(credentials)).toBe(true);
  });

  it('loads a PKCS#1 ("RSA PRIVATE KEY") key', async () => {
    const pkcs1 = createPrivateKey(client.key).export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(pkcs1).toContain('-----BEGIN RSA PRIVATE KEY-----');
    const credentials = await loadSigningCredentials({ privateKey: pkcs1, certificate: client.cert });
    expect(credentials.thumbprint).toBe(fingerprint(client.cert));
  });

  it('accepts a private KeyObject and an X509Certificate', async () => {
    const credentials = await loadSigningCredentials({
      privateKey: createPrivateKey(client.key),
      certificate: new X509Certificate(client.cert),
    });
    expect(credentials.thumbprint).toBe(fingerprint(client.cert));
  });

  it('uses the first certificate of a chain, and reads a file holding both key and certificate', async () => {
    const chain = await loadSigningCredentials({ privateKey: client.key, certificate: client.cert + other.cert });
    expect(chain.thumbprint).toBe(fingerprint(client.cert));
    expect(chain.certificatePem).not.toContain(other.cert.trim().split('\n')[1]);
    const combined = client.cert + client.key;
    const both = await loadSigningCredentials({ privateKey: combined, certificate: combined });
    expect(both.thumbprint).toBe(fingerprint(client.cert));
  });

  it('loads an EC P-256 key (for the JWT bearer assertion)', async () => {
    const credentials = await loadSigningCredentials({ privateKey: ec.key, certificate: ec.cert });
    expect(credentials.privateKey.asymmetricKeyType).toBe('ec');
    expect(credentials.thumbprint).toBe(fingerprint(ec.cert));
  });

  describe('encrypted keys', () => {
    const pkcs8 = createPrivateKey(client.key)
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' })
      .toString();
    const pkcs1 = createPrivateKey(client.key)
      .export({ type: 'pkcs1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'correct horse' })
      .toString();

    it.each([
      ['PKCS#8', pkcs8],
      ['legacy PKCS#1', pkcs1],
    ])('loads an encrypted %s key with its passphrase', async (_name, key) => {
      const credentials = await loadSigningCredentials({ privateKey: key, certificate: client.cert, passphrase: 'correct horse' });
      expect(credentials.thumbprint).toBe(fingerprint(client.cert));
    });

    it.each([
      ['PKCS#8', pkcs8],
      ['legacy PKCS#1', pkcs1],
    ])('asks for the passphrase of an encrypted %s key', async (_name, key) => {
      const error = await rejection(loadSigningCredentials({ privateKey: key, certificate: client.cert }));
      expect(error.message).toMatch(/privateKey.*encrypted.*passphrase/);
    });

    it('says when the passphrase is wrong', async () => {
      const error = await rejection(loadSigningCredentials({ privateKey: pkcs8, certificate: client.cert, passphrase: 'wrong' }));
      expect(error.message).toMatch(/could not be decrypted.*passphrase/);
      expect(error.cause).toBeInstanceOf(Error);
    });
  });

  it('rejects a key that does not belong to the certificate, naming the certificate', async () => {
    const error = await rejection(loadSigningCredentials({ privateKey: client.key, certificate: other.cert }));
    expect(error.message).toContain('"privateKey" does not match option "certificate"');
    expect(error.message).toContain(fingerprint(other.cert));
    expect(error.message).toContain('empowerid-express unrelated client');
  });

  it('rejects an EC key against an RSA certificate as a mismatch', async () => {
    const error = await rejection(loadSigningCredentials({ privateKey: ec.key, certificate: client.cert }));
    expect(error.message).toContain('does not match');
  });

  it.each([
    ['a key that is not PEM', { privateKey: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', certificate: client.cert }, /"privateKey" is not PEM/],
    [
      'a key with a corrupt body',
      { privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', certificate: client.cert },
      /"privateKey" is not a readable PEM private key/,
    ],
    ['a certificate that is not PEM', { privateKey: client.key, certificate: 'garbage' }, /"certificate" is not PEM/],
    [
      'a certificate with a corrupt body',
      { privateKey: client.key, certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' },
      /"certificate" is not a readable X.509 certificate/,
    ],
    ['a certificate in the key option', { privateKey: client.cert, certificate: client.cert }, /holds a CERTIFICATE.*swapped/],
    ['a key in the certificate option', { privateKey: client.key, certificate: client.key }, /"certificate" holds a PRIVATE KEY.*swapped/],
    ['an empty key', { privateKey: '', certificate: client.cert }, /"privateKey" must be a PEM string/],
    ['a missing certificate', { privateKey: client.key }, /"certificate" must be a PEM string/],
  ])('rejects %s with a message naming the input', async (_name, options, message) => {
    const error = await rejection(loadSigningCredentials(options as never));
    expect(error.message).toMatch(message);
  });

  it('refuses an Ed25519 key, saying RSA is required', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const error = await rejection(loadSigningCredentials({ privateKey, certificate: client.cert }));
    expect(error.message).toMatch(/ed25519 key.*RSA/);
  });

  it('refuses an EC key on a curve JOSE does not use', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const error = await rejection(loadSigningCredentials({ privateKey, certificate: ec.cert }));
    expect(error.message).toMatch(/secp256k1/);
  });

  it('refuses an RSA key shorter than 2048 bits', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const error = await rejection(loadSigningCredentials({ privateKey, certificate: client.cert }));
    expect(error.message).toMatch(/1024-bit RSA key.*2048/);
  });

  it('refuses a public KeyObject', async () => {
    const error = await rejection(
      loadSigningCredentials({ privateKey: new X509Certificate(client.cert).publicKey, certificate: client.cert }),
    );
    expect(error.message).toMatch(/public key; a private key is required/);
  });
});
