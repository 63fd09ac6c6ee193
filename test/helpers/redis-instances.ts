import { RedisStore } from 'connect-redis';
import express, { type Express, type RequestHandler } from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import type { Shared } from '../../src/core/shared.js';
import { type EmpowerIDOptions, empowerid, errorHandler, requireToken, requiresAuth } from '../../src/index.js';
import { redisShared } from '../../src/redis/index.js';
import { BASE_URL, type TestProvider, standardProviderOptions } from '../interop/harness.js';

// Instances of one app as a deployment runs them, inside the test process: each with its own
// node-redis client (and so its own pub/sub connection), sessions on connect-redis, coordination
// through redisShared(), one secret for all, against oidc-provider.

export type Redis = ReturnType<typeof createClient>;

export interface AppInstance {
  app: Express;
  redis: Redis;
  shared: Shared;
  close(): Promise<void>;
}

export async function redisInstance(
  op: TestProvider,
  redisUrl: string,
  secret: string,
  options: { overrides?: Partial<EmpowerIDOptions>; before?: RequestHandler[] } = {},
): Promise<AppInstance> {
  const redis: Redis = createClient({ url: redisUrl });
  redis.on('error', () => {});
  await redis.connect();
  const shared = redisShared(redis, { secret });
  const app = express();
  app.use(
    session({
      store: new RedisStore({ client: redis }),
      secret: 'cookie-signing-secret',
      resave: false,
      saveUninitialized: false,
      cookie: { sameSite: 'lax' },
    }),
  );
  for (const handler of options.before ?? []) app.use(handler);
  app.use(empowerid({ ...standardProviderOptions(op), baseURL: BASE_URL, shared, discoveryRetryBaseMs: 20, ...options.overrides }));
  app.get('/me', requiresAuth(), (req, res) => res.json({ user: req.empowerid.user, accessToken: req.empowerid.accessToken?.value }));
  app.get('/api', requireToken(), (req, res) => res.json({ sub: req.empowerid.tokenInfo?.sub }));
  app.use(errorHandler());
  return {
    app,
    redis,
    shared,
    async close() {
      await shared.close();
      await redis.close().catch(() => redis.destroy());
    },
  };
}
