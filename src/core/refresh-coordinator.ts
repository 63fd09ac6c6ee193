import { createHash } from 'node:crypto';
import type { EmpowerIDClient } from './client.js';
import { debug } from './debug.js';
import type { TokenSet } from './tokens.js';

const log = debug('refresh');

interface Flight {
  promise: Promise<TokenSet>;
  settledAt: number | undefined;
}

/**
 * One refresh per refresh token, however many requests ask at once. Successful results stay for a short
 * grace period, because with rotation a request that loaded the session just before the refresh
 * finished still holds the old refresh token; reusing the old token would be `invalid_grant` and
 * would log the user out.
 */
export class RefreshCoordinator {
  readonly #client: EmpowerIDClient;
  readonly #graceMs: number;
  readonly #flights = new Map<string, Flight>();

  constructor(client: EmpowerIDClient, options: { graceMs?: number } = {}) {
    this.#client = client;
    this.#graceMs = options.graceMs ?? 30_000;
  }

  refresh(refreshToken: string): Promise<TokenSet> {
    const now = Date.now();
    this.#sweep(now);
    const key = createHash('sha256').update(refreshToken).digest('base64url');
    const existing = this.#flights.get(key);
    if (existing) return existing.promise;
    log('refreshing');
    const flight: Flight = { promise: this.#client.refresh(refreshToken), settledAt: undefined };
    // Only a success is worth reusing; a failure (IdP down, a deadline) is forgotten at once, so
    // the next request tries again and recovery is immediate once the IdP answers.
    flight.promise.then(
      () => {
        flight.settledAt = Date.now();
      },
      () => {
        if (this.#flights.get(key) === flight) this.#flights.delete(key);
      },
    );
    this.#flights.set(key, flight);
    return flight.promise;
  }

  #sweep(now: number): void {
    for (const [key, flight] of this.#flights) {
      if (flight.settledAt !== undefined && now - flight.settledAt > this.#graceMs) this.#flights.delete(key);
    }
  }
}
