import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { CacheStore } from '../../src/core/cache.js';
import { MemoryStore, TokenCache } from '../../src/core/cache.js';

interface Claims {
  sub: string;
  active: boolean;
}

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

/** A promise resolved or rejected from outside. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const claims = (sub: string): Claims => ({ sub, active: true });

describe('TokenCache.keyFor', () => {
  it('is the SHA-256 digest of the token in base64url', () => {
    // Known answer: SHA-256("abc") = ba7816bf…f20015ad.
    expect(TokenCache.keyFor('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
    expect(TokenCache.keyFor(token)).toBe(createHash('sha256').update(token).digest('base64url'));
  });

  it('is 43 base64url characters, deterministic, distinct per token, and never the token', () => {
    const tokens = ['a', 'b', 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0', 'x'.repeat(5000), 'é'];
    const keys = tokens.map((t) => TokenCache.keyFor(t));
    for (const [i, key] of keys.entries()) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(key).not.toBe(tokens[i]);
      expect(TokenCache.keyFor(tokens[i] as string)).toBe(key);
    }
    expect(new Set(keys).size).toBe(tokens.length);
  });

  it('refuses a non-string token', () => {
    expect(() => TokenCache.keyFor(undefined as unknown as string)).toThrow(TypeError);
  });
});

describe('TokenCache.getOrLoad with the built-in store', () => {
  it('loads on a miss, answers later calls from the cache, and counts both', async () => {
    const cache = new TokenCache<Claims>();
    const load = vi.fn(async () => ({ value: claims('alice'), ttlMs: 60_000 }));

    expect(await cache.getOrLoad('k', load)).toEqual(claims('alice'));
    expect(await cache.getOrLoad('k', load)).toEqual(claims('alice'));
    expect(await cache.getOrLoad('k', load)).toEqual(claims('alice'));

    expect(load).toHaveBeenCalledTimes(1);
    expect(cache.stats()).toEqual({ hits: 2, misses: 1, loads: 1, entries: 1, inflight: 0, evictions: 0, tierHits: 0 });
  });

  it('keeps keys apart', async () => {
    const cache = new TokenCache<Claims>();
    await cache.getOrLoad('a', async () => ({ value: claims('alice'), ttlMs: 1000 }));
    await cache.getOrLoad('b', async () => ({ value: claims('bob'), ttlMs: 1000 }));
    expect(cache.peek('a')).toEqual(claims('alice'));
    expect(cache.peek('b')).toEqual(claims('bob'));
  });

  it('expires an entry when the injected clock reaches its TTL, then loads again', async () => {
    const clock = fakeClock();
    const cache = new TokenCache<Claims>({ clock: clock.now });
    let n = 0;
    const load = vi.fn(async () => ({ value: claims(`v${++n}`), ttlMs: 500 }));

    expect(await cache.getOrLoad('k', load)).toEqual(claims('v1'));
    clock.advance(499);
    expect(await cache.getOrLoad('k', load)).toEqual(claims('v1'));
    expect(cache.peek('k')).toEqual(claims('v1'));
    clock.advance(1); // exactly at expiry: stale
    expect(cache.peek('k')).toBeUndefined();
    expect(await cache.getOrLoad('k', load)).toEqual(claims('v2'));
    expect(load).toHaveBeenCalledTimes(2);
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2, loads: 2, entries: 1 });
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, '5000' as unknown as number])(
    'does not cache a value whose ttlMs is %s',
    async (ttlMs) => {
      const cache = new TokenCache<Claims>();
      const load = vi.fn(async () => ({ value: claims('alice'), ttlMs }));
      expect(await cache.getOrLoad('k', load)).toEqual(claims('alice'));
      expect(await cache.getOrLoad('k', load)).toEqual(claims('alice'));
      expect(load).toHaveBeenCalledTimes(2);
      expect(cache.peek('k')).toBeUndefined();
      expect(cache.stats()).toMatchObject({ hits: 0, misses: 2, entries: 0 });
    },
  );

  it('runs load once for 50 concurrent callers of one key (single-flight)', async () => {
    const cache = new TokenCache<Claims>();
    const gate = deferred<{ value: Claims; ttlMs: number }>();
    const load = vi.fn(() => gate.promise);

    const calls = Array.from({ length: 50 }, () => cache.getOrLoad('k', load));
    expect(load).toHaveBeenCalledTimes(1);
    expect(cache.stats()).toMatchObject({ inflight: 1, misses: 50, loads: 1 });

    gate.resolve({ value: claims('alice'), ttlMs: 60_000 });
    const results = await Promise.all(calls);
    expect(new Set(results).size).toBe(1); // the very same object for everyone
    expect(results[0]).toEqual(claims('alice'));
    expect(load).toHaveBeenCalledTimes(1);
    expect(cache.stats()).toMatchObject({ inflight: 0, entries: 1, loads: 1 });
  });

  it('runs separate loads for different keys at the same time', async () => {
    const cache = new TokenCache<Claims>();
    const load = vi.fn(async () => ({ value: claims('x'), ttlMs: 1000 }));
    await Promise.all([cache.getOrLoad('a', load), cache.getOrLoad('b', load), cache.getOrLoad('a', load)]);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('passes a rejected load to every waiter, does not cache it, and loads again next time', async () => {
    const cache = new TokenCache<Claims>();
    const gate = deferred<{ value: Claims; ttlMs: number }>();
    const failingLoad = vi.fn(() => gate.promise);
    const boom = new Error('IdP down');

    const calls = Array.from({ length: 10 }, () => cache.getOrLoad('k', failingLoad));
    gate.reject(boom);
    const outcomes = await Promise.allSettled(calls);
    for (const outcome of outcomes) {
      expect(outcome).toEqual({ status: 'rejected', reason: boom });
    }
    expect(failingLoad).toHaveBeenCalledTimes(1);
    expect(cache.stats()).toMatchObject({ inflight: 0, entries: 0 });
    expect(cache.peek('k')).toBeUndefined();

    const goodLoad = vi.fn(async () => ({ value: claims('alice'), ttlMs: 1000 }));
    expect(await cache.getOrLoad('k', goodLoad)).toEqual(claims('alice'));
    expect(goodLoad).toHaveBeenCalledTimes(1);
  });

  it('turns a load that throws synchronously into a rejection', async () => {
    const cache = new TokenCache<Claims>();
    const load = (() => {
      throw new Error('sync');
    }) as unknown as () => Promise<{ value: Claims; ttlMs: number }>;
    const result = cache.getOrLoad('k', load);
    await expect(result).rejects.toThrow('sync');
    expect(cache.stats().inflight).toBe(0);
  });

  it('does not store the result of a load that was in flight when the key was deleted', async () => {
    const cache = new TokenCache<Claims>();
    const gate = deferred<{ value: Claims; ttlMs: number }>();
    const pending = cache.getOrLoad('k', () => gate.promise);
    await cache.delete('k'); // e.g. the token was revoked meanwhile
    gate.resolve({ value: claims('alice'), ttlMs: 60_000 });
    expect(await pending).toEqual(claims('alice'));
    expect(cache.peek('k')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 0, inflight: 0 });
  });

  it('starts a new load after delete even while an older load is still running', async () => {
    const cache = new TokenCache<Claims>();
    const first = deferred<{ value: Claims; ttlMs: number }>();
    const a = cache.getOrLoad('k', () => first.promise);
    cache.delete('k');
    const b = cache.getOrLoad('k', async () => ({ value: claims('new'), ttlMs: 1000 }));
    first.resolve({ value: claims('old'), ttlMs: 1000 });
    expect(await a).toEqual(claims('old'));
    expect(await b).toEqual(claims('new'));
    expect(cache.peek('k')).toEqual(claims('new'));
  });

  it('delete removes an entry and clear empties the cache but keeps the counters', async () => {
    const cache = new TokenCache<Claims>();
    await cache.getOrLoad('a', async () => ({ value: claims('a'), ttlMs: 1000 }));
    await cache.getOrLoad('b', async () => ({ value: claims('b'), ttlMs: 1000 }));
    await cache.delete('a');
    expect(cache.peek('a')).toBeUndefined();
    expect(cache.stats().entries).toBe(1);
    cache.clear();
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 0, misses: 2, loads: 2 });
  });
});

describe('TokenCache.peek', () => {
  it('answers synchronously from the built-in store and counts hits only', async () => {
    const cache = new TokenCache<Claims>();
    expect(cache.peek('k')).toBeUndefined();
    await cache.getOrLoad('k', async () => ({ value: claims('alice'), ttlMs: 1000 }));
    expect(cache.peek('k')).toEqual(claims('alice'));
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1 });
  });
});

describe('LRU bound', () => {
  it('evicts the least recently used entry, and a read protects an entry', async () => {
    const cache = new TokenCache<Claims>({ maxEntries: 3 });
    const put = (key: string) => cache.getOrLoad(key, async () => ({ value: claims(key), ttlMs: 60_000 }));
    await put('a');
    await put('b');
    await put('c');
    expect(cache.peek('a')).toEqual(claims('a')); // 'a' is now the most recent; 'b' the oldest
    await put('d');

    expect(cache.peek('b')).toBeUndefined();
    expect(cache.peek('a')).toEqual(claims('a'));
    expect(cache.peek('c')).toEqual(claims('c'));
    expect(cache.peek('d')).toEqual(claims('d'));
    expect(cache.stats()).toMatchObject({ entries: 3, evictions: 1 });
  });

  it('never holds more than maxEntries', async () => {
    const cache = new TokenCache<number>({ maxEntries: 100 });
    for (let i = 0; i < 1000; i++) await cache.getOrLoad(`k${i}`, async () => ({ value: i, ttlMs: 60_000 }));
    expect(cache.stats()).toMatchObject({ entries: 100, evictions: 900 });
    expect(cache.peek('k899')).toBeUndefined();
    expect(cache.peek('k900')).toBe(900);
    expect(cache.peek('k999')).toBe(999);
  });
});

describe('MemoryStore', () => {
  it('expires on read, replaces on set, and evicts in LRU order', () => {
    const clock = fakeClock();
    const store = new MemoryStore<string>({ maxEntries: 2, clock: clock.now });
    store.set('a', 'A', 100);
    store.set('b', 'B', 1000);
    store.set('a', 'A2', 1000); // replacing also makes 'a' the most recent
    store.set('c', 'C', 1000); // evicts 'b'
    expect(store.get('b')).toBeUndefined();
    expect(store.get('a')).toBe('A2');
    expect(store.evictions).toBe(1);

    clock.advance(1000);
    expect(store.get('a')).toBeUndefined();
    expect(store.size).toBe(1); // the expired 'a' was removed on read; 'c' waits for its own read
  });

  it('is an exact LRU: a read entry outlives every entry used before it', () => {
    const max = 50;
    for (let read = 0; read < max; read++) {
      const store = new MemoryStore<number>({ maxEntries: max });
      for (let i = 0; i < max; i++) store.set(`k${i}`, i, 60_000);
      expect(store.get(`k${read}`)).toBe(read);
      for (let i = 0; i < max - 1; i++) store.set(`new${i}`, i, 60_000);
      for (let i = 0; i < max; i++) expect(store.get(`k${i}`)).toBe(i === read ? read : undefined);
    }
  });

  it('matches a reference LRU model over random get/set/delete/expiry', () => {
    const clock = fakeClock(0);
    const max = 8;
    const store = new MemoryStore<number>({ maxEntries: max, clock: clock.now });
    // Reference: array ordered oldest → newest.
    const model: Array<{ key: string; value: number; expiresAt: number }> = [];
    let evictions = 0;
    let seed = 42;
    const random = (n: number) => {
      // mulberry32: deterministic and well mixed
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    for (let step = 0; step < 20_000; step++) {
      const key = `k${random(12)}`;
      const op = random(10);
      const at = model.findIndex((e) => e.key === key);
      if (op < 4) {
        const found = at === -1 ? undefined : model[at];
        let expected: number | undefined;
        if (found !== undefined) {
          model.splice(at, 1);
          if (clock.now() < found.expiresAt) {
            model.push(found);
            expected = found.value;
          }
        }
        expect(store.get(key)).toBe(expected);
      } else if (op < 8) {
        const ttl = random(5) === 0 ? 0 : 1 + random(50);
        if (at !== -1) model.splice(at, 1);
        if (ttl > 0) {
          if (model.length >= max) {
            model.shift();
            evictions++;
          }
          model.push({ key, value: step, expiresAt: clock.now() + ttl });
        }
        store.set(key, step, ttl);
      } else if (op === 8) {
        if (at !== -1) model.splice(at, 1);
        store.delete(key);
      } else {
        clock.advance(random(10));
      }
      expect(store.size).toBe(model.length);
    }
    expect(store.evictions).toBe(evictions);
    expect(evictions).toBeGreaterThan(100);
  });

  it('stays fast when one hot key is read over and over in a large store', () => {
    // Regression: deleting and re-setting a Map key on every hit leaves a growing chain of deleted
    // slots in V8's hash bucket, so each read of that key got slower (about 7 s for this loop).
    const store = new MemoryStore<number>({ maxEntries: 50_000 });
    for (let i = 0; i < 50_000; i++) store.set(`key-${i}`, i, 60_000);
    const started = performance.now();
    for (let i = 0; i < 100_000; i++) store.get('key-25000');
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('an insert into a full store costs about what an insert into an empty one does (no quadratic eviction)', () => {
    // Regression: evicting `map.keys().next()` rescans the deleted slots at the front of V8's table
    // on every eviction (about 30 µs per insert at this size, 50× a plain insert). Compared with
    // the filling of the same store just before, so a loaded machine slows both sides alike.
    const store = new MemoryStore<number>({ maxEntries: 200_000 });
    let started = performance.now();
    for (let i = 0; i < 200_000; i++) store.set(`key-${i}`, i, 60_000);
    const filling = performance.now() - started;
    started = performance.now();
    for (let i = 0; i < 200_000; i++) store.set(`churn-${i}`, i, 60_000);
    const churning = performance.now() - started;
    expect(churning / filling).toBeLessThan(10);
    expect(store.size).toBe(200_000);
    expect(store.evictions).toBe(200_000);
  });

  it('removes the key when set with a ttl that is not a positive finite number', () => {
    const store = new MemoryStore<string>();
    store.set('a', 'A', 1000);
    store.set('a', 'A', 0);
    expect(store.get('a')).toBeUndefined();
    expect(store.size).toBe(0);
  });
});

describe('option validation', () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 16_000_001, '10', null])(
    'rejects maxEntries %s with a TypeError naming the option',
    (maxEntries) => {
      const options = { maxEntries: maxEntries as number };
      expect(() => new TokenCache(options)).toThrow(TypeError);
      expect(() => new TokenCache(options)).toThrow(/option "maxEntries" must be a positive integer/);
      expect(() => new MemoryStore(options)).toThrow(/"maxEntries"/);
    },
  );

  it('accepts maxEntries 1 and 16,000,000', () => {
    expect(() => new TokenCache({ maxEntries: 1 })).not.toThrow();
    expect(() => new TokenCache({ maxEntries: 16_000_000 })).not.toThrow();
  });

  it('rejects a clock that is not a function and a store without the methods', () => {
    expect(() => new TokenCache({ clock: 5 as unknown as () => number })).toThrow(/option "clock"/);
    expect(() => new TokenCache({ store: {} as CacheStore<unknown> })).toThrow(/option "store"/);
    expect(() => new TokenCache({ store: null as unknown as CacheStore<unknown> })).toThrow(TypeError);
  });
});

describe('a custom asynchronous store', () => {
  /** A Map-backed store whose every method is async, like a Redis client; it expires on its own clock. */
  function asyncStore(clock: () => number) {
    const data = new Map<string, { value: Claims; expiresAt: number }>();
    const calls = { get: 0, set: [] as Array<[string, number]>, delete: 0 };
    const store: CacheStore<Claims> & { calls: typeof calls } = {
      calls,
      async get(key) {
        calls.get++;
        const hit = data.get(key);
        return hit && hit.expiresAt > clock() ? hit.value : undefined;
      },
      async set(key, value, ttlMs) {
        calls.set.push([key, ttlMs]);
        data.set(key, { value, expiresAt: clock() + ttlMs });
      },
      async delete(key) {
        calls.delete++;
        data.delete(key);
      },
      get size() {
        return data.size;
      },
    };
    return store;
  }

  it('reads through it, stores with the loaded ttl, and expires by its own rules', async () => {
    const clock = fakeClock();
    const store = asyncStore(clock.now);
    const cache = new TokenCache<Claims>({ store });
    const load = vi.fn(async () => ({ value: claims('alice'), ttlMs: 300 }));

    expect(await cache.getOrLoad('k', load)).toEqual(claims('alice'));
    expect(await cache.getOrLoad('k', load)).toEqual(claims('alice'));
    expect(load).toHaveBeenCalledTimes(1);
    expect(store.calls.set).toEqual([['k', 300]]);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, loads: 1, entries: 1, inflight: 0, evictions: 0, tierHits: 0 });

    clock.advance(300);
    await cache.getOrLoad('k', load);
    expect(load).toHaveBeenCalledTimes(2);

    await cache.delete('k');
    expect(store.calls.delete).toBe(1);
  });

  it('keeps single-flight across the asynchronous get', async () => {
    const store = asyncStore(Date.now);
    const cache = new TokenCache<Claims>({ store });
    const gate = deferred<{ value: Claims; ttlMs: number }>();
    const load = vi.fn(() => gate.promise);
    const calls = Array.from({ length: 50 }, () => cache.getOrLoad('k', load));
    // Let every caller's store.get settle before the load finishes.
    await new Promise((resolve) => setImmediate(resolve));
    gate.resolve({ value: claims('alice'), ttlMs: 1000 });
    await Promise.all(calls);
    expect(load).toHaveBeenCalledTimes(1);
    expect(store.calls.set).toHaveLength(1);
  });

  it('peek never touches it', () => {
    const store = asyncStore(Date.now);
    const cache = new TokenCache<Claims>({ store });
    expect(cache.peek('k')).toBeUndefined();
    expect(store.calls.get).toBe(0);
  });

  it('fails open when the store rejects: get counts as a miss, a failed set still returns the value', async () => {
    const store: CacheStore<Claims> = {
      get: async () => {
        throw new Error('redis get');
      },
      set: async () => {
        throw new Error('redis set');
      },
      delete: () => {},
    };
    const cache = new TokenCache<Claims>({ store });
    const load = vi.fn(async () => ({ value: claims('alice'), ttlMs: 1000 }));
    expect(await cache.getOrLoad('k', load)).toEqual(claims('alice'));
    expect(cache.stats()).toEqual({ hits: 0, misses: 1, loads: 1, entries: 0, inflight: 0, evictions: 0, tierHits: 0 });
  });

  it('works with a synchronous custom store too', async () => {
    const data = new Map<string, Claims>();
    const store: CacheStore<Claims> = {
      get: (key) => data.get(key),
      set: (key, value) => void data.set(key, value),
      delete: (key) => void data.delete(key),
    };
    const cache = new TokenCache<Claims>({ store });
    const load = vi.fn(async () => ({ value: claims('alice'), ttlMs: 1000 }));
    await cache.getOrLoad('k', load);
    expect(await cache.getOrLoad('k', load)).toEqual(claims('alice'));
    expect(load).toHaveBeenCalledTimes(1);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, entries: 0 }); // no size reported
  });
});
