/**
 * OAuth 2.0 Form Post Response Mode: the authorization response as an HTML page whose form the
 * browser submits to the redirect URI at once (a script; a button without scripts).
 */
import { randomBytes } from 'node:crypto';
import { escapeHtml, html, type MockResponse } from './http.js';

export function formPostResponse(redirectUri: string, values: Record<string, string | undefined>): MockResponse {
  const nonce = randomBytes(16).toString('base64');
  const fields = Object.entries(values)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('\n');
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Submit this form</title></head>
<body>
<form method="post" action="${escapeHtml(redirectUri)}">
${fields}
<noscript><button type="submit">Continue</button></noscript>
</form>
<script nonce="${nonce}">document.forms[0].submit()</script>
</body></html>
`;
  return html(200, body, {
    'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; form-action ${new URL(redirectUri).origin}`,
  });
}
