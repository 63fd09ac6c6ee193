/**
 * What several instances of an app share: a small key/value store with TTLs, a lock, a broadcast
 * channel, and the secret that seals tokens. Core owns the interfaces; the default lives in this
 * process ({@link memoryShared}), and `empowerid-express/redis` provides the same over Redis.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ConfigurationError } from '../errors.js';
import { debug } from './debug.js';
import { MemoryBackend } from './shared-memory.js';
import { providerOf } from './revocations.js';
import { Sealer } from './seal.js';

const log = debug('shared');

/**
 * The primitives a shared store must provide, all asynchronous. A store that cannot answer
 * (unreachable, too slow) rejects with `SharedUnavailableError`; it never answers "absent" for
 * "unknown".
 */
export interface SharedBackend {
  /** Short name for messages (`memory`, `redis`). */
  readonly name: string;
  /** `false` while broadcasts may be lost (disconnected): in-process copies must not answer alone. */
  readonly connected: boolean;
  /** The value under `key`, or `undefined` when absent or expired. */
  get(key: string): Promise<string | undefined>;
  /** The value and its remaining time to live in milliseconds. */
  getWithTtl(key: string): Promise<
    | {
        /** The stored value. */
        value: string;
        /** Milliseconds it has left to live. */
        ttlMs: number;
      }
    | undefined
  >;
  /** Stores `value` under `key` for `ttlMs` milliseconds, replacing any previous value. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Stores only when the key is absent (Redis `SET NX PX`); `true` when stored. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes only when the key holds `value` (a token-checked lock release); `true` when deleted. */
  deleteIfEquals(key: string, value: string): Promise<boolean>;
  /** Deletes every key of `keys`; absent keys are not an error. */
  delete(keys: string[]): Promise<void>;
  /** Adds `member` to the set at `key` and (re)sets the set's time to live. */
  addToSet(key: string, member: string, ttlMs: number): Promise<void>;
  /** The members of the set at `key` (empty when absent). */
  members(key: string): Promise<string[]>;
  /** Sends `message` to every subscriber of `channel`, on every instance. */
  publish(channel: string, message: string): Promise<void>;
  /** Delivers every later message of `channel` to `listener`, including this instance's own. */
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  /** Called after a reconnection, when broadcasts may have been missed. */
  onReconnect(listener: () => void): void;
  /** Releases connections the backend opened itself. */
  close?(): Promise<void>;
}

/** Options shared by {@link memoryShared} and `redisShared()`. */
export interface SharedOptions {
  /**
   * Secret(s) that seal the tokens kept in sessions and handed between instances (jose `dir` +
   * `A256GCM`). A list rotates: the first encrypts, all decrypt. Each at least 32 characters.
   * Without one, a random key per process is used: sessions do not survive a restart, and a
   * warning is printed when the app runs in production.
   */
  secret?: string | readonly string[];
  /** Prefix of every key and channel. Default `empowerid:`. */
  prefix?: string;
  /**
   * Longest time a refresh lock is held, in milliseconds: a crashed holder delays the others by
   * at most this long. Default 10 000.
   */
  lockTtlMs?: number;
  /** How long a refresh result stays available to requests still holding the old refresh token, in milliseconds. Default 30 000. */
  refreshGraceMs?: number;
}

/**
 * The in-process copy of a shared cache is told to drop a key, or everything (`undefined`).
 * @inline
 */
export type EvictListener = (key: string | undefined) => void;

/** The back tier of the token cache: values as JSON under a namespace, evictions broadcast. */
export interface CacheBackTier<V> {
  /** The value under `key` and its remaining time to live, or `undefined`. */
  get(key: string): Promise<
    | {
        /** The stored value. */
        value: V;
        /** Milliseconds it has left to live. */
        ttlMs: number;
      }
    | undefined
  >;
  /** Stores `value` under `key` for `ttlMs` milliseconds. */
  set(key: string, value: V, ttlMs: number): Promise<void>;
  /** Deletes the key here and tells every instance to drop its in-process copy. */
  delete(key: string): Promise<void>;
  /** `false` while evictions from other instances may be missed: the front tier must not answer alone. */
  readonly trustworthy: boolean;
  /** Calls `listener` whenever some instance evicts a key (or, `undefined`, everything). */
  onEvict(listener: EvictListener): void;
}

