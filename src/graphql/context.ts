import type { Principal } from '../domain/auth.js';
import type { Clock } from '../domain/clock.js';
import type { Services } from '../services/index.js';
import type { Loaders } from '../services/loaders.js';

export interface GraphQLContext {
  principal: Principal | null;
  services: Services;
  /** The request's batched reads; under a subscription, the event's (shared by every subscriber: server/subscription-events.ts). */
  loaders: Loaders;
  /** The time as the OC tells it (the test clock under tests): resolvers read it here, never Date.now(). */
  clock: Clock;
}
