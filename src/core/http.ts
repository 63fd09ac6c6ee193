import { Agent, fetch as undiciFetch } from 'undici';

/**
 * A keep-alive connection pool for IdP calls. The global `fetch` opens a fresh connection per
 * request under load; reusing sockets is what makes an uncached introspection affordable. The
 * timeout lives in the pool (connect, headers and body timeouts) rather than in a per-request
 * `AbortSignal.timeout`, which costs a timer and a few objects per request on the hot path.
 */
export function createPooledFetch(options: { connections?: number; timeoutMs?: number } = {}): typeof globalThis.fetch {
  const timeout = options.timeoutMs ?? 5000;
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 60_000,
    connections: options.connections ?? 64,
    pipelining: 1,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connect: { timeout },
  });
  const pooled = (input: Parameters<typeof globalThis.fetch>[0], init?: Parameters<typeof globalThis.fetch>[1]) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
    });
  return pooled as unknown as typeof globalThis.fetch;
}

const shared = new Map<number, typeof globalThis.fetch>();

/** One pool per process and timeout, for every client that did not bring its own `fetch`. */
export function defaultFetch(timeoutMs: number): typeof globalThis.fetch {
  let f = shared.get(timeoutMs);
  if (!f) {
    f = createPooledFetch({ timeoutMs });
    shared.set(timeoutMs, f);
  }
  return f;
}

/** True when an error from `fetch` is a timeout (an abort signal's, or the pool's). */
export function isTimeout(err: unknown): boolean {
  for (let e = err, i = 0; e instanceof Error && i < 4; e = e.cause, i += 1) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^UND_ERR_.*TIMEOUT$/.test(code)) return true;
  }
  return false;
}
