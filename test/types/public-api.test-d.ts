// Type-level tests of the public API, checked by `npm run typecheck` (tsc over test/): each
// expectTypeOf fails compilation when the type changes, each @ts-expect-error when a wrong use
// starts compiling.
import type { Request } from 'express';
import { expectTypeOf } from 'vitest';
import {
  type ClientOptions,
  type EmpowerIDError,
  type EmpowerIDErrorCode,
  type EmpowerIDOptions,
  type EmpowerIDRequestContext,
  type ProviderKind,
  type RequireTokenOptions,
  type ResponseMode,
  type ResponseType,
  type TokenSet,
  type UserInfo,
  createClient,
  empowerid,
  requireToken,
} from '../../src/index.js';

// req.empowerid by declaration merging, on Express's own Request.
expectTypeOf<Request['empowerid']>().toEqualTypeOf<EmpowerIDRequestContext>();
expectTypeOf<Express.Request['empowerid']>().toEqualTypeOf<EmpowerIDRequestContext>();
expectTypeOf<EmpowerIDRequestContext['user']>().toMatchTypeOf<{ sub: string; email?: string } | undefined>();
expectTypeOf<EmpowerIDRequestContext['fetchProfile']>().returns.toEqualTypeOf<Promise<UserInfo>>();
expectTypeOf<EmpowerIDRequestContext['accessToken']>().toMatchTypeOf<{ value: string; expiresAt: number | undefined } | undefined>();

// The error code union: exactly these codes, no string widening.
expectTypeOf<EmpowerIDError['code']>().toEqualTypeOf<EmpowerIDErrorCode>();
expectTypeOf<EmpowerIDErrorCode>().toEqualTypeOf<
  | 'ERR_CONFIG_INVALID'
  | 'ERR_SESSION_MISSING'
  | 'ERR_IDP_UNAVAILABLE'
  | 'ERR_IDP_BAD_RESPONSE'
  | 'ERR_OAUTH_ERROR'
  | 'ERR_AUTHORIZATION_DENIED'
  | 'ERR_CALLBACK_NO_TRANSACTION'
  | 'ERR_ACCESS_DENIED'
  | 'ERR_STATE_MISMATCH'
  | 'ERR_ID_TOKEN_INVALID'
  | 'ERR_CALLBACK_INVALID'
  | 'ERR_BODY_INVALID'
  | 'ERR_CROSS_SITE_REQUEST'
  | 'ERR_REQUEST_INVALID'
  | 'ERR_LOGIN_REQUIRED'
  | 'ERR_REFRESH_FAILED'
  | 'ERR_BEARER_MISSING'
  | 'ERR_BEARER_INVALID_REQUEST'
  | 'ERR_BEARER_INVALID_TOKEN'
  | 'ERR_BEARER_INSUFFICIENT_SCOPE'
  | 'ERR_ASSERTION_INVALID'
  | 'ERR_SHARED_UNAVAILABLE'
  | 'ERR_LOGOUT_TOKEN_INVALID'
>();
// @ts-expect-error not a code
const notACode: EmpowerIDErrorCode = 'ERR_SOMETHING_ELSE';
void notACode;

// Option types.
expectTypeOf<ProviderKind>().toEqualTypeOf<'empowerid' | 'oidc'>();
expectTypeOf<ResponseMode>().toEqualTypeOf<'auto' | 'query' | 'form_post'>();
expectTypeOf<ResponseType>().toEqualTypeOf<'code' | 'code id_token' | 'id_token token'>();
expectTypeOf<EmpowerIDOptions['responseType']>().toEqualTypeOf<ResponseType | 'token id_token' | undefined>();
expectTypeOf<ClientOptions['provider']>().toEqualTypeOf<ProviderKind | undefined>();
expectTypeOf<EmpowerIDOptions>().toMatchTypeOf<ClientOptions>();
expectTypeOf<RequireTokenOptions>().toMatchTypeOf<Partial<ClientOptions>>();

// The one-switch standard provider and the EmpowerID default both type-check.
empowerid({ provider: 'oidc', server: 'https://op.example', clientId: 'c', clientSecret: 's', baseURL: 'https://app.example' });
empowerid({
  server: 'https://eid.example',
  clientId: 'c',
  clientSecret: 's',
  baseURL: 'https://app.example',
  responseType: 'code id_token',
  responseMode: 'query',
});
// @ts-expect-error baseURL is required by the router
empowerid({ server: 'https://eid.example', clientId: 'c', clientSecret: 's' });
// @ts-expect-error unknown provider kind
createClient({ provider: 'saml', server: 'https://eid.example', clientId: 'c', clientSecret: 's' });
// @ts-expect-error fragment is no response mode: its answer would never reach the server
empowerid({ server: 'https://eid.example', clientId: 'c', clientSecret: 's', baseURL: 'https://a', responseMode: 'fragment' });
expectTypeOf(requireToken).parameter(0).toEqualTypeOf<RequireTokenOptions | undefined>();
expectTypeOf(createClient({ server: 'https://eid.example', clientId: 'c', clientSecret: 's' }).refresh).returns.toEqualTypeOf<
  Promise<TokenSet>
>();
