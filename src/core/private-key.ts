import { type KeyObject, createPrivateKey } from 'node:crypto';
import { importPKCS8 } from 'jose';
import type * as oidc from 'openid-client';
import { ConfigurationError } from '../errors.js';
import type { ResolvedClientConfig } from './config.js';

/** Checked synchronously at construction so a bad key fails at startup, not at the first login. */
export function checkPrivateKey(key: ResolvedClientConfig['privateKey']): KeyObject {
  try {
    const keyObject = typeof key === 'string' ? createPrivateKey(key) : (key as KeyObject);
    if (keyObject.type !== 'private' || keyObject.asymmetricKeyType !== 'rsa') throw new Error('not an RSA private key');
    return keyObject;
  } catch (cause) {
    throw new ConfigurationError('privateKey', `could not be read as an RSA private key (${(cause as Error).message})`);
  }
}

/** The RSA key as a WebCrypto key for openid-client's `PrivateKeyJwt`. */
export async function toCryptoKey(key: ResolvedClientConfig['privateKey']): Promise<oidc.CryptoKey> {
  const pem = checkPrivateKey(key).export({ type: 'pkcs8', format: 'pem' }) as string;
  return (await importPKCS8(pem, 'RS256')) as oidc.CryptoKey;
}
