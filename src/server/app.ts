/** Composes one OC instance: database, bus, services, controllers, the GraphQL engine and its HTTP and WebSocket fronts on one port; and stops it. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import { createLeaseController } from '../controllers/lease-controller.js';
import { createRolloutController } from '../controllers/rollout-controller.js';
import { type Database, openDatabase } from '../db/client.js';
import { type Clock, systemClock } from '../domain/clock.js';
import { EventBus } from '../events/bus.js';
import { bridgeBus } from '../events/pg-bridge.js';
import { createLogger, type Logger } from '../logger.js';
import { createServices, type Services } from '../services/index.js';
import { createGraphiQL } from './graphiql.js';
import { createHttpFront } from './http.js';
import { createMetrics, metricsAllowList, refreshFleetGauges } from './metrics.js';
import { CONSOLE_DIST, createConsoleSite } from './static.js';
import { createWsFront } from './ws.js';
import { createGraphQLServer } from './yoga.js';

export interface App {
  url: string;
  port: number;
  server: Server;
  services: Services;
  database: Database;
  bus: EventBus;
  logger: Logger;
  stop(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  logger?: Logger;
  /** A database opened by the caller (and closed by it). */
  database?: Database;
  /** false: no background loops (leases, rollouts), for tests that count the statements of a request. */
  background?: boolean;
  /** The built console served at `/` (default: console/dist of this repository). */
  consoleDir?: string;
}

/** Builds and starts one OC instance: database, services, controllers, and the one HTTP/WS port. */
export async function startApp(config: Config, opts: StartOptions = {}): Promise<App> {
  const logger = opts.logger ?? createLogger(config.logLevel, {}, { secrets: [config.adminToken] });
  const clock = opts.clock ?? systemClock;
  const database = opts.database ?? (await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger, pgliteSharedBuffersMb: config.pgliteSharedBuffersMb }));
  const bus = new EventBus();
  const metrics = createMetrics(bus, database);
  const services = createServices({ db: database.db, bus, clock, config, logger, telemetry: metrics.telemetry });
  // Logged events reach handlers in log order, from this instance and the others alike.
  const sequencer = await services.events.orderBus();
  // Several instances share one PostgreSQL: bridge their buses. PGlite is one process only.
  const unbridge = database.driver === 'pg' ? await bridgeBus(bus, database, logger) : null;
  const controllers: { start(): void; stop(): Promise<void> }[] = [
    createLeaseController({ managers: services.managers, topology: services.topology, events: services.events, audit: services.audit, leaseMs: config.managerLeaseMs, logger }),
    createRolloutController({ rollouts: services.rollouts, bus, logger, concurrency: config.driverConcurrency }),
    refreshFleetGauges({ db: database.db, bus, metrics, logger }),
  ];

  const { yoga, knownQueries } = createGraphQLServer({ database, services, clock, metrics, logger });
  const http = createHttpFront({
    yoga,
    knownQueries,
    services,
    database,
    metrics,
    metricsAllowed: metricsAllowList(config.metricsAllow),
    consoleSite: createConsoleSite(opts.consoleDir ?? CONSOLE_DIST),
    graphiql: createGraphiQL({ endpoint: '/graphql', title: 'Operations Center' }),
    logger,
  });
  const { server } = http;
  const ws = createWsFront({ server, yoga, services, bus, metrics, logger });

  let bootstrapToken: string | null;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    // Only once the port is ours: a start that fails (a port in use) must not make a token it never shows.
    bootstrapToken = await services.tokens.bootstrapAdminIfEmpty();
  } catch (err) {
    // Nothing is left open behind a failed start (a port in use, a database that went away).
    if (server.listening) await new Promise((resolve) => server.close(resolve));
    await unbridge?.().catch(() => {});
    await ws.dispose().catch(() => {});
    if (!opts.database) await database.close().catch(() => {});
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;
  if (opts.background !== false) for (const c of controllers) c.start();
  logger.info('operations center listening', { url: `${url}/graphql`, database: database.driver, pid: process.pid });
  if (bootstrapToken) {
    // Shown once: the database had no token at all, and OC_ADMIN_TOKEN is not set.
    process.stdout.write(`\nFirst start: an ADMIN token was created. It is shown only this once:\n\n  ${bootstrapToken}\n\n`);
  }

  let stopping: Promise<void> | null = null;
  return {
    url,
    port,
    server,
    services,
    database,
    bus,
    logger,
    stop() {
      stopping ??= (async () => {
        http.refuseTraffic();
        logger.info('shutting down');
        await Promise.all(controllers.map((c) => c.stop()));
        await unbridge?.();
        sequencer.stop();
        ws.closeSockets();
        http.endEventStreams();
        await ws.dispose();
        await http.close();
        if (!opts.database) await database.close();
      })();
      return stopping;
    },
  };
}
