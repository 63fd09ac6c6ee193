/**
 * `empowerid-express/testing`: a mock EmpowerID server for tests and local development.
 *
 * It is an independent implementation of the vendor documentation (it shares no code with the
 * library's core), served over real loopback HTTP.
 *
 * @example
 * import { startMockEmpowerID } from 'empowerid-express/testing';
 *
 * const idp = await startMockEmpowerID({ autoLogin: 'alice' });
 * // point the library at idp.url, run the flow, then:
 * await idp.close();
 */
export { startMockEmpowerID } from './server.js';
export type {
  MockClient,
  MockEmpowerID,
  MockEmpowerIDOptions,
  MockIdTokenTamper,
  MockLogoutRecord,
  MockOutageMode,
  MockUser,
} from './types.js';
export { DEFAULT_CLIENT, DEFAULT_USERS } from './users.js';