/**
 * A held lock; `release` frees it only if it is still this holder's.
 * @inline
 */
export interface HeldLock {
  /** Frees the lock, unless it expired and someone else took it meanwhile. */
  release(): Promise<void>;
}

/**
 * The coordination handle passed to `empowerid({ shared })` and `requireToken({ shared })`.
 * Build it with {@link memoryShared} (one instance) or `redisShared()` from
 * `empowerid-express/redis` (several instances).
 *
 * @throws {@link ConfigurationError} from the constructor for an invalid option (`secret`, `prefix`,
 *   `lockTtlMs`, `refreshGraceMs`). Operations reject with {@link SharedUnavailableError} when the
 *   store cannot answer.
 *
 * @example
 * ```ts
 * import { empowerid, memoryShared } from 'empowerid-express';
 *
 * const shared = memoryShared({ secret: process.env.TOKEN_SECRET });
 * app.use(empowerid({ ...idp, shared }));
 * app.use('/api', requireToken({ shared }));
 * ```
 */
export class Shared {
  /** The store this handle coordinates through. */
  readonly backend: SharedBackend;
  /** Seals (encrypts) tokens kept in sessions and handed between instances, under `secret`. */
  readonly sealer: Sealer;
  /** Prefix of every key and channel. */
  readonly prefix: string;
  /** Longest time a refresh lock is held, in milliseconds. */
  readonly lockTtlMs: number;
  /** How long a refresh result stays available to requests with the old refresh token, in milliseconds. */
  readonly refreshGraceMs: number;
  /** `true` for {@link memoryShared}: nothing leaves this process, so caches need no tier. */
  readonly local: boolean;
  readonly #evictListeners = new Map<string, Set<EvictListener>>();
  readonly #attached = new WeakSet<object>();
  #subscribed: Promise<void> | undefined;

