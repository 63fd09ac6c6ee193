/**
 * Which tokens belong to one sign-in (one grant), by their cache keys (SHA-256 of the token; the
 * tokens themselves are never kept). Revoking a refresh token at EmpowerID revokes the access
 * tokens of its grant too, so a cache must forget all of them, not only the token that was named.
 * Bounded: the oldest sign-ins are forgotten first, and each keeps only its newest keys (a long
 * session rotates its refresh token many times; old keys expire from every cache by themselves).
 */
const MAX_KEYS_PER_SIGN_IN = 16;

export class SignInIndex {
  readonly #maxSignIns: number;
  readonly #signInOf = new Map<string, number>();
  readonly #keys = new Map<number, string[]>();
  #next = 0;

  constructor(maxSignIns = 20_000) {
    this.#maxSignIns = maxSignIns;
  }

  /** Records that `keys` were issued to one sign-in; `previous` (a key already known) names it. */
  link(keys: readonly string[], previous?: string): void {
    let id = previous === undefined ? undefined : this.#signInOf.get(previous);
    let list = id === undefined ? undefined : this.#keys.get(id);
    if (id === undefined || list === undefined) {
      id = this.#next++;
      list = [];
      this.#keys.set(id, list);
      this.#trim();
      // A refresh token this index never saw issued still names the sign-in from now on.
      if (previous !== undefined) keys = [previous, ...keys];
    }
    for (const key of keys) {
      if (list.includes(key)) continue;
      list.push(key);
      this.#signInOf.set(key, id);
    }
    while (list.length > MAX_KEYS_PER_SIGN_IN) this.#signInOf.delete(list.shift() as string);
  }

  /** Every key of the sign-in `key` belongs to (at least `key` itself). Forgets that sign-in. */
  take(key: string): string[] {
    const id = this.#signInOf.get(key);
    const list = id === undefined ? undefined : this.#keys.get(id);
    if (id === undefined || list === undefined) return [key];
    this.#keys.delete(id);
    for (const k of list) this.#signInOf.delete(k);
    return list.includes(key) ? list : [...list, key];
  }

  get size(): number {
    return this.#keys.size;
  }

  #trim(): void {
    for (const [id, list] of this.#keys) {
      if (this.#keys.size <= this.#maxSignIns) return;
      this.#keys.delete(id);
      for (const k of list) if (this.#signInOf.get(k) === id) this.#signInOf.delete(k);
    }
  }
}
