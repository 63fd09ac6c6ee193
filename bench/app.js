// One scenario's Express app, alone in a fresh process (pinned to its own core by bench/run.js).
// argv: <scenario> <idp url>. Answers `ready` with its port, then `cpu` on request.
import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import { requireToken } from 'empowerid-express';

const [scenario, idpUrl] = process.argv.slice(2);
const idp = { server: idpUrl, clientId: 'empowerid-express-example', clientSecret: 'example-secret' };
const handler = (_req, res) => res.json({ ok: true });
const app = express();
const extra = {};

switch (scenario) {
  case 'bare':
    app.get('/', handler);
    break;
  case 'noop':
    // The floor for any guard: a middleware that does nothing but call next().
    app.get('/', (_req, _res, next) => next(), handler);
    break;
  case 'attach':
    // The floor for a guard that hands the route its result on req, as every guard does: Express
    // gives each request its own hidden class, so adding one property costs V8 a new one.
    app.get(
      '/',
      (req, _res, next) => {
        req.auth = { ok: true };
        next();
      },
      handler,
    );
    break;
  case 'warm':
  case 'cold': {
    app.get('/', requireToken(idp), handler);
    break;
  }
  case 'redis': {
    // The warm guard with the Redis tier behind its in-process cache.
    const { createClient } = await import('redis');
    const { redisShared } = await import('empowerid-express/redis');
    const redis = await createClient({ url: process.env.BENCH_REDIS_URL }).connect();
    app.get('/', requireToken({ ...idp, shared: redisShared(redis, { secret: 'bench-secret-bench-secret-bench-secret' }) }), handler);
    break;
  }
  case 'tierhit': {
    // A fresh instance's first requests: an in-process front of one entry, so a rotation of
    // tokens already verified (their answers in Redis) is answered by the Redis tier every time.
    const { createClient } = await import('redis');
    const { redisShared } = await import('empowerid-express/redis');
    const redis = await createClient({ url: process.env.BENCH_REDIS_URL }).connect();
    const shared = redisShared(redis, { secret: 'bench-secret-bench-secret-bench-secret' });
    app.get('/', requireToken({ ...idp, shared, cacheMaxEntries: 1 }), handler);
    break;
  }
  case 'floor': {
    // The reference a cold guard is measured against: the same two IdP calls (tokeninfo, then
    // userinfo) written by hand on an undici pool, with no cache, no validation and no error
    // handling. What the library adds on top of this is its own cost.
    const { Pool } = await import('undici');
    const pool = new Pool(new URL(idpUrl).origin, { connections: 64, keepAliveTimeout: 30_000 });
    const basic = `Basic ${Buffer.from(`${idp.clientId}:${idp.clientSecret}`).toString('base64')}`;
    const form = { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' };
    const base = new URL(idpUrl).pathname.replace(/\/$/, '');
    app.get(
      '/',
      async (req, res, next) => {
        try {
          const token = req.headers.authorization.slice(7);
          const info = await pool.request({
            path: `${base}/oauth/v2/tokeninfo`,
            method: 'POST',
            headers: form,
            body: `token=${encodeURIComponent(token)}`,
          });
          const tokenInfo = await info.body.json();
          if (!tokenInfo.active) return res.status(401).end();
          const user = await pool.request({
            path: `${base}/oauth/v2/userinfo`,
            method: 'POST',
            headers: form,
            body: `access_token=${encodeURIComponent(token)}`,
          });
          req.profile = await user.body.json();
          next();
        } catch (err) {
          next(err);
        }
      },
      handler,
    );
    break;
  }
  case 'jwt': {
    // The peer users would otherwise pick: a locally verified RS256 JWT (no introspection at all).
    const { auth } = await import('express-oauth2-jwt-bearer');
    const { SignJWT, exportJWK } = await import('jose');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
    const jwks = express();
    jwks.get('/.well-known/jwks.json', (_req, res) => res.json({ keys: [jwk] }));
    const jwksPort = await listen(jwks);
    app.get(
      '/',
      auth({
        issuer: 'https://bench.example/',
        audience: 'https://api.bench.example',
        jwksUri: `http://127.0.0.1:${jwksPort}/.well-known/jwks.json`,
        tokenSigningAlg: 'RS256',
      }),
      handler,
    );
    extra.token = await new SignJWT({ scope: 'openid orders' })
      .setProtectedHeader({ alg: 'RS256', kid: 'bench' })
      .setIssuer('https://bench.example/')
      .setAudience('https://api.bench.example')
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime('2h')
      .sign(privateKey);
    break;
  }
  default:
    throw new Error(`unknown scenario ${scenario}`);
}

function listen(a) {
  return new Promise((resolve) => {
    const server = a.listen(0, '127.0.0.1', () => resolve(server.address().port));
    server.keepAliveTimeout = 60_000;
  });
}

const port = await listen(app);
process.on('SIGINT', () => process.exit(0));
process.on('message', (msg) => {
  if (msg.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send({ type: 'cpu', id: msg.id, cpu: user + system, rss: process.memoryUsage().rss });
  }
  if (msg.type === 'stop') process.exit(0);
});
process.send({ type: 'ready', port, ...extra });
