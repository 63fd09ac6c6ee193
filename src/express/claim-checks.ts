import type { Request } from 'express';
import type { VerifiedToken } from '../core/token-policy.js';
import { ConfigurationError } from '../errors.js';

/** Claims a check reads: the ID-token claims (`requiresAuth()`), or the token's tokeninfo answer over its profile (`requireToken()`). */
export type Claims = Readonly<Record<string, unknown>>;

const kCheck = Symbol.for('empowerid-express.claim-check');

/**
 * An authorization rule over claims, made by {@link claimEquals}, {@link claimIncludes},
 * {@link claimCheck} or {@link anyOf}, and given to `requiresAuth(check)` or `requireToken({ claims: [check] })`.
 * Built once, at startup; testing it on a request allocates nothing (except `claimCheck` on an
 * API token, whose merged claims are built once per cached token).
 */
export interface ClaimCheck {
  /** @internal Brands objects made by the helpers, so a plain object is not taken for a check. */
  readonly [kCheck]: true;
  /** What the check asks for, for logs and API error descriptions: `claim "role" = "admin"`. */
  readonly description: string;
  /** True when the claims satisfy the check. */
  test(claims: Claims, req: Request): boolean;
  /** @internal The same test over an API token: tokeninfo fields first, then the profile. */
  testToken(verified: VerifiedToken, req: Request): boolean;
}

/**
 * A value a claim check compares with.
 * @inline
 */
type ClaimValue = string | number | boolean | null;

/**
 * The claim `name` is exactly `value` (`===`).
 *
 * @throws {@link ConfigurationError} (`claimEquals`) for an empty name or a value that is not a
 *   string, number, boolean or null.
 *
 * @example
 * ```ts
 * app.get('/admin', requiresAuth(claimEquals('email_verified', true)), handler);
 * app.get('/api/partner', requireToken({ claims: [claimEquals('client_id', 'partner-app')] }), handler);
 * ```
 */
export function claimEquals(name: string, value: ClaimValue): ClaimCheck {
  claimName(name, 'claimEquals');
  if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
    throw new ConfigurationError('claimEquals', `value for claim "${name}" must be a string, number, boolean or null`);
  }
  return make(
    `claim "${name}" = ${JSON.stringify(value)}`,
    (claims) => claims[name] === value,
    (v) => read(v, name) === value,
  );
}

/**
 * The claim `name` holds every one of `values`: an array claim (`business_role_locations`,
 * `groups`) or a space-separated string (`scope`, `amr` as a string).
 *
 * @throws {@link ConfigurationError} (`claimIncludes`) for an empty name or invalid values.
 *
 * @example
 * ```ts
 * app.get('/ops', requiresAuth(claimIncludes('groups', 'ops', 'oncall')), handler);
 * ```
 */
export function claimIncludes(name: string, ...values: ClaimValue[]): ClaimCheck {
  claimName(name, 'claimIncludes');
  if (values.length === 0) throw new ConfigurationError('claimIncludes', `needs at least one value for claim "${name}"`);
  return make(
    `claim "${name}" includes ${values.map((v) => JSON.stringify(v)).join(', ')}`,
    (claims) => includesAll(claims[name], values),
    (v) => includesAll(read(v, name), values),
  );
}

/**
 * Any rule: `fn(claims, req)` returns `true` to allow. Synchronous, so the guard stays synchronous
 * on a cached token; for a rule that needs I/O use `requireToken({ predicate })`.
 *
 * @example
 * ```ts
 * const staff = claimCheck((claims) => String(claims.email).endsWith('@example.com'), 'staff e-mail');
 * ```
 */
export function claimCheck(fn: (claims: Claims, req: Request) => boolean, description = 'custom claim check'): ClaimCheck {
  if (typeof fn !== 'function') throw new ConfigurationError('claimCheck', 'needs a function (claims, req) => boolean');
  return make(
    description,
    (claims, req) => fn(claims, req) === true,
    (v, req) => fn(merged(v), req) === true,
  );
}

