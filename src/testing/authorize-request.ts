/**
 * The authorization request: validation (shared by GET /authorize and the login form POST) and
 * the redirect back to the client once a user is signed in.
 *
 * Order matters (RFC 6749 §4.1.2.1): while the client or redirect URI is not trusted, errors are
 * shown as a page and never sent to the redirect URI (an open redirector otherwise); after that,
 * errors go back to the client.
 */
import { type MockContext, randomId } from './context.js';
import { html, type MockResponse, redirect } from './http.js';
import { errorPage } from './pages.js';
import { formPostResponse } from './form-post.js';
import { hasOpenid, issueIdToken } from './tokens.js';
import type { MockClient, MockUser } from './types.js';

export type ResponseType = 'code' | 'code id_token' | 'token' | 'token id_token';
const RESPONSE_TYPES: readonly string[] = ['code', 'code id_token', 'token', 'token id_token'];
const TYPE_ORDER = ['code', 'token', 'id_token'];
const PROMPTS = ['none', 'login', 'consent', 'select_account'];
const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;

export interface AuthorizationRequest {
  client: MockClient;
  redirectUri: string;
  responseType: ResponseType;
  scope: string;
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'plain' | 'S256';
  prompt: string[];
  /** `response_mode` as asked for (OAuth 2.0 Multiple Response Types §2.1, Form Post Response Mode). */
  responseMode?: ResponseMode;
  /** The raw parameters, carried through the login form. */
  params: URLSearchParams;
}

export type ResponseMode = 'query' | 'fragment' | 'form_post';
const RESPONSE_MODES: readonly string[] = ['query', 'fragment', 'form_post'];

export type AuthorizationValidation = { ok: true; request: AuthorizationRequest } | { ok: false; response: MockResponse };

/** Where and how errors/results go back to the client. */
interface ReturnTarget {
  redirectUri: string;
  /** Implicit responses use the fragment (docs detail 14); code and hybrid use the query (detail 2). */
  fragment: boolean;
  /** An explicit `response_mode` overrides both. */
  mode?: ResponseMode;
  state?: string;
}

/** Appends `values` to the redirect URI's query (keeping its own query) or fragment. */
function buildRedirect(target: ReturnTarget, values: Record<string, string | undefined>): string {
  const fragment = target.mode === undefined ? target.fragment : target.mode === 'fragment';
  const url = new URL(target.redirectUri);
  const params = fragment ? new URLSearchParams() : url.searchParams;
  for (const [k, v] of Object.entries(values)) if (v !== undefined) params.append(k, v);
  if (fragment) url.hash = params.toString();
  return url.toString();
}

/** The authorization response (or error) in the response mode of `target`. */
function respond(target: ReturnTarget, values: Record<string, string | undefined>, headers: Record<string, string | string[]> = {}) {
  if (target.mode === 'form_post') {
    const answer = formPostResponse(target.redirectUri, values);
    return { ...answer, headers: { ...answer.headers, ...headers } };
  }
  return redirect(buildRedirect(target, values), headers);
}

/** Sends an OAuth error back to the client (RFC 6749 §4.1.2.1). */
export function redirectError(target: ReturnTarget, error: string, description: string): MockResponse {
  return respond(target, { error, error_description: description, state: target.state });
}

const page = (title: string, message: string): AuthorizationValidation => ({
  ok: false,
  response: html(400, errorPage(title, message)),
});

