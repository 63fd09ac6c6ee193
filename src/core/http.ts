import { Agent, fetch as undiciFetch } from 'undici';

/**
 * A keep-alive connection pool for IdP calls. The global `fetch` opens a fresh connection per
 * request under load; reusing sockets is what makes an uncached introspection affordable.
 */
export function createPooledFetch(options: { connections?: number } = {}): typeof globalThis.fetch {
  const agent = new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 60_000,
    connections: options.connections ?? 64,
    pipelining: 1,
  });
  const pooled = (input: Parameters<typeof globalThis.fetch>[0], init?: Parameters<typeof globalThis.fetch>[1]) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: agent,
    });
  return pooled as unknown as typeof globalThis.fetch;
}

let shared: typeof globalThis.fetch | undefined;

/** One pool per process for every client that did not bring its own `fetch`. */
export function defaultFetch(): typeof globalThis.fetch {
  shared ??= createPooledFetch();
  return shared;
}
