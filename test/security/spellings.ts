import { BASE_URL } from '../helpers/sign-in.js';

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
