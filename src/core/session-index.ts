import { hash } from 'node:crypto';
import type { Shared } from './shared.js';

/** How long the index and the "ended" marks are kept: longer than any sign-in is expected to live. */
export const SESSION_INDEX_TTL_MS = 30 * 24 * 3600_000;

/**
 * Which local sessions belong to which IdP session (`sid`) and user (`sub`), so a back-channel
 * logout can end them on every instance, and which sessions have been ended, so they are refused
 * on their next request even when the session store (or another instance's memory) still has them.
 * Keys hold hashes, never the session ids' owners' claims in clear.
 */
export class SessionIndex {
  readonly #shared: Shared;

  constructor(shared: Shared) {
    this.#shared = shared;
  }

  /** Records that `sessionId` is a sign-in of `sub` in IdP session `sid`. */
  async record(sessionId: string, claims: { sid?: unknown; sub?: unknown }): Promise<void> {
    const { backend } = this.#shared;
    const writes: Promise<void>[] = [];
    if (typeof claims.sid === 'string') writes.push(backend.addToSet(this.#key('sid', claims.sid), sessionId, SESSION_INDEX_TTL_MS));
    if (typeof claims.sub === 'string') writes.push(backend.addToSet(this.#key('sub', claims.sub), sessionId, SESSION_INDEX_TTL_MS));
    await Promise.all(writes);
  }

  /**
   * Marks every session of `sid` (or, without `sid`, of `sub`) as ended and returns their ids.
   * With both, only sessions of that `sid` are ended (the IdP session ended, not the user's others).
   */
  async end(claims: { sid?: string; sub?: string }): Promise<string[]> {
    const { backend } = this.#shared;
    const ids =
      claims.sid !== undefined
        ? await backend.members(this.#key('sid', claims.sid))
        : claims.sub !== undefined
          ? await backend.members(this.#key('sub', claims.sub))
          : [];
    await Promise.all(ids.map((id) => backend.set(this.#key('ended', id), '1', SESSION_INDEX_TTL_MS)));
    const drop = [
      claims.sid !== undefined && this.#key('sid', claims.sid),
      claims.sid === undefined && claims.sub !== undefined && this.#key('sub', claims.sub),
    ];
    await backend.delete(drop.filter((k): k is string => typeof k === 'string'));
    return ids;
  }

  /** Whether `sessionId` was ended by a back-channel logout. */
  async isEnded(sessionId: string): Promise<boolean> {
    return (await this.#shared.backend.get(this.#key('ended', sessionId))) !== undefined;
  }

  #key(kind: string, value: string): string {
    return this.#shared.key('session', kind, hash('sha256', value, 'base64url'));
  }
}