  constructor(backend: SharedBackend, options: SharedOptions = {}) {
    this.backend = backend;
    this.local = backend instanceof MemoryBackend;
    this.sealer = new Sealer(options.secret);
    this.prefix = options.prefix ?? 'empowerid:';
    if (typeof this.prefix !== 'string') throw new ConfigurationError('prefix', 'must be a string');
    this.lockTtlMs = positive(options.lockTtlMs, 'lockTtlMs', 10_000);
    this.refreshGraceMs = positive(options.refreshGraceMs, 'refreshGraceMs', 30_000);
    backend.onReconnect(() => {
      log('%s reconnected; in-process cache copies dropped', backend.name);
      for (const listeners of this.#evictListeners.values()) for (const l of listeners) l(undefined);
    });
  }

  /** Closes what the backend opened itself (Redis: the pub/sub connection); the app's client stays open. */
  async close(): Promise<void> {
    await this.backend.close?.();
  }

  /** A key under this handle's prefix. */
  key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  /**
   * Takes the lock `name` for `ttlMs` (Redis `SET NX PX` with a random token), or answers
   * `undefined` when someone else holds it.
   */
  async tryLock(name: string, ttlMs = this.lockTtlMs): Promise<HeldLock | undefined> {
    const key = this.key('lock', name);
    const token = randomBytes(16).toString('base64url');
    if (!(await this.backend.setIfAbsent(key, token, ttlMs))) return undefined;
    return {
      release: async () => {
        await this.backend.deleteIfEquals(key, token);
      },
    };
  }

  /** Whether the lock `name` is held by anyone now. */
  async isLocked(name: string): Promise<boolean> {
    return (await this.backend.get(this.key('lock', name))) !== undefined;
  }

  /**
   * The back tier of a token cache: `group` names the client whose answers it holds (the same on
   * every instance: derived from the client's server and id), `variant` its cache settings, and
   * `scope` who hears its evictions (default `group`; the token caches use the IdP's server URL,
   * so that a token revoked through one client registration is forgotten
   * by the caches of every client of that IdP). An eviction is broadcast to the whole scope:
   * every instance drops its in-process copy and deletes the Redis entry of each group and
   * variant it uses.
   */
  cacheTier<V>(group: string, variant = 'default', scope = group): CacheBackTier<V> {
    const listeners = this.#evictListeners.get(scope) ?? new Set<EvictListener>();
    this.#evictListeners.set(scope, listeners);
    this.#subscribeEvictions();
    const backend = this.backend;
    const keyOf = (key: string) => this.key('cache', group, variant, key);
    const evictListeners = new Set<EvictListener>();
    listeners.add((key) => {
      // Best effort: the instance that evicted deleted its own variant already.
      if (key !== undefined) backend.delete([keyOf(key)]).catch(() => {});
      for (const l of evictListeners) l(key);
    });
    return {
      get: async (key) => {
        const found = await backend.getWithTtl(keyOf(key));
        if (found === undefined) return undefined;
        try {
          // Frozen like the in-process answers: one handler cannot change another's view.
          return { value: deepFreeze(JSON.parse(found.value)) as V, ttlMs: found.ttlMs };
        } catch {
          return undefined; // Not ours or truncated: a miss, and the IdP is asked again.
        }
      },
      set: (key, value, ttlMs) => backend.set(keyOf(key), JSON.stringify(value), ttlMs),
      delete: async (key) => {
        await backend.delete([keyOf(key)]);
        await this.evict(scope, [key]);
      },
      get trustworthy() {
        return backend.connected;
      },
      onEvict: (listener) => {
        evictListeners.add(listener);
      },
    };
  }

  /** Tells every instance to forget `keys` (token hashes) in every cache of `scope`. */
  async evict(scope: string, keys: readonly string[]): Promise<void> {
    await Promise.all(keys.map((key) => this.backend.publish(this.key('evict'), `${scope}\n${key}`)));
  }

  /**
   * Broadcasts every token `client` revokes or forgets (logout) to the token caches of that IdP on
   * all instances, whichever client they belong to, even when this instance never built a guard.
   */
  attach(client: {
    config: { server: URL; clientId: string };
    onRevoke(listener: (keys: readonly string[]) => Promise<void>): unknown;
  }): void {
    if (this.local || this.#attached.has(client)) return;
    this.#attached.add(client);
    const scope = providerGroup(client.config);
    client.onRevoke((keys) => this.evict(scope, keys));
  }

  #subscribeEvictions(): void {
    if (this.#subscribed) return;
    this.#subscribed = this.backend
      .subscribe(this.key('evict'), (message) => {
        const cut = message.indexOf('\n');
        if (cut < 0) return;
        const listeners = this.#evictListeners.get(message.slice(0, cut));
        if (listeners) for (const l of listeners) l(message.slice(cut + 1));
      })
      .catch((err: Error) => {
        // Reported through `trustworthy`; the next tier asks again.
        log('eviction channel not subscribed (%s)', err.message);
        this.#subscribed = undefined;
      });
  }
}

/**
 * The single-instance default: everything in this process. Pass one explicitly to set `secret`,
 * or use `empowerid({ secret })`.
 *
 * @throws {@link ConfigurationError} for an invalid option (`secret` shorter than 32 characters,
 *   `prefix`, `lockTtlMs`, `refreshGraceMs`).
 *
 * @example
 * ```ts
 * app.use(empowerid({ ...idp, shared: memoryShared({ secret: process.env.TOKEN_SECRET }) }));
 * ```
 */
export function memoryShared(options: SharedOptions = {}): Shared {
  return new Shared(new MemoryBackend(), options);
}

/** The name of a client's caches, the same on every instance: its server and client id, hashed. */
export function clientGroup(config: { server: URL; clientId: string }): string {
  return createHash('sha256').update(`${config.server.href}\n${config.clientId}`).digest('base64url').slice(0, 16);
}

/**
 * The name of an IdP's eviction scope, the same on every instance: its server URL (without a
 * trailing slash), hashed. Every token cache of that IdP hears its evictions.
 */
export function providerGroup(config: { server: URL }): string {
  return createHash('sha256')
    .update(`provider\n${providerOf(config)}`)
    .digest('base64url')
    .slice(0, 16);
}

function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigurationError(name, 'must be a positive number of milliseconds');
  }
  return value;
}

function deepFreeze(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
