/**
 * The mock IdP's HTML pages: the login form, error pages and the signed-out page.
 * Plain, script-free HTML so that tests (and a person in a browser) can drive them.
 */
import { escapeHtml } from './http.js';

// Looks like an identity provider's page (a card, the application's name, real buttons) so that
// the example app's screenshots and a person clicking through see a believable sign-in.
const STYLE = `:root{color-scheme:light;--accent:#0b5cad;--accent-dark:#084a8c;--text:#1d2733;--muted:#5d6b7c;--line:#d5dde7}
*{box-sizing:border-box}body{margin:0;min-height:100vh;background:linear-gradient(160deg,#e9f0f8,#f7f9fc);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;display:flex;flex-direction:column;align-items:center;padding:3rem 1rem}
.brand{font-weight:700;font-size:1.25rem;letter-spacing:.01em;margin-bottom:1.25rem;color:var(--accent)}.brand small{font-weight:500;color:var(--muted);font-size:.8rem;margin-left:.4rem}
main{width:100%;max-width:24rem;background:#fff;border:1px solid var(--line);border-radius:12px;padding:2rem;box-shadow:0 10px 30px rgba(16,42,80,.08)}
h1{font-size:1.35rem;margin:0 0 .25rem}p{margin:.25rem 0 1rem}.app{color:var(--muted)}
label{display:block;font-weight:600;font-size:.9rem;margin:.75rem 0 .25rem}
input{display:block;width:100%;padding:.6rem .7rem;font:inherit;border:1px solid var(--line);border-radius:8px}
input:focus,button:focus-visible{outline:3px solid #8cb8ea;outline-offset:1px;border-color:var(--accent)}
.actions{display:flex;gap:.75rem;margin-top:1.5rem}button{flex:1;padding:.65rem 1rem;font:inherit;font-weight:600;border-radius:8px;cursor:pointer}
.primary{background:var(--accent);border:1px solid var(--accent);color:#fff}.primary:hover{background:var(--accent-dark)}
.secondary{background:#fff;border:1px solid var(--line);color:var(--text)}.secondary:hover{background:#f1f4f8}
.error{background:#fdecec;border:1px solid #f5c2c2;color:#8a1c1c;border-radius:8px;padding:.6rem .8rem}
.hint{margin-top:1.5rem;font-size:.85rem;color:var(--muted);border-top:1px solid var(--line);padding-top:1rem}.hint ul{margin:.25rem 0 0;padding-left:1.1rem}
code{font-size:.85em}`;

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} - EmpowerID (mock)</title>
<style>${STYLE}</style></head>
<body>
<div class="brand" aria-hidden="true">EmpowerID<small>mock identity provider</small></div>
<main>
<h1>${escapeHtml(title)}</h1>
${content}
</main>
</body>
</html>
`;
}

/** What the pages call an application: its display name, else its client_id. */
export function appName(client: { clientId: string; name?: string }): string {
  return client.name ?? client.clientId;
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
 * `users`, when given, are listed in a hint (this is a mock: the passwords are public).
 */
export function loginPage(o: {
  action: string;
  params: URLSearchParams;
  /** The application's display name (see {@link appName}). */
  appName: string;
  error?: string;
  username?: string;
  users?: ReadonlyArray<{ username: string; password: string; name: string }>;
}): string {
  const hidden = CARRIED_PARAMS.filter((n) => o.params.has(n))
    .map((n) => `<input type="hidden" name="${n}" value="${escapeHtml(o.params.get(n) ?? '')}">`)
    .join('\n');
  const error = o.error ? `<p class="error" role="alert">${escapeHtml(o.error)}</p>` : '';
  const hint = o.users?.length
    ? `<aside class="hint" aria-label="Demo users"><strong>Demo users</strong><ul>${o.users
        .map((u) => `<li><code>${escapeHtml(u.username)}</code> / <code>${escapeHtml(u.password)}</code> (${escapeHtml(u.name)})</li>`)
        .join('')}</ul></aside>`
    : '';
  return page(
    'Sign in',
    `<p class="app">to continue to <strong>${escapeHtml(o.appName)}</strong></p>
${error}
<form method="post" action="${escapeHtml(o.action)}">
${hidden}
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required value="${escapeHtml(o.username ?? '')}"${o.error ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"${o.error ? ' autofocus' : ''}>
<div class="actions">
<button type="submit" name="action" value="login" class="primary">Sign in</button>
<button type="submit" name="action" value="deny" class="secondary" formnovalidate>Cancel</button>
</div>
</form>
${hint}`,
  );
}

/** An error page shown instead of redirecting (unknown client, unregistered redirect URI...). */
export function errorPage(title: string, message: string): string {
  return page(title, `<p class="error" role="alert">${escapeHtml(message)}</p><p>Go back to the application and start again.</p>`);
}

/**
 * Asks before a global logout. The form POSTs the logout request back (`params`, hidden) with
 * `confirm=yes` (sign out) or `confirm=no` (stay signed in).
 */
export function logoutConfirmationPage(o: { action: string; params: URLSearchParams; appName: string; username?: string }): string {
  const hidden = [...o.params]
    .filter(([n]) => n !== 'confirm')
    .map(([n, v]) => `<input type="hidden" name="${escapeHtml(n)}" value="${escapeHtml(v)}">`)
    .join('\n');
  const who = o.username ? ` as <strong>${escapeHtml(o.username)}</strong>` : '';
  return page(
    'Sign out of EmpowerID?',
    `<p class="app"><strong>${escapeHtml(o.appName)}</strong> asks to sign you out of EmpowerID.</p>
<p>You are signed in${who}. Signing out ends your EmpowerID session for every application that uses it.</p>
<form method="post" action="${escapeHtml(o.action)}">
${hidden}
<div class="actions">
<button type="submit" name="confirm" value="yes" class="primary">Sign out</button>
<button type="submit" name="confirm" value="no" class="secondary">Stay signed in</button>
</div>
</form>`,
  );
}

/** Shown after "Stay signed in" on the logout confirmation, when there is nowhere to go back to. */
export function stillSignedInPage(): string {
  return page('Still signed in', '<p>You are still signed in to EmpowerID. You can close this window.</p>');
}

/** Shown after a logout without `post_logout_redirect_uri`. */
export function signedOutPage(): string {
  return page('Signed out', '<p>You have been signed out of EmpowerID. You can close this window.</p>');
}

/** What a misconfigured reverse proxy answers when the IdP is down ('down' outage). */
export const PROXY_DOWN_PAGE =
  '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>\n';

/** A captive-portal-like page answered with 200 on every endpoint ('garbage' outage). */
export const GARBAGE_PAGE =
  '<!doctype html><html><head><title>Maintenance</title></head><body><p>EmpowerID is being upgraded. Please come back later.</p></body></html>\n';
