/**
 * GET|POST S/oauth/v2/ui/authorize and POST S/oauth/v2/ui/login: who is the user?
 *
 * Decision order: prompt=none without an IdP session → login_required; an IdP session (cookie)
 * → single sign-on; `autoLogin` → sign that user in; otherwise the login form.
 */
import { completeAuthorization, requestError, validateAuthorizationRequest } from '../authorize-request.js';
import { safeEqual } from '../client-auth.js';
import { type MockContext, SESSION_COOKIE } from '../context.js';
import { html, type MockRequest, type MockResponse } from '../http.js';
import { appName, errorPage, loginPage } from '../pages.js';
import type { MockUser } from '../types.js';

/** Path of the login form's POST target. */
export const LOGIN_PATH = '/oauth/v2/ui/login';

function sessionCookie(id: string): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`;
}

/** Opens an IdP session for `user` (replacing the browser's previous one) and returns its cookie. */
function signIn(ctx: MockContext, req: MockRequest, user: MockUser): Record<string, string> {
  ctx.sessions.end(req.cookies[SESSION_COOKIE]);
  return { 'Set-Cookie': sessionCookie(ctx.sessions.create(user.username)) };
}

/** The signed-in user of the browser's IdP session, unless it signed out of `clientId` alone. */
function sessionUser(ctx: MockContext, req: MockRequest, clientId: string): MockUser | undefined {
  const username = ctx.sessions.get(req.cookies[SESSION_COOKIE], clientId);
  return username === undefined ? undefined : ctx.users.get(username);
}

/** The authorization endpoint. OIDC Core §3.1.2.1 requires both GET and POST. */
export async function handleAuthorize(ctx: MockContext, req: MockRequest): Promise<MockResponse> {
  if (req.method !== 'GET' && req.method !== 'POST') {
    return html(405, errorPage('Method not allowed', 'Use GET or POST.'), { Allow: 'GET, POST' });
  }
  const params = req.method === 'POST' ? req.body : req.query;
  const v = validateAuthorizationRequest(ctx, params);
  if (!v.ok) return v.response;
  const request = v.request;

  const current = sessionUser(ctx, req, request.client.clientId);
  if (request.prompt.includes('none')) {
    if (!current) return requestError(request, 'login_required', 'the user is not signed in to EmpowerID');
    return completeAuthorization(ctx, request, current);
  }
  if (current && !request.prompt.includes('login')) return completeAuthorization(ctx, request, current);

  if (ctx.autoLogin !== false) {
    const user = ctx.users.get(ctx.autoLogin);
    if (!user) return html(500, errorPage('Mock misconfigured', `autoLogin user "${ctx.autoLogin}" does not exist.`));
    return completeAuthorization(ctx, request, user, signIn(ctx, req, user));
  }
  return html(200, loginPage({ action: ctx.url + LOGIN_PATH, params, appName: appName(request.client), users: [...ctx.users.values()] }));
}

/** The login form's target: checks the credentials, then completes the authorization request. */
export async function handleLogin(ctx: MockContext, req: MockRequest): Promise<MockResponse> {
  if (req.method !== 'POST') return html(405, errorPage('Method not allowed', 'Use POST.'), { Allow: 'POST' });
  if (!req.isForm) return html(400, errorPage('Invalid request', 'The login form must be posted as a form.'));
  const v = validateAuthorizationRequest(ctx, req.body);
  if (!v.ok) return v.response;
  const request = v.request;

  if (req.body.get('action') === 'deny') return requestError(request, 'access_denied', 'the user denied the request');

  const username = req.body.get('username') ?? '';
  const user = ctx.users.get(username);
  // Always compare, so an unknown username costs the same as a wrong password.
  const passwordOk = safeEqual(req.body.get('password') ?? '', user?.password ?? '\u0000no-such-user');
  if (!user || !passwordOk) {
    const form = loginPage({
      action: ctx.url + LOGIN_PATH,
      params: req.body,
      appName: appName(request.client),
      error: 'Invalid username or password.',
      username,
      users: [...ctx.users.values()],
    });
    return html(200, form);
  }
  return completeAuthorization(ctx, request, user, signIn(ctx, req, user));
}
