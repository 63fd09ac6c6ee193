/**
 * GET S/oauth/v2/ui/logout: RP-initiated logout (docs 003, README detail 13).
 *
 * The client is identified by `id_token_hint` (its `aud`, after checking our signature; an
 * expired hint is still accepted, as OIDC RP-Initiated Logout allows) or by `client_id`.
 * `post_logout_redirect_uri` is only followed when the client registered it: one of its Callback
 * URLs (the docs: it "should be registered in the Callback URLs") or of its
 * `postLogoutRedirectUris`; otherwise the mock answers a 400 page and never redirects (no open
 * redirector).
 *
 * `global_logout` (default true) ends the browser's IdP session for every application; `false`
 * ends it for the calling application only, so another application still signs in silently.
 * With `confirmLogout`, a logout that would end a live session everywhere first shows a
 * confirmation card; its form POSTs the request back with `confirm=yes` or `confirm=no`.
 */
import { type MockContext, SESSION_COOKIE } from '../context.js';
import { html, type MockRequest, type MockResponse, redirect } from '../http.js';
import { PATHS } from './discovery.js';
import { appName, errorPage, logoutConfirmationPage, signedOutPage, stillSignedInPage } from '../pages.js';

const EXPIRED_COOKIE = `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;

function audOf(claims: Record<string, unknown>): string | undefined {
  const aud = claims.aud;
  if (typeof aud === 'string') return aud;
  if (Array.isArray(aud) && aud.length === 1 && typeof aud[0] === 'string') return aud[0];
  return undefined;
}

/** The end-session endpoint (GET, or POST with a form as OIDC allows). */
export async function handleLogout(ctx: MockContext, req: MockRequest): Promise<MockResponse> {
  const params = req.method === 'POST' ? req.body : req.query;
  const bad = (message: string) => html(400, errorPage('Logout failed', message));
  const hint = params.get('id_token_hint');
  let clientId = params.get('client_id') ?? undefined;
  let hintSubject: string | undefined;
  if (hint) {
    const claims = await ctx.keys.verifySignature(hint);
    if (!claims || claims.iss !== ctx.issuer) return bad('id_token_hint is not an ID token issued by this server.');
    const aud = audOf(claims);
    if (clientId !== undefined && aud !== clientId) return bad('client_id does not match the audience of id_token_hint.');
    clientId = aud;
    hintSubject = typeof claims.sub === 'string' ? claims.sub : undefined;
  }
  const client = clientId === undefined ? undefined : ctx.clients.get(clientId);
  if (clientId !== undefined && !client) return bad(`No application is registered with client_id "${clientId}".`);

  const target = params.get('post_logout_redirect_uri');
  if (target !== null) {
    if (!client) return bad('post_logout_redirect_uri requires id_token_hint or client_id to identify the application.');
    const allowed = [...client.redirectUris, ...(client.postLogoutRedirectUris ?? [])];
    if (!allowed.includes(target)) return bad(`"${target}" is not a registered post-logout redirect URI of this application.`);
  }

  // Docs: global_logout defaults to true (end the IdP session and every application session).
  const global = params.get('global_logout')?.toLowerCase() !== 'false';
  const cookie = req.cookies[SESSION_COOKIE];
  const signedIn = ctx.sessions.get(cookie);
  const username = signedIn ?? hintSubject;
  // Without an identified application there is nothing narrower to end than the whole session.
  const everywhere = global || clientId === undefined;

  // confirmLogout: a session that would end everywhere is only ended once the person says so.
  if (ctx.confirmLogout && everywhere && signedIn !== undefined) {
    const confirm = req.method === 'POST' ? params.get('confirm') : null;
    if (confirm === null) {
      const name = client ? appName(client) : 'An application';
      return html(200, logoutConfirmationPage({ action: ctx.url + PATHS.logout, params, appName: name, username: signedIn }));
    }
    if (confirm !== 'yes') return target === null ? html(200, stillSignedInPage()) : redirect(withState(target, params));
  }
  if (clientId !== undefined && !global) ctx.sessions.endFor(cookie, clientId);
  else ctx.sessions.end(cookie);
  ctx.lastLogout = { params: Object.fromEntries(params), global, clientId, username };

  // The browser keeps its cookie while other applications still share the session.
  const headers: Record<string, string> = everywhere ? { 'Set-Cookie': EXPIRED_COOKIE } : {};
  if (target === null) return html(200, signedOutPage(), headers);
  return redirect(withState(target, params), headers);
}

/** The post-logout redirect URI with the request's `state`, if any. */
function withState(target: string, params: URLSearchParams): string {
  const url = new URL(target);
  const state = params.get('state');
  if (state !== null) url.searchParams.append('state', state);
  return url.toString();
}
