import type { Request } from 'express';

/** How a request's origin was judged, for the debug log. */
export type OriginVerdict = 'same-origin' | 'cross-site' | 'no-browser-headers';

/**
 * Whether a state-changing request comes from this app's own pages (Fetch Metadata, then the
 * `Origin` header, then `Referer`).
 *
 * - `Sec-Fetch-Site` (every current browser sends it): only `same-origin` and `none` (typed into
 *   the address bar, a bookmark) pass; `same-site` does not, since a sibling subdomain is another app.
 * - Without it, `Origin` must equal baseURL's origin exactly (`null` from a sandboxed frame fails).
 * - Without both, the origin of `Referer` must equal it.
 * - Without any of the three the request cannot come from a page of another site in a browser
 *   (browsers send `Origin` on every cross-origin POST), so it is a non-browser client (curl, a
 *   test, a server) and passes: it can only present cookies it already holds.
 */
export function originVerdict(req: Request, baseURL: URL): OriginVerdict {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin' || site === 'none' ? 'same-origin' : 'cross-site';
  const origin = req.headers.origin;
  if (origin !== undefined) return origin === baseURL.origin ? 'same-origin' : 'cross-site';
  const referer = req.headers.referer;
  if (referer !== undefined) {
    try {
      return new URL(referer).origin === baseURL.origin ? 'same-origin' : 'cross-site';
    } catch {
      return 'cross-site';
    }
  }
  return 'no-browser-headers';
}
