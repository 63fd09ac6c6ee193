import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * The `form_post` answer of a provider on another site arrives as a cross-site POST, and a
 * `SameSite=Lax` session cookie is not sent with it: the callback sees no login in progress. Instead
 * of loosening the session cookie (or keeping a second, `SameSite=None` one, which plain-http
 * development cannot have), the callback answers such a POST once with a page that submits the
 * same fields to itself. That POST is same-site, so the browser sends the session cookie and the
 * transaction is found as usual; nothing about the login lives anywhere but the session.
 *
 * It adds no CSRF reach: the relay only ever posts to this callback, and the callback acts only on
 * a `state` matching a login this browser's session started.
 */
export const RELAY_FIELD = 'empowerid_relay';

/** True for a form_post callback that came without the session's login: relay it once. */
export function shouldRelay(req: Request, params: Record<string, unknown>): boolean {
  return req.method === 'POST' && params[RELAY_FIELD] === undefined && typeof params.state === 'string' && params.state !== '';
}

/** Answers with a page that re-submits `params` to the same URL, same-site. */
export function relay(req: Request, res: Response, params: Record<string, unknown>): void {
  // No session cookie for this answer: a fresh, empty session must not replace the browser's.
  (req as unknown as { session?: unknown }).session = undefined;
  const nonce = randomBytes(16).toString('base64');
  const fields = Object.entries({ ...params, [RELAY_FIELD]: '1' })
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .map(([k, v]) => `<input type="hidden" name="${escape(k)}" value="${escape(v)}">`)
    .join('');
  res
    .status(200)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'`,
    })
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signing in…</title></head><body>` +
        `<form method="post" action="${escape(req.originalUrl)}">${fields}<noscript><button type="submit">Continue</button></noscript></form>` +
        `<script nonce="${nonce}">document.forms[0].submit()</script></body></html>`,
    );
}

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
