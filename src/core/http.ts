import { Agent } from 'undici';

/**
 * A keep-alive connection pool for IdP calls. The global `fetch` opens a fresh connection per
 * request under load; reusing sockets is what makes an uncached introspection affordable. The
 * timeout lives in the pool (connect, headers and body timeouts) rather than in a per-request
 * `AbortSignal.timeout`, which costs a timer and a few objects per request on the hot path.
 */
/** What the raw pooled request answers: enough for a JSON endpoint, without WHATWG streams. */
export interface RawResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}
export type RawRequest = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<RawResponse>;

/** Present on fetches made by {@link createPooledFetch}: the same pool without the Response. */
export const kRawRequest = Symbol.for('empowerid-express.rawRequest');

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
  // The WHATWG fetch machinery (Request objects, web streams) cost most of the CPU of an uncached
  // introspection in profiles; undici's request() with a buffered body and a plain Response is a
  // fraction of it. IdP answers are small JSON documents, so buffering them costs nothing.
  const pooled = async (input: Parameters<typeof globalThis.fetch>[0], init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const body = init.body === undefined || init.body === null ? undefined : String(init.body);
    const res = await agent.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: (init.method ?? 'GET') as 'GET',
      headers,
      ...(body !== undefined && { body }),
      ...(init.signal && { signal: init.signal }),
    });
    const text = await res.body.text();
    const responseHeaders = new Headers();
    for (const [key, value] of Object.entries(res.headers)) {
      if (Array.isArray(value)) for (const v of value) responseHeaders.append(key, v);
      else if (value !== undefined) responseHeaders.set(key, value);
    }
    const empty = res.statusCode === 204 || res.statusCode === 304 || init.method === 'HEAD';
    return new Response(empty ? null : text, { status: res.statusCode, headers: responseHeaders });
  };
  const raw: RawRequest = async (href, init) => {
    const url = new URL(href);
    const res = await agent.request({
      origin: url.origin,
      path: url.pathname + url.search,
      method: init.method as 'GET',
      headers: init.headers,
      ...(init.body !== undefined && { body: init.body }),
    });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      headers: {
        get: (name) => {
          const v = res.headers[name.toLowerCase()];
          return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
        },
      },
      text: () => Promise.resolve(text),
    };
  };
  return Object.assign(pooled, { [kRawRequest]: raw }) as typeof globalThis.fetch;
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
