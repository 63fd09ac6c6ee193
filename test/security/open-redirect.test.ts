import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../src/core/return-to.js';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { BASE_URL, buildApp, signIn } from '../helpers/sign-in.js';
import { OFFSITE_RETURN_TO, staysOnOrigin } from './spellings.js';

const base = new URL(BASE_URL);

describe('safeReturnTo: the emitted path never leaves the origin', () => {
  for (const value of OFFSITE_RETURN_TO) {
    it(`${JSON.stringify(value)}`, () => {
      const out = safeReturnTo(value, base);
      expect(out.startsWith('/')).toBe(true);
      expect(out).not.toMatch(/^\/[/\\]/);
      expect(out).not.toMatch(/[\u0000-\u0020\u007f-\uffff\\]/);
      expect(staysOnOrigin(out)).toBe(true);
      // Idempotent: the emitted value is canonical, so checking it again changes nothing.
      expect(safeReturnTo(out, base)).toBe(out);
    });
  }

  it('keeps same-origin paths, queries and fragments, canonicalised', () => {
    expect(safeReturnTo('/orders?page=2#top', base)).toBe('/orders?page=2#top');
    expect(safeReturnTo('/a/./b/../c', base)).toBe('/a/c');
    expect(safeReturnTo('/caf\u00e9', base)).toBe('/caf%C3%A9');
  });
});

describe('returnTo over a real sign-in', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ autoLogin: 'alice' });
  });
  afterAll(() => mock.close());

  for (const value of OFFSITE_RETURN_TO) {
    it(`/callback never redirects off-site for returnTo=${JSON.stringify(value)}`, async () => {
      const agent = request.agent(buildApp(mock));
      const res = await signIn(agent, `/login?returnTo=${encodeURIComponent(value)}`);
      expect(res.status).toBe(302);
      const location = res.headers.location as string;
      expect(location).not.toMatch(/^\/[/\\]/);
      expect(staysOnOrigin(location)).toBe(true);
    });
  }
});

describe('postLogoutRedirect is checked like returnTo, at construction', () => {
  for (const value of ['/.//evil.example', '/%2e%2e//evil.example', '/\\evil.example', '//evil.example', '/\t/evil.example']) {
    it(`refuses ${JSON.stringify(value)}`, () => {
      expect(() => buildApp({ url: 'http://127.0.0.1:1' } as MockEmpowerID, { postLogoutRedirect: value })).toThrow(/postLogoutRedirect/);
    });
  }
});
