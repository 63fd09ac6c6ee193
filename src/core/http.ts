import { Agent } from 'undici';
import { BufferedResponse } from './buffered-response.js';

/** What the raw pooled request answers: enough for a JSON endpoint, without WHATWG streams. */
export interface RawResponse {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}
export type RawRequest = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<RawResponse>;

/** Present on fetches made by {@link createPooledFetch}: the same pool without the Response. */
export const kRawRequest = Symbol.for('empowerid-express.rawRequest');

/**
 * A `fetch` over a keep-alive connection pool (undici `Agent`) for IdP calls. The global `fetch`
 * opens a fresh connection per request under load; reusing sockets is what makes an uncached
 * introspection affordable. Every client that brings no `fetch` option already shares one such
 * pool per timeout; create your own to size it (`connections`, default 64) or to change the
 * deadline of a whole exchange (`timeoutMs`, default 5000, covering connect, headers and body,
 * even when the IdP trickles its answer).
 *
 * The returned function rejects like `fetch` does: with a `TimeoutError` past the deadline, the
 * `signal`'s reason when aborted, or undici's network error; the library turns these into
 * {@link IdPUnavailableError}.
 *
 * @example
 * import { createClient, createPooledFetch } from 'empowerid-express';
 *
 * const fetch = createPooledFetch({ connections: 16, timeoutMs: 2000 });
 * const client = createClient({ server: 'https://sso.example.com', clientId: 'app', clientSecret, fetch });
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
  // The WHATWG fetch machinery (Request objects, web streams) cost most of the CPU of an uncached
  // introspection in profiles; undici's dispatch() into a buffer and a plain Response is a
  // fraction of it. IdP answers are small JSON documents, so buffering them costs nothing.
  const send = async (
    href: string,
    method: string,
    headers: Record<string, string>,
    body: string | undefined,
    signal?: AbortSignal | null,
  ) => {
    const target = targetOf(href);
    // The pool's headers and body timeouts are idle timers: an IdP that trickles its answer a few
    // bytes at a time never trips them. This is the deadline of the whole exchange.
    const deadline = new Deadline();
    const timer = setTimeout(() => deadline.fire(deadlineExceeded(timeout)), timeout);
    const follow = signal ? () => deadline.fire(signal.reason) : undefined;
    if (signal && follow) {
      if (signal.aborted) follow();
      else signal.addEventListener('abort', follow, { once: true });
    }
    try {
      return await new Promise<Answer>((resolve, reject) => {
        const handler = new Collect(resolve, reject, deadline);
        agent.dispatch({ origin: target.origin, path: target.path, method: method as 'GET', headers, body }, handler);
      });
    } finally {
      clearTimeout(timer);
      if (signal && follow) signal.removeEventListener('abort', follow);
    }
  };
  const pooled = async (input: Parameters<typeof globalThis.fetch>[0], init: RequestInit = {}): Promise<Response> => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    const given = init.headers;
    if (given instanceof Headers) given.forEach((value, key) => (headers[key] = value));
    else if (Array.isArray(given)) for (const [key, value] of given) headers[key.toLowerCase()] = value;
    // openid-client hands a plain object; a Headers built from it only to be read back cost more than the lookup.
    else if (given !== undefined) for (const key in given) headers[key.toLowerCase()] = (given as Record<string, string>)[key] as string;
    const body = init.body === undefined || init.body === null ? undefined : String(init.body);
    const res = await send(href, init.method ?? 'GET', headers, body, init.signal);
    const empty = res.status === 204 || res.status === 304 || init.method === 'HEAD';
    return new BufferedResponse(empty ? null : res.text, res.status, res.headers, href) as unknown as Response;
  };
  const raw: RawRequest = async (href, init) => {
    const res = await send(href, init.method, init.headers, init.body);
    return new BufferedResponse(res.text, res.status, res.headers, href);
  };
  return Object.assign(pooled, { [kRawRequest]: raw }) as typeof globalThis.fetch;
}

interface Answer {
  status: number;
  /** undici's raw header list (name, value, …), read lazily by {@link BufferedHeaders}. */
  headers: readonly Buffer[];
  text: string;
}

/** Where a request goes, as undici's dispatch takes it. */
interface Target {
  origin: string;
  path: string;
}
// A client calls the same few endpoint URLs over and over: parsed once each, not on every call
// (a URL parse was one to two per cent of an uncached verification's CPU). Bounded all the same.
const targets = new Map<string, Target>();
function targetOf(href: string): Target {
  let target = targets.get(href);
  if (target === undefined) {
    const url = new URL(href);
    target = { origin: url.origin, path: url.pathname + url.search };
    if (targets.size >= 256) targets.clear();
    targets.set(href, target);
  }
  return target;
}

/**
 * An undici dispatch handler that buffers the whole answer. `agent.request()` wraps each answer
 * in a Readable stream and an AsyncResource, which an IdP's few hundred bytes of JSON do not need
 * (a tenth of an uncached introspection's CPU in profiles). The deadline aborts through the
 * `abort` undici hands over at connect, or before it, at once.
 */
class Collect {
  #resolve: (answer: Answer) => void;
  #reject: (err: unknown) => void;
  #deadline: Deadline;
  #status = 0;
  #headers: readonly Buffer[] = [];
  #chunks: Buffer[] = [];

  constructor(resolve: (answer: Answer) => void, reject: (err: unknown) => void, deadline: Deadline) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#deadline = deadline;
  }
  onConnect(abort: (err?: Error) => void): void {
    if (this.#deadline.aborted) abort(this.#deadline.reason as Error);
    else this.#deadline.on('abort', () => abort(this.#deadline.reason as Error));
  }
  onHeaders(status: number, raw: Buffer[]): boolean {
    if (status < 200) return true; // 1xx: the answer is still to come
    this.#status = status;
    this.#headers = raw;
    return true;
  }
  onData(chunk: Buffer): boolean {
    this.#chunks.push(chunk);
    return true;
  }
  onComplete(): void {
    this.#deadline.removeListener();
    const text = this.#chunks.length === 1 ? (this.#chunks[0] as Buffer).toString('utf8') : Buffer.concat(this.#chunks).toString('utf8');
    this.#resolve({ status: this.#status, headers: this.#headers, text });
  }
  onError(err: unknown): void {
    this.#deadline.removeListener();
    this.#reject(err);
  }
}

/**
 * The abort handle undici takes for a request, in its EventEmitter form (`on`/`once`/`removeListener`):
 * one small object per IdP call, where an AbortController costs an EventTarget and a transferable
 * AbortSignal (a few percent of an uncached introspection in profiles).
 */
class Deadline {
  aborted = false;
  reason: unknown = undefined;
  #listener: (() => void) | undefined = undefined;
  on(_event: 'abort', listener: () => void): void {
    this.#listener = listener;
  }
  once(event: 'abort', listener: () => void): void {
    this.on(event, listener);
  }
  removeListener(): void {
    this.#listener = undefined;
  }
  fire(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.();
  }
}

function deadlineExceeded(ms: number): Error {
  const err = new Error(`no complete answer within ${ms} ms`);
  err.name = 'TimeoutError';
  return err;
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
