/**
 * PEM fixtures for the assertion tests, committed under test/fixtures/assertions/. They were made
 * once with OpenSSL 3 (self-signed, valid for 100 years, test-only keys: never register them):
 *
 *   openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=empowerid-express test client" \
 *     -keyout client.key.pem -out client.cert.pem
 *   openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=empowerid-express unrelated client" \
 *     -keyout other.key.pem -out other.cert.pem
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500 \
 *     -subj "/CN=empowerid-express test EC client" -keyout ec.key.pem -out ec.cert.pem
 *
 * Expected values (thumbprints, x5t) are computed in the tests from these files, never hard-coded.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = new URL('../../fixtures/assertions/', import.meta.url);
const read = (name: string): string => readFileSync(new URL(name, dir), 'utf8');

export const fixturePath = (name: string): string => fileURLToPath(new URL(name, dir));

export const client = { key: read('client.key.pem'), cert: read('client.cert.pem') };
export const other = { key: read('other.key.pem'), cert: read('other.cert.pem') };
export const ec = { key: read('ec.key.pem'), cert: read('ec.cert.pem') };
