/**
 * RFC 6750 §2: finding the bearer token in a request.
 *
 * The core sees a plain request shape, never an Express `req`. The Express layer copies `headers`,
 * `query`, `body`, `method` and the `Content-Type` into a {@link BearerRequestShape} and calls
 * {@link extractBearerToken}; every failure is a {@link BearerError} carrying a ready
 * `WWW-Authenticate` value.
 */
import { BearerError } from '../errors.js';

/** The parts of an HTTP request that can carry a bearer token. */
export interface BearerRequestShape {
  /**
   * Request headers. Names are matched case-insensitively (Node lowercases them already). A value
   * may be an array when the adapter keeps repeated headers apart (Node's `req.headersDistinct`).
   */
  headers: Record<string, string | string[] | undefined>;
  /**
   * Node's `req.rawHeaders` (name, value, name, value, …), when the adapter has them. Node keeps only
   * the first of repeated `Authorization` headers in `headers`; with `rawHeaders` a repeated one is
   * detected and refused.
   */
  rawHeaders?: readonly string[];
  /** Parsed query string, read only when {@link BearerExtractionOptions.allowQuery} is set. */
  query?: Record<string, unknown>;
  /** Parsed request body, read only when {@link BearerExtractionOptions.allowBody} is set. */
  body?: unknown;
  /** HTTP method, for example `POST`. Without it a body token is never accepted. */
  method?: string;
  /** The request's `Content-Type`. When absent, the `content-type` header is used. */
  contentType?: string;
}

/** Which RFC 6750 carriers besides the `Authorization` header are accepted. */
export interface BearerExtractionOptions {
  /**
   * Accept `?access_token=` (RFC 6750 §2.3). Off by default: URLs end up in logs, proxies and
   * browser history.
   * @defaultValue false
   */
  allowQuery?: boolean;
  /**
   * Accept an `access_token` field in an `application/x-www-form-urlencoded` body of a request whose
   * method has body semantics (RFC 6750 §2.2; never `GET` or `HEAD`).
   * @defaultValue false
   */
  allowBody?: boolean;
  /** The `realm` put into the `WWW-Authenticate` header of errors. {@link BearerError} defaults it to `api`. */
  realm?: string;
}

/** RFC 6750 §2.1 `b64token`: the only token syntax allowed in the `Authorization` header. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** RFC 6749 Appendix A.12 `access-token = 1*VSCHAR`: the syntax of a form or query token. */
const VSCHARS = /^[\x20-\x7E]+$/;
const FORM_URLENCODED = 'application/x-www-form-urlencoded';

type Carrier = 'header' | 'query' | 'body';

/**
 * Returns the bearer token of a request, following RFC 6750 §2.
 *
 * @see RFC 6750 §2.1 (Authorization header), §2.2 (form body), §2.3 (query)
 *
 * - `Authorization: Bearer <token>` is always read. The scheme is case-insensitive; the token must be
 *   a single RFC 6750 `b64token`. A header with another scheme (for example `Basic`) is not a bearer
 *   token and is ignored, as is an empty header.
 * - `access_token` in the query is read only with `allowQuery`, and in the body only with `allowBody`
 *   on a non-`GET`/`HEAD` request whose content type is `application/x-www-form-urlencoded`. When a
 *   carrier is not allowed, a token in it is ignored as if absent.
 *
 * @throws {@link BearerError} `ERR_BEARER_MISSING` (401, no `error` attribute) when the request
 *   carries no token at all.
 * @throws {@link BearerError} `ERR_BEARER_INVALID_REQUEST` (400, `invalid_request`) when the token is
 *   malformed, the `Authorization` header is repeated, a parameter is repeated, or more than one
 *   carrier is used (RFC 6750 §2: clients MUST NOT use more than one method).
 *
 * Error descriptions never contain the token or the header value.
 *
 * @example
 * ```ts
 * import { extractBearerToken } from 'empowerid-express';
 *
 * const token = extractBearerToken(
 *   { headers: { authorization: 'Bearer mF_9.B5f-4.1JqM' } },
 *   { realm: 'orders-api' },
 * );
 * // token === 'mF_9.B5f-4.1JqM'
 * ```
 */
export function extractBearerToken(req: BearerRequestShape, options: BearerExtractionOptions = {}): string {
  const realm = options.realm;
  const header = findAuthorization(req.headers, req.rawHeaders, realm);
  const query = options.allowQuery === true ? ownAccessToken(req.query) : undefined;
  const body = options.allowBody === true && bodyAllowed(req) ? ownAccessToken(req.body) : undefined;

  let carrier: Carrier | undefined;
  let count = 0;
  if (header !== undefined) {
    carrier = 'header';
    count++;
  }
  if (query !== undefined) {
    carrier = 'query';
    count++;
  }
  if (body !== undefined) {
    carrier = 'body';
    count++;
  }
  if (count > 1) {
    throw invalid('the request uses more than one method to send the bearer token', realm);
  }

  switch (carrier) {
    case 'header':
      return headerToken(header as string, realm);
    case 'query':
      return formToken(query, 'the access_token query parameter', realm);
    case 'body':
      return formToken(body, 'the access_token body parameter', realm);
    default:
      throw new BearerError('ERR_BEARER_MISSING', undefined, realm === undefined ? {} : { realm });
  }
}

