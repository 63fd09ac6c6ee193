import { hash } from 'node:crypto';
import type { Request } from 'express';
import { debug } from '../core/debug.js';
import type { HeldLock, Shared } from '../core/shared.js';

const log = debug('callback');

/**
 * Which login transactions are being completed right now, so that a second request with the same
 * `state` (a double click, a browser retry) does not exchange the code again — at EmpowerID a
 * second use of a code revokes the tokens of the first. The second request waits for the first
 * and, when it comes from the same browser session, follows it into the signed-in session.
 * This is the in-process part (synchronous, before any await); {@link SharedClaims} extends the
 * claim to every instance on the same `shared` store.
 */
export interface ClaimOutcome {
  /** The signed-in session's id, when the sign-in succeeded. */
  sessionId?: string;
  returnTo: string;
}

interface Claim {
  /** The session the login started in: only requests from it may follow the claim. */
  origin: string;
  outcome: Promise<ClaimOutcome | undefined>;
}

/** How long a finished claim is still followed by a late duplicate. */
const FOLLOW_MS = 30_000;

export class CallbackClaims {
  readonly #claims = new Map<string, Claim>();

  static keyOf(state: string): string {
    return hash('sha256', state, 'base64url');
  }

  /** The claim on `key` a request of session `origin` may follow, if any. */
  find(key: string, origin: string): Promise<ClaimOutcome | undefined> | undefined {
    const claim = this.#claims.get(key);
    return claim && claim.origin === origin ? claim.outcome : undefined;
  }

  /** Claims `key` synchronously; call `settle` with the outcome (undefined: the sign-in failed). */
  claim(key: string, origin: string): (outcome: ClaimOutcome | undefined) => void {
    let settle!: (outcome: ClaimOutcome | undefined) => void;
    const outcome = new Promise<ClaimOutcome | undefined>((resolve) => (settle = resolve));
    const claim: Claim = { origin, outcome };
    this.#claims.set(key, claim);
    return (result) => {
      settle(result);
      const forget = () => {
        if (this.#claims.get(key) === claim) this.#claims.delete(key);
      };
      if (result?.sessionId) setTimeout(forget, FOLLOW_MS).unref();
      else forget();
    };
  }
}

/** What the request that completed a callback leaves for duplicates on other instances (sealed). */
export interface SharedOutcome {
  /** The session the login started in. */
  origin: string;
  /** The signed-in session's id; absent when the sign-in failed. */
  sessionId?: string;
  returnTo?: string;
}

/** How often a duplicate on another instance looks whether the holder has finished. */
const POLL_MS = 50;

/**
 * The claim across instances, through the shared store's primitives: the transaction is claimed
 * with the store's lock (`SET NX PX` with a random token, token-checked release), and the holder
 * leaves its outcome, sealed, under a key that lives 30 s (FOLLOW_MS), before it releases the
 * lock. A duplicate that does not get the lock waits until the lock is gone and reads the outcome;
 * a holder that crashed delays it by at most the lock's time to live, and leaves no outcome
 * (the duplicate is then refused like the loser of a failed sign-in).
 */
export class SharedClaims {
  readonly #shared: Shared;
  readonly #lockTtlMs: number;

  constructor(shared: Shared, timeoutMs: number) {
    this.#shared = shared;
    // The lock must outlive a slow but live completion (token endpoint, JWKS, userinfo), or a
    // late duplicate would take it and exchange the code again.
    this.#lockTtlMs = Math.max(shared.lockTtlMs, 3 * timeoutMs + 1000);
  }

  /** The outcome a completed claim on `key` left, if it is still kept. */
  async finished(key: string): Promise<SharedOutcome | undefined> {
    const sealed = await this.#shared.backend.get(this.#shared.key('callback', key));
    return this.#shared.sealer.open<SharedOutcome>(sealed);
  }

  /** Takes the claim on `key`, or answers `undefined` when another request holds it. */
  take(key: string): Promise<HeldLock | undefined> {
    return this.#shared.tryLock(`callback:${key}`, this.#lockTtlMs);
  }

  /** Leaves the holder's outcome for the duplicates (call before releasing the lock). */
  async record(key: string, outcome: SharedOutcome): Promise<void> {
    await this.#shared.backend.set(this.#shared.key('callback', key), await this.#shared.sealer.seal(outcome), FOLLOW_MS);
  }

  /**
   * Waits until the holder of `key` has finished; its outcome, or `undefined` when it left none
   * (it crashed, or the store lost it) or did not finish within the lock's time to live.
   */
  async waitFor(key: string): Promise<SharedOutcome | undefined> {
    const deadline = Date.now() + this.#lockTtlMs + 1000;
    for (;;) {
      // The lock first: the holder writes the outcome before it releases the lock, so once the
      // lock is seen gone, the outcome read after it is final.
      const held = await this.#shared.isLocked(`callback:${key}`);
      const outcome = await this.finished(key);
      if (outcome || !held) return outcome;
      if (Date.now() > deadline) {
        log('the request holding this callback never finished');
        return undefined;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
}

type LoadedSession = Record<string, unknown>;
interface SessionStoreLike {
  load(sid: string, cb: (err: unknown, session?: LoadedSession) => void): void;
}

/**
 * Makes this request continue in the session `sessionId` (the one the winning request signed
 * into), so its answer sets the same session cookie: whichever answer the browser keeps, it ends
 * up signed in. Returns false when the store does not have it.
 */
export function adoptSession(req: Request, sessionId: string): Promise<boolean> {
  const r = req as unknown as { sessionStore?: SessionStoreLike; session?: LoadedSession; sessionID?: string };
  const store = r.sessionStore;
  if (!store || typeof store.load !== 'function') return Promise.resolve(false);
  return new Promise((resolve) => {
    store.load(sessionId, (err, session) => {
      if (err || !session) {
        resolve(false);
        return;
      }
      r.session = session;
      r.sessionID = sessionId;
      resolve(true);
    });
  });
}
