/**
 * The contract of one grant_type handler. The token endpoint authenticates the client the way
 * the grant asks, then hands over; a handler answers the token response body or throws an
 * {@link OAuthError}.
 */
import type { ClientAuthMode } from '../client-auth.js';
import type { MockContext } from '../context.js';
import { type MockRequest, OAuthError } from '../http.js';
import type { MockClient, MockUser } from '../types.js';

export interface GrantHandler {
  /** How the client must authenticate; a function when it depends on the request. */
  clientAuth: ClientAuthMode | ((req: MockRequest) => ClientAuthMode);
  handle(ctx: MockContext, req: MockRequest, client: MockClient): Promise<Record<string, unknown>>;
}

/** Shorthand for the most common token endpoint failure. */
export function invalidGrant(description: string): OAuthError {
  return new OAuthError('invalid_grant', description);
}

/** A required body parameter, or `invalid_request`. */
export function required(req: MockRequest, name: string): string {
  const value = req.body.get(name);
  if (!value) throw new OAuthError('invalid_request', `${name} is required`);
  return value;
}

/** The requested scope, space-normalised; `fallback` when absent. */
export function requestedScope(req: MockRequest, fallback = ''): string {
  const raw = req.body.get('scope');
  return raw === null ? fallback : raw.split(' ').filter(Boolean).join(' ');
}

/** The person a client-only grant acts for (the client's owner), or `invalid_grant`. */
export function ownerUser(ctx: MockContext, client: MockClient): MockUser {
  const user = client.owner ? ctx.users.get(client.owner) : ctx.users.values().next().value;
  if (!user) throw invalidGrant(`the owner of client ${client.clientId} is not a known user`);
  return user;
}
