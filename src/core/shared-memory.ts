import type { SharedBackend } from './shared.js';

interface Item {
  value: string | Set<string>;
  expiresAt: number;
}

/** How many writes between sweeps of expired keys, so a long-running process does not grow. */
const SWEEP_EVERY = 1000;

/**
 * {@link SharedBackend} inside this process: one instance, nothing to reach, never unavailable.
 * Expiry is checked on read, and expired keys are swept every thousand writes.
 */
export class MemoryBackend implements SharedBackend {
  readonly name = 'memory';
  readonly connected = true;
  readonly #items = new Map<string, Item>();
  readonly #channels = new Map<string, Set<(message: string) => void>>();
  #writes = 0;

  async get(key: string): Promise<string | undefined> {
    const item = this.#live(key);
    return typeof item?.value === 'string' ? item.value : undefined;
  }

  async getWithTtl(key: string): Promise<{ value: string; ttlMs: number } | undefined> {
    const item = this.#live(key);
    return typeof item?.value === 'string' ? { value: item.value, ttlMs: item.expiresAt - Date.now() } : undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#write(key, value, ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.#live(key) !== undefined) return false;
    this.#write(key, value, ttlMs);
    return true;
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    if (this.#live(key)?.value !== value) return false;
    this.#items.delete(key);
    return true;
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) this.#items.delete(key);
  }

  async addToSet(key: string, member: string, ttlMs: number): Promise<void> {
    const item = this.#live(key);
    const set = item?.value instanceof Set ? item.value : new Set<string>();
    set.add(member);
    this.#write(key, set, ttlMs);
  }

  async members(key: string): Promise<string[]> {
    const item = this.#live(key);
    return item?.value instanceof Set ? [...item.value] : [];
  }

  async publish(channel: string, message: string): Promise<void> {
    const listeners = this.#channels.get(channel);
    if (listeners) for (const listener of listeners) listener(message);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    const listeners = this.#channels.get(channel) ?? new Set();
    listeners.add(listener);
    this.#channels.set(channel, listeners);
  }

  onReconnect(): void {
    // Never disconnected.
  }

  #live(key: string): Item | undefined {
    const item = this.#items.get(key);
    if (item === undefined) return undefined;
    if (Date.now() >= item.expiresAt) {
      this.#items.delete(key);
      return undefined;
    }
    return item;
  }

  #write(key: string, value: string | Set<string>, ttlMs: number): void {
    this.#items.set(key, { value, expiresAt: Date.now() + ttlMs });
    if (++this.#writes % SWEEP_EVERY === 0) {
      const now = Date.now();
      for (const [k, item] of this.#items) if (now >= item.expiresAt) this.#items.delete(k);
    }
  }
}
