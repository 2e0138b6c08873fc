/** The GraphQL engine: one yoga with the schema, the per-request context, error masking, the document cache and the plugins. */
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import type { Database } from '../db/client.js';
import type { Principal } from '../domain/auth.js';
import type { Clock } from '../domain/clock.js';
import type { GraphQLContext } from '../graphql/context.js';
import { schema } from '../graphql/schema.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services/index.js';
import { createLoaders } from '../services/loaders.js';
import { maskError } from './errors.js';
import { documentCache, useJit } from './jit.js';
import { type KnownQueries, knownQueries } from './known-queries.js';
import { useQueryLimits } from './limits.js';
import type { Metrics } from './metrics.js';
import { metricsPlugin } from './metrics-plugin.js';
import { parseGuard } from './parse-guard.js';
import { useSharedSubscriptionEvents } from './subscription-events.js';

/** Who is asking, as the fronts hand it to yoga: an HTTP request's principal, or its socket's. */
export interface ServerContext {
  principal?: Principal | null;
}

/** What a client is told of an unexpected error (yoga's default too). */
const MASKED_MESSAGE = 'Unexpected error.';

export type Yoga = YogaServerInstance<ServerContext, GraphQLContext>;

export interface YogaDeps {
  database: Database;
  services: Services;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
}

export interface GraphQLServer {
  yoga: Yoga;
  /** Answers again the queries yoga answered (see known-queries.ts); http.ts asks it first. */
  knownQueries: KnownQueries;
}

export function createGraphQLServer({ database, services, clock, metrics, logger }: YogaDeps): GraphQLServer {
  const loaders = () => createLoaders({ db: database.db, readRows: database.readRows, clock });
  // One context for yoga's operations and for the known queries answered without it.
  const contextFor = (principal: Principal | null): GraphQLContext => ({ principal, services, loaders: loaders(), clock });
  // One masking for yoga's answers and for the subscription events that bypass it (push mode).
  const mask = (error: unknown, message = MASKED_MESSAGE) => maskError(error, message, logger);
  const jit = useJit(logger, metrics);
  const known = knownQueries({ schema, metrics, compiledByText: jit.compiledByText, inExecutorOrder: jit.inExecutorOrder, contextFor });
  const yoga = createYoga<ServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // GraphiQL is served by graphiql.ts, from the package's files (yoga's loads from a CDN).
    graphiql: false,
    logging: false,
    // Bodies are bounded by http.ts (MAX_BODY_BYTES, 16 MB, 413 PAYLOAD_TOO_LARGE) before yoga sees
    // them, below yoga's own default (25 MB), whose check piped every body through a TransformStream.
    maxRequestBodySize: false,
    context: (initial) => contextFor(initial.principal ?? null),
    maskedErrors: { errorMessage: MASKED_MESSAGE, maskError: (error, message) => mask(error, message) },
    // Bounds graphql-jit's compiled queries too: one per document of this cache (see useJit).
    parserAndValidationCache: { documentCache: documentCache() },
    plugins: [parseGuard(), metricsPlugin(metrics), useQueryLimits(), ...jit.plugins, useSharedSubscriptionEvents(loaders, (error) => mask(error)), known.plugin],
  });
  return { yoga, knownQueries: known };
}
