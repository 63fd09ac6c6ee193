import type { Response } from 'express';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Answers `GET /logout` that is not a same-origin fetch: a page with one button that POSTs to the
 * logout route. A link or image on another site can show it but cannot press it; the page refuses
 * to be framed, so it cannot be clicked through an invisible frame either.
 */
export function sendLogoutConfirmation(res: Response, action: string, mode: string | undefined): void {
  const hidden = mode === undefined ? '' : `<input type="hidden" name="mode" value="${escape(mode)}">`;
  res
    .status(200)
    .set({ 'X-Frame-Options': 'DENY', 'Content-Security-Policy': "frame-ancestors 'none'" })
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Log out</title></head><body><h1>Log out?</h1>` +
        `<form method="post" action="${escape(action)}">${hidden}<button type="submit">Log out</button></form></body></html>`,
    );
}
