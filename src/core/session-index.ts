import { hash } from 'node:crypto';
import type { Shared } from './shared.js';

/** How long the index and the "ended" marks are kept: longer than any sign-in is expected to live. */
export const SESSION_INDEX_TTL_MS = 30 * 24 * 3600_000;

/** What {@link SessionIndex.end} ended. */
export interface EndedSessions {
  /** The express-session ids of the ended sessions. */
  ids: string[];
  /** The cache keys (SHA-256 of each token) of the tokens those sessions held. */
  tokenKeys: string[];
}

/**
 * Which local sessions belong to which IdP session (`sid`) and user (`sub`), so a back-channel
 * logout can end them on every instance, and which sessions have been ended, so they are refused
 * on their next request even when the session store (or another instance's memory) still has them.
 * For each indexed session it also keeps the cache keys (SHA-256) of the tokens the session holds,
 * so that ending it can evict them from every `requireToken()` cache. Keys hold hashes, never the
 * session ids' owners' claims in clear; values hold session ids and token hashes, never tokens.
 */
export class SessionIndex {
  readonly #shared: Shared;

  constructor(shared: Shared) {
    this.#shared = shared;
  }

  /**
   * Records that `sessionId` is a sign-in of `sub` in IdP session `sid`, holding the tokens whose
   * cache keys are `tokenKeys`.
   */
  async record(sessionId: string, claims: { sid?: unknown; sub?: unknown }, tokenKeys: readonly string[] = []): Promise<void> {
    const { backend } = this.#shared;
    const writes: Promise<void>[] = [];
    if (typeof claims.sid === 'string') writes.push(backend.addToSet(this.#key('sid', claims.sid), sessionId, SESSION_INDEX_TTL_MS));
    if (typeof claims.sub === 'string') writes.push(backend.addToSet(this.#key('sub', claims.sub), sessionId, SESSION_INDEX_TTL_MS));
    if (tokenKeys.length) writes.push(this.recordTokens(sessionId, tokenKeys));
    await Promise.all(writes);
  }

  /**
   * Replaces the cache keys of the tokens `sessionId` holds (after a refresh: the new tokens and
   * the ones they replace, which caches may still hold). Only the latest list is kept: it stays
   * bounded however often a long session refreshes, and older tokens are past their expiry or leave
   * the caches by themselves within `cacheMaxTtlSeconds`.
   */
  async recordTokens(sessionId: string, tokenKeys: readonly string[]): Promise<void> {
    await this.#shared.backend.set(this.#key('tokens', sessionId), [...new Set(tokenKeys)].join(' '), SESSION_INDEX_TTL_MS);
  }

  /**
   * Marks every session of `sid` (or, without `sid`, of `sub`) as ended and returns their ids and
   * the cache keys of their tokens, which the caller evicts.
   * With both, only sessions of that `sid` are ended (the IdP session ended, not the user's others).
   */
  async end(claims: { sid?: string; sub?: string }): Promise<EndedSessions> {
    const { backend } = this.#shared;
    const ids =
      claims.sid !== undefined
        ? await backend.members(this.#key('sid', claims.sid))
        : claims.sub !== undefined
          ? await backend.members(this.#key('sub', claims.sub))
          : [];
    const [lists] = await Promise.all([
      Promise.all(ids.map((id) => backend.get(this.#key('tokens', id)))),
      Promise.all(ids.map((id) => backend.set(this.#key('ended', id), '1', SESSION_INDEX_TTL_MS))),
    ]);
    const drop = [
      claims.sid !== undefined && this.#key('sid', claims.sid),
      claims.sid === undefined && claims.sub !== undefined && this.#key('sub', claims.sub),
      ...ids.map((id) => this.#key('tokens', id)),
    ];
    await backend.delete(drop.filter((k): k is string => typeof k === 'string'));
    const tokenKeys = new Set<string>();
    for (const list of lists) if (list) for (const key of list.split(' ')) if (key) tokenKeys.add(key);
    return { ids, tokenKeys: [...tokenKeys] };
  }

  /** Whether `sessionId` was ended by a back-channel logout. */
  async isEnded(sessionId: string): Promise<boolean> {
    return (await this.#shared.backend.get(this.#key('ended', sessionId))) !== undefined;
  }

  #key(kind: string, value: string): string {
    return this.#shared.key('session', kind, hash('sha256', value, 'base64url'));
  }
}
