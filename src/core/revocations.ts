import { trimSlash } from './config.js';

/**
 * The process-wide revocation channel, one per identity provider. A token that one client of this
 * process revokes or forgets (logout) is forgotten by the token caches of every client of the same
 * IdP in the process: the router's, an API guard's own (`requireToken({ server, clientId, … })`),
 * another client registration's. A token is the IdP's, not a client's: whoever verifies it must
 * stop accepting it.
 *
 * Clients are held weakly, so a client nobody uses any more (and its caches) can still be
 * collected; dead entries are dropped whenever the channel is used.
 */
export interface RevocationMember {
  /**
   * The keys of every token this member saw issued to the same sign-ins as `keys` (at least
   * `keys`), and forgets those sign-ins: revoking one token of a grant revokes them all.
   */
  expand(keys: readonly string[]): Iterable<string>;
  /** Forgets the tokens under these cache keys (SHA-256 of each token) in the member's caches. */
  receive(keys: readonly string[]): Promise<void>;
}

const members = new Map<string, Set<WeakRef<RevocationMember>>>();

/** The IdP a client talks to, as the channel names it: its server URL without a trailing slash. */
export function providerOf(config: { server: URL }): string {
  return trimSlash(config.server.href);
}

/** Adds `member` to the channel of `provider`, for as long as the member lives. */
export function joinRevocations(provider: string, member: RevocationMember): void {
  const set = members.get(provider) ?? new Set<WeakRef<RevocationMember>>();
  members.set(provider, set);
  live(set);
  set.add(new WeakRef(member));
}

/**
 * Tells every member of `provider`'s channel to forget `keys` and the other tokens of their
 * sign-ins (as any member saw them issued), and waits for all of them. Rejects when a cache could
 * not forget (its store or shared tier failed), after every member was told.
 */
export async function announceRevocation(provider: string, keys: readonly string[]): Promise<void> {
  const set = members.get(provider);
  if (!set) return;
  const found = live(set);
  const all = new Set(keys);
  for (const member of found) for (const key of member.expand(keys)) all.add(key);
  const list = [...all];
  const results = await Promise.allSettled(found.map((m) => m.receive(list)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function live(set: Set<WeakRef<RevocationMember>>): RevocationMember[] {
  const found: RevocationMember[] = [];
  for (const ref of set) {
    const member = ref.deref();
    if (member === undefined) set.delete(ref);
    else found.push(member);
  }
  return found;
}
