import { hash } from 'node:crypto';
import type { Request } from 'express';

/**
 * Which login transactions are being completed right now, so that a second request with the same
 * `state` (a double click, a browser retry) does not exchange the code again — at EmpowerID a
 * second use of a code revokes the tokens of the first. The second request waits for the first
 * and, when it comes from the same browser session, follows it into the signed-in session.
 * In-process: two instances of an app each complete at most one exchange of their own.
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
