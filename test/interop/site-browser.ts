// A browser's cookie rules without a browser: one jar for every host, SameSite enforced the way
// Chromium does (no attribute = Lax; a cross-site POST carries only SameSite=None cookies; a
// cross-site top-level GET carries Lax ones too; None needs Secure, which loopback may set over
// http), redirects followed, and auto-submitting form pages (form_post) submitted. The site of a
// URL is its host: `localhost` and `127.0.0.1` are two sites, as they are to a browser.

import { parseForm } from './harness.js';

interface Cookie {
  name: string;
  value: string;
  host: string;
  path: string;
  sameSite: 'strict' | 'lax' | 'none';
  expires: number | undefined;
}

export interface SitePage {
  status: number;
  url: string;
  body: string;
  headers: Headers;
}

/** One request as sent, with the names of the cookies the jar let through. */
export interface SentRequest {
  method: string;
  url: string;
  crossSite: boolean;
  cookies: string[];
}

const site = (u: URL) => u.hostname;

/** Fetch Metadata's Sec-Fetch-Site for one hop of a navigation. */
function fetchSite(from: string | undefined, target: URL, crossSite: boolean): string {
  if (crossSite) return 'cross-site';
  if (from === undefined) return 'none';
  if (from !== undefined && new URL(from).origin === target.origin) return 'same-origin';
  return 'same-site';
}
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export class SiteBrowser {
  readonly #jar: Cookie[] = [];
  readonly sent: SentRequest[] = [];

  /** Cookies the jar holds for `host`. */
  cookies(host: string): Cookie[] {
    return this.#jar.filter((c) => c.host === host);
  }

  /**
   * A top-level navigation to `url`, started from the page at `from` (undefined: typed into the
   * address bar), following redirects. A POST is a form submission.
   */
  async navigate(url: string, init: { method?: string; form?: Record<string, string>; from?: string } = {}): Promise<SitePage> {
    let current = new URL(url);
    let method = init.method ?? 'GET';
    let body = init.form ? new URLSearchParams(init.form).toString() : undefined;
    const initiator = init.from === undefined ? undefined : site(new URL(init.from));
    let crossSite = false;
    for (let hop = 0; hop < 20; hop += 1) {
      // A redirect chain that touched another site stays cross-site.
      if (initiator !== undefined && site(current) !== initiator) crossSite = true;
      const cookies = this.#select(current, method, crossSite);
      this.sent.push({ method, url: current.href, crossSite, cookies: cookies.map((c) => c.name) });
      const headers: Record<string, string> = { accept: 'text/html', 'sec-fetch-site': fetchSite(init.from, current, crossSite) };
      // Browsers send Origin with a form POST: the initiator's, "null" after a cross-site redirect.
      if (method === 'POST' && init.from !== undefined) headers.origin = hop === 0 ? new URL(init.from).origin : 'null';
      if (cookies.length) headers.cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const res = await fetch(current, { method, headers, ...(body !== undefined && { body }), redirect: 'manual' });
      this.#store(current, res.headers.getSetCookie());
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        const next = new URL(location, current);
        if (initiator === undefined && site(next) !== site(current)) crossSite = true;
        current = next;
        if (res.status !== 307 && res.status !== 308) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      return { status: res.status, url: current.href, body: await res.text(), headers: res.headers };
    }
    throw new Error(`too many redirects at ${current.href}`);
  }

  /** Submits the page's form (the first, or the one with `formId`) with its hidden fields and `fields`. */
  submit(page: SitePage, fields: Record<string, string> = {}, formId?: string): Promise<SitePage> {
    const form = parseForm(page.body, formId);
    if (!form) throw new Error(`no form on ${page.url} (HTTP ${page.status}): ${page.body.slice(0, 400)}`);
    const target = new URL(form.action || page.url, page.url).href;
    const all = { ...form.fields, ...fields };
    if (form.method === 'GET') {
      const u = new URL(target);
      for (const [k, v] of Object.entries(all)) u.searchParams.set(k, v);
      return this.navigate(u.href, { from: page.url });
    }
    return this.navigate(target, { method: 'POST', form: all, from: page.url });
  }

  /** Whether the page submits its form by itself (a form_post answer, the callback's relay). */
  static autoSubmits(page: SitePage): boolean {
    return /<form\b/i.test(page.body) && /\.submit\(\)/.test(page.body);
  }

  #select(url: URL, method: string, crossSite: boolean): Cookie[] {
    const now = Date.now();
    return this.#jar.filter((c) => {
      if (c.host !== url.hostname || !url.pathname.startsWith(c.path)) return false;
      if (c.expires !== undefined && c.expires <= now) return false;
      if (!crossSite || c.sameSite === 'none') return true;
      return c.sameSite === 'lax' && method === 'GET';
    });
  }

  #store(url: URL, lines: string[]): void {
    for (const line of lines) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const cookie: Cookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        host: url.hostname,
        path: '/',
        sameSite: 'lax',
        expires: undefined,
      };
      let secure = false;
      for (const attr of attrs) {
        const [k = '', v = ''] = attr.trim().split('=');
        const key = k.toLowerCase();
        if (key === 'path') cookie.path = v || '/';
        else if (key === 'samesite') cookie.sameSite = (v.toLowerCase() as Cookie['sameSite']) || 'lax';
        else if (key === 'secure') secure = true;
        else if (key === 'max-age') cookie.expires = Date.now() + Number(v) * 1000;
        else if (key === 'expires') cookie.expires = Date.parse(v);
      }
      // Chromium refuses SameSite=None without Secure, and Secure over http except on loopback.
      if (cookie.sameSite === 'none' && !secure) continue;
      if (secure && url.protocol !== 'https:' && !LOOPBACK.has(url.hostname)) continue;
      const i = this.#jar.findIndex((c) => c.name === cookie.name && c.host === cookie.host && c.path === cookie.path);
      if (i >= 0) this.#jar.splice(i, 1);
      if (cookie.expires === undefined || cookie.expires > Date.now()) this.#jar.push(cookie);
    }
  }
}
