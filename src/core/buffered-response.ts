/**
 * A fully received IdP answer, shaped like a WHATWG `Response` for openid-client. IdP answers are
 * small JSON documents already buffered by the pool; wrapping them in a real `Response` re-encodes
 * the text into a web stream that openid-client then decodes again, and that (with two `Headers`
 * objects) was the largest single cost of an uncached introspection in profiles. openid-client
 * (oauth4webapi) accepts any object whose prototype reports `Response` as its `Symbol.toStringTag`
 * (its cross-realm check) and validates the answer exactly as for a real one.
 */
type RawHeaders = Record<string, string | string[] | undefined>;

export class BufferedHeaders {
  readonly #raw: RawHeaders;
  constructor(raw: RawHeaders) {
    this.#raw = raw;
  }
  get(name: string): string | null {
    const v = this.#raw[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  }
  has(name: string): boolean {
    return this.#raw[name.toLowerCase()] !== undefined;
  }
  getSetCookie(): string[] {
    const v = this.#raw['set-cookie'];
    return v === undefined ? [] : Array.isArray(v) ? v : [v];
  }
  forEach(callback: (value: string, key: string) => void): void {
    for (const [key, value] of this.entries()) callback(value, key);
  }
  *entries(): IterableIterator<[string, string]> {
    for (const key of Object.keys(this.#raw).sort()) {
      const value = this.get(key);
      if (value !== null) yield [key, value];
    }
  }
  keys(): IterableIterator<string> {
    return Object.keys(this.#raw).sort()[Symbol.iterator]();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
  get [Symbol.toStringTag](): string {
    return 'Headers';
  }
}

export class BufferedResponse {
  readonly status: number;
  readonly statusText = '';
  readonly headers: BufferedHeaders;
  readonly url: string;
  readonly redirected = false;
  readonly type = 'basic';
  #text: string | null;
  #used = false;

  constructor(text: string | null, status: number, headers: RawHeaders | BufferedHeaders, url = '') {
    this.#text = text;
    this.status = status;
    this.headers = headers instanceof BufferedHeaders ? headers : new BufferedHeaders(headers);
    this.url = url;
  }
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
  get bodyUsed(): boolean {
    return this.#used;
  }
  /** Stands in for the stream only so callers can `body?.cancel()`; the answer is already here. */
  get body(): { cancel(): Promise<void> } | null {
    return this.#text === null ? null : { cancel: () => Promise.resolve() };
  }
  #take(): string {
    if (this.#used) throw new TypeError('Body is unusable: Body has already been read');
    this.#used = true;
    return this.#text ?? '';
  }
  text(): Promise<string> {
    try {
      return Promise.resolve(this.#take());
    } catch (err) {
      return Promise.reject(err);
    }
  }
  json(): Promise<unknown> {
    try {
      return Promise.resolve(JSON.parse(this.#take()) as unknown);
    } catch (err) {
      return Promise.reject(err);
    }
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.text().then((t) => new TextEncoder().encode(t).buffer as ArrayBuffer);
  }
  clone(): BufferedResponse {
    if (this.#used) throw new TypeError('Response.clone: Body has already been consumed.');
    return new BufferedResponse(this.#text, this.status, this.headers, this.url);
  }
  /** The same answer with another body (openid-client must see the tolerant token answer). */
  withText(text: string): BufferedResponse {
    return new BufferedResponse(text, this.status, this.headers, this.url);
  }
  get [Symbol.toStringTag](): string {
    return 'Response';
  }
}
