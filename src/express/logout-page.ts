import type { Response } from 'express';
import { PAGE_STYLE, escapeHtml as escape } from './error-page.js';

/**
 * Answers `GET /logout` that is not a same-origin fetch: a page with one button that POSTs to the
 * logout route. A link or image on another site can show it but cannot press it; the page refuses
 * to be framed, so it cannot be clicked through an invisible frame either.
 */
export function sendLogoutConfirmation(res: Response, action: string, mode: string | undefined, homeHref = '/'): void {
  const hidden = mode === undefined ? '' : `<input type="hidden" name="mode" value="${escape(mode)}">`;
  res
    .status(200)
    .set({ 'X-Frame-Options': 'DENY', 'Content-Security-Policy': "frame-ancestors 'none'" })
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<title>Log out</title><style>${PAGE_STYLE}</style></head><body><main><h1>Log out?</h1>` +
        `<p>Press the button to sign out of this application.</p>` +
        `<form method="post" action="${escape(action)}">${hidden}<nav><button class="primary" type="submit">Log out</button>` +
        `<a href="${escape(homeHref)}">Stay signed in</a></nav></form></main></body></html>`,
    );
}
