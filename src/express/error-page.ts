import type { Request } from 'express';
import { type EmpowerIDError, type EmpowerIDErrorCode, OAuthError } from '../errors.js';

/** What an error page is given to render (see the `errorPage` option). Every string is plain text. */
export interface ErrorPageInfo {
  /** The HTTP status the answer carries. */
  readonly status: number;
  /** A short heading for people, e.g. "Sign-in cancelled". */
  readonly title: string;
  /** One friendly sentence saying what happened and what to do. */
  readonly summary: string;
  /** The library's message naming the cause (never a token or secret). */
  readonly message: string;
  /** The stable error code, e.g. `ERR_CALLBACK_NO_TRANSACTION`. */
  readonly code: EmpowerIDErrorCode;
  /** The OAuth `error` (or a generic name), as in the JSON answer. */
  readonly error: string;
  /** Where "Try again" should go (the login route), when starting over can help. */
  readonly retryHref: string | undefined;
  /** The app's start page (baseURL's path). */
  readonly homeHref: string;
}

/**
 * Renders the HTML page browsers see for this library's errors. Return the whole document; escape
 * the strings of `info` (they are text, not HTML). The status, `Content-Type` and
 * `Cache-Control: no-store` are set for you.
 */
export type ErrorPageRenderer = (info: ErrorPageInfo, req: Request) => string;

/** Where the pieces of a page come from, for one request. */
export interface ErrorPageContext {
  loginPath: string | false;
  homeHref: string;
}

/** @internal The people-facing description of an error. */
export function errorPageInfo(err: EmpowerIDError, error: string, message: string, ctx: ErrorPageContext): ErrorPageInfo {
  const { title, summary, retry } = describe(err);
  const retryHref = retry && ctx.loginPath !== false ? ctx.loginPath : undefined;
  return { status: err.status, title, summary, message, code: err.code, error, retryHref, homeHref: ctx.homeHref };
}

function describe(err: EmpowerIDError): { title: string; summary: string; retry: boolean } {
  if (err.code === 'ERR_AUTHORIZATION_DENIED' && err instanceof OAuthError && err.error === 'access_denied') {
    return { title: 'Sign-in cancelled', summary: 'The sign-in was cancelled, so you are not signed in.', retry: true };
  }
  if (err.code === 'ERR_AUTHORIZATION_DENIED') {
    return { title: 'Sign-in refused', summary: 'The identity provider did not sign you in.', retry: true };
  }
  if (err.code === 'ERR_CALLBACK_NO_TRANSACTION') {
    return {
      title: 'Sign-in expired',
      summary: 'This sign-in is no longer valid: it took too long, was already used, or cookies are blocked. Please start again.',
      retry: true,
    };
  }
  if (err.code === 'ERR_CROSS_SITE_REQUEST') {
    return {
      title: 'Request refused',
      summary: 'This request came from another site, so it was refused. Use this app’s own pages.',
      retry: false,
    };
  }
  if (err.code === 'ERR_BODY_INVALID' || err.code === 'ERR_REQUEST_INVALID') {
    return { title: 'Request not understood', summary: 'The request could not be handled. Please go back and try again.', retry: false };
  }
  if (err.status === 401) return { title: 'Sign-in required', summary: 'Please sign in to continue.', retry: true };
  if (err.status === 403) return { title: 'Access denied', summary: 'Your account is not allowed to do this.', retry: false };
  if (err.status >= 500) {
    return { title: 'Sign-in unavailable', summary: 'Signing in is not possible right now. Please try again in a moment.', retry: true };
  }
  return { title: 'Sign-in failed', summary: 'Something went wrong while signing you in. Please try again.', retry: true };
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Small on purpose: inline CSS (no asset route to serve), readable in light and dark mode.
/** @internal The library's page style, shared by its error and logout-confirmation pages. */
export const PAGE_STYLE = `:root{color-scheme:light dark;--bg:#f4f6fa;--card:#fff;--text:#1b2330;--muted:#5b6678;--accent:#2457d6;--line:#dde3ec}
@media (prefers-color-scheme:dark){:root{--bg:#11151c;--card:#1a202b;--text:#e7ebf2;--muted:#9aa6b8;--accent:#7aa2ff;--line:#2c3545}}
body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
main{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:2rem 2.25rem;max-width:30rem;margin:1rem;box-shadow:0 4px 18px rgba(0,0,0,.06)}
h1{font-size:1.4rem;margin:0 0 .5rem}p{margin:.5rem 0}.detail{color:var(--muted);font-size:.875rem}code{font-size:.8rem}
nav{display:flex;gap:.75rem;flex-wrap:wrap;margin-top:1.25rem}
a{color:var(--accent)}a.primary{background:var(--accent);color:var(--card);padding:.5rem 1rem;border-radius:8px;text-decoration:none;font-weight:600}
a.primary:focus-visible,a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
button.primary{background:var(--accent);color:var(--card);border:0;padding:.55rem 1.1rem;border-radius:8px;font:inherit;font-weight:600;cursor:pointer}
button.primary:focus-visible{outline:3px solid var(--accent);outline-offset:2px}`;

/** @internal The default page: the title, the summary, the cause in small print, and a way back. */
export function defaultErrorPage(info: ErrorPageInfo): string {
  const retry = info.retryHref ? `<a class="primary" href="${escapeHtml(info.retryHref)}">Try again</a>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(info.title)}</title><style>${PAGE_STYLE}</style></head>
<body><main>
<h1>${escapeHtml(info.title)}</h1>
<p>${escapeHtml(info.summary)}</p>
<p class="detail">${escapeHtml(info.message)} <code>${escapeHtml(info.code)}</code></p>
<nav>${retry}<a href="${escapeHtml(info.homeHref)}">Back to the start page</a></nav>
</main></body></html>
`;
}
