import type { ServerMetadata } from 'openid-client';
import { IdPResponseError, IdPUnavailableError } from '../errors.js';
import { type ResolvedClientConfig, trimSlash } from './config.js';
import { debug } from './debug.js';
import { describeFailure, transportFailure } from './transport-error.js';

const log = debug('endpoints');
const MAX_BACKOFF_MS = 30_000;

/** EmpowerID's documented endpoint layout below the server base URL `S`. */
export function empowerIdLayout(
  server: URL,
): Required<
  Pick<
    ServerMetadata,
    | 'authorization_endpoint'
    | 'token_endpoint'
    | 'introspection_endpoint'
    | 'revocation_endpoint'
    | 'userinfo_endpoint'
    | 'end_session_endpoint'
  >
> {
  const s = trimSlash(server.href);
  return {
    authorization_endpoint: `${s}/oauth/v2/ui/authorize`,
    token_endpoint: `${s}/oauth/v2/token`,
    introspection_endpoint: `${s}/oauth/v2/tokeninfo`,
    revocation_endpoint: `${s}/oauth/v2/tokenrevoke`,
    userinfo_endpoint: `${s}/oauth/v2/userinfo`,
    end_session_endpoint: `${s}/oauth/v2/ui/logout`,
  };
}

/** The audience EmpowerID expects in a JWT-bearer assertion. */
export function jwtBearerAudience(server: URL): string {
  return `${trimSlash(server.href)}/WebIdPForms/OAuth/v2`;
}

/**
 * Precedence: explicit overrides, then the discovery document, then (EmpowerID only) its layout.
 * A standard provider has exactly the endpoints it advertises.
 */
export function mergeMetadata(config: ResolvedClientConfig, discovered: Record<string, unknown> | undefined): ServerMetadata {
  const layout = empowerIdLayout(config.server);
  const standard = config.provider === 'oidc';
  const pick = (override: string | undefined, key: keyof typeof layout | 'jwks_uri'): string | undefined => {
    if (override) return override;
    const d = discovered?.[key];
    if (typeof d === 'string' && d) return d;
    return key === 'jwks_uri' || standard ? undefined : layout[key];
  };
  const o = config.endpoints;
  const issuer = config.issuer ?? (discovered?.issuer as string);
  return {
    ...(discovered ?? {}),
    issuer,
    authorization_endpoint: pick(o.authorization, 'authorization_endpoint'),
    token_endpoint: pick(o.token, 'token_endpoint'),
    introspection_endpoint: pick(o.introspection, 'introspection_endpoint'),
    revocation_endpoint: pick(o.revocation, 'revocation_endpoint'),
    userinfo_endpoint: pick(o.userinfo, 'userinfo_endpoint'),
    end_session_endpoint: pick(o.endSession, 'end_session_endpoint'),
    jwks_uri: pick(o.jwks, 'jwks_uri'),
  } as ServerMetadata;
}

/**
 * Resolves the provider metadata once and caches it. One request is in flight at a time; failures
 * back off exponentially, and a background retry keeps trying so an IdP that was down when the app
 * started is picked up without a restart. Requests during an outage fail fast with a 503.
 */
export class MetadataSource {
  #config: ResolvedClientConfig;
  #fetch: typeof globalThis.fetch;
  #metadata: ServerMetadata | undefined;
  #inflight: Promise<ServerMetadata> | undefined;
  #failures = 0;
  #retryAt = 0;
  #lastError: Error | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Called once with the metadata when discovery first succeeds, however many retries it takes. */
  #onDiscovered: ((metadata: ServerMetadata) => void)[] = [];

  constructor(config: ResolvedClientConfig, fetch: typeof globalThis.fetch) {
    this.#config = config;
    this.#fetch = fetch;
    if (!config.discoveryUrl) this.#metadata = mergeMetadata(config, undefined);
  }

  /** The metadata if already known, without I/O. */
  peek(): ServerMetadata | undefined {
    return this.#metadata;
  }

  /**
   * Calls `listener` once with the metadata: at once (in a microtask) when it is known, otherwise
   * when discovery first succeeds, even if only a background retry gets there.
   */
  whenDiscovered(listener: (metadata: ServerMetadata) => void): void {
    if (this.#metadata) {
      const metadata = this.#metadata;
      queueMicrotask(() => listener(metadata));
    } else this.#onDiscovered.push(listener);
  }

