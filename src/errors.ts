/**
 * Every failure this library raises is an {@link EmpowerIDError} with a stable `code`, so callers
 * can `switch (err.code)` instead of matching message strings. `status` is the HTTP status the
 * Express layer answers with; `cause` keeps the underlying error for logs.
 */

/** Stable error codes. Adding a code is a minor change; renaming one is a breaking change. */
export type EmpowerIDErrorCode =
  /** An option is missing or wrong; the message names the option. */
  | 'ERR_CONFIG_INVALID'
  /** express-session (or another `req.session` provider) is not mounted before the router. */
  | 'ERR_SESSION_MISSING'
  /** The IdP could not be reached, timed out, or is in an outage. Status 503. */
  | 'ERR_IDP_UNAVAILABLE'
  /** The IdP answered something that is not a valid protocol response (HTML, empty, bad JSON). */
  | 'ERR_IDP_BAD_RESPONSE'
  /** The IdP answered with an OAuth error (`invalid_grant`, `invalid_client`, …). */
  | 'ERR_OAUTH_ERROR'
  /** The authorization response carried `error=` (for example `access_denied`). */
  | 'ERR_AUTHORIZATION_DENIED'
  /** The callback arrived without a login transaction in the session (expired, replayed, forged). */
  | 'ERR_CALLBACK_NO_TRANSACTION'
  /** The callback's `state` is missing or does not match the login transaction. */
  | 'ERR_STATE_MISMATCH'
  /** The ID token failed validation (signature, issuer, audience, nonce, expiry, hashes). */
  | 'ERR_ID_TOKEN_INVALID'
  /** The callback request is malformed (no code, wrong method, …). */
  | 'ERR_CALLBACK_INVALID'
  /** A POST body of a library route is malformed, too large (413) or of an unsupported type or charset (415). */
  | 'ERR_BODY_INVALID'
  /** A state-changing request (logout) came from another site. Status 403. */
  | 'ERR_CROSS_SITE_REQUEST'
  /** A request parameter of a library route has a value the route does not accept. Status 400. */
  | 'ERR_REQUEST_INVALID'
  /** The route needs a signed-in user. Status 401. */
  | 'ERR_LOGIN_REQUIRED'
  /** The user is signed in, but a claim check of `requiresAuth()` refused them, or `afterCallback` rejected the sign-in. Status 403. */
  | 'ERR_ACCESS_DENIED'
  /** A refresh was requested but the session holds no refresh token, or the IdP refused it. */
  | 'ERR_REFRESH_FAILED'
  /** RFC 6750: no bearer token in the request. Status 401. */
  | 'ERR_BEARER_MISSING'
  /** RFC 6750 `invalid_request`: malformed or ambiguous bearer request. Status 400. */
  | 'ERR_BEARER_INVALID_REQUEST'
  /** RFC 6750 `invalid_token`: inactive, expired, revoked or foreign token. Status 401. */
  | 'ERR_BEARER_INVALID_TOKEN'
  /** RFC 6750 `insufficient_scope`: the token lacks a scope or role. Status 403. */
  | 'ERR_BEARER_INSUFFICIENT_SCOPE'
  /** A key, certificate or assertion input could not be used. */
  | 'ERR_ASSERTION_INVALID'
  /** The shared store (Redis) several instances coordinate through is unreachable or too slow. Status 503. */
  | 'ERR_SHARED_UNAVAILABLE'
  /** A back-channel `logout_token` failed validation (signature, issuer, audience, events, replay, …). Status 400. */
  | 'ERR_LOGOUT_TOKEN_INVALID';

/**
 * Options of the {@link EmpowerIDError} constructor.
 * @inline
 */
export interface EmpowerIDErrorOptions {
  /** HTTP status the Express layer answers with; 500 when absent. */
  status?: number;
  /** The underlying error, kept as the standard `Error.cause` for logs. */
  cause?: unknown;
}

/**
 * Base class of every error this library throws. Branch on `code` (stable, see
 * {@link EmpowerIDErrorCode}), never on `message`; `name` is the concrete subclass name.
 *
 * @example
 * import { EmpowerIDError } from 'empowerid-express';
 *
 * try {
 *   await client.refresh(refreshToken);
 * } catch (err) {
 *   if (err instanceof EmpowerIDError && err.code === 'ERR_IDP_UNAVAILABLE') return retryLater();
 *   throw err;
 * }
 */
