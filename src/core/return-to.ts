const MAX_INPUT = 2048;
// Percent-encoding can triple a value; the emitted path is bounded on its own.
const MAX_OUTPUT = 4096;
/**
 * What an emitted path may look like: one `/` not followed by another `/` or `\`, then only
 * printable ASCII without space or backslash. Everything else is percent-encoded by the URL
 * serialiser, so a canonical path always fits; a value that does not is refused.
 */
const CANONICAL_PATH = /^\/(?![/\\])[\x21-\x5b\x5d-\x7e]*$/;

/**
 * Turns a user-supplied `returnTo` into a same-origin path to redirect to, or `fallback`.
 *
 * The value is resolved against `baseURL` the way a browser would (dot segments, `%2e`, stripped
 * tabs and newlines) and re-serialised; the check runs on that canonical string, the one that is
 * emitted, not on the raw input. `/.//evil`, `/%2e%2e//evil` or `/\t/evil` normalise into `//evil`,
 * which a browser reads as another host, so they are refused. The result is idempotent:
 * `safeReturnTo(safeReturnTo(x)) === safeReturnTo(x)`.
 */
export function safeReturnTo(value: unknown, baseURL: URL, fallback = '/'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_INPUT) return fallback;
  if (!value.startsWith('/') || value.startsWith('//')) return fallback;
  // Control characters and backslashes: browsers strip or reinterpret them inconsistently.
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  let resolved: URL;
  try {
    resolved = new URL(value, baseURL);
  } catch {
    return fallback;
  }
  if (resolved.origin !== baseURL.origin) return fallback;
  const emitted = resolved.pathname + resolved.search + resolved.hash;
  if (emitted.length > MAX_OUTPUT || !CANONICAL_PATH.test(emitted)) return fallback;
  // The emitted string itself must resolve to the same origin and the same URL (a fixed point).
  let again: URL;
  try {
    again = new URL(emitted, baseURL);
  } catch {
    return fallback;
  }
  if (again.origin !== baseURL.origin || again.href !== resolved.href) return fallback;
  return emitted;
}
