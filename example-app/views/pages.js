// The example app's pages. Each returns the page body; app.js wraps it in the layout.
import { html } from './html.js';

const json = (v) => JSON.stringify(v, null, 2);

/** 4:59, as the page's script shows it: rendered on the server too, so it reads right without script. */
function mmss(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** "IT Administrator in Headquarters" → role and location, as EmpowerID names them. */
function splitRole(s) {
  const at = s.indexOf(' in ');
  return at > 0 ? { role: s.slice(0, at), location: s.slice(at + 4) } : { role: s, location: '' };
}

const FEATURES = [
  {
    href: '/profile',
    title: 'Profile',
    text: 'Your name, email, organization and EmpowerID business roles, from the ID token and userinfo.',
  },
  {
    href: '/tokens',
    title: 'Tokens',
    text: 'The access token counting down, its scopes and introspection answer; refresh it now or watch it renew itself.',
  },
  { href: '/api', title: 'API', text: 'Call this app’s own API from the browser with the access token, protected by requireToken().' },
  { href: '/sign-out', title: 'Sign out', text: 'Leave this app only, or end your EmpowerID session everywhere.' },
];

export function homePage({ user, demoUsers, idp }) {
  const features = html`<ul class="features">
    ${FEATURES.map(
      (f) =>
        html`<li class="card">
          <h2><a href="${f.href}">${f.title}</a></h2>
          <p>${f.text}</p>
        </li>`,
    )}
  </ul>`;
  if (user) {
    return html`<section class="hero">
        <h1>Welcome, <span id="name">${user.name ?? user.sub}</span></h1>
        <p class="lead">You are signed in with ${idp.label}. Here is what the app can do with that sign-in.</p>
      </section>
      ${features}`;
  }
  const users = demoUsers
    ? html`<section class="card" aria-labelledby="demo-users">
        <h2 id="demo-users">Demo users</h2>
        <p>The embedded mock EmpowerID at <code>${idp.url}</code> knows these people. Pick one on its sign-in page.</p>
        <table>
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Password</th>
              <th scope="col">Name</th>
              <th scope="col">Organization</th>
              <th scope="col">Roles</th>
            </tr>
          </thead>
          <tbody>
            ${demoUsers.map(
              (u) =>
                html`<tr>
                  <td><code class="username">${u.username}</code></td>
                  <td><code class="password">${u.password}</code></td>
                  <td>${u.name}</td>
                  <td>${u.organization}</td>
                  <td>${u.business_role_locations.length}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </section>`
    : '';
  return html`<section class="hero">
      <h1>Sign in with EmpowerID, in an Express app</h1>
      <p class="lead">
        This demo runs <code>empowerid-express</code>: sign-in with PKCE, your profile and business roles, tokens that renew themselves, and
        an API protected by <code>requireToken()</code>.
      </p>
      <p><a class="button primary large" id="login" href="/login?returnTo=/profile">Sign in with ${idp.label}</a></p>
    </section>
    ${users} ${features}`;
}

export function profilePage({ user, profile }) {
  const name = user.name ?? ([profile.first_name, profile.last_name].filter(Boolean).join(' ') || profile.username || user.sub);
  const initials = String(name)
    .split(/\s+/)
    .map((w) => w[0])
    .slice(0, 2)
    .join('')
    .toUpperCase();
  const roles = Array.isArray(profile.business_role_locations) ? profile.business_role_locations : [];
  const fact = (label, id, value) =>
    value
      ? html`<dt>${label}</dt>
          <dd id="${id}">${value}</dd>`
      : '';
  return html`<h1>Profile</h1>
    <section class="card person" aria-label="Person">
      <div class="avatar" aria-hidden="true">${initials}</div>
      <div>
        <p class="person-name" id="name">${name}</p>
        <dl class="facts">
          ${
            user.email || profile.email
              ? html`<dt>Email</dt>
                  <dd id="email"><a href="mailto:${profile.email ?? user.email}">${profile.email ?? user.email}</a></dd>`
              : ''
          }
          ${fact('Organization', 'organization', profile.organization)} ${fact('Username', 'username', profile.username ?? user.sub)}
          ${
            user.oid || profile.id
              ? html`<dt>Person ID</dt>
                  <dd id="person-id"><code>${user.oid ?? profile.id}</code></dd>`
              : ''
          }
        </dl>
      </div>
    </section>
    <section class="card" aria-labelledby="roles-title">
      <h2 id="roles-title">Business roles <span class="count">${roles.length}</span></h2>
      ${
        roles.length
          ? html`<ul class="roles" id="roles">
              ${roles.map((r) => {
                const { role, location } = splitRole(r);
                return html`<li>
                  <span class="role">${role}</span>${location ? html` <span class="location">in ${location}</span>` : ''}
                </li>`;
              })}
            </ul>`
          : html`<p>The identity provider sent no business roles for you.</p>`
      }
    </section>
    <details class="card raw">
      <summary>Raw ID-token claims and userinfo answer</summary>
      <h3>ID-token claims</h3>
      <pre id="claims">${json(user)}</pre>
      <h3>Userinfo</h3>
      <pre id="userinfo">${json(profile)}</pre>
    </details>`;
}

/** The profile page when the IdP's userinfo cannot be read: the person is still signed in. */
export function profileErrorPage({ idp, code }) {
  return html`<section class="hero narrow error-page" aria-labelledby="error-title">
    <h1 id="error-title">Could not load your profile</h1>
    <p class="lead">You are still signed in, but ${idp.label} did not send your profile just now. This is usually brief.</p>
    ${code ? html`<p class="detail">Cause: <code>${code}</code></p>` : ''}
    <p>
      <a class="button primary" href="/profile">Try again</a> <a class="button" href="/login?returnTo=/profile">Sign in again</a>
      <a class="button" href="/">Back to the start page</a>
    </p>
  </section>`;
}

export function tokensPage({ accessToken, introspection, introspectionError, introspectionEndpoint, idp, refreshSkewSeconds }) {
  const scopes = (accessToken.scope ?? '').split(' ').filter(Boolean);
  return html`<h1>Tokens</h1>
    <section
      class="card countdown"
      aria-labelledby="at-title"
      data-expires-at="${accessToken.expiresAt ?? ''}"
      data-skew-seconds="${refreshSkewSeconds}"
      id="access-token"
    >
      <h2 id="at-title">Access token</h2>
      <p class="big">
        <span class="label">Expires in</span>
        <time id="expires-in" aria-live="off">${accessToken.expiresAt ? mmss(accessToken.expiresAt - Date.now()) : 'unknown'}</time>
      </p>
      <p>
        Expires at <time id="expires-at">${accessToken.expiresAt ? new Date(accessToken.expiresAt).toISOString() : 'unknown'}</time>. The
        library renews it by itself, with the refresh token, on the first request within ${refreshSkewSeconds} s of expiry; this page makes
        that request when the countdown gets there.
      </p>
      <p class="actions">
        <button type="button" class="button primary" id="refresh-now">Refresh now</button>
        <span id="refresh-result" role="status"></span>
      </p>
      <h3>Renewals seen on this page <span class="count" id="renewal-count">0</span></h3>
      <ol id="renewals" class="log" aria-live="polite"></ol>
    </section>
    <section class="card" aria-labelledby="scopes-title">
      <h2 id="scopes-title">Scopes</h2>
      <ul class="chips" id="scopes">
        ${scopes.map((s) => html`<li>${s}</li>`)}
      </ul>
      <p>Token type <code>${accessToken.tokenType}</code>.</p>
    </section>
    <section class="card" aria-labelledby="introspection-title">
      <h2 id="introspection-title">Introspection</h2>
      <p id="introspection-about">
        What
        ${idp.standard ? 'the provider’s introspection endpoint' : 'EmpowerID’s tokeninfo endpoint'}${
          introspectionEndpoint ? html`, <code>${introspectionEndpoint}</code>` : ''
        }
        (RFC 7662), says about this access token, asked when the page loaded:
      </p>
      ${introspectionError ? html`<p class="error" role="alert">${introspectionError}</p>` : html`<pre id="introspection">${json(introspection)}</pre>`}
    </section>`;
}

export function apiPage({ restrictedRole, idp }) {
  const call = (id, path, text) =>
    html`<div class="api-call card" data-api-path="${path}" id="${id}">
      <h2><code>GET ${path}</code></h2>
      <p>${text}</p>
      <p><button type="button" class="button primary" data-call>Call ${path}</button></p>
      <div class="answer" role="status" aria-live="polite"><p class="muted">Not called yet.</p></div>
    </div>`;
  return html`<h1>API</h1>
    <p class="lead">
      This app also serves a JSON API, protected by <code>requireToken()</code>. The buttons below call it from your browser the way a
      single-page app would: <code>Authorization: Bearer &lt;access token&gt;</code>. The API checks the token at
      ${idp.standard ? 'the provider’s introspection endpoint' : 'EmpowerID’s tokeninfo endpoint'} and reads your profile from userinfo.
    </p>
    <div class="grid-2">
      ${call('call-me', '/api/me', 'Any valid access token: answers who you are, according to the token.')}
      ${call('call-admin', '/api/payroll', html`Needs the role <strong>${restrictedRole}</strong>, which the demo users do not have: expect a 403.`)}
    </div>`;
}

export function signOutPage({ idp }) {
  return html`<h1>Sign out</h1>
    <section class="card">
      <form method="post" action="/logout" class="sign-out">
        <div class="choice">
          <h2>This app only</h2>
          <p>Ends your session here. You stay signed in to ${idp.label}, so signing in again does not ask for your password.</p>
          <button type="submit" name="mode" value="local" class="button" id="logout-local">Sign out of this app</button>
        </div>
        <div class="choice">
          <h2>Everywhere</h2>
          <p>
            Also ends your ${idp.label} session
            (${idp.standard ? 'OpenID Connect RP-initiated logout' : html`EmpowerID <code>global_logout</code>`}), for every application
            using it.
          </p>
          <button type="submit" name="mode" value="global" class="button primary" id="logout-global">Sign out everywhere</button>
        </div>
      </form>
    </section>`;
}

export function signedOutPage({ idp }) {
  return html`<section class="hero narrow" aria-labelledby="signed-out">
    <h1 id="signed-out">You are signed out</h1>
    <p class="lead">Your session in this app has ended. If you signed out everywhere, your ${idp.label} session has ended too.</p>
    <p><a class="button primary" id="login" href="/login?returnTo=/profile">Sign in again</a> <a class="button" href="/">Home</a></p>
  </section>`;
}

/** A friendly error: the library's (through its errorPage option) or the app's own. */
export function errorPage({ title, summary, message, code, retryHref, homeHref }) {
  return html`<section class="hero narrow error-page" aria-labelledby="error-title">
    <h1 id="error-title">${title}</h1>
    <p class="lead">${summary}</p>
    ${message ? html`<p class="detail">${message}${code ? html` <code>${code}</code>` : ''}</p>` : ''}
    <p>
      ${retryHref ? html`<a class="button primary" href="${retryHref}">Try again</a> ` : ''}<a class="button" href="${homeHref ?? '/'}"
        >Back to the start page</a
      >
    </p>
  </section>`;
}
