import { describe, expect, it } from 'vitest';
import { resolveClientConfig } from '../../src/core/config.js';
import { safeReturnTo } from '../../src/core/return-to.js';
import { ConfigurationError, empowerid } from '../../src/index.js';

const good = { server: 'https://eid.example.com', clientId: 'c', clientSecret: 's' };

describe('configuration is validated once, with errors that name the option', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['server missing', { clientId: 'c', clientSecret: 's' }, 'server'],
    ['server not a URL', { ...good, server: 'eid.example.com' }, 'server'],
    ['http on a public host', { ...good, server: 'http://eid.example.com' }, 'server'],
    ['clientId missing', { server: good.server, clientSecret: 's' }, 'clientId'],
    ['secret missing for client_secret_post', { server: good.server, clientId: 'c' }, 'clientSecret'],
    ['unknown auth method', { ...good, clientAuthMethod: 'tls' }, 'clientAuthMethod'],
    ['private_key_jwt without a key', { ...good, clientAuthMethod: 'private_key_jwt' }, 'privateKey'],
    ['negative timeout', { ...good, timeoutMs: -1 }, 'timeoutMs'],
    ['unknown endpoint name', { ...good, endpoints: { tokn: 'https://x' } }, 'endpoints.tokn'],
    ['discovery off without issuer', { ...good, discovery: false }, 'issuer'],
  ];
  for (const [name, options, option] of cases) {
    it(`rejects: ${name}`, () => {
      let error: unknown;
      try {
        resolveClientConfig(options as never);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).code).toBe('ERR_CONFIG_INVALID');
      expect((error as ConfigurationError).option).toBe(option);
      expect((error as Error).message).toContain(`"${option}"`);
    });
  }

  it('accepts http:// on loopback hosts and when explicitly allowed', () => {
    expect(resolveClientConfig({ ...good, server: 'http://127.0.0.1:4000' }).server.port).toBe('4000');
    expect(resolveClientConfig({ ...good, server: 'http://localhost:4000' }).server.hostname).toBe('localhost');
    expect(resolveClientConfig({ ...good, server: 'http://eid.internal', allowInsecureHttp: true }).server.hostname).toBe('eid.internal');
  });

  it('defaults to client_secret_post and the EmpowerID discovery URL, frozen', () => {
    const c = resolveClientConfig(good);
    expect(c.clientAuthMethod).toBe('client_secret_post');
    expect(c.discoveryUrl?.href).toBe('https://eid.example.com/oauth/.well-known/openid-configuration');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('empowerid() refuses a missing baseURL and a bad route at startup', () => {
    expect(() => empowerid(good as never)).toThrow(/"baseURL"/);
    expect(() => empowerid({ ...good, baseURL: 'https://app.example.com', routes: { login: 'login' } })).toThrow(/"routes.login"/);
    expect(() => empowerid({ ...good, baseURL: 'https://app.example.com', responseType: 'token' as never })).toThrow(/"responseType"/);
  });
});

describe('safeReturnTo', () => {
  const base = new URL('https://app.example.com');
  const table: Array<[unknown, string]> = [
    ['/orders?x=1#top', '/orders?x=1#top'],
    ['/', '/'],
    ['https://evil.example/', '/'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['\\\\evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['/a\r\nSet-Cookie: x=1', '/'],
    ['orders', '/'],
    [['/a', '/b'], '/'],
    [undefined, '/'],
    ['/' + 'a'.repeat(3000), '/'],
  ];
  for (const [input, expected] of table) {
    it(`${JSON.stringify(input)?.slice(0, 40)} → ${expected}`, () => {
      expect(safeReturnTo(input, base)).toBe(expected);
    });
  }
});
