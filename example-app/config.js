// The example app's settings, read from the environment once, at start. Every malformed value is
// reported with the variable's name and what it should look like; the app then exits.

/** A setting is wrong; `problems` lists each one. */
export class ConfigError extends Error {
  constructor(problems) {
    super(`The example app cannot start:\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee example-app/.env.example.`);
    this.problems = problems;
  }
}

/** The library's `provider` switch: EmpowerID's layout, or any standard OpenID provider. */
const PROVIDERS = ['empowerid', 'oidc'];

const DEFAULTS = { port: 3000, mockAccessTokenTTL: 300, refreshSkewSeconds: 60 };

/**
 * Parses `env` (normally `process.env`) into the app's settings.
 * @param {Record<string, string | undefined>} env
 */
export function loadConfig(env) {
  const problems = [];
  const value = (name) => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const integer = (name, fallback, min, max, what) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be ${what} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };
  const url = (name) => {
    const raw = value(name);
    if (raw === undefined) return undefined;
    let parsed;
    try {
      parsed = new URL(raw);
    } catch {
      problems.push(`${name} must be an absolute URL such as https://eid.example.com (got "${raw}")`);
      return undefined;
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      problems.push(`${name} must be an http:// or https:// URL (got "${raw}")`);
      return undefined;
    }
    return raw.replace(/\/+$/, '');
  };

  const port = integer('PORT', DEFAULTS.port, 1, 65535, 'a port number from 1 to 65535');
  const server = url('EMPOWERID_SERVER');
  const baseURL = url('EMPOWERID_BASE_URL') ?? `http://localhost:${port}`;
  const discoveryUrl = url('EMPOWERID_DISCOVERY_URL');
  const providerRaw = value('EMPOWERID_PROVIDER');
  let provider;
  if (providerRaw === undefined) {
    provider = 'empowerid';
  } else if (PROVIDERS.includes(providerRaw.toLowerCase())) {
    provider = providerRaw.toLowerCase();
  } else {
    problems.push(`EMPOWERID_PROVIDER must be "empowerid" or "oidc" (a standard OpenID provider) (got "${providerRaw}")`);
  }
  const clientId = value('EMPOWERID_CLIENT_ID');
  const clientSecret = value('EMPOWERID_CLIENT_SECRET');
  const sessionSecret = value('SESSION_SECRET');
  if (sessionSecret !== undefined && sessionSecret.length < 32) problems.push('SESSION_SECRET must be at least 32 characters long');
  const refreshSkewSeconds = integer('REFRESH_SKEW_SECONDS', DEFAULTS.refreshSkewSeconds, 0, 86400, 'a whole number of seconds');

  const mockPort = integer('MOCK_PORT', 0, 0, 65535, 'a port number from 0 (any free port) to 65535');
  const mockAccessTokenTTL = integer('MOCK_ACCESS_TOKEN_TTL', DEFAULTS.mockAccessTokenTTL, 1, 86400, 'a whole number of seconds');

  const external = value('EMPOWERID_SERVER') !== undefined || discoveryUrl !== undefined;
  if (external) {
    if (value('EMPOWERID_SERVER') === undefined) problems.push('EMPOWERID_DISCOVERY_URL needs EMPOWERID_SERVER too');
    if (clientId === undefined) problems.push('EMPOWERID_CLIENT_ID is required with EMPOWERID_SERVER');
    if (clientSecret === undefined) problems.push('EMPOWERID_CLIENT_SECRET is required with EMPOWERID_SERVER');
  } else {
    for (const name of ['EMPOWERID_CLIENT_ID', 'EMPOWERID_CLIENT_SECRET', 'EMPOWERID_PROVIDER']) {
      if (value(name) !== undefined)
        problems.push(`${name} is set but EMPOWERID_SERVER is not; set EMPOWERID_SERVER to use your identity provider`);
    }
  }
  // EmpowerID's discovery is at <server>/oauth/…; another address usually means a standard provider,
  // which needs the switch too (bearer userinfo, its own client authentication): say so now rather
  // than fail at the first profile.
  if (
    external &&
    providerRaw === undefined &&
    server !== undefined &&
    discoveryUrl !== undefined &&
    discoveryUrl !== `${server}/oauth/.well-known/openid-configuration`
  ) {
    problems.push(
      "EMPOWERID_DISCOVERY_URL is not EmpowerID's (<server>/oauth/.well-known/openid-configuration): set EMPOWERID_PROVIDER=oidc for a standard OpenID provider, or EMPOWERID_PROVIDER=empowerid to keep EmpowerID's conventions",
    );
  }
  if (problems.length) throw new ConfigError(problems);

  return Object.freeze({
    port,
    baseURL,
    sessionSecret,
    refreshSkewSeconds,
    /** The identity provider to use, or undefined: start the embedded mock. */
    idp: external ? { provider, server, clientId, clientSecret, ...(discoveryUrl && { discoveryUrl }) } : undefined,
    mock: external ? undefined : { port: mockPort, accessTokenTTL: mockAccessTokenTTL },
  });
}
