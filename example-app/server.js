// The example web app. With no configuration it starts the embedded mock EmpowerID server and
// signs in against it; set EMPOWERID_SERVER, EMPOWERID_CLIENT_ID, EMPOWERID_CLIENT_SECRET and
// EMPOWERID_BASE_URL to use a real EmpowerID (or any OpenID Connect provider with discoveryUrl).
import { randomBytes } from 'node:crypto';
import express from 'express';
import session from 'express-session';
import { empowerid, errorHandler, requiresAuth } from 'empowerid-express';
import { DEFAULT_CLIENT, DEFAULT_USERS, startMockEmpowerID } from 'empowerid-express/testing';

// The environment is read once, here, and nowhere in the library.
const env = {
  port: Number(process.env.PORT ?? 3000),
  server: process.env.EMPOWERID_SERVER,
  clientId: process.env.EMPOWERID_CLIENT_ID,
  clientSecret: process.env.EMPOWERID_CLIENT_SECRET,
  baseURL: process.env.EMPOWERID_BASE_URL,
  sessionSecret: process.env.SESSION_SECRET,
  mockPort: Number(process.env.MOCK_PORT ?? 0),
};

const baseURL = env.baseURL ?? `http://localhost:${env.port}`;
let mock;
let idp = { server: env.server, clientId: env.clientId, clientSecret: env.clientSecret };
if (!env.server) {
  // Register this app's callback and post-logout URLs with the embedded IdP, as an admin would.
  const client = { ...DEFAULT_CLIENT, redirectUris: [`${baseURL}/callback`], postLogoutRedirectUris: [`${baseURL}/`] };
  mock = await startMockEmpowerID({ port: env.mockPort, clients: [client] });
  idp = { server: mock.url, clientId: client.clientId, clientSecret: client.clientSecret };
}

const app = express();
app.use(
  session({
    secret: env.sessionSecret ?? randomBytes(32).toString('hex'),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: baseURL.startsWith('https:') },
  }),
);
app.use(empowerid({ ...idp, baseURL }));

const layout = (body) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>empowerid-express example</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}a.button,button{display:inline-block;padding:.5rem 1rem;background:#1f6feb;color:#fff;border-radius:6px;text-decoration:none;border:0;font-size:1rem}pre{background:#f4f4f4;padding:1rem;overflow:auto}</style>
</head><body>${body}</body></html>`;
const html = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

app.get('/', (req, res) => {
  if (!req.empowerid.isAuthenticated()) {
    const hint = mock
      ? `<p>Embedded mock EmpowerID at <code>${html(mock.url)}</code>. Sign in as <code>${html(DEFAULT_USERS[0].username)}</code> / <code>${html(DEFAULT_USERS[0].password)}</code>.</p>`
      : '';
    res.send(
      layout(`<h1>empowerid-express example</h1>${hint}<p><a class="button" id="login" href="/login?returnTo=/profile">Log in</a></p>`),
    );
    return;
  }
  const user = req.empowerid.user;
  res.send(
    layout(`<h1>Hello, <span id="name">${html(user?.name ?? user?.sub)}</span></h1>
<nav><a href="/profile">Profile</a> · <a href="/me">ID token claims (JSON)</a> · <form method="post" action="/logout" style="display:inline"><button class="button" id="logout" type="submit">Log out</button></form></nav>`),
  );
});

app.get('/me', requiresAuth(), (req, res) => res.json(req.empowerid.user));

app.get('/profile', requiresAuth(), async (req, res, next) => {
  try {
    const profile = await req.empowerid.fetchProfile();
    res.send(
      layout(`<h1>Signed in as <span id="username">${html(profile.username ?? req.empowerid.user?.sub)}</span></h1>
<pre id="profile">${html(JSON.stringify(profile, null, 2))}</pre>
<p>Access token expires at ${html(new Date(req.empowerid.accessToken?.expiresAt ?? 0).toISOString())}</p>
<nav><a href="/">Home</a> · <form method="post" action="/logout" style="display:inline"><button class="button" id="logout" type="submit">Log out</button></form></nav>`),
    );
  } catch (err) {
    next(err);
  }
});

app.use(errorHandler());

const server = app.listen(env.port, () => {
  console.log(`example app on ${baseURL}${mock ? ` (mock EmpowerID on ${mock.url})` : ''}`);
});

const stop = async () => {
  server.close();
  await mock?.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