/**
 * Any-of: passes when at least one of `checks` passes (a list of checks given to a guard is
 * all-of). Works on both guards, over the ID-token claims for `requiresAuth()` and over tokeninfo,
 * then the profile, for `requireToken()`; checks are tried in order and the first pass wins.
 * Nests: `anyOf(a, b)` may be one entry of an all-of list, and may hold another `anyOf()`.
 *
 * @throws {@link ConfigurationError} (`anyOf`) without checks, or for an argument that is not one.
 *
 * @example
 * ```ts
 * // a member of either group
 * app.get('/ops', requiresAuth(anyOf(claimIncludes('groups', 'ops'), claimIncludes('groups', 'oncall'))), handler);
 * // a verified e-mail, and either the partner app or an admin user
 * app.get(
 *   '/api/reports',
 *   requireToken({ claims: [claimEquals('email_verified', true), anyOf(claimEquals('client_id', 'partner-app'), claimEquals('username', 'admin'))] }),
 *   handler,
 * );
 * ```
 */
export function anyOf(...checks: ClaimCheck[]): ClaimCheck {
  if (checks.length === 0) throw new ConfigurationError('anyOf', 'needs at least one check');
  for (const c of checks) {
    if (!isClaimCheck(c)) throw new ConfigurationError('anyOf', `takes checks made by ${HELPERS}`);
  }
  const list = checks.slice();
  return make(
    `any of: ${list.map((c) => c.description).join('; ')}`,
    (claims, req) => {
      for (let i = 0; i < list.length; i++) if ((list[i] as ClaimCheck).test(claims, req)) return true;
      return false;
    },
    (v, req) => {
      for (let i = 0; i < list.length; i++) if ((list[i] as ClaimCheck).testToken(v, req)) return true;
      return false;
    },
  );
}

const HELPERS = 'claimEquals(), claimIncludes(), claimCheck() or anyOf()';

/** @internal Normalises the `claims` option of a guard: one check or a list of them. */
export function claimChecks(value: unknown, option: string): ClaimCheck[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  for (const c of list) {
    if (!isClaimCheck(c)) {
      throw new ConfigurationError(option, `must be a check made by ${HELPERS}, or a list of them`);
    }
  }
  return list as ClaimCheck[];
}

/** @internal */
export function isClaimCheck(value: unknown): value is ClaimCheck {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kCheck] === true;
}

function make(
  description: string,
  test: (claims: Claims, req: Request) => boolean,
  testToken: (verified: VerifiedToken, req: Request) => boolean,
): ClaimCheck {
  return Object.freeze({ [kCheck]: true as const, description, test, testToken });
}

function claimName(name: unknown, helper: string): void {
  if (typeof name !== 'string' || name === '') throw new ConfigurationError(helper, 'needs a claim name (a non-empty string)');
}

function read(verified: VerifiedToken, name: string): unknown {
  const fromToken = (verified.tokenInfo as Record<string, unknown>)[name];
  if (fromToken !== undefined) return fromToken;
  return verified.profile === undefined ? undefined : (verified.profile as Record<string, unknown>)[name];
}

function includesAll(claim: unknown, values: readonly ClaimValue[]): boolean {
  if (Array.isArray(claim)) {
    for (const v of values) if (!claim.includes(v)) return false;
    return true;
  }
  if (typeof claim !== 'string') return false;
  for (const v of values) if (typeof v !== 'string' || !hasWord(claim, v)) return false;
  return true;
}

/** `word` is one of the space-separated words of `list`, found without splitting. */
export function hasWord(list: string, word: string): boolean {
  if (word === '') return false;
  let from = 0;
  for (;;) {
    const at = list.indexOf(word, from);
    if (at === -1) return false;
    const end = at + word.length;
    if ((at === 0 || list.charCodeAt(at - 1) === 32) && (end === list.length || list.charCodeAt(end) === 32)) return true;
    from = at + 1;
  }
}

// The profile and tokeninfo answer of a cached token are fixed, so their merge is built once.
const mergedViews = new WeakMap<VerifiedToken, Claims>();
function merged(verified: VerifiedToken): Claims {
  let view = mergedViews.get(verified);
  if (!view) {
    view = Object.freeze({ ...(verified.profile ?? {}), ...verified.tokenInfo });
    mergedViews.set(verified, view);
  }
  return view;
}
