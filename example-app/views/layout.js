import { html } from './html.js';

const NAV = [
  { href: '/', label: 'Home', id: 'home' },
  { href: '/profile', label: 'Profile', id: 'profile' },
  { href: '/tokens', label: 'Tokens', id: 'tokens' },
  { href: '/api', label: 'API', id: 'api' },
];

/**
 * The page around every view: header with navigation and the signed-in user, main content, footer.
 * @param {{ title: string, active?: string, user?: { name?: string, sub?: string }, body: unknown, script?: boolean, idp: { label: string, url: string } }} o
 */
export function layout(o) {
  const who = o.user
    ? html`<span class="who"><span class="label">Signed in as </span><strong id="whoami">${o.user.name ?? o.user.sub}</strong></span>
        <a class="button small" href="/sign-out" id="logout">Sign out</a>`
    : html`<a class="button small primary" href="/login?returnTo=/profile">Sign in</a>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <title>${o.title} · empowerid-express demo</title>
        <link rel="stylesheet" href="/static/style.css" />
        ${o.script ? html`<script type="module" src="/static/app.js"></script>` : ''}
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="logo" href="/"><span class="mark" aria-hidden="true">eid</span> empowerid-express demo</a>
          <nav aria-label="Main">
            <ul>
              ${NAV.map((n) => html`<li><a href="${n.href}" ${n.id === o.active ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}
            </ul>
          </nav>
          <div class="account">${who}</div>
        </header>
        <main id="main">${o.body}</main>
        <footer class="bottom">
          Identity provider: ${o.idp.label} at <code>${o.idp.url}</code> · built with <code>empowerid-express</code>
        </footer>
      </body>
    </html> `.toString();
}