/** Validates an authorization request (query of GET /authorize or fields of the login form). */
export function validateAuthorizationRequest(ctx: MockContext, params: URLSearchParams): AuthorizationValidation {
  const clientId = params.get('client_id');
  if (!clientId || params.getAll('client_id').length > 1) return page('Invalid request', 'client_id is missing or repeated.');
  const client = ctx.clients.get(clientId);
  if (!client) return page('Unknown application', `No application is registered with client_id "${clientId}".`);
  const redirectUri = params.get('redirect_uri');
  if (!redirectUri || params.getAll('redirect_uri').length > 1) return page('Invalid request', 'redirect_uri is missing or repeated.');
  if (!client.redirectUris.includes(redirectUri)) {
    return page('Invalid redirect URI', `"${redirectUri}" is not a registered Callback URL of this application.`);
  }

  // Order of the values does not matter (OAuth multiple response types): normalise to the docs' spelling.
  const rawType = (params.get('response_type') ?? '')
    .split(' ')
    .filter(Boolean)
    .sort((a, b) => TYPE_ORDER.indexOf(a) - TYPE_ORDER.indexOf(b))
    .join(' ');
  const implicit = rawType.split(' ').includes('token');
  const rawMode = params.get('response_mode') ?? undefined;
  const mode = rawMode !== undefined && RESPONSE_MODES.includes(rawMode) ? (rawMode as ResponseMode) : undefined;
  const target: ReturnTarget = { redirectUri, fragment: implicit, state: params.get('state') ?? undefined, ...(mode && { mode }) };
  const fail = (error: string, description: string): AuthorizationValidation => ({
    ok: false,
    response: redirectError(target, error, description),
  });

  for (const name of new Set(params.keys())) {
    if (params.getAll(name).length > 1) return fail('invalid_request', `parameter ${name} is repeated`);
  }
  if (rawMode !== undefined && mode === undefined) return fail('invalid_request', `response_mode "${rawMode}" is not supported`);
  // An access token never goes into the query string (it would reach server logs and Referer).
  if (mode === 'query' && implicit) {
    return fail('invalid_request', `response_mode "query" is not allowed with response_type "${rawType}"`);
  }
  if (!rawType) return fail('invalid_request', 'response_type is required');
  if (!RESPONSE_TYPES.includes(rawType)) return fail('unsupported_response_type', `response_type "${rawType}" is not supported`);
  const responseType = rawType as ResponseType;
  // The older docs page's implicit example sends no scope and gets an ID token back, so an absent
  // scope is EmpowerID's `openid`; a scope sent empty is still refused.
  const scope = (params.get('scope') ?? 'openid').split(' ').filter(Boolean).join(' ');
  if (!scope) return fail('invalid_request', 'scope must not be empty');
  const wantsIdToken = responseType.includes('id_token');
  if (wantsIdToken && !hasOpenid(scope)) return fail('invalid_request', `response_type "${responseType}" requires scope openid`);
  const nonce = params.get('nonce') ?? undefined;
  // OIDC Core 3.3.2.11 / 3.2.2.1: nonce is required whenever an ID token comes back by the front channel.
  if (wantsIdToken && !nonce) return fail('invalid_request', `nonce is required with response_type "${responseType}"`);

  const codeChallenge = params.get('code_challenge') ?? undefined;
  const method = params.get('code_challenge_method') ?? undefined;
  if (method !== undefined && method !== 'plain' && method !== 'S256') {
    return fail('invalid_request', `code_challenge_method "${method}" is not supported (plain or S256)`);
  }
  if (method !== undefined && codeChallenge === undefined) return fail('invalid_request', 'code_challenge_method without code_challenge');
  if (codeChallenge !== undefined && !PKCE_VALUE.test(codeChallenge)) {
    return fail('invalid_request', 'code_challenge must be 43-128 characters of [A-Za-z0-9-._~]');
  }

  const prompt = (params.get('prompt') ?? '').split(' ').filter(Boolean);
  const unknown = prompt.find((p) => !PROMPTS.includes(p));
  if (unknown) return fail('invalid_request', `prompt "${unknown}" is not supported`);
  if (prompt.includes('none') && prompt.length > 1) return fail('invalid_request', 'prompt=none cannot be combined with other values');

  return {
    ok: true,
    request: {
      client,
      redirectUri,
      responseType,
      scope,
      state: target.state,
      nonce,
      codeChallenge,
      // Docs (PKCE): "Defaults to plain if not present in the request".
      codeChallengeMethod: codeChallenge === undefined ? undefined : ((method as 'plain' | 'S256' | undefined) ?? 'plain'),
      prompt,
      ...(mode && { responseMode: mode }),
      params,
    },
  };
}

/** The client-facing error redirect for a validated request. */
export function requestError(request: AuthorizationRequest, error: string, description: string): MockResponse {
  return redirectError(
    {
      redirectUri: request.redirectUri,
      fragment: request.responseType.startsWith('token'),
      state: request.state,
      ...(request.responseMode && { mode: request.responseMode }),
    },
    error,
    description,
  );
}

/** Issues the authorization response for `user` and redirects back to the client. */
export async function completeAuthorization(
  ctx: MockContext,
  request: AuthorizationRequest,
  user: MockUser,
  headers: Record<string, string | string[]> = {},
): Promise<MockResponse> {
  const grantId = randomId(16);
  const clientId = request.client.clientId;
  const target: ReturnTarget = {
    redirectUri: request.redirectUri,
    fragment: false,
    state: request.state,
    ...(request.responseMode && { mode: request.responseMode }),
  };

  if (request.responseType === 'code' || request.responseType === 'code id_token') {
    const code = ctx.tokens.createCode({
      grantId,
      username: user.username,
      clientId,
      scope: request.scope,
      redirectUri: request.redirectUri,
      nonce: request.nonce,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: request.codeChallengeMethod,
      expiresAt: ctx.now() + ctx.ttl.code * 1000,
    }).code;
    // Hybrid: EmpowerID returns the ID token in the query string, with c_hash (docs detail 2).
    const idToken =
      request.responseType === 'code id_token' ? await issueIdToken(ctx, { user, clientId, nonce: request.nonce, code }) : undefined;
    return respond(target, { state: request.state, code, id_token: idToken }, headers);
  }

  // Implicit (docs detail 14): tokens in the fragment, never a refresh token.
  const access = ctx.tokens.issue(
    'access_token',
    { grantId, username: user.username, clientId, scope: request.scope },
    ctx.ttl.accessToken,
  );
  const idToken =
    request.responseType === 'token id_token'
      ? await issueIdToken(ctx, { user, clientId, nonce: request.nonce, accessToken: access.token })
      : undefined;
  const values = {
    access_token: access.token,
    state: request.state,
    token_type: 'Bearer',
    expires_in: String(ctx.ttl.accessToken),
    scope: request.scope,
    id_token: idToken,
  };
  return respond({ ...target, fragment: true }, values, headers);
}
