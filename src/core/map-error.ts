import * as oidc from 'openid-client';
import { debug } from './debug.js';
import { describeFailure, transportFailure } from './transport-error.js';
import { CallbackError, EmpowerIDError, IdPResponseError, IdPUnavailableError, OAuthError } from '../errors.js';

const log = debug('idp');

const ID_TOKEN_CODES = new Set([
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_JWS_SIGNATURE_VERIFICATION_FAILED',
  'OAUTH_KEY_SELECTION_FAILED',
  'OAUTH_UNSUPPORTED_OPERATION',
]);

/**
 * openid-client's errors, mapped onto this library's coded errors. `where` names the endpoint so
 * the message says which call failed. `phase: 'callback'` turns token-validation failures into
 * `ERR_ID_TOKEN_INVALID`, which the callback route answers with a 400.
 */
export function mapError(err: unknown, where: string, phase: 'callback' | 'call' = 'call'): EmpowerIDError {
  if (err instanceof EmpowerIDError) return err;
  const mapped = classify(err, where, phase);
  // One debug line per IdP failure, whatever its kind: the code it became, what the page or caller
  // is told, and openid-client's precise reason (socket errors included; never a request body).
  log('%s: %s %s (%s)', where, mapped.code, mapped.message.replace(/^empowerid: /, ''), detail(err));
  return mapped;
}

function classify(err: unknown, where: string, phase: 'callback' | 'call'): EmpowerIDError {
  // The network first: a connection that failed says nothing about the ID token or the answer.
  // The message names the kind of failure only; the address and socket error stay in `cause`
  // and the debug log.
  const failure = transportFailure(err);
  if (failure !== undefined) {
    return new IdPUnavailableError(`empowerid: ${where} ${describeFailure(failure)}`, { cause: err });
  }
  if (err instanceof oidc.AuthorizationResponseError) {
    return new OAuthError(err.error, err.error_description, { status: 400, cause: err, code: 'ERR_AUTHORIZATION_DENIED' });
  }
  if (err instanceof oidc.ResponseBodyError) {
    if (err.status >= 500) {
      return new IdPUnavailableError(`empowerid: ${where} answered ${err.status} (${err.error})`, { cause: err });
    }
    return new OAuthError(err.error, err.error_description, { status: 400, cause: err });
  }
  if (err instanceof oidc.WWWAuthenticateChallengeError) {
    // RFC 6749 §5.2: a 401 with a Basic challenge is the client's credentials (invalid_client);
    // RFC 6750: a Bearer challenge without an error code is the token.
    const challenge = err.cause[0];
    const error = challenge?.parameters.error ?? (challenge?.scheme === 'basic' ? 'invalid_client' : 'invalid_token');
    return new OAuthError(error, challenge?.parameters.error_description, { status: 400, cause: err });
  }
  if (err instanceof Error) {
    if (err instanceof TypeError && !(err instanceof oidc.ClientError)) {
      return new IdPUnavailableError(`empowerid: ${where} could not be reached`, { cause: err });
    }
    const code = (err as { code?: string }).code;
    if (code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT') {
      return new IdPUnavailableError(`empowerid: ${where} ${describeFailure('timeout')}`, { cause: err });
    }
    if (code === undefined && err instanceof oidc.ClientError && err.cause instanceof TypeError) {
      return new IdPUnavailableError(`empowerid: ${where} could not be reached`, { cause: err });
    }
    if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') {
      const status = (err.cause as Response | undefined)?.status;
      if (status !== undefined && status >= 500) {
        return new IdPUnavailableError(`empowerid: ${where} answered HTTP ${status}`, { cause: err });
      }
      return new IdPResponseError(`empowerid: ${where} answered an unexpected HTTP status${status ? ` ${status}` : ''}`, { cause: err });
    }
    if (code === 'OAUTH_RESPONSE_IS_NOT_JSON' || code === 'OAUTH_PARSE_ERROR') {
      return new IdPResponseError(`empowerid: ${where} did not answer JSON`, { cause: err });
    }
    if (phase === 'callback' && (code === undefined || ID_TOKEN_CODES.has(code) || code === 'OAUTH_INVALID_RESPONSE')) {
      return new CallbackError('ERR_ID_TOKEN_INVALID', `empowerid: the ID token was rejected: ${detail(err)}`, { cause: err });
    }
    if (code === 'OAUTH_INVALID_RESPONSE' || code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED') {
      return new IdPResponseError(`empowerid: ${where} answered an invalid response: ${detail(err)}`, { cause: err });
    }
    if (code && ID_TOKEN_CODES.has(code)) {
      return new IdPResponseError(`empowerid: ${where} answered a token that failed validation: ${detail(err)}`, { cause: err });
    }
  }
  return new IdPResponseError(`empowerid: ${where} failed`, { cause: err });
}

// openid-client wraps the precise reason (which claim, which check) in `cause`.
function detail(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 3 && e instanceof Error; i += 1) {
    if (!parts.includes(e.message)) parts.push(e.message);
    e = e.cause;
  }
  return parts.join(': ') || String(err);
}
