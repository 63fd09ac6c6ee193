import { BearerError } from '../errors.js';
import type { IntrospectionResponse, UserInfo } from './client.js';

/** What the IdP said about a token: its introspection answer and, when fetched, its profile. */
export interface VerifiedToken {
  /** The tokeninfo (RFC 7662) answer. */
  readonly tokenInfo: IntrospectionResponse;
  /** The userinfo answer, when the guard asked for it (`fetchProfile`, the default). */
  readonly profile: UserInfo | undefined;
}

/** What one guard accepts. Applied on every request, cached answer or not. */
export interface TokenPolicyOptions {
  /** Also require (and so fetch) the userinfo profile. Default `true`. */
  fetchProfile?: boolean;
  /** Expected `iss` of the introspection answer, when the IdP sends one. */
  expectedIssuer?: string;
  /** Accepted `client_id`s of the token (the clients allowed to call this API). */
  expectedClientIds?: string[];
  /** Tolerance for `exp`/`nbf`, in seconds. Default: the client's `clockToleranceSeconds`. */
  clockToleranceSeconds?: number;
}

/**
 * One guard's acceptance rules over a shared, cached introspection answer. The answer is a fact
 * about the token (shared by every guard of a client); whether this route accepts it is not.
 * `check` is on the warm path of every guarded request, so it only compares fields.
 *
 * @see RFC 7662 §2.2 (`active`, `exp`, `nbf`, `iss`, `client_id`); RFC 6750 §3.1 (`invalid_token`)
 * @throws {@link BearerError} `ERR_BEARER_INVALID_TOKEN` from `check` when the answer is inactive,
 *   not for an access token, has malformed times, is expired or not yet valid, or is for another
 *   issuer or client.
 *
 * @example
 * import { TokenPolicy, TokenVerifier } from 'empowerid-express';
 *
 * const verifier = new TokenVerifier(client);
 * const onlyWeb = new TokenPolicy({ expectedClientIds: ['web'], fetchProfile: false }, { clockToleranceSeconds: 60, clock: Date.now });
 * const { tokenInfo } = await verifier.verify(token, onlyWeb);
 */
export class TokenPolicy {
  /** Whether this policy requires the userinfo profile (`fetchProfile`), so the verifier must fetch it. */
  readonly needsProfile: boolean;
  readonly #issuer: string | undefined;
  readonly #clientIds: ReadonlySet<string> | undefined;
  readonly #toleranceMs: number;
  readonly #clock: () => number;

  constructor(options: TokenPolicyOptions, defaults: { clockToleranceSeconds: number; clock: () => number }) {
    this.needsProfile = options.fetchProfile ?? true;
    this.#issuer = options.expectedIssuer;
    this.#clientIds = options.expectedClientIds ? new Set(options.expectedClientIds) : undefined;
    this.#toleranceMs = (options.clockToleranceSeconds ?? defaults.clockToleranceSeconds) * 1000;
    this.#clock = defaults.clock;
  }

  /** Throws `BearerError` (invalid_token) when this guard does not accept the token. */
  check(info: IntrospectionResponse): void {
    if (info.active !== true) throw invalid('the access token is not active');
    // RFC 7662 §2.2 token_type: a refresh token (or anything but a bearer access token) that the
    // IdP reports as active is still not a credential for an API.
    const type = info.token_type;
    if (type !== undefined && type !== 'Bearer' && (typeof type !== 'string' || type.toLowerCase() !== 'bearer')) {
      throw invalid('the token is not an access token');
    }
    const { exp, nbf, iat } = info;
    if (!isTime(exp) || !isTime(nbf) || !isTime(iat)) throw invalid('the introspection answer has a malformed exp, nbf or iat');
    const now = this.#clock();
    if (exp !== undefined && now - this.#toleranceMs >= exp * 1000) throw invalid('the access token has expired');
    if (nbf !== undefined && now + this.#toleranceMs < nbf * 1000) throw invalid('the access token is not valid yet');
    if (this.#issuer !== undefined && info.iss !== undefined && info.iss !== this.#issuer) {
      throw invalid('the access token was issued by another issuer');
    }
    if (this.#clientIds && !(typeof info.client_id === 'string' && this.#clientIds.has(info.client_id))) {
      throw invalid('the access token was issued to a client this API does not accept');
    }
  }
}

function isTime(value: unknown): value is number | undefined {
  return value === undefined || (typeof value === 'number' && Number.isFinite(value));
}

export function invalid(description: string): BearerError {
  return new BearerError('ERR_BEARER_INVALID_TOKEN', description);
}
