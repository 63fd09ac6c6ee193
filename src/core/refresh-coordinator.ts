import { hash } from 'node:crypto';
import { IdPUnavailableError, OAuthError, SharedUnavailableError } from '../errors.js';
import type { EmpowerIDClient } from './client.js';
import { debug } from './debug.js';
import type { Shared } from './shared.js';
import type { TokenSet } from './tokens.js';

const log = debug('refresh');

/** How often a waiter looks for the winner's result when no broadcast arrives. */
const POLL_MS = 100;

/** What the lock holder broadcasts when its refresh ends. */
interface Outcome {
  key: string;
  /** Absent on success; the OAuth error, or `unavailable`, on failure. */
  error?: string;
  description?: string;
}

type Waiter = (outcome: Outcome | undefined) => void;

/**
 * One refresh call per refresh token, across every request of every instance sharing `shared`.
 *
 * Within a process, concurrent callers share one promise. Across processes, the caller that takes
 * the lock (`SET NX PX`, token-checked release) calls the IdP and hands the result to the others
 * sealed in the shared store for a grace period: with rotation, a request that loaded its session
 * just before the refresh still holds the old refresh token, and spending it again would be
 * `invalid_grant` and sign the user out. Only successes are kept: a failure reaches the callers
 * waiting at that moment and nobody after them, so recovery is immediate once the IdP answers.
 * A crashed holder delays the others by at most the lock's time to live.
 */
export class RefreshCoordinator {
  readonly #client: EmpowerIDClient;
  readonly #shared: Shared;
  readonly #lockTtlMs: number;
  readonly #inflight = new Map<string, Promise<TokenSet>>();
  /** Successes of this process, so a request with the old token needs no round trip. */
  readonly #recent = new Map<string, { set: TokenSet; at: number }>();
  readonly #waiters = new Map<string, Set<Waiter>>();
  #subscribed: Promise<void> | undefined;

  constructor(client: EmpowerIDClient, shared: Shared) {
    this.#client = client;
    this.#shared = shared;
    // The lock must outlive a slow but live refresh, or a second caller would spend the token too.
    this.#lockTtlMs = Math.max(shared.lockTtlMs, client.config.timeoutMs + 1000);
  }

  refresh(refreshToken: string): Promise<TokenSet> {
    const now = Date.now();
    for (const [k, r] of this.#recent) if (now - r.at > this.#shared.refreshGraceMs) this.#recent.delete(k);
    const key = hash('sha256', refreshToken, 'base64url');
    const recent = this.#recent.get(key);
    if (recent) return Promise.resolve(recent.set);
    const running = this.#inflight.get(key);
    if (running) return running;
    const flight = this.#coordinate(refreshToken, key);
    this.#inflight.set(key, flight);
    flight.then(
      (set) => {
        this.#recent.set(key, { set, at: Date.now() });
        this.#inflight.delete(key);
      },
      () => this.#inflight.delete(key),
    );
    return flight;
  }

  async #coordinate(refreshToken: string, key: string): Promise<TokenSet> {
    this.#subscribe();
    const { backend, sealer } = this.#shared;
    const resultKey = this.#shared.key('refresh', key);
    const deadline = Date.now() + 3 * this.#lockTtlMs;
    for (;;) {
      const handed = await sealer.open<TokenSet>(await backend.get(resultKey));
      if (handed) {
        log('using the refresh result of another request');
        return handed;
      }
      const lock = await this.#shared.tryLock(`refresh:${key}`, this.#lockTtlMs);
      if (lock) {
        try {
          // The previous holder may have finished between the read above and the lock.
          const late = await sealer.open<TokenSet>(await backend.get(resultKey));
          if (late) return late;
          return await this.#call(refreshToken, key, resultKey);
        } finally {
          await lock.release().catch((err: Error) => log('refresh lock not released (%s); it expires', err.message));
        }
      }
      const outcome = await this.#wait(key);
      if (outcome?.error !== undefined) throw failure(outcome);
      if (Date.now() > deadline) {
        throw new SharedUnavailableError('empowerid: another instance holds the refresh lock and never finished');
      }
    }
  }

  async #call(refreshToken: string, key: string, resultKey: string): Promise<TokenSet> {
    const { backend, sealer } = this.#shared;
    const channel = this.#shared.key('refreshed');
    log('refreshing');
    let set: TokenSet;
    try {
      set = await this.#client.refresh(refreshToken);
    } catch (err) {
      const outcome: Outcome =
        err instanceof OAuthError
          ? { key, error: err.error, ...(err.error_description && { description: err.error_description }) }
          : { key, error: 'unavailable' };
      await backend.publish(channel, JSON.stringify(outcome)).catch(() => {});
      throw err;
    }
    try {
      await backend.set(resultKey, await sealer.seal(set), this.#shared.refreshGraceMs);
      await backend.publish(channel, JSON.stringify({ key }));
    } catch (err) {
      // The tokens are good; this request keeps them even if the others cannot be told.
      log('refresh result not shared (%s)', (err as Error).message);
    }
    return set;
  }

  /** Resolves on the holder's broadcast for `key`, or after a short poll interval. */
  #wait(key: string): Promise<Outcome | undefined> {
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(key) ?? new Set<Waiter>();
      this.#waiters.set(key, waiters);
      const done: Waiter = (outcome) => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.#waiters.get(key) === waiters) this.#waiters.delete(key);
        resolve(outcome);
      };
      const timer = setTimeout(() => done(undefined), POLL_MS);
      waiters.add(done);
    });
  }

  #subscribe(): void {
    if (this.#subscribed) return;
    this.#subscribed = this.#shared.backend
      .subscribe(this.#shared.key('refreshed'), (message) => {
        let outcome: Outcome;
        try {
          outcome = JSON.parse(message) as Outcome;
        } catch {
          return;
        }
        const waiters = this.#waiters.get(outcome.key);
        if (waiters) for (const w of [...waiters]) w(outcome);
      })
      .catch((err: Error) => {
        // Waiters poll meanwhile; the next refresh subscribes again.
        log('refresh channel not subscribed (%s)', err.message);
        this.#subscribed = undefined;
      });
  }
}

function failure(outcome: Outcome): Error {
  if (outcome.error === 'unavailable') return new IdPUnavailableError('empowerid: the token endpoint is unavailable');
  return new OAuthError(outcome.error as string, outcome.description);
}
