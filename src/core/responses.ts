import { BufferedResponse } from './buffered-response.js';
import { IdPResponseError, IdPUnavailableError, OAuthError } from '../errors.js';
import type { RawResponse } from './http.js';

/**
 * EmpowerID documents `"id_token": null` in refresh and token-exchange answers; the OAuth
 * libraries (rightly, per RFC 6749) reject a null where a string is expected. Drop null fields
 * from token-endpoint answers only, so nothing else is rewritten.
 */
export function tolerantTokenFetch(fetch: typeof globalThis.fetch, tokenEndpoint: string | undefined) {
  return async (url: string, options: RequestInit): Promise<Response> => {
    const response = await fetch(url, options);
    if (url !== tokenEndpoint || !response.ok || !(response.headers.get('content-type') ?? '').includes('json')) {
      return response;
    }
    const text = await response.text();
    let json: unknown;
    const again = (body: string): Response =>
      response instanceof BufferedResponse
        ? (response.withText(body) as unknown as Response)
        : new Response(body, { status: response.status, headers: response.headers });
    try {
      json = JSON.parse(text);
    } catch {
      return again(text);
    }
    if (json && typeof json === 'object' && !Array.isArray(json)) {
      for (const [k, v] of Object.entries(json)) if (v === null) delete (json as Record<string, unknown>)[k];
    }
    return again(JSON.stringify(json));
  };
}

/** Reads a JSON object answer, mapping OAuth errors and garbage to coded errors. */
export async function readJsonObject(response: RawResponse, where: string): Promise<Record<string, unknown>> {
  return parseJsonObject(response, await response.text().catch(() => ''), where);
}

/** {@link readJsonObject} for an answer whose body `text` was already read. */
export function parseJsonObject(response: Omit<RawResponse, 'text'>, text: string, where: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (response.status >= 500) throw new IdPUnavailableError(`empowerid: ${where} answered HTTP ${response.status}`);
  const record = json && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  if (response.status < 200 || response.status > 299) {
    if (record && typeof record.error === 'string') {
      throw new OAuthError(record.error, typeof record.error_description === 'string' ? record.error_description : undefined, {
        status: response.status === 401 ? 401 : 400,
      });
    }
    const challenge = response.headers.get('www-authenticate');
    if (response.status === 401 || response.status === 403) {
      throw new OAuthError(/invalid_token/.test(challenge ?? '') ? 'invalid_token' : 'unauthorized', undefined, { status: 401 });
    }
    throw new IdPResponseError(`empowerid: ${where} answered HTTP ${response.status}`);
  }
  if (!record) throw new IdPResponseError(`empowerid: ${where} did not answer a JSON object`);
  return record;
}
