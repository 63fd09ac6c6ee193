/**
 * `empowerid-express/redis`: several instances of an app on one Redis. The only entry that loads
 * a Redis client's types; the main entry works without `redis` installed.
 */
import { Shared, type SharedOptions } from '../core/shared.js';
import { ConfigurationError } from '../errors.js';
import { RedisBackend, type RedisBackendOptions, type RedisClientLike } from './backend.js';

export { Shared, type SharedOptions } from '../core/shared.js';
export type { RedisClientLike, RedisSubscriberLike } from './backend.js';

/** Options of {@link redisShared}. */
export interface RedisSharedOptions extends SharedOptions, RedisBackendOptions {}

/**
 * Shares the refresh lock and results, the token cache, back-channel logout and replay checks
 * between every instance on the same Redis, with tokens sealed under `secret`.
 *
 * @param client - a connected node-redis v5 client (`await createClient({ url }).connect()`). A
 *   second connection is opened from it for pub/sub; close it with `shared.close()`.
 * @throws `ConfigurationError` (`client`) when `client` is not a node-redis v5 client, and for
 *   an invalid option (`secret`, `prefix`, `lockTtlMs`, `refreshGraceMs`). Redis operations later
 *   reject with `SharedUnavailableError` while Redis is unreachable or slower than
 *   `operationTimeoutMs`.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { redisShared } from 'empowerid-express/redis';
 *
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * const shared = redisShared(redis, { secret: process.env.TOKEN_SECRET });
 * app.use(empowerid({ ...idp, shared }));
 * ```
 */
export function redisShared(client: RedisClientLike, options: RedisSharedOptions = {}): Shared {
  if (client === null || typeof client !== 'object' || typeof client.sendCommand !== 'function' || typeof client.duplicate !== 'function') {
    throw new ConfigurationError('client', 'of redisShared() must be a node-redis v5 client: await createClient({ url }).connect()');
  }
  const { operationTimeoutMs, ...shared } = options;
  return new Shared(new RedisBackend(client, operationTimeoutMs === undefined ? {} : { operationTimeoutMs }), shared);
}
