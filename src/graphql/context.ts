import type { Principal } from '../domain/auth.js';
import type { Clock } from '../domain/clock.js';
import type { Services } from '../services/index.js';
import type { Loaders } from '../services/loaders.js';

export interface GraphQLContext {
  principal: Principal | null;
  services: Services;
  loaders: Loaders;
  /** The time as the OC tells it (the test clock under tests): resolvers read it here, never Date.now(). */
  clock: Clock;
  /** Drops cached reads: a subscription calls it before resolving each event, so nested fields see fresh data. */
  refreshLoaders(): void;
}
