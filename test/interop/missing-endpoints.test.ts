import { format } from 'node:util';
import createDebug from 'debug';
import express, { type Express } from 'express';
import session from 'express-session';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmpowerIDClient, empowerid, requiresAuth } from '../../src/index.js';
import { takeWarnings } from '../helpers/warnings.js';
import { BASE_URL, ProviderBrowser, type TestProvider, signIn, standardProviderOptions, startOidcProvider } from './harness.js';

// provider: 'oidc' against oidc-provider with RP-initiated logout and revocation turned off, so
// its discovery document has neither end_session_endpoint nor revocation_endpoint. As designed:
// both are named at startup; a logout then ends the local session only, and revokes nothing,
// without a request to a guessed URL.

let op: TestProvider;
beforeAll(async () => {
  op = await startOidcProvider({ disable: ['revocation', 'rpInitiatedLogout'] });
});
afterAll(() => op?.close());

function buildApp(): { app: Express; client: EmpowerIDClient } {
  const app = express();
  app.use(session({ secret: 'interop', resave: false, saveUninitialized: false, cookie: { sameSite: 'lax', httpOnly: true } }));
  const router = empowerid({
    ...standardProviderOptions(op),
    baseURL: BASE_URL,
    scope: 'openid offline_access',
    authorizationParams: { prompt: 'consent' },
  });
  app.use(router);
  app.get('/me', requiresAuth(), (req, res) => res.json({ sub: req.empowerid.user?.sub }));
  return { app, client: router.client };
}

describe("provider: 'oidc' without end_session_endpoint and revocation_endpoint (oidc-provider)", () => {
  it('names both at startup, then logs out locally: no request to the provider, the session gone, the reason in the debug log', async () => {
    const discovery = await (await fetch(op.discoveryUrl)).json();
    expect(discovery.end_session_endpoint).toBeUndefined();
    expect(discovery.revocation_endpoint).toBeUndefined();

    takeWarnings();
    const { app, client } = buildApp();
    await client.metadata();
    await new Promise((resolve) => setImmediate(resolve));
    const warnings = takeWarnings('EMPOWERID_ENDPOINT_MISSING').map((w) => w.message);
    expect(warnings).toHaveLength(2);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/"endpoints\.endSession".*\(idpLogout\).*"end_session_endpoint"/),
        expect.stringMatching(/"endpoints\.revocation".*\(revokeOnLogout\).*"revocation_endpoint"/),
      ]),
    );

    const agent = request.agent(app);
    const s = await signIn(agent, new ProviderBrowser(op.issuer), '/login?returnTo=%2Fme');
    expect(s.callback.status, s.callback.text).toBe(302);
    expect((await agent.get('/me').set('Accept', 'application/json').expect(200)).body.sub).toBe('alice');
    expect(op.lastTokenResponse?.refresh_token).toBeTruthy();

    const lines: string[] = [];
    const previousLog = createDebug.log;
    createDebug.enable('empowerid-express:logout');
    createDebug.log = (...args: unknown[]) => lines.push(format(...args));
    op.reset();
    let logout: request.Response;
    try {
      logout = await agent.post('/logout').redirects(0);
    } finally {
      createDebug.disable();
      createDebug.log = previousLog;
    }
    // The local logout: back to the app's post-logout page, not to a guessed end-session URL.
    expect(logout.status).toBe(302);
    expect(logout.headers.location).toBe(`${BASE_URL}/`);
    expect(op.requests).toEqual([]);
    expect((await agent.get('/me').set('Accept', 'application/json')).status).toBe(401);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/refresh token not revoked \(empowerid: option "endpoints\.revocation" is needed/),
        expect.stringMatching(/IdP logout unavailable \(empowerid: option "endpoints\.endSession" is needed.*\); local logout only/),
      ]),
    );
    // No more warnings at the request: the operator was told at startup.
    expect(takeWarnings('EMPOWERID_ENDPOINT_MISSING')).toEqual([]);
  });

  it('client.revoke() and client.endSessionUrl() fail with ERR_CONFIG_INVALID naming the option', async () => {
    const { client } = buildApp();
    op.reset();
    await expect(client.revoke('any-token', 'refresh_token')).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      option: 'endpoints.revocation',
    });
    await expect(client.endSessionUrl({ postLogoutRedirectUri: `${BASE_URL}/` })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      option: 'endpoints.endSession',
    });
    expect(op.requests.filter((r) => r.path !== '/.well-known/openid-configuration' && r.path !== '/jwks')).toEqual([]);
    takeWarnings();
  });
});
