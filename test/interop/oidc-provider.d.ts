// oidc-provider ships no type declarations; this covers the little the interop tests use.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  /** The Koa context oidc-provider hands to helpers and event listeners. */
  export interface ProviderContext {
    method: string;
    path: string;
    body?: unknown;
    oidc: {
      route?: string;
      params?: Record<string, unknown>;
      client?: unknown;
    };
  }

  interface AccessTokenModel {
    accountId: string;
    grantId: string;
    scope?: string;
    isExpired: boolean;
    expiration: number;
    save(): Promise<string>;
  }

  export const errors: {
    InvalidRequest: new (description: string) => Error;
    InvalidGrant: new (description: string) => Error;
  };

  /** oidc-provider's OAuth errors carry the protocol error code and description. */
  export interface ProviderError extends Error {
    error?: string;
    error_description?: string;
  }

  export interface Account {
    accountId: string;
    claims(use: string, scope: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  }

  export interface Configuration {
    findAccount?: (ctx: ProviderContext, id: string) => Promise<Account | undefined> | Account | undefined;
    [option: string]: unknown;
  }

  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    registerGrantType(name: string, handler: (ctx: ProviderContext) => Promise<void>, parameters?: Set<string>): void;
    readonly AccessToken: {
      new (init: Record<string, unknown>): AccessTokenModel;
      find(value: string): Promise<AccessTokenModel | undefined>;
    };
    on(
      event: 'grant.success' | 'end_session.success' | 'grant.revoked' | 'backchannel.success',
      listener: (ctx: ProviderContext) => void,
    ): this;
    on(event: `${string}.error` | 'server_error', listener: (ctx: ProviderContext, err: ProviderError) => void): this;
    on(event: `${string}.consumed` | `${string}.saved` | `${string}.destroyed`, listener: (model: { jti?: string }) => void): this;
  }
}
