import { describe, expect, it } from 'vitest';
import type { BearerExtractionOptions, BearerRequestShape } from '../../src/core/bearer.js';
import { extractBearerToken } from '../../src/core/bearer.js';
import { BearerError } from '../../src/errors.js';

const TOKEN = 'mF_9.B5f-4.1JqM';
const FORM = 'application/x-www-form-urlencoded';

/** Runs the extraction and returns the BearerError it throws, failing if it does not throw one. */
function failure(req: BearerRequestShape, options?: BearerExtractionOptions): BearerError {
  try {
    extractBearerToken(req, options);
  } catch (err) {
    expect(err).toBeInstanceOf(BearerError);
    return err as BearerError;
  }
  throw new Error('expected extractBearerToken to throw');
}

function invalidHeader(description: string, realm = 'api'): string {
  return `Bearer realm="${realm}", error="invalid_request", error_description="${description}"`;
}

describe('extractBearerToken: Authorization header', () => {
  it.each([
    ['Bearer', `Bearer ${TOKEN}`],
    ['lower-case scheme', `bearer ${TOKEN}`],
    ['upper-case scheme', `BEARER ${TOKEN}`],
    ['mixed-case scheme', `bEaReR ${TOKEN}`],
    ['several spaces after the scheme (1*SP)', `Bearer   ${TOKEN}`],
    ['surrounding optional whitespace', ` \tBearer ${TOKEN}\t `],
  ])('accepts %s', (_name, authorization) => {
    expect(extractBearerToken({ headers: { authorization } })).toBe(TOKEN);
  });

  it('accepts every b64token character and trailing padding', () => {
    const token = 'AZaz09-._~+/==';
    expect(extractBearerToken({ headers: { authorization: `Bearer ${token}` } })).toBe(token);
  });

  it('matches the header name case-insensitively', () => {
    expect(extractBearerToken({ headers: { Authorization: `Bearer ${TOKEN}` } })).toBe(TOKEN);
  });

  it('accepts a single header given as a one-element array (headersDistinct)', () => {
    expect(extractBearerToken({ headers: { authorization: [`Bearer ${TOKEN}`] } })).toBe(TOKEN);
  });

  const SECRET = 'SECRETtoken123';
  it.each<[string, BearerRequestShape['headers'], string]>([
    ['the scheme with no token', { authorization: 'Bearer' }, 'the Authorization header has the Bearer scheme but no token'],
    ['the scheme and a space', { authorization: 'Bearer ' }, 'the Authorization header has the Bearer scheme but no token'],
    ['two tokens', { authorization: `Bearer ${SECRET} ${SECRET}` }, 'the Authorization header must carry exactly one token after Bearer'],
    [
      'a token and a tab-separated second part',
      { authorization: `Bearer ${SECRET}\tx` },
      'the Authorization header must carry exactly one token after Bearer',
    ],
    [
      '"=" inside the token',
      { authorization: `Bearer ${SECRET}=x` },
      'the bearer token in the Authorization header has characters RFC 6750 does not allow',
    ],
    [
      'a token that is only padding',
      { authorization: 'Bearer ==' },
      'the bearer token in the Authorization header has characters RFC 6750 does not allow',
    ],
    [
      'a quote',
      { authorization: `Bearer ${SECRET}"` },
      'the bearer token in the Authorization header has characters RFC 6750 does not allow',
    ],
    [
      'a comma',
      { authorization: `Bearer ${SECRET},` },
      'the bearer token in the Authorization header has characters RFC 6750 does not allow',
    ],
    [
      'a non-ASCII character',
      { authorization: `Bearer ${SECRET}é` },
      'the bearer token in the Authorization header has characters RFC 6750 does not allow',
    ],
    ['a CRLF', { authorization: `Bearer ${SECRET}\r\nX-Evil: 1` }, 'the Authorization header must carry exactly one token after Bearer'],
    [
      'two headers in an array',
      { authorization: [`Bearer ${SECRET}`, `Bearer ${SECRET}`] },
      'the request has more than one Authorization header',
    ],
    [
      'a Bearer and a Basic header',
      { authorization: ['Basic dXNlcjpwYXNz', `Bearer ${SECRET}`] },
      'the request has more than one Authorization header',
    ],
    [
      'the header under two spellings',
      { authorization: `Bearer ${SECRET}`, Authorization: `Bearer ${SECRET}` },
      'the request has more than one Authorization header',
    ],
    ['a non-string value', { authorization: 42 as unknown as string }, 'the Authorization header is not a string'],
  ])('rejects %s with invalid_request', (_name, headers, description) => {
    const err = failure({ headers });
    expect(err.code).toBe('ERR_BEARER_INVALID_REQUEST');
    expect(err.status).toBe(400);
    expect(err.error).toBe('invalid_request');
    expect(err.error_description).toBe(description);
    expect(err.wwwAuthenticate).toBe(invalidHeader(description));
    expect(err.message).not.toContain(SECRET);
    expect(err.wwwAuthenticate).not.toContain(SECRET);
  });

  it('rejects a repeated header that Node folded away, seen in rawHeaders', () => {
    const err = failure({
      headers: { authorization: `Bearer ${SECRET}` },
      rawHeaders: ['Host', 'x', 'Authorization', `Bearer ${SECRET}`, 'authorization', 'Bearer other'],
    });
    expect(err.code).toBe('ERR_BEARER_INVALID_REQUEST');
    expect(err.error_description).toBe('the request has more than one Authorization header');
  });

  it('accepts a single header listed in rawHeaders', () => {
    expect(extractBearerToken({ headers: { authorization: `Bearer ${SECRET}` }, rawHeaders: ['Authorization', `Bearer ${SECRET}`] })).toBe(
      SECRET,
    );
  });

  it.each<[string, BearerRequestShape['headers']]>([
    ['no headers', {}],
    ['an undefined header', { authorization: undefined }],
    ['an empty header', { authorization: '' }],
    ['a whitespace-only header', { authorization: '   ' }],
    ['an empty array', { authorization: [] }],
    ['the Basic scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['the DPoP scheme', { authorization: `DPoP ${TOKEN}` }],
    ['a scheme glued to the token', { authorization: `Bearer${TOKEN}` }],
    ['an unrelated header', { 'x-authorization': `Bearer ${TOKEN}` }],
  ])('treats %s as no bearer token (401, no error attribute)', (_name, headers) => {
    const err = failure({ headers });
    expect(err.code).toBe('ERR_BEARER_MISSING');
    expect(err.status).toBe(401);
    expect(err.error).toBeUndefined();
    expect(err.error_description).toBeUndefined();
    expect(err.wwwAuthenticate).toBe('Bearer realm="api"');
  });

  it('puts the realm into the WWW-Authenticate of both error kinds', () => {
    expect(failure({ headers: {} }, { realm: 'orders-api' }).wwwAuthenticate).toBe('Bearer realm="orders-api"');
    expect(failure({ headers: { authorization: 'Bearer' } }, { realm: 'orders-api' }).wwwAuthenticate).toBe(
      invalidHeader('the Authorization header has the Bearer scheme but no token', 'orders-api'),
    );
  });
});

describe('extractBearerToken: query parameter (RFC 6750 §2.3)', () => {
  it('reads access_token when allowQuery is set', () => {
    expect(extractBearerToken({ headers: {}, query: { access_token: TOKEN } }, { allowQuery: true })).toBe(TOKEN);
  });

  it('ignores the query by default, as if the token were absent', () => {
    const err = failure({ headers: {}, query: { access_token: TOKEN } });
    expect(err.code).toBe('ERR_BEARER_MISSING');
    expect(failure({ headers: {}, query: { access_token: TOKEN } }, { allowQuery: false }).code).toBe('ERR_BEARER_MISSING');
  });

  it('uses the header and ignores a query token when allowQuery is off', () => {
    expect(extractBearerToken({ headers: { authorization: 'Bearer from-header' }, query: { access_token: 'from-query' } })).toBe(
      'from-header',
    );
  });

  it('uses the query token when the Authorization header has another scheme', () => {
    expect(
      extractBearerToken({ headers: { authorization: 'Basic dXNlcjpwYXNz' }, query: { access_token: TOKEN } }, { allowQuery: true }),
    ).toBe(TOKEN);
  });

  it('accepts RFC 6749 VSCHAR tokens that b64token would not', () => {
    expect(extractBearerToken({ headers: {}, query: { access_token: 'a b!c' } }, { allowQuery: true })).toBe('a b!c');
  });

  it('treats an undefined or inherited access_token as absent', () => {
    expect(failure({ headers: {}, query: { access_token: undefined } }, { allowQuery: true }).code).toBe('ERR_BEARER_MISSING');
    const inherited = Object.create({ access_token: TOKEN }) as Record<string, unknown>;
    expect(failure({ headers: {}, query: inherited }, { allowQuery: true }).code).toBe('ERR_BEARER_MISSING');
  });

  it.each<[string, unknown, string]>([
    ['a repeated parameter', ['a', 'b'], 'the access_token query parameter must appear once, as a plain string'],
    ['an object', { nested: 'a' }, 'the access_token query parameter must appear once, as a plain string'],
    ['a number', 42, 'the access_token query parameter must appear once, as a plain string'],
    ['an empty string', '', 'the access_token query parameter is empty'],
    ['a control character', 'SECRETtoken123\n', 'the access_token query parameter has characters RFC 6749 does not allow in a token'],
  ])('rejects %s with invalid_request', (_name, value, description) => {
    const err = failure({ headers: {}, query: { access_token: value } }, { allowQuery: true });
    expect(err.code).toBe('ERR_BEARER_INVALID_REQUEST');
    expect(err.status).toBe(400);
    expect(err.error).toBe('invalid_request');
    expect(err.wwwAuthenticate).toBe(invalidHeader(description));
    expect(err.message).not.toContain('SECRETtoken123');
  });
});

describe('extractBearerToken: form body (RFC 6750 §2.2)', () => {
  const post = (body: unknown, extra: Partial<BearerRequestShape> = {}): BearerRequestShape => ({
    headers: {},
    method: 'POST',
    contentType: FORM,
    body,
    ...extra,
  });

  it('reads access_token from a form-encoded POST when allowBody is set', () => {
    expect(extractBearerToken(post({ access_token: TOKEN }), { allowBody: true })).toBe(TOKEN);
  });

  it('accepts media-type case differences, parameters, lower-case methods and PUT/PATCH/DELETE', () => {
    const contentType = 'Application/X-WWW-Form-URLEncoded ; charset=UTF-8';
    for (const method of ['post', 'PUT', 'PATCH', 'DELETE']) {
      expect(extractBearerToken(post({ access_token: TOKEN }, { method, contentType }), { allowBody: true })).toBe(TOKEN);
    }
  });

  it('falls back to the content-type header when contentType is not given', () => {
    const req: BearerRequestShape = {
      headers: { 'content-type': `${FORM}; charset=utf-8` },
      method: 'POST',
      body: { access_token: TOKEN },
    };
    expect(extractBearerToken(req, { allowBody: true })).toBe(TOKEN);
  });

  it.each<[string, BearerRequestShape, BearerExtractionOptions]>([
    ['allowBody is off (default)', post({ access_token: TOKEN }), {}],
    ['allowBody is false', post({ access_token: TOKEN }), { allowBody: false }],
    ['the method is GET', post({ access_token: TOKEN }, { method: 'GET' }), { allowBody: true }],
    ['the method is HEAD', post({ access_token: TOKEN }, { method: 'head' }), { allowBody: true }],
    ['the method is unknown', post({ access_token: TOKEN }, { method: undefined }), { allowBody: true }],
    ['the body is JSON', post({ access_token: TOKEN }, { contentType: 'application/json' }), { allowBody: true }],
    ['there is no content type', post({ access_token: TOKEN }, { contentType: undefined }), { allowBody: true }],
    ['the body is an unparsed string', post(`access_token=${TOKEN}`), { allowBody: true }],
    ['the body is null', post(null), { allowBody: true }],
  ])('ignores a body token when %s', (_name, req, options) => {
    const err = failure(req, options);
    expect(err.code).toBe('ERR_BEARER_MISSING');
    expect(err.wwwAuthenticate).toBe('Bearer realm="api"');
  });

  it('rejects a repeated body parameter with invalid_request', () => {
    const err = failure(post({ access_token: ['a', 'b'] }), { allowBody: true });
    expect(err.code).toBe('ERR_BEARER_INVALID_REQUEST');
    expect(err.wwwAuthenticate).toBe(invalidHeader('the access_token body parameter must appear once, as a plain string'));
  });
});

describe('extractBearerToken: more than one method (RFC 6750 §2)', () => {
  const both = 'the request uses more than one method to send the bearer token';

  it.each<[string, BearerRequestShape, BearerExtractionOptions]>([
    ['header and query', { headers: { authorization: `Bearer ${TOKEN}` }, query: { access_token: TOKEN } }, { allowQuery: true }],
    [
      'header and body',
      { headers: { authorization: `Bearer ${TOKEN}` }, method: 'POST', contentType: FORM, body: { access_token: TOKEN } },
      { allowBody: true },
    ],
    [
      'query and body',
      { headers: {}, query: { access_token: TOKEN }, method: 'POST', contentType: FORM, body: { access_token: TOKEN } },
      { allowQuery: true, allowBody: true },
    ],
    [
      'a malformed header and a query token',
      { headers: { authorization: 'Bearer' }, query: { access_token: TOKEN } },
      { allowQuery: true },
    ],
  ])('rejects %s with invalid_request', (_name, req, options) => {
    const err = failure(req, { ...options, realm: 'r' });
    expect(err.code).toBe('ERR_BEARER_INVALID_REQUEST');
    expect(err.status).toBe(400);
    expect(err.error).toBe('invalid_request');
    expect(err.wwwAuthenticate).toBe(invalidHeader(both, 'r'));
    expect(err.message).not.toContain(TOKEN);
  });

  it('does not count a carrier that is switched off', () => {
    const req: BearerRequestShape = {
      headers: {},
      query: { access_token: 'from-query' },
      method: 'POST',
      contentType: FORM,
      body: { access_token: 'from-body' },
    };
    expect(extractBearerToken(req, { allowBody: true })).toBe('from-body');
    expect(extractBearerToken(req, { allowQuery: true })).toBe('from-query');
  });
});