export class EmpowerIDError extends Error {
  /** The stable machine-readable cause of the failure. */
  readonly code: EmpowerIDErrorCode;
  /** HTTP status the Express layer answers with. */
  readonly status: number;

  constructor(code: EmpowerIDErrorCode, message: string, options: EmpowerIDErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
  }
}

/**
 * A configuration problem found at construction (`empowerid()`, `createClient()`, `requireToken()`, …),
 * code `ERR_CONFIG_INVALID`. `option` names the offending option, so a misconfigured app fails at
 * startup rather than on the first request.
 *
 * @example
 * import { ConfigurationError, createClient } from 'empowerid-express';
 *
 * try {
 *   createClient({ server: 'not a url', clientId: 'app' });
 * } catch (err) {
 *   if (err instanceof ConfigurationError) console.error(err.option, err.message); // "server", …
 * }
 */
export class ConfigurationError extends EmpowerIDError {
  /** The name of the offending option, for example `issuer` or `routes.callback`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super('ERR_CONFIG_INVALID', `empowerid: option "${option}" ${message}`, { status: 500 });
    this.option = option;
  }
}

/**
 * The IdP is down, slow or in an outage (code `ERR_IDP_UNAVAILABLE`). Answered as 503 with
 * `Retry-After`.
 *
 * @example
 * import { IdPUnavailableError } from 'empowerid-express';
 *
 * app.use((err, req, res, next) => {
 *   if (err instanceof IdPUnavailableError) res.set('Retry-After', String(err.retryAfter));
 *   next(err);
 * });
 */
export class IdPUnavailableError extends EmpowerIDError {
  /** Seconds a client should wait before trying again. */
  readonly retryAfter: number;
  constructor(message: string, options: { cause?: unknown; retryAfter?: number } = {}) {
    super('ERR_IDP_UNAVAILABLE', message, { status: 503, cause: options.cause });
    this.retryAfter = options.retryAfter ?? 5;
  }
}

/**
 * The IdP answered, but with something that is not a valid protocol response (HTML, empty, bad
 * JSON; code `ERR_IDP_BAD_RESPONSE`). Answered as 503.
 *
 * @example
 * import { IdPResponseError } from 'empowerid-express';
 *
 * const tokens = await client.clientCredentials().catch((err) => {
 *   if (err instanceof IdPResponseError) log.warn({ cause: err.cause }, 'IdP answered garbage');
 *   throw err;
 * });
 */
export class IdPResponseError extends EmpowerIDError {
  /** Seconds a client should wait before trying again. */
  readonly retryAfter: number;
  constructor(message: string, options: { cause?: unknown; retryAfter?: number } = {}) {
    super('ERR_IDP_BAD_RESPONSE', message, { status: 503, cause: options.cause });
    this.retryAfter = options.retryAfter ?? 5;
  }
}

/**
 * The shared store (Redis) is unreachable, slow or restarting. Answered as 503 with `Retry-After`:
 * the library neither crashes nor lets a request through that it could not check. Code
 * `ERR_SHARED_UNAVAILABLE`.
 *
 * @example
 * import { SharedUnavailableError } from 'empowerid-express';
 *
 * app.use((err, req, res, next) => {
 *   if (err instanceof SharedUnavailableError) metrics.increment('redis.unavailable');
 *   next(err);
 * });
 */
export class SharedUnavailableError extends EmpowerIDError {
  /** Seconds a client should wait before trying again. */
  readonly retryAfter: number;
  constructor(message: string, options: { cause?: unknown; retryAfter?: number } = {}) {
    super('ERR_SHARED_UNAVAILABLE', message, { status: 503, cause: options.cause });
    this.retryAfter = options.retryAfter ?? 2;
  }
}

/**
 * The IdP answered with an OAuth 2.0 error response (RFC 6749 §5.2), code `ERR_OAUTH_ERROR` unless
 * a more specific one applies (for example `ERR_AUTHORIZATION_DENIED`, `ERR_REFRESH_FAILED`).
 *
 * @see RFC 6749 §4.1.2.1 and §5.2 (error responses)
 *
 * @example
 * import { OAuthError } from 'empowerid-express';
 *
 * try {
 *   await client.password({ username, password });
 * } catch (err) {
 *   if (err instanceof OAuthError && err.error === 'invalid_grant') return res.status(401).send('wrong password');
 *   throw err;
 * }
 */
export class OAuthError extends EmpowerIDError {
  /** The OAuth `error` code, for example `invalid_grant`. */
  readonly error: string;
  /** The IdP's human-readable `error_description`, when it sent one. */
  readonly error_description: string | undefined;
  constructor(
    error: string,
    description: string | undefined,
    options: { status?: number; cause?: unknown; code?: EmpowerIDErrorCode } = {},
  ) {
    super(options.code ?? 'ERR_OAUTH_ERROR', `empowerid: the identity provider answered ${error}${description ? `: ${description}` : ''}`, {
      status: options.status ?? 400,
      cause: options.cause,
    });
    this.error = error;
    this.error_description = description;
  }
}

/**
 * A failed sign-in callback: no login transaction, `state` mismatch, invalid ID token or a
 * malformed request (codes `ERR_CALLBACK_NO_TRANSACTION`, `ERR_STATE_MISMATCH`,
 * `ERR_ID_TOKEN_INVALID`, `ERR_CALLBACK_INVALID`). Answered as 400.
 *
 * @see OpenID Connect Core 1.0 §3.1.3.7 (ID token validation); RFC 6749 §10.12 (state)
 *
 * @example
 * import { CallbackError } from 'empowerid-express';
 *
 * app.use((err, req, res, next) => {
 *   if (err instanceof CallbackError && err.code === 'ERR_CALLBACK_NO_TRANSACTION') return res.redirect('/login');
 *   next(err);
 * });
 */
export class CallbackError extends EmpowerIDError {
  constructor(
    code: Extract<
      EmpowerIDErrorCode,
      'ERR_CALLBACK_NO_TRANSACTION' | 'ERR_STATE_MISMATCH' | 'ERR_ID_TOKEN_INVALID' | 'ERR_CALLBACK_INVALID'
    >,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(code, message, { status: 400, cause: options.cause });
  }
}

/**
 * RFC 6750 bearer-token errors (codes `ERR_BEARER_*`), with a ready `WWW-Authenticate` header
 * value; `requireToken()` answers them with status 400, 401 or 403.
 *
 * @see RFC 6750 §3 (the WWW-Authenticate response header) and §3.1 (error codes)
 *
 * @example
 * import { BearerError } from 'empowerid-express';
 *
 * const err = new BearerError('ERR_BEARER_INSUFFICIENT_SCOPE', 'needs orders:write', { scope: ['orders:write'] });
 * res.status(err.status).set('WWW-Authenticate', err.wwwAuthenticate).json({ error: err.error });
 */
export class BearerError extends EmpowerIDError {
  /** The RFC 6750 error code, absent when no token was sent at all. */
  readonly error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined;
  /** Why the token was refused, as sent in `error_description`. */
  readonly error_description: string | undefined;
  /** The value for the `WWW-Authenticate` response header. */
  readonly wwwAuthenticate: string;
  constructor(
    code: Extract<
      EmpowerIDErrorCode,
      'ERR_BEARER_MISSING' | 'ERR_BEARER_INVALID_REQUEST' | 'ERR_BEARER_INVALID_TOKEN' | 'ERR_BEARER_INSUFFICIENT_SCOPE'
    >,
    description: string | undefined,
    options: { realm?: string; scope?: string[]; cause?: unknown } = {},
  ) {
    const table = {
      ERR_BEARER_MISSING: [401, undefined],
      ERR_BEARER_INVALID_REQUEST: [400, 'invalid_request'],
      ERR_BEARER_INVALID_TOKEN: [401, 'invalid_token'],
      ERR_BEARER_INSUFFICIENT_SCOPE: [403, 'insufficient_scope'],
    } as const;
    const [status, error] = table[code];
    super(code, `empowerid: ${description ?? 'a bearer token is required'}`, { status, cause: options.cause });
    this.error = error;
    this.error_description = description;
    const params = [`realm="${quote(options.realm ?? 'api')}"`];
    if (error) params.push(`error="${error}"`);
    if (error && description) params.push(`error_description="${quote(description)}"`);
    if (options.scope?.length) params.push(`scope="${quote(options.scope.join(' '))}"`);
    this.wwwAuthenticate = `Bearer ${params.join(', ')}`;
  }
}

// RFC 6750 §3: auth-param values are quoted-strings; drop characters that would break the header.
function quote(value: string): string {
  return value.replace(/[\\"\r\n]/g, '');
}
