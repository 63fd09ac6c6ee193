import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { parseForm } from '../interop/harness.js';
import { buildApp, startLogin } from '../helpers/sign-in.js';

// The callback's relay of a form_post answer that came without the session cookie (a cross-site
// POST under SameSite=Lax): one same-site re-post, no cookie set, nothing else relayed.

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());

async function formPostAnswer(agent: ReturnType<typeof request.agent>): Promise<Record<string, string>> {
  const page = await fetch(await startLogin(agent));
  const form = parseForm(await page.text());
  if (!form) throw new Error('no form_post page');
  return form.fields;
}

describe('form_post relay', () => {
  it('answers a cookie-less form_post once with a self-submitting page that sets no cookie; the re-post with the cookie signs in', async () => {
    const app = buildApp(mock, { responseType: 'code id_token' });
    const agent = request.agent(app);
    const fields = await formPostAnswer(agent);
    // As the browser sends it cross-site: without the session cookie.
    const relayed = await request(app).post('/callback').type('form').send(fields);
    expect(relayed.status).toBe(200);
    expect(relayed.headers['set-cookie']).toBeUndefined();
    expect(relayed.headers['cache-control']).toBe('no-store');
    expect(relayed.headers['content-security-policy']).toMatch(/form-action 'self'/);
    const form = parseForm(relayed.text);
    expect(form).toMatchObject({ action: '/callback', method: 'POST' });
    expect(form?.fields).toEqual({ ...fields, empowerid_relay: '1' });
    // The same-site re-post carries the session cookie.
    const done = await agent
      .post('/callback')
      .type('form')
      .set('Accept', 'application/json')
      .send(form?.fields ?? {});
    expect(done.status).toBe(302);
    await agent.get('/me').set('Accept', 'application/json').expect(200);
  });

  it('relays only once: a re-post that still has no session is the usual error', async () => {
    const app = buildApp(mock, { responseType: 'code id_token' });
    const fields = await formPostAnswer(request.agent(app));
    const res = await request(app)
      .post('/callback')
      .type('form')
      .set('Accept', 'application/json')
      .send({ ...fields, empowerid_relay: '1' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ERR_CALLBACK_NO_TRANSACTION');
  });

  it('does not relay a POST without state, nor a GET', async () => {
    const app = buildApp(mock);
    const noState = await request(app).post('/callback').type('form').set('Accept', 'application/json').send({ code: 'x' });
    expect(noState.status).toBe(400);
    const get = await request(app).get('/callback?state=abc&code=x').set('Accept', 'application/json');
    expect(get.status).toBe(400);
    expect(get.body.code).toBe('ERR_CALLBACK_NO_TRANSACTION');
  });

  it('escapes what it relays', async () => {
    const app = buildApp(mock);
    const res = await request(app).post('/callback').type('form').send({ state: '"><script>alert(1)</script>', code: 'x' });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<script>alert(1)</script>');
    expect(parseForm(res.text)?.fields.state).toBe('"><script>alert(1)</script>');
  });
});
