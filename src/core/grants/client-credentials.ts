/**
 * EmpowerID's client credentials grant (document 001), with its optional `username`.
 */
import * as oidc from 'openid-client';
import { ConfigurationError } from '../../errors.js';
import type { EmpowerIDClient } from '../client.js';
import { debug } from '../debug.js';
import type { TokenSet } from '../tokens.js';
import { formParams, optionalParam, scopeParam, tokenRequest } from './request.js';
import { TokenReuse } from './token-reuse.js';

const log = debug('grants');

/** Parameters of {@link EmpowerIDClient.clientCredentials}. */
export interface ClientCredentialsParams {
  /** Space-separated scopes, e.g. `openid` for an ID token too. Sent only when given. */
  scope?: string;
  /** EmpowerID: the person the token is issued for, instead of the application's owner. */
  username?: string;
  /** Skip the stored token and ask the IdP for a new one (which is then reused). Default false. */
  forceNew?: boolean;
}

const reuse = new WeakMap<EmpowerIDClient, TokenReuse>();

/**
 * The token reuse store of one client's {@link EmpowerIDClient.clientCredentials}, for its
 * `stats()` or to `clear()` it (e.g. after rotating the client secret). Never throws.
 *
 * @example
 * import { clientCredentialsCache } from 'empowerid-express';
 *
 * await client.clientCredentials({ scope: 'api' });
 * console.log(clientCredentialsCache(client).stats().hits);
 * clientCredentialsCache(client).clear();
 */
export function clientCredentialsCache(client: EmpowerIDClient): TokenReuse {
  let r = reuse.get(client);
  if (!r) {
    r = new TokenReuse({ clock: client.config.clock });
    reuse.set(client, r);
  }
  return r;
}

/**
 * Client credentials grant at EmpowerID's token endpoint, authenticated the way the client is
 * configured (`client_secret_post` by default, as EmpowerID documents).
 *
 * The answer is reused: a second call with the same `scope` and `username` gets the same tokens
 * without a request until 60 s before they expire (never later than half their lifetime), and
 * concurrent calls share one request. Failures are not remembered. A token set without
 * `expires_in` is not reused.
 *
 * @throws {OAuthError} e.g. `invalid_client` (wrong secret), `unauthorized_client`, `invalid_request`
 * (unknown `username`).
 *
 * @example
 * ```ts
 * const eid = createClient({ server: 'https://eid.example.com', clientId: '…', clientSecret: '…' });
 * const { access_token } = await eid.clientCredentials({ scope: 'openid' });
 * const forBob = await eid.clientCredentials({ username: 'bob' });
 * ```
 */
export async function clientCredentials(client: EmpowerIDClient, params: ClientCredentialsParams = {}): Promise<TokenSet> {
  if (params === null || typeof params !== 'object') throw new ConfigurationError('params', 'must be an object');
  const scope = scopeParam(params.scope, undefined);
  const username = optionalParam(params.username, 'username');
  // Scope order carries no meaning: "a b" and "b a" share a token.
  const key = TokenReuse.keyFor([scope?.split(' ').sort().join(' '), username]);
  return clientCredentialsCache(client).get(
    key,
    async () => {
      log('client_credentials: requesting a token (username %s)', username === undefined ? 'absent' : 'given');
      const config = await client.configuration('token');
      return tokenRequest(client, () => oidc.clientCredentialsGrant(config, formParams({ scope, username })));
    },
    { force: params.forceNew === true },
  );
}
