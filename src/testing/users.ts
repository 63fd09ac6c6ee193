/**
 * Default people and the default OAuth application of the mock IdP.
 *
 * The values look like a real EmpowerID tenant (GUID person ids, "role in location" strings from
 * the vendor's userinfo example) so that code written against the mock meets realistic shapes.
 */
import type { MockClient, MockUser } from './types.js';

/**
 * People known to the mock by default: `alice` / `alice-password`, `bob` / `bob-password`,
 * `carol` / `carol-password`.
 *
 * @example
 * const alice = DEFAULT_USERS.find((u) => u.username === 'alice');
 */
export const DEFAULT_USERS: MockUser[] = [
  {
    username: 'alice',
    password: 'alice-password',
    id: 'd399765d-fcd7-45c9-913f-2b0c9e65f8b7',
    name: 'Alice Anderson',
    first_name: 'Alice',
    last_name: 'Anderson',
    email: 'alice.anderson@example.com',
    organization: 'Hosting Organization',
    business_role_locations: [
      'Any Role in Anywhere',
      'Standard Employee in Anywhere',
      'All Employee Roles in Default Organization',
      'IT Administrator in Headquarters',
    ],
  },
  {
    username: 'bob',
    password: 'bob-password',
    id: '9b592c74-c014-4536-bfac-f706a4c8d89f',
    name: 'Bob Brown',
    first_name: 'Bob',
    last_name: 'Brown',
    email: 'bob.brown@example.com',
    organization: 'Hosting Organization',
    business_role_locations: ['Any Role in Anywhere', 'Standard Employee in Default Organization'],
  },
  {
    username: 'carol',
    password: 'carol-password',
    id: 'a4e5c7f2-3b1d-4c8e-9f60-2d7b1e8c4a93',
    name: 'Carol Chen',
    first_name: 'Carol',
    last_name: 'Chen',
    email: 'carol.chen@example.com',
    organization: 'Contoso Partners',
    business_role_locations: ['Any Role in Anywhere', 'Contractor in Branch Office'],
  },
];

/**
 * The OAuth application the mock registers by default; it matches the example app on port 3000.
 *
 * @example
 * const mock = await startMockEmpowerID({ clients: [{ ...DEFAULT_CLIENT, certificate: pem }] });
 */
export const DEFAULT_CLIENT: MockClient = {
  clientId: 'empowerid-express-example',
  clientSecret: 'example-secret',
  name: 'empowerid-express demo',
  redirectUris: ['http://localhost:3000/callback', 'http://127.0.0.1:3000/callback'],
  postLogoutRedirectUris: ['http://localhost:3000/', 'http://127.0.0.1:3000/'],
};

/** The all-zero GUID EmpowerID answers as `id` when a grant is not tied to a sign-in (refresh). */
export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';
