import type { NextFunction, Request, Response } from 'express';
import type { LoginTransaction } from '../core/client.js';
import { debug } from '../core/debug.js';
import { safeEqual } from '../core/safe-equal.js';
import { CallbackError } from '../errors.js';
import type { RouterState } from './context.js';
import { applyTokens, promisify, readState, sessionOf, writeState } from './session.js';

const log = debug('callback');
const SILENT_FAILURES = new Set(['login_required', 'interaction_required', 'consent_required', 'account_selection_required']);
const TRANSACTION_MAX_AGE_MS = 15 * 60_000;

/**
 * GET|POST /callback: matches `state` to a pending login (single use), exchanges the code,
 * validates the ID token, regenerates the session (no fixation) and redirects to `returnTo`.
 */
export function callbackHandler(state: RouterState) {
  const { options, client } = state;
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const session = sessionOf(req);
      const params = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown> | undefined;
      if (!params || typeof params !== 'object') {
        throw new CallbackError('ERR_CALLBACK_INVALID', 'empowerid: the callback carries no parameters');
      }
      const stored = readState(req, options.sessionKey);
      const pending = (stored.transactions ?? []).filter((t) => client.config.clock() - t.createdAt < TRANSACTION_MAX_AGE_MS);
      if (pending.length === 0) {
        throw new CallbackError(
          'ERR_CALLBACK_NO_TRANSACTION',
          'empowerid: no login is in progress for this browser (expired, already used, or cookies blocked); start again at the login route',
        );
      }
      const tx = pick(pending, params);
      // Single use: the transaction is gone whatever happens next.
      writeState(req, options.sessionKey, { ...stored, transactions: pending.filter((t) => t !== tx) });

      if (tx.prompt === 'none' && typeof params.error === 'string' && SILENT_FAILURES.has(params.error)) {
        log('silent re-authentication needs the user (%s); interactive login', params.error);
        await promisify((cb) => session.save(cb));
        const login = options.loginPath === false ? '/' : `${options.loginPath}?returnTo=${encodeURIComponent(tx.returnTo ?? '/')}`;
        res.redirect(302, login);
        return;
      }

      const tokens = await client.callback({ params, transaction: tx });
      await promisify((cb) => session.regenerate(cb));
      writeState(req, options.sessionKey, applyTokens({}, tokens));
      await promisify((cb) => sessionOf(req).save(cb));
      log('signed in sub=%s', tokens.claims?.sub);
      res.redirect(302, tx.returnTo ?? '/');
    } catch (err) {
      // Persist the consumed transaction, so a failed callback cannot be replayed.
      const session = (req as unknown as { session?: { save(cb: () => void): void } }).session;
      if (session) await new Promise<void>((resolve) => session.save(() => resolve()));
      next(err);
    }
  };
}

function pick(pending: LoginTransaction[], params: Record<string, unknown>): LoginTransaction {
  const state = params.state;
  if (typeof state === 'string' && state !== '') {
    const tx = pending.find((t) => safeEqual(t.state, state));
    if (tx) return tx;
  } else if (typeof params.error === 'string') {
    // An IdP error response may come without state; it belongs to the newest attempt.
    return pending[pending.length - 1] as LoginTransaction;
  }
  throw new CallbackError(
    'ERR_STATE_MISMATCH',
    typeof state === 'string' && state !== ''
      ? 'empowerid: the callback "state" does not match any login started by this browser'
      : 'empowerid: the callback has no "state" parameter',
  );
}
