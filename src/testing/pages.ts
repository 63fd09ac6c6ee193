/**
 * The mock IdP's HTML pages: the login form, error pages and the signed-out page.
 * Plain, script-free HTML so that tests (and a person in a browser) can drive them.
 */
import { escapeHtml } from './http.js';

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)} - EmpowerID (mock)</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;margin:.3rem 0}.error{color:#b00020}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
${content}
</body>
</html>
`;
}

/** Names of the authorization request parameters the login form carries as hidden fields. */
export const CARRIED_PARAMS = [
  'client_id',
  'redirect_uri',
  'response_type',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'response_mode',
] as const;

/**
 * The login form. It POSTs the credentials together with the authorization request (hidden
 * fields) to `action`, so the login handler can re-validate the request without server state.
 */
export function loginPage(o: { action: string; params: URLSearchParams; clientId: string; error?: string; username?: string }): string {
  const hidden = CARRIED_PARAMS.filter((n) => o.params.has(n))
    .map((n) => `<input type="hidden" name="${n}" value="${escapeHtml(o.params.get(n) ?? '')}">`)
    .join('\n');
  const error = o.error ? `<p class="error" role="alert">${escapeHtml(o.error)}</p>` : '';
  return page(
    'Sign in',
    `<p>Application <strong>${escapeHtml(o.clientId)}</strong> asks you to sign in.</p>
${error}
<form method="post" action="${escapeHtml(o.action)}">
${hidden}
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" value="${escapeHtml(o.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password">
<button type="submit" name="action" value="login">Sign in</button>
<button type="submit" name="action" value="deny">Deny</button>
</form>`,
  );
}

/** An error page shown instead of redirecting (unknown client, unregistered redirect URI...). */
export function errorPage(title: string, message: string): string {
  return page(title, `<p class="error">${escapeHtml(message)}</p>`);
}

/** Shown after a logout without `post_logout_redirect_uri`. */
export function signedOutPage(): string {
  return page('Signed out', '<p>You have been signed out of EmpowerID.</p>');
}

/** What a misconfigured reverse proxy answers when the IdP is down ('down' outage). */
export const PROXY_DOWN_PAGE =
  '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>\n';

/** A captive-portal-like page answered with 200 on every endpoint ('garbage' outage). */
export const GARBAGE_PAGE =
  '<!doctype html><html><head><title>Maintenance</title></head><body><p>EmpowerID is being upgraded. Please come back later.</p></body></html>\n';
