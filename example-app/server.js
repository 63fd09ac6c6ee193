// `npm start`: the example app. With no configuration it starts an embedded mock EmpowerID and
// signs in against it; with EMPOWERID_SERVER, EMPOWERID_CLIENT_ID, EMPOWERID_CLIENT_SECRET and
// EMPOWERID_BASE_URL it uses your EmpowerID (with EMPOWERID_PROVIDER=oidc, any other OpenID
// Connect provider). See .env.example.
import { createServer } from 'node:http';
import { DEFAULT_CLIENT, DEFAULT_USERS, startMockEmpowerID } from 'empowerid-express/testing';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';

function fail(message) {
  console.error(message);
  process.exit(1);
}

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) fail(err.message);
  throw err;
}

// Take the port first: if it is busy, say so before anything else starts. Until the app is ready
// (the embedded mock still starting), every request is answered 503 with Retry-After, never left
// hanging.
let handle = (_req, res) => {
  res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '1', 'Cache-Control': 'no-store' });
  res.end('The example app is starting. Try again in a moment.\n');
};
const server = createServer((req, res) => handle(req, res));
await new Promise((resolve) => {
  server.once('error', (err) => {
    if (err.code === 'EADDRINUSE')
      fail(`Port ${config.port} is already in use. Stop the program using it, or start with PORT=<another port>.`);
    if (err.code === 'EACCES') fail(`Port ${config.port} needs more privileges. Start with PORT=<a port above 1023>.`);
    fail(`Cannot listen on port ${config.port}: ${err.message}`);
  });
  server.listen(config.port, resolve);
});

let mock;
let idp = config.idp;
if (config.mock) {
  // Register this app with the embedded IdP, as an administrator would in EmpowerID.
  const client = {
    ...DEFAULT_CLIENT,
    redirectUris: [`${config.baseURL}/callback`],
    postLogoutRedirectUris: [`${config.baseURL}/signed-out`],
  };
  try {
    mock = await startMockEmpowerID({ port: config.mock.port, accessTokenTTL: config.mock.accessTokenTTL, clients: [client] });
  } catch (err) {
    server.close();
    fail(
      err.code === 'EADDRINUSE'
        ? `MOCK_PORT ${config.mock.port} is already in use. Start with MOCK_PORT=0 (any free port) or another port.`
        : `The embedded mock EmpowerID did not start: ${err.message}`,
    );
  }
  idp = { server: mock.url, clientId: client.clientId, clientSecret: client.clientSecret };
}

// The library warns (below) that the embedded mock is reached over plain http: expected here.
const { app } = createApp({ config, idp, demoUsers: mock ? DEFAULT_USERS : undefined });
handle = app;

const lines = [
  '',
  `  empowerid-express example app is running on ${config.baseURL}`,
  mock
    ? `  Identity provider: the embedded mock EmpowerID on ${mock.url} (plain http, for this demo only)`
    : `  Identity provider: ${idp.provider === 'oidc' ? 'the OpenID provider' : 'EmpowerID'} at ${idp.server} (client ${idp.clientId})`,
  ...(mock ? [`  Sign in as ${DEFAULT_USERS.map((u) => `${u.username} / ${u.password}`).join(', ')}`] : []),
  ...(mock
    ? [`  Access tokens live ${config.mock.accessTokenTTL} s and renew ${config.refreshSkewSeconds} s before expiry (see /tokens)`]
    : []),
  ...(config.sessionSecret ? [] : ['  Sessions end when the app restarts (set SESSION_SECRET to keep them)']),
  '  Stop with Ctrl+C',
  '',
];
console.log(lines.join('\n'));

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeAllConnections();
  await mock?.close();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
