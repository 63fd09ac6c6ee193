import type { ErrorRequestHandler } from 'express';
import { EmpowerIDError, OAuthError } from '../errors.js';

/**
 * The operator's side of a failure the user sees as a page: misconfiguration and IdP trouble are
 * written to the server log once (per distinct cause), as a process warning, so they show up
 * without DEBUG. Request-level failures (no session, bad state, bad token) are not: they are the
 * visitor's, and logging each would let anyone fill the log.
 */

const MAX_REMEMBERED = 200;
const reported = new Set<string>();

/** Codes of warnings this library emits; `process.on('warning')` sees them as `warning.code`. */
export type WarningCode = 'EMPOWERID_MISCONFIGURED' | 'EMPOWERID_IDP_FAILURE';

/** Logs `err` once when it is the operator's to fix; returns whether it was logged now. */
export function reportOnce(err: unknown): boolean {
  const line = operatorLine(err);
  if (line === undefined) return false;
  const key = `${line.code}|${line.text}`;
  if (reported.has(key)) return false;
  if (reported.size >= MAX_REMEMBERED) reported.clear();
  reported.add(key);
  process.emitWarning(line.text, { code: line.code });
  return true;
}

/** Router middleware: reports, then hands the error on unchanged (to render or to the app). */
export function reportErrors(): ErrorRequestHandler {
  return (err, _req, _res, next) => {
    reportOnce(err);
    next(err);
  };
}

function operatorLine(err: unknown): { code: WarningCode; text: string } | undefined {
  if (!(err instanceof EmpowerIDError)) return undefined;
  switch (err.code) {
    case 'ERR_CONFIG_INVALID':
    case 'ERR_SESSION_MISSING':
      return { code: 'EMPOWERID_MISCONFIGURED', text: err.message };
    case 'ERR_IDP_UNAVAILABLE':
    case 'ERR_IDP_BAD_RESPONSE':
      // tokeninfo or userinfo refusing a requireToken() guard's own client credentials: the API
      // caller gets a 503, but the fix is the operator's (its message names clientId and clientSecret).
      if (refusedCredentials(err.cause)) return { code: 'EMPOWERID_MISCONFIGURED', text: err.message };
      return { code: 'EMPOWERID_IDP_FAILURE', text: `${err.message}${causeOf(err)}` };
    case 'ERR_ID_TOKEN_INVALID':
      return { code: 'EMPOWERID_IDP_FAILURE', text: `${err.message} (sign-in refused)` };
    case 'ERR_OAUTH_ERROR':
      return oauthLine(err as OAuthError);
    default:
      return undefined;
  }
}

// The IdP refused this application's own client credentials: a wrong secret or auth method.
function refusedCredentials(err: unknown): boolean {
  return err instanceof OAuthError && (err.error === 'invalid_client' || err.error === 'unauthorized_client');
}

// invalid_client is a wrong secret or auth method; invalid_grant at the token endpoint a failed
// code exchange (redirect_uri or PKCE mismatch, code reused or expired).
function oauthLine(err: OAuthError): { code: WarningCode; text: string } | undefined {
  if (refusedCredentials(err)) {
    return {
      code: 'EMPOWERID_MISCONFIGURED',
      text: `empowerid: the identity provider refused this application's credentials (${err.error}${err.error_description ? `: ${err.error_description}` : ''}); check clientId, clientSecret and clientAuthMethod`,
    };
  }
  if (err.error === 'invalid_grant' || err.error === 'invalid_request' || err.error === 'unsupported_grant_type') {
    return { code: 'EMPOWERID_IDP_FAILURE', text: `empowerid: a token request failed: ${err.message.replace(/^empowerid: /, '')}` };
  }
  return undefined;
}

// The underlying cause, for the operator: the socket error code and message (an address may be
// in it; that belongs in the server log, never on the page). Never request bodies or headers.
function causeOf(err: Error): string {
  const parts: string[] = [];
  for (let e = err.cause, i = 0; e instanceof Error && i < 4; e = e.cause, i += 1) {
    const code = (e as { code?: unknown }).code;
    const text = `${typeof code === 'string' ? `${code} ` : ''}${e.message}`.trim();
    if (text && !parts.includes(text)) parts.push(text);
  }
  return parts.length ? ` (cause: ${parts.join(': ')})` : '';
}
