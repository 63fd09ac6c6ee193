import { closest } from '../core/did-you-mean.js';
import { ConfigurationError } from '../errors.js';

/**
 * Option names each entry point accepts. Plain JavaScript has no compiler to catch `idpLogut`, so
 * the names are checked at construction: a name close to a known one is a typo and fails with
 * "did you mean"; any other unknown name is warned about once (it may be an option of a newer
 * version). A new option must be added here.
 */
export const CLIENT_OPTION_NAMES = [
  'server',
  'clientId',
  'clientSecret',
  'clientAuthMethod',
  'privateKey',
  'discoveryUrl',
  'discovery',
  'issuer',
  'endpoints',
  'allowInsecureHttp',
  'timeoutMs',
  'clockToleranceSeconds',
  'fetch',
  'userinfoStyle',
  'idTokenSigningAlg',
  'discoveryRetryBaseMs',
  'clock',
  'basicEncoding',
  'provider',
] as const;

export const EMPOWERID_OPTION_NAMES = [
  ...CLIENT_OPTION_NAMES,
  'baseURL',
  'scope',
  'responseType',
  'responseMode',
  'routes',
  'postLogoutRedirect',
  'idpLogout',
  'globalLogout',
  'revokeOnLogout',
  'refreshSkewSeconds',
  'autoRefresh',
  'silentReauth',
  'sessionKey',
  'errors',
  'errorPage',
  'authorizationParams',
  'afterCallback',
  'getLoginState',
  'attemptSilentLogin',
  'shared',
  'secret',
] as const;

export const REQUIRE_TOKEN_OPTION_NAMES = [
  ...CLIENT_OPTION_NAMES,
  'scopes',
  'anyScopes',
  'roles',
  'anyRoles',
  'claims',
  'predicate',
  'allowBodyToken',
  'allowQueryToken',
  'realm',
  'errors',
  'fetchProfile',
  'expectedIssuer',
  'expectedClientIds',
  'cacheMaxTtlSeconds',
  'negativeTtlSeconds',
  'cacheMaxEntries',
  'store',
  'shared',
  'onSharedFailure',
  'concurrentUserinfo',
] as const;

const warned = new Set<string>();

/**
 * Throws for a misspelt option (`did you mean "idpLogout"?`), warns once for an unknown one.
 * Runs before any other check, so `clientSecert` names the typo rather than a missing `clientSecret`.
 */
export function checkOptionNames(options: unknown, known: readonly string[], where: string, elsewhere: readonly string[] = []): void {
  if (options === null || typeof options !== 'object') return;
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const suggestion = closest(name, known);
    // One settings object spread into several entry points is common: another entry point's
    // name is not refused, but one that looks like a name of this one is pointed out.
    if (elsewhere.includes(name)) {
      if (suggestion !== undefined)
        warnOnce(
          `${where}:${name}`,
          `empowerid: option "${name}" is not an option of ${where} and is ignored here; did you mean "${suggestion}"?`,
        );
      continue;
    }
    if (suggestion !== undefined) {
      throw new ConfigurationError(name, `is not an option of ${where}; did you mean "${suggestion}"?`);
    }
    warnOnce(`${where}:${name}`, `empowerid: option "${name}" is not an option of ${where} and is ignored`);
  }
}

function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(message, { code: 'EMPOWERID_UNKNOWN_OPTION' });
}
