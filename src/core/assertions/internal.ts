/**
 * Small checks shared by the assertion builders. Not re-exported from `index.ts`: these are
 * implementation details, and every failure they raise is an `ERR_ASSERTION_INVALID`.
 */
import { KeyObject, X509Certificate } from 'node:crypto';
import { EmpowerIDError } from '../../errors.js';
import type { SigningCredentials } from './certificate.js';

/** Throws the one error code this module uses, with the `empowerid:` prefix the library uses. */
export function fail(message: string, cause?: unknown): never {
  throw new EmpowerIDError('ERR_ASSERTION_INVALID', `empowerid: ${message}`, { status: 500, cause });
}

// XML 1.0 `Char` excludes C0 controls other than tab/LF/CR, U+FFFE, U+FFFF and lone surrogates.
// An identifier has no business carrying tab/LF/CR either, so those are refused too: they would
// not survive XML attribute/line-end normalisation byte for byte.
// Matching control characters is the point of this pattern.
const FORBIDDEN_CHARS = /[\u0000-\u001F\u007F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A non-empty string without control characters or lone surrogates; `name` is the option's name. */
export function requireText(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    fail(`option "${name}" must be a non-empty string`);
  }
  if (FORBIDDEN_CHARS.test(value)) {
    fail(`option "${name}" contains a control character or an unpaired surrogate`);
  }
  return value;
}

/** Whole seconds within [min, max]; `fallback` when undefined. */
export function requireSeconds(value: unknown, name: string, fallback: number, { min, max }: { min: number; max: number }): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(`option "${name}" must be a whole number of seconds between ${min} and ${max}`);
  }
  return value;
}

/** Reads the injected clock once (milliseconds since the epoch), defaulting to `Date.now`. */
export function readClock(now: (() => number) | undefined): number {
  if (now !== undefined && typeof now !== 'function') fail('option "now" must be a function returning milliseconds');
  const ms = (now ?? Date.now)();
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    fail('option "now" must return a finite, non-negative number of milliseconds since the epoch');
  }
  return ms;
}

/** Guards against a hand-built or half-filled credentials object reaching the signers. */
export function requireCredentials(credentials: unknown): SigningCredentials {
  const c = credentials as Partial<SigningCredentials> | null | undefined;
  if (
    !c ||
    !(c.privateKey instanceof KeyObject) ||
    c.privateKey.type !== 'private' ||
    !(c.certificate instanceof X509Certificate) ||
    typeof c.certificatePem !== 'string' ||
    typeof c.thumbprint !== 'string'
  ) {
    fail('option "credentials" must be the result of loadSigningCredentials()');
  }
  return c as SigningCredentials;
}
