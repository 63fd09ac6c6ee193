/** The docs' own people and application, shared by the replay and the wire comparison. */
import { readFileSync } from 'node:fs';
import type { MockClient, MockUser } from '../../src/testing/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/assertions/${name}`, import.meta.url), 'utf8');
export const KEY = fixture('client.key.pem');
export const CERT = fixture('client.cert.pem');

/** The ID token example's person and application ids; a secret with "+", "/", "=". */
export const KRIS: MockUser = {
  username: 'khmcclure',
  password: 'p+ss/w=rd:1',
  id: '9b592c74-c014-4536-bfac-f706a4c8d89f',
  name: 'Kris McClure',
  first_name: 'Kris',
  last_name: 'McClure',
  email: 'kris.mcclure@eiddocs.onmicrosoft.com',
  organization: 'Hosting Organization',
  business_role_locations: ['Any Role in Anywhere', 'Standard Employee in Anywhere'],
};
export const APP: MockClient = {
  clientId: '5c168a71-d47b-4321-bdba-648984e99521',
  clientSecret: 'Zk+9/tq=Rw==',
  redirectUris: ['https://testoauthapp.com/callbackUrl'],
  certificate: CERT,
  owner: 'khmcclure',
};
