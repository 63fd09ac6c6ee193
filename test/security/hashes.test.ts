import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { authorize, buildApp, startLogin } from '../helpers/sign-in.js';

// at_hash binds the ID token to the access token it came with; c_hash binds the hybrid front-channel
// ID token to the code. A token carrying the wrong hash must never start a session.

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMockEmpowerID({ autoLogin: 'alice' });
});
afterAll(() => mock.close());

describe('ID-token hashes', () => {
  it('a wrong at_hash in the token endpoint’s ID token is rejected', async () => {
    const agent = request.agent(buildApp(mock));
    const callback = await authorize(await startLogin(agent));
    mock.tamperNextIdToken({ claims: { at_hash: 'AAAAAAAAAAAAAAAAAAAAAA' } });
    const res = await agent.get(callback.pathname + callback.search).set('Accept', 'application/json');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ERR_ID_TOKEN_INVALID');
    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });

  it('a wrong c_hash in the hybrid front-channel ID token is rejected', async () => {
    const agent = request.agent(buildApp(mock, { responseType: 'code id_token', responseMode: 'query' }));
    const authorizeUrl = await startLogin(agent);
    mock.tamperNextIdToken({ claims: { c_hash: 'AAAAAAAAAAAAAAAAAAAAAA' } });
    const callback = await authorize(authorizeUrl);
    const res = await agent.get(callback.pathname + callback.search).set('Accept', 'application/json');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ERR_ID_TOKEN_INVALID');
    await agent.get('/me').set('Accept', 'application/json').expect(401);
  });

  it('a hybrid front-channel ID token with the wrong nonce is rejected', async () => {
    const agent = request.agent(buildApp(mock, { responseType: 'code id_token', responseMode: 'query' }));
    const authorizeUrl = await startLogin(agent);
    mock.tamperNextIdToken({ claims: { nonce: 'someone-elses-nonce' } });
    const callback = await authorize(authorizeUrl);
    const res = await agent.get(callback.pathname + callback.search).set('Accept', 'application/json');
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('ERR_ID_TOKEN_INVALID');
  });
});
