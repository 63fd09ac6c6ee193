import { debug } from '../core/debug.js';
import type { SharedBackend } from '../core/shared.js';
import { SharedUnavailableError } from '../errors.js';

const log = debug('redis');

/** Compare-and-delete: the lock is released only by the holder whose token it still holds. */
const DELETE_IF_EQUALS = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/** What this library needs of a node-redis (v5) client; `createClient()` from `redis` fits it. */
export interface RedisClientLike {
  /** node-redis: `true` while connected and ready for commands. */
  readonly isReady: boolean;
  /** node-redis: sends one raw command (`['SET', key, value, 'PX', '1000']`). */
  sendCommand<T = unknown>(args: ReadonlyArray<string>): Promise<T>;
  /** node-redis: a new connection with the same options, used for pub/sub. */
  duplicate(): RedisSubscriberLike;
  /** node-redis: connection events, used to follow reconnections. */
  on(event: 'error' | 'ready' | 'end' | 'reconnecting', listener: (...args: unknown[]) => void): unknown;
}

/** The dedicated pub/sub connection (a duplicate of the client). */
export interface RedisSubscriberLike {
  /** `true` while connected. */
  readonly isReady: boolean;
  /** Opens the connection. */
  connect(): Promise<unknown>;
  /** Delivers every message of `channel` to `listener`. */
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  /** Closes the connection gracefully (node-redis v5). */
  close?(): Promise<void>;
  /** Closes the connection at once. */
  destroy?(): void;
  /** Connection events, used to notice a lost subscription. */
  on(event: 'error' | 'ready' | 'end' | 'reconnecting', listener: (...args: unknown[]) => void): unknown;
}

export interface RedisBackendOptions {
  /** A Redis command slower than this fails with 503 instead of holding the request. Default 1000. */
  operationTimeoutMs?: number;
}

/**
 * {@link SharedBackend} over node-redis: `SET NX PX`, `EVAL` compare-and-delete, `SADD`/`PEXPIRE`,
 * `PUBLISH`/`SUBSCRIBE` on a duplicate connection. Every command fails fast with
 * `SharedUnavailableError` while the client is not ready (node-redis reconnects by itself) and
 * after `operationTimeoutMs`, so a dead or slow Redis becomes 503s, never hung requests.
 */
export class RedisBackend implements SharedBackend {
  readonly name = 'redis';
  readonly #client: RedisClientLike;
  readonly #timeoutMs: number;
  readonly #reconnectListeners = new Set<() => void>();
  #subscriber: RedisSubscriberLike | undefined;
  /** The subscriber lost its connection at some point since it last became ready. */
  #dropped = false;
  #closed = false;

  constructor(client: RedisClientLike, options: RedisBackendOptions = {}) {
    this.#client = client;
    this.#timeoutMs = options.operationTimeoutMs ?? 1000;
    // node-redis emits 'error' on every failed reconnection attempt; without a listener Node would
    // crash the process. The app may listen too; this one only logs.
    client.on('error', (err) => log('client error (%s)', (err as Error)?.message));
  }

  get connected(): boolean {
    // Before anything subscribed there are no broadcasts to miss; after, the subscriber must be up.
    const s = this.#subscriber;
    return this.#client.isReady && (s === undefined || (s.isReady && !this.#dropped));
  }

  get(key: string): Promise<string | undefined> {
    return this.#run(['GET', key]).then((v) => (typeof v === 'string' ? v : undefined));
  }

  async getWithTtl(key: string): Promise<{ value: string; ttlMs: number } | undefined> {
    const [value, ttl] = await Promise.all([this.#run(['GET', key]), this.#run(['PTTL', key])]);
    if (typeof value !== 'string' || typeof ttl !== 'number' || ttl <= 0) return undefined;
    return { value, ttlMs: ttl };
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.#run(['SET', key, value, 'PX', String(Math.max(1, Math.ceil(ttlMs)))]);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.#run(['SET', key, value, 'NX', 'PX', String(Math.max(1, Math.ceil(ttlMs)))])) === 'OK';
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    return (await this.#run(['EVAL', DELETE_IF_EQUALS, '1', key, value])) === 1;
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length) await this.#run(['DEL', ...keys]);
  }

  async addToSet(key: string, member: string, ttlMs: number): Promise<void> {
    await Promise.all([this.#run(['SADD', key, member]), this.#run(['PEXPIRE', key, String(Math.ceil(ttlMs))])]);
  }

  async members(key: string): Promise<string[]> {
    const v = await this.#run(['SMEMBERS', key]);
    return Array.isArray(v) ? v.filter((m): m is string => typeof m === 'string') : [];
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.#run(['PUBLISH', channel, message]);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    const subscriber = this.#ensureSubscriber();
    // Queued by node-redis until connected, and renewed by it after every reconnection.
    await subscriber.subscribe(channel, listener);
  }

  onReconnect(listener: () => void): void {
    this.#reconnectListeners.add(listener);
  }

  /** Closes the pub/sub connection this backend opened (the app's own client is left alone). */
  async close(): Promise<void> {
    this.#closed = true;
    const s = this.#subscriber;
    this.#subscriber = undefined;
    if (!s) return;
    try {
      if (s.close) await s.close();
      else s.destroy?.();
    } catch {
      s.destroy?.();
    }
  }

  #ensureSubscriber(): RedisSubscriberLike {
    if (this.#subscriber) return this.#subscriber;
    const s = this.#client.duplicate();
    this.#subscriber = s;
    s.on('error', (err) => log('subscriber error (%s)', (err as Error)?.message));
    s.on('end', () => {
      this.#dropped = true;
    });
    s.on('reconnecting', () => {
      this.#dropped = true;
    });
    s.on('ready', () => {
      if (!this.#dropped) return;
      this.#dropped = false;
      // Messages sent while disconnected are lost: whoever keeps copies must drop them.
      for (const l of this.#reconnectListeners) l();
    });
    s.connect().catch((err: Error) => {
      if (!this.#closed) log('subscriber not connected (%s)', err.message);
    });
    return s;
  }

  async #run(args: string[]): Promise<unknown> {
    if (!this.#client.isReady) throw new SharedUnavailableError('empowerid: Redis is not connected; retry shortly');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SharedUnavailableError(`empowerid: Redis did not answer within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    try {
      return await Promise.race([this.#client.sendCommand(args), timeout]);
    } catch (err) {
      if (err instanceof SharedUnavailableError) throw err;
      throw new SharedUnavailableError(`empowerid: Redis ${args[0]} failed`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}
