// Process 2 of the benchmark: the Express apps under test, one port each.
import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import { requireToken } from 'empowerid-express';
import { auth } from 'express-oauth2-jwt-bearer';
import { SignJWT, exportJWK } from 'jose';

const idpUrl = process.argv[2];
const options = { server: idpUrl, clientId: 'empowerid-express-example', clientSecret: 'example-secret' };
const handler = (_req, res) => res.json({ ok: true });

function listen(app) {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server.address().port));
    server.keepAliveTimeout = 60_000;
  });
}

const bare = express();
bare.get('/', handler);

// The floor for any guard: the same route with a middleware that does nothing but call next().
const noop = express();
noop.get('/', (_req, _res, next) => next(), handler);

const guarded = express();
const guard = requireToken(options);
guarded.get('/', guard, handler);

// The peer users would otherwise pick: a locally verified RS256 JWT (no introspection at all).
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
const jwtApp = express();
jwtApp.get('/.well-known/jwks.json', (_req, res) => res.json({ keys: [jwk] }));
const jwtPort = await listen(jwtApp);
jwtApp.get(
  '/',
  auth({
    issuer: 'https://bench.example/',
    audience: 'https://api.bench.example',
    jwksUri: `http://127.0.0.1:${jwtPort}/.well-known/jwks.json`,
    tokenSigningAlg: 'RS256',
  }),
  handler,
);
const jwt = await new SignJWT({ scope: 'openid orders' })
  .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
  .setIssuer('https://bench.example/')
  .setAudience('https://api.bench.example')
  .setSubject('alice')
  .setIssuedAt()
  .setExpirationTime('2h')
  .sign(privateKey);

const ports = { bare: await listen(bare), noop: await listen(noop), guarded: await listen(guarded), jwt: jwtPort };
process.on('message', (msg) => {
  if (msg.type === 'stats') process.send({ type: 'stats', id: msg.id, stats: guard.verifier.stats() });
  if (msg.type === 'cpu') process.send({ type: 'cpu', id: msg.id, cpu: process.cpuUsage() });
  if (msg.type === 'stop') process.exit(0);
});
process.send({ type: 'ready', ports, jwt });
