/**
 * The signing key pair of the certificate-based grants (JWT bearer, client certificate), loaded
 * once per client: parsing PEM, decrypting a key and checking it against the certificate costs
 * milliseconds, and a service asks for tokens again and again with the same files.
 */
import { createHash, type KeyObject, type X509Certificate } from 'node:crypto';
import { ConfigurationError } from '../../errors.js';
import { loadSigningCredentials, type SigningCredentials } from '../assertions/certificate.js';
import type { EmpowerIDClient } from '../client.js';

/**
 * The certificate registered with EmpowerID for the application and its private key: either the
 * PEM texts (or `KeyObject`/`X509Certificate`), or credentials already made by
 * `loadSigningCredentials`.
 */
export type SigningInput =
  | {
      /** PEM private key (PKCS#8, PKCS#1, SEC 1, encrypted with `passphrase`) or a private `KeyObject`. */
      privateKey: string | KeyObject;
      /** PEM certificate (the first block of a chain is used) or an `X509Certificate`. */
      certificate: string | X509Certificate;
      /** Passphrase of an encrypted private key. */
      passphrase?: string;
    }
  | {
      /** From `loadSigningCredentials()`. */
      credentials: SigningCredentials;
    };

/** Distinct key pairs remembered per client; a client normally has one. */
const MAX_PER_CLIENT = 8;
const loaded = new WeakMap<EmpowerIDClient, Map<string, Promise<SigningCredentials>>>();

/**
 * The checked signing credentials for `input`, loaded once per client for PEM text input (keyed by
 * a digest of the key, certificate and passphrase). A load that fails is not remembered.
 */
export function signingCredentials(client: EmpowerIDClient, input: SigningInput): Promise<SigningCredentials> {
  if ('credentials' in input && input.credentials !== undefined) return Promise.resolve(input.credentials);
  const { privateKey, certificate, passphrase } = input as Extract<SigningInput, { privateKey: unknown }>;
  if (privateKey === undefined || certificate === undefined) {
    throw new ConfigurationError(
      privateKey === undefined ? 'privateKey' : 'certificate',
      'is required (or pass "credentials" from loadSigningCredentials())',
    );
  }
  // Objects are cheap to check and have no stable text to key on: load them every time.
  if (typeof privateKey !== 'string' || typeof certificate !== 'string') {
    return loadSigningCredentials({ privateKey, certificate, ...(passphrase !== undefined && { passphrase }) });
  }
  let perClient = loaded.get(client);
  if (!perClient) {
    perClient = new Map();
    loaded.set(client, perClient);
  }
  const key = createHash('sha256')
    .update(privateKey)
    .update('\0')
    .update(certificate)
    .update('\0')
    .update(passphrase ?? '')
    .digest('base64url');
  const existing = perClient.get(key);
  if (existing) return existing;
  const map = perClient;
  const promise = loadSigningCredentials({ privateKey, certificate, ...(passphrase !== undefined && { passphrase }) });
  promise.catch(() => {
    if (map.get(key) === promise) map.delete(key);
  });
  if (map.size >= MAX_PER_CLIENT) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(key, promise);
  return promise;
}
