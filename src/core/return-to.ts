/**
 * Accepts only same-origin relative paths for post-login redirects; everything else becomes
 * `fallback`. Browsers treat `//host`, `/\host` and paths with control characters as
 * cross-origin or ambiguous, so they are refused rather than normalised.
 */
export function safeReturnTo(value: unknown, baseURL: URL, fallback = '/'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return fallback;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback;
  // Control characters are rejected outright: browsers treat them inconsistently in URLs.
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  let resolved: URL;
  try {
    resolved = new URL(value, baseURL);
  } catch {
    return fallback;
  }
  if (resolved.origin !== baseURL.origin) return fallback;
  return resolved.pathname + resolved.search + resolved.hash;
}
