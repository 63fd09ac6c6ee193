import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { authorizeUrl, Browser, decodeEntities, location, PATH, REDIRECT_URI } from './helpers.js';

// The mock's `response_mode` (OAuth 2.0 Multiple Response Types §2.1, OAuth 2.0 Form Post Response
// Mode): honoured for answers and errors alike. Without one, the EmpowerID docs' defaults apply:
// the query string for code and hybrid (docs detail 2), the fragment for implicit (detail 14).

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
beforeEach(() => mock.setAutoLogin('alice'));
afterAll(() => mock.close());

const IMPLICIT = { response_type: 'token id_token' } as const;

/** The parameters of a redirect back to the client, from the query or the fragment. */
function answer(res: Response): { in: 'query' | 'fragment'; params: URLSearchParams } {
  const cb = location(res);
  expect(cb.origin + cb.pathname).toBe(REDIRECT_URI);
  if (cb.hash) return { in: 'fragment', params: new URLSearchParams(cb.hash.slice(1)) };
  return { in: 'query', params: cb.searchParams };
}

/** The auto-submitting form of a form_post answer: where it posts and its fields. */
async function formPost(res: Response): Promise<{ action: string; fields: Record<string, string> }> {
  expect(res.status).toBe(200);
  expect(res.headers.get('location')).toBeNull();
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  expect(res.headers.get('content-security-policy')).toContain(`form-action ${new URL(REDIRECT_URI).origin}`);
  const page = await res.text();
  const form = /<form method="post" action="([^"]*)">/.exec(page);
  const fields: Record<string, string> = {};
  for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[decodeEntities(m[1] as string)] = decodeEntities(m[2] as string);
  }
  return { action: decodeEntities(form?.[1] ?? ''), fields };
}

describe('mock: an unknown or forbidden response_mode', () => {
  it('an unknown response_mode is refused with invalid_request, in the query string (code: the docs default) with the state', async () => {
    const res = await new Browser().get(authorizeUrl(mock, { response_mode: 'web_message' }));
    expect(res.status).toBe(302);
    const a = answer(res);
    expect(a.in).toBe('query');
    expect(a.params.get('error')).toBe('invalid_request');
    expect(a.params.get('error_description')).toBe('response_mode "web_message" is not supported');
    expect(a.params.get('state')).toBe('state-123');
    expect(a.params.get('code')).toBeNull();
  });

  it('an unknown response_mode with the implicit flow is refused in the fragment (its docs default), with no token', async () => {
    const res = await new Browser().get(authorizeUrl(mock, { ...IMPLICIT, response_mode: 'form_post.jwt' }));
    expect(res.status).toBe(302);
    const a = answer(res);
    expect(a.in).toBe('fragment');
    expect(a.params.get('error')).toBe('invalid_request');
    expect(a.params.get('error_description')).toBe('response_mode "form_post.jwt" is not supported');
    expect(a.params.get('state')).toBe('state-123');
    expect(a.params.get('access_token')).toBeNull();
  });

  it.each(['token id_token', 'token', 'id_token token'])(
    'response_type "%s" with response_mode=query is refused (tokens never go into the query string)',
    async (response_type) => {
      const res = await new Browser().get(authorizeUrl(mock, { response_type, response_mode: 'query' }));
      expect(res.status).toBe(302);
      const cb = location(res);
      const a = answer(res);
      expect(a.params.get('error')).toBe('invalid_request');
      expect(a.params.get('error_description')).toMatch(/response_mode "query" is not allowed with response_type "token( id_token)?"/);
      expect(a.params.get('state')).toBe('state-123');
      expect(cb.href).not.toMatch(/access_token|id_token=/);
      expect(mock.counts.token ?? 0).toBe(0);
    },
  );
});

describe('mock: response_mode=form_post', () => {
  it('answers the code flow with a self-submitting form to the redirect URI, not a redirect', async () => {
    const { action, fields } = await formPost(await new Browser().get(authorizeUrl(mock, { response_mode: 'form_post' })));
    expect(action).toBe(REDIRECT_URI);
    expect(Object.keys(fields).sort()).toEqual(['code', 'state']);
    expect(fields.state).toBe('state-123');
  });

  it('answers the implicit flow with its tokens in the form, never in the URL', async () => {
    const { fields } = await formPost(await new Browser().get(authorizeUrl(mock, { ...IMPLICIT, response_mode: 'form_post' })));
    expect(fields).toMatchObject({ state: 'state-123', token_type: 'Bearer' });
    expect(fields.access_token).toBeTruthy();
    expect(fields.id_token?.split('.')).toHaveLength(3);
    expect(fields.refresh_token).toBeUndefined();
  });

  it('delivers access_denied (the Deny button) by form_post when form_post was asked for', async () => {
    mock.setAutoLogin(false);
    const params = new URL(authorizeUrl(mock, { response_mode: 'form_post' })).searchParams;
    const res = await new Browser().postForm(mock.url + PATH.login, { ...Object.fromEntries(params), action: 'deny' });
    const { action, fields } = await formPost(res);
    expect(action).toBe(REDIRECT_URI);
    expect(fields).toEqual({ error: 'access_denied', error_description: 'the user denied the request', state: 'state-123' });
  });

  it('delivers login_required (prompt=none without an IdP session) by form_post', async () => {
    mock.setAutoLogin(false);
    const res = await new Browser().get(authorizeUrl(mock, { response_type: 'code id_token', response_mode: 'form_post', prompt: 'none' }));
    const { fields } = await formPost(res);
    expect(fields).toMatchObject({ error: 'login_required', state: 'state-123' });
    expect(fields.code).toBeUndefined();
  });

  it('delivers a request validation error by form_post too (hybrid without nonce)', async () => {
    const res = await new Browser().get(
      authorizeUrl(mock, { response_type: 'code id_token', response_mode: 'form_post', nonce: undefined }),
    );
    const { fields } = await formPost(res);
    expect(fields).toMatchObject({ error: 'invalid_request', state: 'state-123' });
    expect(fields.error_description).toMatch(/nonce is required/);
  });

  it('never posts to an unregistered redirect URI: that error stays a page at the mock', async () => {
    const res = await new Browser().get(authorizeUrl(mock, { response_mode: 'form_post', redirect_uri: 'https://evil.example/cb' }));
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain('<form method="post" action="https://evil.example/cb"');
  });
});

describe('mock: response_mode=fragment and query', () => {
  it('answers the code flow in the fragment when asked', async () => {
    const a = answer(await new Browser().get(authorizeUrl(mock, { response_mode: 'fragment' })));
    expect(a.in).toBe('fragment');
    expect(a.params.get('code')).toBeTruthy();
  });

  it('answers hybrid in the query string with response_mode=query, as without one (EmpowerID)', async () => {
    for (const mode of ['query', undefined]) {
      const a = answer(await new Browser().get(authorizeUrl(mock, { response_type: 'code id_token', response_mode: mode })));
      expect(a.in).toBe('query');
      expect(a.params.get('code')).toBeTruthy();
      expect(a.params.get('id_token')).toBeTruthy();
    }
  });
});
