import express, { type Express } from 'express';
import session from 'express-session';
import type request from 'supertest';
import { empowerid, type EmpowerIDOptions, requiresAuth } from '../../src/index.js';
import { DEFAULT_CLIENT, type MockEmpowerID } from '../../src/testing/index.js';

export const BASE_URL = 'http://127.0.0.1:3000';

/** An app as a user would write it, pointed at the mock. */
export function buildApp(mock: MockEmpowerID, overrides: Partial<EmpowerIDOptions> = {}): Express {
  const app = express();
  app.use(session({ secret: 'test-secret', resave: false, saveUninitialized: false, cookie: { sameSite: 'lax' } }));
  app.use(
    empowerid({
      server: mock.url,
      clientId: DEFAULT_CLIENT.clientId,
      clientSecret: DEFAULT_CLIENT.clientSecret,
      baseURL: BASE_URL,
      discoveryRetryBaseMs: 20,
      ...overrides,
    }),
  );
  app.get('/me', requiresAuth(), (req, res) => {
    res.json({ user: req.empowerid.user, accessToken: req.empowerid.accessToken?.value });
  });
  app.get('/token-state', requiresAuth(), (req, res) => {
    res.json({ expired: req.empowerid.accessToken?.isExpired(), expiresAt: req.empowerid.accessToken?.expiresAt });
  });
  return app;
}

export type Agent = ReturnType<typeof request.agent>;

/** Follows GET /login to the mock's authorize endpoint (auto-login on) and back to the app. */
export async function startLogin(agent: Agent, path = '/login'): Promise<URL> {
  const login = await agent.get(path).expect(302);
  return new URL(login.headers.location as string);
}

/** Asks the IdP to authorize and returns the callback URL the browser would be sent to. */
export async function authorize(authorizeUrl: URL, cookie?: string): Promise<URL> {
  const res = await fetch(authorizeUrl, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`authorize answered ${res.status}: ${await res.text()}`);
  return new URL(location, authorizeUrl);
}

/** The full sign-in: returns the final redirect of the callback. */
export async function signIn(agent: Agent, path = '/login'): Promise<request.Response> {
  const callback = await authorize(await startLogin(agent, path));
  return agent.get(callback.pathname + callback.search);
}

export function sessionCookie(res: request.Response): string | undefined {
  const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
  return raw?.find((c) => c.startsWith('connect.sid='))?.split(';')[0];
}
