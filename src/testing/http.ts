/**
 * Plain request/response shapes for the mock's handlers, and the helpers that build answers.
 *
 * Handlers take a parsed {@link MockRequest} and return a {@link MockResponse} instead of writing
 * to node:http directly: that keeps them small, and lets server.ts apply latency and outages to
 * every answer in one place.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

export interface MockRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed form body; empty when the body is not `application/x-www-form-urlencoded`. */
  body: URLSearchParams;
  /** Whether the request declared `Content-Type: application/x-www-form-urlencoded`. */
  isForm: boolean;
  cookies: Record<string, string>;
}

export interface MockResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: string;
}

/** An OAuth error a handler throws; the endpoint turns it into a JSON error answer. */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${error}: ${description}`);
  }
}

const MAX_BODY = 1024 * 1024;

/** Reads and parses an incoming request (form body, query, cookies). Rejects bodies over 1 MiB. */
export async function readRequest(req: IncomingMessage, base: string): Promise<MockRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new OAuthError('invalid_request', 'request body too large', 413);
    chunks.push(chunk as Buffer);
  }
  const url = new URL(req.url ?? '/', base);
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  const isForm = contentType === 'application/x-www-form-urlencoded';
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body: new URLSearchParams(isForm ? Buffer.concat(chunks).toString('utf8') : ''),
    isForm,
    cookies: parseCookies(req.headers.cookie),
  };
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    try {
      out[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // A malformed cookie is ignored, as browsers' servers usually do.
    }
  }
  return out;
}

/**
 * Parses `Authorization: Basic` exactly as EmpowerID documents it, `base64Encode(<id>:<secret>)`:
 * the UTF-8 text split at the first ":", nothing percent-decoded. So a client that form-encodes
 * (RFC 6749 §2.3.1) a GUID client id sends `5c168a71%2Dd47b…` and is refused here, as EmpowerID
 * would refuse it. Returns undefined when absent, `'malformed'` when present but unreadable.
 */
export function parseBasic(headers: IncomingHttpHeaders): { user: string; pass: string } | 'malformed' | undefined {
  const value = headers.authorization;
  if (!value || !/^basic\s/i.test(value)) return undefined;
  const encoded = value.slice(6).trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return 'malformed';
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'malformed';
  return { user: decoded.slice(0, colon), pass: decoded.slice(colon + 1) };
}

/** Bearer token from `Authorization: Bearer`, if any (RFC 6750 §2.1). */
export function parseBearer(headers: IncomingHttpHeaders): string | undefined {
  const m = /^bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return m?.[1];
}

/** A JSON answer. Token-related answers must not be cached (RFC 6749 §5.1). */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): MockResponse {
  return {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/** A JSON OAuth error answer `{ error, error_description }`. */
export function oauthError(e: OAuthError): MockResponse {
  return json(e.status, { error: e.error, error_description: e.description }, e.headers);
}

/** An HTML answer. */
export function html(status: number, body: string, headers: Record<string, string | string[]> = {}): MockResponse {
  return { status, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...headers }, body };
}

/** A 302 redirect. */
export function redirect(location: string, headers: Record<string, string | string[]> = {}): MockResponse {
  return { status: 302, headers: { Location: location, 'Cache-Control': 'no-store', ...headers }, body: '' };
}

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
