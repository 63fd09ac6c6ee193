import type { Request, Response } from 'express';
import type { LoginTransaction } from '../core/client.js';
import type { TokenSet } from '../core/tokens.js';
import { ConfigurationError, EmpowerIDError } from '../errors.js';
import type { UserClaims } from './augment.js';

/**
 * What `afterCallback` is told about a sign-in that passed every protocol check.
 * @inline
 */
export interface SignIn {
  /** The validated ID-token claims. */
  readonly claims: UserClaims;
  /** The token answer (access, refresh and ID token). Do not log it. */
  readonly tokens: Readonly<TokenSet>;
  /** What `getLoginState` returned when the login started, if anything. */
  readonly loginState: Readonly<Record<string, unknown>> | undefined;
  /** Where the browser goes next (a path under baseURL). */
  readonly returnTo: string;
}

/**
 * What `afterCallback` may return: nothing to go on, `{ returnTo }` to send the browser elsewhere
 * (a path under baseURL), or `{ reject: 'reason' }` to refuse the sign-in with a 403 that shows the reason.
 *
 * @inline
 */
export type AfterCallbackResult =
  | void
  | undefined
  | {
      /** Where to send the browser instead of the login's `returnTo`: a path under baseURL. */
      returnTo?: string;
      /** Absent: the sign-in goes on. */
      reject?: undefined;
    }
  | {
      /** Refuse the sign-in: a 403 (`ERR_ACCESS_DENIED`) that shows this reason. */
      reject: string;
    };

/**
 * Runs after the code exchange and ID-token validation, in the new (regenerated) session and
 * before it is saved: write to `req.session` to enrich it, return `{ reject }` (or throw) to refuse.
 *
 * @inline
 */
export type AfterCallback = (req: Request, res: Response, signIn: SignIn) => AfterCallbackResult | Promise<AfterCallbackResult>;

/**
 * Decides what survives the round trip to the IdP besides `returnTo`: a small JSON object kept
 * in the session (never in the URL) and handed to `afterCallback` as `loginState`.
 *
 * @inline
 */
export type GetLoginState = (
  req: Request,
  login: { readonly returnTo: string; readonly authorizationParams: Readonly<Record<string, string>> },
) => Record<string, unknown> | undefined;

/** A stored login transaction with what this layer adds to it. */
export type StoredTransaction = LoginTransaction & {
  loginState?: Record<string, unknown>;
  /** Started by `attemptSilentLogin`: a `login_required` answer goes back to returnTo, not to the login form. */
  silentAttempt?: true;
};

const MAX_LOGIN_STATE_BYTES = 4096;

/** Calls `getLoginState` and checks that the session can keep what it returned. */
export function loginStateOf(
  getLoginState: GetLoginState | undefined,
  req: Request,
  login: { returnTo: string; authorizationParams: Readonly<Record<string, string>> },
): Record<string, unknown> | undefined {
  if (!getLoginState) return undefined;
  const value = getLoginState(req, login);
  if (value === undefined) return undefined;
  let size = Infinity;
  try {
    size = value !== null && typeof value === 'object' && !Array.isArray(value) ? Buffer.byteLength(JSON.stringify(value)) : Infinity;
  } catch {
    // Cycles and BigInts: not storable.
  }
  if (size > MAX_LOGIN_STATE_BYTES) {
    throw new ConfigurationError('getLoginState', `must return a plain object that JSON can store, at most ${MAX_LOGIN_STATE_BYTES} bytes`);
  }
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

/** Runs `afterCallback`; returns the (possibly changed) returnTo, or throws the refusal. */
export async function runAfterCallback(
  hook: AfterCallback,
  req: Request,
  res: Response,
  signIn: SignIn,
  safePath: (value: unknown) => string,
): Promise<string> {
  const result = await hook(req, res, signIn);
  if (result === undefined || result === null) return signIn.returnTo;
  if (typeof result !== 'object') {
    throw new ConfigurationError('afterCallback', 'must return nothing, { returnTo } or { reject: "reason" }');
  }
  if (result.reject !== undefined) {
    throw new EmpowerIDError('ERR_ACCESS_DENIED', `empowerid: sign-in refused: ${String(result.reject)}`, { status: 403 });
  }
  return result.returnTo === undefined ? signIn.returnTo : safePath(result.returnTo);
}