  /** Starts discovery in the background; errors are kept for the next `get()`. */
  warmUp(): void {
    if (this.#metadata || this.#inflight) return;
    this.get().catch(() => {});
  }

  get(): Promise<ServerMetadata> {
    if (this.#metadata) return Promise.resolve(this.#metadata);
    if (this.#inflight) return this.#inflight;
    const now = Date.now();
    if (now < this.#retryAt && this.#lastError) {
      const retryAfter = Math.max(1, Math.ceil((this.#retryAt - now) / 1000));
      return Promise.reject(
        this.#lastError instanceof IdPResponseError
          ? new IdPResponseError(this.#lastError.message, { cause: this.#lastError.cause, retryAfter })
          : new IdPUnavailableError(this.#lastError.message, { cause: this.#lastError.cause, retryAfter }),
      );
    }
    this.#inflight = this.#discover().then(
      (metadata) => {
        this.#metadata = metadata;
        this.#inflight = undefined;
        this.#failures = 0;
        this.#lastError = undefined;
        if (this.#timer) clearTimeout(this.#timer);
        log(
          'discovered issuer=%s provider=%s response_modes=%s auth_methods=%s',
          metadata.issuer,
          this.#config.provider,
          (metadata.response_modes_supported ?? ['(default)']).join(','),
          (metadata.token_endpoint_auth_methods_supported ?? ['(default)']).join(','),
        );
        for (const listener of this.#onDiscovered.splice(0)) listener(metadata);
        return metadata;
      },
      (err: Error) => {
        this.#inflight = undefined;
        this.#lastError = err;
        const delay = Math.min(this.#config.discoveryRetryBaseMs * 2 ** this.#failures, MAX_BACKOFF_MS);
        this.#failures += 1;
        this.#retryAt = Date.now() + delay;
        log('discovery failed (%s); retry in %dms', err.message, delay);
        if (this.#timer) clearTimeout(this.#timer);
        this.#timer = setTimeout(() => this.warmUp(), delay);
        this.#timer.unref();
        throw err;
      },
    );
    return this.#inflight;
  }

  /** Stops the background retry timer. */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
  }

  async #discover(): Promise<ServerMetadata> {
    const primary = this.#config.discoveryUrl as URL;
    const fallback = this.#config.discoveryFallbackUrl;
    const record = await this.#fetchDocument(primary, fallback !== undefined).then(
      (doc) => doc ?? this.#fetchDocument(fallback as URL, false),
    );
    if (record === undefined) throw new IdPResponseError('empowerid: no discovery document');
    if (this.#config.issuer === undefined && (typeof record.issuer !== 'string' || !record.issuer)) {
      throw new IdPResponseError(`empowerid: the discovery document has no "issuer"`);
    }
    // OIDC Discovery §4.3 / RFC 8414 §3.3: the document must be the issuer's own.
    if (
      this.#config.provider === 'oidc' &&
      this.#config.issuer === undefined &&
      trimSlash(String(record.issuer)) !== trimSlash(this.#config.server.href)
    ) {
      throw new IdPResponseError(
        `empowerid: the discovery document's issuer "${String(record.issuer)}" is not the configured server "${this.#config.server.href}"; set server to the issuer`,
      );
    }
    const merged = mergeMetadata(this.#config, record);
    if (!merged.jwks_uri) {
      throw new IdPResponseError(`empowerid: the discovery document has no "jwks_uri"; set endpoints.jwks`);
    }
    for (const [key, name] of [
      ['authorization_endpoint', 'authorization'],
      ['token_endpoint', 'token'],
    ] as const) {
      if (!merged[key]) throw new IdPResponseError(`empowerid: the discovery document has no "${key}"; set endpoints.${name}`);
    }
    return merged;
  }

  /** One discovery document; `undefined` on 404 when `orNotFound` (another well-known URL is next). */
  async #fetchDocument(where: URL, orNotFound: boolean): Promise<Record<string, unknown> | undefined> {
    let response: Response;
    try {
      response = await this.#fetch(where.href, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.#config.timeoutMs),
      });
    } catch (cause) {
      // The address goes to the debug log, not into a message a browser may show.
      const kind = transportFailure(cause) ?? 'connection lost';
      log('discovery at %s failed: %s (%s)', where.href, kind, (cause as Error).message);
      throw new IdPUnavailableError(`empowerid: the identity provider ${describeFailure(kind)} (discovery)`, { cause });
    }
    if (response.status >= 500) {
      await response.body?.cancel();
      log('discovery at %s answered %d', where.href, response.status);
      throw new IdPUnavailableError(`empowerid: the identity provider answered HTTP ${response.status} to discovery`);
    }
    if (response.status === 404 && orNotFound) {
      await response.body?.cancel();
      log('no OpenID discovery document at %s (404); trying RFC 8414', where.href);
      return undefined;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new IdPResponseError(
        `empowerid: no discovery document at the discovery URL (HTTP ${response.status}); set discoveryUrl, or discovery: false with issuer and endpoints.jwks`,
      );
    }
    let doc: unknown;
    try {
      doc = await response.json();
    } catch (cause) {
      throw new IdPResponseError(`empowerid: the discovery document is not JSON`, { cause });
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      throw new IdPResponseError(`empowerid: the discovery document is not a JSON object`);
    }
    return doc as Record<string, unknown>;
  }
}
