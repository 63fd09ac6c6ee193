import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../src/core/return-to.js';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { BASE_URL, buildApp, signIn } from '../helpers/sign-in.js';

const base = new URL(BASE_URL);

/**
 * A browser reading `Location: <value>` on a page of BASE_URL: does it stay on this origin? Browsers
 * strip tabs and newlines and read backslashes as slashes before resolving, so this does too.
 */
export function staysOnOrigin(location: string): boolean {
  const browserSees = location.replace(/[\t\n\r]/g, '').replace(/\\/g, '/');
  return new URL(browserSees, base).origin === base.origin && !/^[\s\u0000-\u001f]*\/\//.test(browserSees);
}

// Every spelling an attacker can use to turn a path into another host, once normalised.
export const OFFSITE_RETURN_TO: string[] = [
  'https://evil.example',
  '//evil.example',
  '/\\evil.example',
  '\\\\evil.example',
  'javascript:alert(1)',
  '/\r\nLocation: https://evil.example',
  'http://127.0.0.1:3000.evil.example/',
  '/.//evil.example',
  '/./\\evil.example',
  '/a/..//evil.example',
  '/a/../\\evil.example',
  '/%2e//evil.example',
  '/%2E%2E//evil.example',
  '/a/%2e%2e//evil.example',
  '/.%2e//evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\t\\evil.example',
  '/ /evil.example',
  '///evil.example',
  '/.///evil.example',
  '/./../..//evil.example',
  '\t//evil.example',
  ' //evil.example',
  '/\u0000/evil.example',
  'https:evil.example',
  '/%0a/evil.example',
  '/%09/evil.example',
  '/%2F/evil.example',
  '/%2F%2Fevil.example',
  '/%252F%252Fevil.example',
  '/%5Cevil.example',
  '/%5C%5Cevil.example',
  '/\uff0f\uff0fevil.example',
  '\uff0f\uff0fevil.example',
  '/\u2215\u2215evil.example',
  '/\u3002/evil.example',
  '/\ufe68evil.example',
  '/@evil.example',
  '/..;//evil.example',
];

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
