/**
 * Tokens at rest: sealed as compact JWEs (`dir` + `A256GCM`, jose) under keys derived from the
 * `secret` option, so a session-store dump or a Redis dump holds no usable token.
 */
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import { ConfigurationError } from '../errors.js';

/** Shortest secret accepted: 32 characters, about what 256 bits of key material need when typed as text. */
export const MIN_SECRET_LENGTH = 32;

interface Key {
  kid: string;
  bytes: Uint8Array;
}

/**
 * Seals and opens small JSON values. The first secret encrypts; every secret decrypts, so a
 * secret is rotated by putting the new one first and dropping the old one once sessions sealed
 * under it have expired.
 *
 * @example
 * ```ts
 * const sealer = new Sealer(['new secret of at least 32 characters', 'old secret of at least 32 characters']);
 * const jwe = await sealer.seal({ refresh_token: '…' });
 * const back = await sealer.open(jwe); // { refresh_token: '…' }, or undefined when no secret fits
 * ```
 */
export class Sealer {
  readonly #keys: readonly Key[];
  /** `false` when no secret was given and a random per-process key is used instead. */
  readonly configured: boolean;

  /**
   * @param secret - one secret or a list (first encrypts); `undefined` uses a random key that lives
   *   as long as the process (sealed values do not survive a restart nor reach another instance).
   * @param option - the option name reported in errors.
   * @throws ConfigurationError when a secret is not a string of at least 32 characters.
   */
  constructor(secret: string | readonly string[] | undefined, option = 'secret') {
    this.configured = secret !== undefined;
    const list = secret === undefined ? [randomBytes(32).toString('base64url')] : typeof secret === 'string' ? [secret] : secret;
    if (!Array.isArray(list) || list.length === 0) throw new ConfigurationError(option, 'must be a string or a non-empty array of strings');
    this.#keys = list.map((s, i) => {
      if (typeof s !== 'string' || s.length < MIN_SECRET_LENGTH) {
        throw new ConfigurationError(
          list.length > 1 ? `${option}[${i}]` : option,
          `must be a string of at least ${MIN_SECRET_LENGTH} characters (a random value, e.g. openssl rand -base64 32)`,
        );
      }
      const bytes = new Uint8Array(hkdfSync('sha256', s, 'empowerid-express', 'token sealing A256GCM', 32));
      // The kid names the key without revealing it, so opening tries the right key first.
      const kid = createHash('sha256').update(bytes).digest('base64url').slice(0, 8);
      return { kid, bytes };
    });
  }

  /** The value as a compact JWE under the first secret. */
  async seal(value: unknown): Promise<string> {
    const key = this.#keys[0] as Key;
    return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(value)))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: key.kid })
      .encrypt(key.bytes);
  }

  /**
   * The value sealed in `jwe`, or `undefined` when it is not a JWE, was sealed under a secret no
   * longer configured, or was altered (AES-GCM authenticates it).
   */
  async open<T = unknown>(jwe: unknown): Promise<T | undefined> {
    if (typeof jwe !== 'string') return undefined;
    let kid: unknown;
    try {
      const header = decodeProtectedHeader(jwe);
      if (header.alg !== 'dir' || header.enc !== 'A256GCM') return undefined;
      kid = header.kid;
    } catch {
      return undefined;
    }
    const ordered = [...this.#keys.filter((k) => k.kid === kid), ...this.#keys.filter((k) => k.kid !== kid)];
    for (const key of ordered) {
      try {
        const { plaintext } = await compactDecrypt(jwe, key.bytes, {
          keyManagementAlgorithms: ['dir'],
          contentEncryptionAlgorithms: ['A256GCM'],
        });
        return JSON.parse(new TextDecoder().decode(plaintext)) as T;
      } catch {
        // Next key: rotation means an older secret may have sealed it.
      }
    }
    return undefined;
  }
}
