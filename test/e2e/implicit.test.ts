import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { parseForm } from '../interop/harness.js';
import { type Agent, buildApp, startLogin } from '../helpers/sign-in.js';

// The implicit flow (`id_token token`, EmpowerID docs 002/003) is an explicit opt-in: its tokens
// arrive by form_post only, and its ID token is validated in full — signature, iss, aud, exp,
// nonce, state and at_hash (which OIDC Core §3.2.2.10 requires when an access token comes with it).

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());

/** /login, then the mock's form_post page; returns the fields it would post to /callback. */
async function implicitAnswer(agent: Agent): Promise<Record<string, string>> {
  const authorizeUrl = await startLogin(agent);
  expect(authorizeUrl.searchParams.get('response_type')).toBe('id_token token');
  expect(authorizeUrl.searchParams.get('response_mode')).toBe('form_post');
  const page = await fetch(authorizeUrl);
  const form = parseForm(await page.text());
  if (!form) throw new Error(`the mock answered no form (HTTP ${page.status})`);
  expect(form.method).toBe('POST');
  return form.fields;
}

const app = () => request.agent(buildApp(mock, { responseType: 'id_token token' }));
const post = (agent: Agent, fields: Record<string, string>) =>
  agent.post('/callback').type('form').set('Accept', 'application/json').send(fields);

describe('implicit flow (id_token token)', () => {
  it('signs in from the form_post answer, with the ID token claims and the access token', async () => {
    const agent = app();
    const fields = await implicitAnswer(agent);
    expect(fields).toHaveProperty('access_token');
    const res = await post(agent, fields);
    expect(res.status).toBe(302);
    const me = await agent.get('/me').set('Accept', 'application/json').expect(200);
    expect(me.body.user).toMatchObject({ sub: 'alice', nonce: expect.any(String), at_hash: expect.any(String) });
    expect(me.body.accessToken).toBe(fields.access_token);
  });

  it.each([
    ['a wrong nonce', { nonce: 'someone-elses-nonce' }],
    ['a wrong at_hash', { at_hash: 'AAAAAAAAAAAAAAAAAAAAAA' }],
    ['no at_hash', { at_hash: undefined }],
    ['another audience', { aud: 'another-client' }],
  ])('refuses an ID token with %s', async (_label, claims) => {
    const agent = app();
    mock.tamperNextIdToken({ claims });
    const res = await post(agent, await implicitAnswer(agent));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ERR_ID_TOKEN_INVALID');
    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });

  it('refuses an ID token signed by a key outside the JWKS', async () => {
    const agent = app();
    mock.tamperNextIdToken({ signWith: 'foreign-key' });
    const res = await post(agent, await implicitAnswer(agent));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ERR_ID_TOKEN_INVALID');
  });

  it('refuses an access token swapped for another one (at_hash binds them)', async () => {
    const agent = app();
    const fields = await implicitAnswer(agent);
    const other = await mock.issueAccessToken({ username: 'alice' });
    const res = await post(agent, { ...fields, access_token: other });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ERR_ID_TOKEN_INVALID');
  });

  it('refuses the answer in the query string (form_post only)', async () => {
    const agent = app();
    const fields = await implicitAnswer(agent);
    const res = await agent.get(`/callback?${new URLSearchParams(fields)}`).set('Accept', 'application/json');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ERR_CALLBACK_INVALID');
    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });
});
