import type { NextFunction, Request, Response } from 'express';
import type { LoginTransaction } from '../core/client.js';
import { debug } from '../core/debug.js';
import { safeReturnTo } from '../core/return-to.js';
import { safeEqual } from '../core/safe-equal.js';
import { CallbackError } from '../errors.js';
import type { HeldLock } from '../core/shared.js';
import { adoptSession, CallbackClaims, type ClaimOutcome, SharedClaims, type SharedOutcome } from './callback-claims.js';
import type { UserClaims } from './augment.js';
import { type RouterState, establishSession } from './context.js';
import { runAfterCallback, type StoredTransaction } from './hooks.js';
import { RELAY_FIELD, relay, shouldRelay } from './form-post-relay.js';
import { promisify, readState, sessionOf, writeState } from './session.js';

const log = debug('callback');
const SILENT_FAILURES = new Set(['login_required', 'interaction_required', 'consent_required', 'account_selection_required']);
const TRANSACTION_MAX_AGE_MS = 15 * 60_000;

/**
 * GET|POST /callback: matches `state` to a pending login (single use), exchanges the code,
 * validates the ID token, regenerates the session (no fixation) and redirects to `returnTo`.
 */
export function callbackHandler(state: RouterState) {
  const { options, client } = state;
  const claims = claimsOf(state);
  const remote = new SharedClaims(options.shared, client.config.timeoutMs);
  return async (req: Request, res: Response, next: NextFunction) => {
    let settle: ((outcome: ClaimOutcome | undefined) => void) | undefined;
    let lock: HeldLock | undefined;
    let stateKey: string | undefined;
    let origin = '';
    // This request only follows another one: it consumed nothing, and its session copy is stale.
    let following = false;
    /** Ends this request's claim, here and for other instances: the outcome first, then the lock. */
    const finish = async (outcome: ClaimOutcome | undefined) => {
      const held = lock;
      lock = undefined;
      if (held && stateKey !== undefined) {
        await remote
          .record(stateKey, { origin, ...outcome })
          .catch((err: Error) => log('callback outcome not shared (%s); duplicates elsewhere are refused', err.message));
        await held.release().catch((err: Error) => log('callback claim not released (%s); it expires', err.message));
      }
      settle?.(outcome);
      settle = undefined;
    };
    /** Continues in the session the winning request signed into, or refuses like any late duplicate. */
    const follow = async (outcome: ClaimOutcome | SharedOutcome | undefined) => {
      following = true;
      if (outcome?.sessionId && outcome.returnTo !== undefined && (await adoptSession(req, outcome.sessionId))) {
        log('duplicate callback followed the first one into its session');
        res.redirect(302, outcome.returnTo);
        return;
      }
      throw new CallbackError(
        'ERR_CALLBACK_NO_TRANSACTION',
        'empowerid: this sign-in was already completed by another request; start again at the login route',
      );
    };
    try {
      const session = sessionOf(req);
      const raw = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown> | undefined;
      if (!raw || typeof raw !== 'object') {
        throw new CallbackError('ERR_CALLBACK_INVALID', 'empowerid: the callback carries no parameters');
      }
      const { [RELAY_FIELD]: _relayed, ...params } = raw;
      const key = typeof params.state === 'string' && params.state !== '' ? CallbackClaims.keyOf(params.state) : undefined;
      stateKey = key;
      origin = (req as unknown as { sessionID?: string }).sessionID ?? '';
      // The same callback already being completed for this browser: wait and follow it.
      const running = key === undefined ? undefined : claims.find(key, origin);
      if (running) {
        await follow(await running);
        return;
      }
      const stored = readState(req, options.sessionKey);
      const pending = (stored.transactions ?? []).filter((t) => client.config.clock() - t.createdAt < TRANSACTION_MAX_AGE_MS);
      if (pending.length === 0 && !stored.tokens && shouldRelay(req, raw)) {
        log('form_post answer without the session cookie (cross-site POST); relaying it same-site');
        relay(req, res, raw);
        return;
      }
      if (pending.length === 0) {
        // Back after sign-in replays the callback: a signed-in user goes on, nobody else does.
        const done = key === undefined || !stored.tokens ? undefined : stored.completed?.find((c) => safeEqual(c.state, key));
        if (done) {
          res.redirect(302, done.returnTo);
          return;
        }
        throw new CallbackError(
          'ERR_CALLBACK_NO_TRANSACTION',
          'empowerid: no login is in progress for this browser (expired, already used, or cookies blocked); start again at the login route',
        );
      }
      const tx = pick(pending, params);
      // Tokens asked for by form_post never come in a URL (history, logs, Referer).
      if (tx.responseMode === 'form_post' && req.method !== 'POST') {
        throw new CallbackError('ERR_CALLBACK_INVALID', 'empowerid: this login asked for a form_post answer, but the callback came by GET');
      }
      if (key !== undefined) {
        // Single use, claimed in this process before anything is awaited (a concurrent duplicate
        // here waits for this one), then in the shared store (a duplicate on another instance).
        settle = claims.claim(key, origin);
        lock = await remote.take(key);
        // Without the claim, another request holds it: wait for its outcome. With it, the previous
        // holder may have finished between this request's session load and the claim.
        const other = lock ? await remote.finished(key) : await remote.waitFor(key);
        if (!lock || other) {
          await lock?.release().catch(() => {});
          lock = undefined;
          const outcome = other?.sessionId && other.origin === origin ? other : undefined;
          log('callback completed by another instance (%s)', outcome ? 'signed in' : 'no sign-in');
          settle(outcome?.sessionId ? { sessionId: outcome.sessionId, returnTo: outcome.returnTo ?? '/' } : undefined);
          settle = undefined;
          await follow(outcome);
          return;
        }
      }
      writeState(req, options.sessionKey, { ...stored, transactions: pending.filter((t) => t !== tx) });

      if (tx.prompt === 'none' && typeof params.error === 'string' && SILENT_FAILURES.has(params.error)) {
        await promisify((cb) => session.save(cb));
        await finish(undefined);
        // attemptSilentLogin: a visitor not signed in at the IdP goes on to the page, anonymously.
        if ((tx as StoredTransaction).silentAttempt) {
          log('silent login attempt: not signed in at the IdP (%s)', params.error);
          res.redirect(302, safeReturnTo(tx.returnTo, options.baseURL));
          return;
        }
        log('silent re-authentication needs the user (%s); interactive login', params.error);
        const login = options.loginPath === false ? '/' : `${options.loginPath}?returnTo=${encodeURIComponent(tx.returnTo ?? '/')}`;
        res.redirect(302, login);
        return;
      }

      const tokens = await client.callback({ params, transaction: tx });
      await promisify((cb) => session.regenerate(cb));
      // Checked again where it is emitted: a transaction stored by an older version, or by another
      // instance, is not trusted to hold a safe path.
      let returnTo = safeReturnTo(tx.returnTo, options.baseURL);
      if (options.afterCallback) {
        const signIn = {
          claims: (tokens.claims ?? {}) as UserClaims,
          tokens,
          loginState: (tx as StoredTransaction).loginState,
          returnTo,
        } as const;
        try {
          returnTo = await runAfterCallback(options.afterCallback, req, res, signIn, (v) => safeReturnTo(v, options.baseURL));
        } catch (err) {
          // A refused sign-in leaves nothing behind: no tokens in the session, the refresh token revoked.
          if (tokens.refresh_token) await client.revoke(tokens.refresh_token, 'refresh_token').catch(() => undefined);
          throw err;
        }
      }
      const completed = key === undefined ? [] : [{ state: key, returnTo }];
      await establishSession(req, state, tokens, { completed });
      await promisify((cb) => sessionOf(req).save(cb));
      log('signed in sub=%s', tokens.claims?.sub);
      await finish({ sessionId: (req as unknown as { sessionID?: string }).sessionID as string, returnTo });
      res.redirect(302, returnTo);
    } catch (err) {
      log('callback failed: %s (%s)', (err as { code?: string }).code ?? 'error', (err as Error).message);
      await finish(undefined);
      // Persist the consumed transaction, so a failed callback cannot be replayed. A request that
      // only followed another consumed nothing: saving its stale copy would bring the transaction back.
      const session = (req as unknown as { session?: { save(cb: () => void): void } }).session;
      if (session && !following) await new Promise<void>((resolve) => session.save(() => resolve()));
      next(err);
    }
  };
}

const claimsByRouter = new WeakMap<RouterState, CallbackClaims>();
function claimsOf(state: RouterState): CallbackClaims {
  let claims = claimsByRouter.get(state);
  if (!claims) {
    claims = new CallbackClaims();
    claimsByRouter.set(state, claims);
  }
  return claims;
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
