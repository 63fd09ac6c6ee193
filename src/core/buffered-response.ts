/**
 * A fully received IdP answer, shaped like a WHATWG `Response` for openid-client. IdP answers are
 * small JSON documents already buffered by the pool; wrapping them in a real `Response` re-encodes
 * the text into a web stream that openid-client then decodes again, and that (with two `Headers`
 * objects) was the largest single cost of an uncached introspection in profiles. openid-client
 * (oauth4webapi) accepts any object whose prototype reports `Response` as its `Symbol.toStringTag`
 * (its cross-realm check) and validates the answer exactly as for a real one.
 */
type RawHeaders = Record<string, string | string[] | undefined>;

/**
 * The headers of a buffered answer. From the pool they arrive as undici's raw list (name, value,
 * name, value … as `Buffer`s) and stay that way: a lookup scans the few names byte by byte, so
 * an answer whose headers are read two or three times never turns every name and value into a
 * string (two to three per cent of an uncached verification's CPU in profiles).
 */
export class BufferedHeaders {
  #list: readonly Buffer[] | undefined;
  #record: RawHeaders | undefined;
  constructor(raw: RawHeaders | readonly Buffer[]) {
    if (Array.isArray(raw)) this.#list = raw as readonly Buffer[];
    else this.#record = raw as RawHeaders;
  }
  get(name: string): string | null {
    const v = this.#values(name);
    return v === undefined ? null : typeof v === 'string' ? v : v.join(', ');
  }
  has(name: string): boolean {
    return this.#values(name) !== undefined;
  }
  getSetCookie(): string[] {
    const v = this.#values('set-cookie');
    return v === undefined ? [] : typeof v === 'string' ? [v] : v;
  }
  forEach(callback: (value: string, key: string) => void): void {
    for (const [key, value] of this.entries()) callback(value, key);
  }
  *entries(): IterableIterator<[string, string]> {
    for (const key of Object.keys(this.#all()).sort()) {
      const value = this.get(key);
      if (value !== null) yield [key, value];
    }
  }
  keys(): IterableIterator<string> {
    return Object.keys(this.#all()).sort()[Symbol.iterator]();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
  get [Symbol.toStringTag](): string {
    return 'Headers';
  }

  /** Every value of `name` (case-insensitive): one string, several, or `undefined`. */
  #values(name: string): string | string[] | undefined {
    const lower = name.toLowerCase();
    const list = this.#list;
    if (list === undefined) return (this.#record as RawHeaders)[lower];
    let found: string | string[] | undefined;
    for (let i = 0; i + 1 < list.length; i += 2) {
      if (!sameName(list[i] as Buffer, lower)) continue;
      const value = (list[i + 1] as Buffer).toString('latin1');
      found = found === undefined ? value : typeof found === 'string' ? [found, value] : [...found, value];
    }
    return found;
  }

  /** The whole set as a record keyed by lower-case name: only for iteration, which nothing on a hot path does. */
  #all(): RawHeaders {
    if (this.#record === undefined) {
      const record: RawHeaders = {};
      const list = this.#list as readonly Buffer[];
      for (let i = 0; i + 1 < list.length; i += 2) {
        const key = (list[i] as Buffer).toString('latin1').toLowerCase();
        if (record[key] === undefined) record[key] = this.#values(key);
      }
      this.#record = record;
      this.#list = undefined;
    }
    return this.#record;
  }
}

/** Whether a raw header name equals `lower` (already lower-case ASCII), ignoring ASCII case. */
function sameName(raw: Buffer, lower: string): boolean {
  if (raw.length !== lower.length) return false;
  for (let j = 0; j < raw.length; j++) {
    const b = raw[j] as number;
    if ((b >= 65 && b <= 90 ? b + 32 : b) !== lower.charCodeAt(j)) return false;
  }
  return true;
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

  constructor(text: string | null, status: number, headers: RawHeaders | readonly Buffer[] | BufferedHeaders, url = '') {
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