/**
 * The value of the single `Authorization` header when its scheme is `Bearer` (everything after the
 * scheme, still unchecked), or `undefined` when there is no header or it uses another scheme.
 */
function findAuthorization(
  headers: BearerRequestShape['headers'],
  rawHeaders: readonly string[] | undefined,
  realm: string | undefined,
): string | undefined {
  if (rawHeaders !== undefined) {
    if (countAuthorization(rawHeaders) > 1) throw invalid('the request has more than one Authorization header', realm);
    // A Node request: header names are lowercased, so one lookup finds it.
    const direct = headers.authorization;
    if (typeof direct === 'string') return bearerCredentials(direct);
  }
  let found: unknown;
  let seen = 0;
  // Case-insensitive name lookup. Comparing lengths first keeps this a cheap scan of a few keys.
  for (const name in headers) {
    if (name.length !== 13 || name.toLowerCase() !== 'authorization') continue;
    const value: unknown = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      if (value.length === 0) continue;
      seen += value.length;
      found = value[0];
    } else {
      seen++;
      found = value;
    }
  }
  if (seen === 0) return undefined;
  if (seen > 1) throw invalid('the request has more than one Authorization header', realm);
  if (typeof found !== 'string') throw invalid('the Authorization header is not a string', realm);

  return bearerCredentials(found);
}

/** What follows the `Bearer` scheme (unchecked), or `undefined` for another scheme or an empty header. */
function bearerCredentials(header: string): string | undefined {
  // The usual spelling, `Bearer <token>`, without allocating a lowercased copy.
  if (header.startsWith('Bearer ') && header.length > 7 && !isOws(header.charCodeAt(7)) && !isOws(header.charCodeAt(header.length - 1))) {
    return header.slice(7);
  }
  const value = trimOws(header);
  if (value === '') return undefined;
  const end = firstWhitespace(value);
  const scheme = end === -1 ? value : value.slice(0, end);
  if (scheme.length !== 6 || scheme.toLowerCase() !== 'bearer') return undefined;
  return end === -1 ? '' : trimOws(value.slice(end));
}

/** `Authorization` lines in Node's raw header list; a length test first keeps this a cheap scan. */
function countAuthorization(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    if (name.length === 13 && (name === 'Authorization' || name === 'authorization' || name.toLowerCase() === 'authorization')) count++;
  }
  return count;
}

function headerToken(credentials: string, realm: string | undefined): string {
  // One pass for the valid token; the finer diagnosis only for a token that fails it.
  if (B64TOKEN.test(credentials)) return credentials;
  if (credentials === '') throw invalid('the Authorization header has the Bearer scheme but no token', realm);
  if (firstWhitespace(credentials) !== -1) {
    throw invalid('the Authorization header must carry exactly one token after Bearer', realm);
  }
  if (!B64TOKEN.test(credentials)) {
    throw invalid('the bearer token in the Authorization header has characters RFC 6750 does not allow', realm);
  }
  return credentials;
}

function formToken(value: unknown, where: string, realm: string | undefined): string {
  if (typeof value !== 'string') {
    // Arrays come from a repeated parameter (`?access_token=a&access_token=b`), objects from
    // extended query parsers (`?access_token[x]=a`).
    throw invalid(`${where} must appear once, as a plain string`, realm);
  }
  if (value === '') throw invalid(`${where} is empty`, realm);
  if (!VSCHARS.test(value)) throw invalid(`${where} has characters RFC 6749 does not allow in a token`, realm);
  return value;
}

/** An own `access_token` property that is not `undefined`; inherited properties never count. */
function ownAccessToken(source: unknown): unknown {
  if (source === null || typeof source !== 'object') return undefined;
  if (!Object.hasOwn(source, 'access_token')) return undefined;
  return (source as { access_token?: unknown }).access_token;
}

/** RFC 6750 §2.2: a form-encoded body, on a method whose request body has defined semantics. */
function bodyAllowed(req: BearerRequestShape): boolean {
  const method = req.method?.toUpperCase();
  if (method === undefined || method === 'GET' || method === 'HEAD') return false;
  let contentType: unknown = req.contentType;
  if (contentType === undefined) {
    for (const name in req.headers) {
      if (name.length === 12 && name.toLowerCase() === 'content-type') {
        contentType = req.headers[name];
        break;
      }
    }
  }
  if (typeof contentType !== 'string') return false;
  const semicolon = contentType.indexOf(';');
  const mediaType = semicolon === -1 ? contentType : contentType.slice(0, semicolon);
  return trimOws(mediaType).toLowerCase() === FORM_URLENCODED;
}

function invalid(description: string, realm: string | undefined): BearerError {
  return new BearerError('ERR_BEARER_INVALID_REQUEST', description, realm === undefined ? {} : { realm });
}

/**
 * Strips HTTP optional whitespace, space and horizontal tab (RFC 9110 §5.6.3). A loop rather than a
 * regular expression, whose `[ \t]+$` branch is quadratic on long runs of inner whitespace.
 */
function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

function firstWhitespace(value: string): number {
  for (let i = 0; i < value.length; i++) {
    if (isOws(value.charCodeAt(i))) return i;
  }
  return -1;
}
