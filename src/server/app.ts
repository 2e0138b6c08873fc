import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BREAK, type DocumentNode, getOperationAST, getVariableValues, GraphQLError, Kind, type Source, visit } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { useGraphQlJit } from '@envelop/graphql-jit';
import { PothosValidationError } from '@pothos/core';
import { createYoga, isAsyncIterable, type Plugin } from 'graphql-yoga';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Config } from '../config.js';
import { createLeaseController } from '../controllers/lease-controller.js';
import { createRolloutController } from '../controllers/rollout-controller.js';
import { type Database, isConnectionError, openDatabase } from '../db/client.js';
import type { Principal } from '../domain/auth.js';
import { type Clock, systemClock } from '../domain/clock.js';
import { DomainError } from '../domain/errors.js';
import { EventBus } from '../events/bus.js';
import { bridgeBus } from '../events/pg-bridge.js';
import type { GraphQLContext } from '../graphql/context.js';
import { schema } from '../graphql/schema.js';
import { createLogger, type Logger } from '../logger.js';
import { createServices, type Services } from '../services/index.js';
import { createLoaders } from '../services/loaders.js';
import { createGraphiQL, GRAPHIQL_PREFIX } from './graphiql.js';
import { boundedError, boundedMessage, useQueryLimits } from './limits.js';
import { createMetrics, type Metrics, metricsAllowList, refreshFleetGauges } from './metrics.js';
import { parseGuard } from './parse-guard.js';
import { CONSOLE_DIST, createConsoleSite } from './static.js';

export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** How long /readyz waits for the database before it says the OC is not ready. */
export const READY_TIMEOUT_MS = 2_000;
/** What a client is told when its request lost its database connection (its transaction was rolled back). */
export const DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE';
const DATABASE_UNAVAILABLE_MESSAGE = 'the database connection was lost: nothing of this request was done (its transaction was rolled back); retry it';

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

type SocketExtra = {
  principal?: Principal;
};

const bearer = (v: unknown): string | null => {
  if (typeof v !== 'string') return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(v);
  return m ? m[1]! : null;
};

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
  const database = opts.database ?? (await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger }));
  const bus = new EventBus();
  // Several instances share one PostgreSQL: bridge their buses. PGlite is one process only.
  const unbridge = database.driver === 'pg' ? await bridgeBus(bus, database, logger) : null;
  const metrics = createMetrics(bus, database);
  const services = createServices({ db: database.db, bus, clock, config, logger, telemetry: metrics.telemetry });
  const metricsAllowed = metricsAllowList(config.metricsAllow);
  const controllers: { start(): void; stop(): Promise<void> }[] = [
    createLeaseController({ managers: services.managers, topology: services.topology, leaseMs: config.managerLeaseMs, logger }),
    createRolloutController({ rollouts: services.rollouts, bus, logger }),
    refreshFleetGauges({ db: database.db, bus, metrics, logger }),
  ];

  const yoga = createYoga<{ principal?: Principal | null; extra?: SocketExtra }, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // GraphiQL is served by graphiql.ts, from the package's files (yoga's loads from a CDN).
    graphiql: false,
    logging: false,
    context: (initial) => {
      const loaders = createLoaders({ db: database.db, readRows: database.readRows, clock });
      return {
        principal: initial.principal ?? initial.extra?.principal ?? null,
        services,
        loaders,
        // Cleared in place: envelop may hand resolvers a copy of this object, sharing `loaders`.
        refreshLoaders: () => {
          for (const l of Object.values(loaders)) l.clearAll();
        },
      } satisfies GraphQLContext;
    },
    maskedErrors: { maskError: (error, message) => maskError(error, message, logger) },
    // Bounds graphql-jit's compiled queries too: one per document of this cache (see useJit).
    parserAndValidationCache: { documentCache: lruCache(DOCUMENT_CACHE_SIZE) },
    plugins: [parseGuard(), metricsPlugin(metrics), useQueryLimits(), ...useJit(logger, metrics)],
  });

  const consoleSite = createConsoleSite(opts.consoleDir ?? CONSOLE_DIST);
  const graphiql = createGraphiQL({ endpoint: '/graphql', title: 'Operations Center' });

  let draining = false;
  /** From the first moment of stop(): /readyz turns traffic away while the rest winds down. */
  let shuttingDown = false;
  // Subscriptions over server-sent events: long-lived responses that shutdown has to end itself.
  const eventStreams = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    // While shutting down, a keep-alive connection is closed as soon as its request is answered.
    res.once('finish', () => {
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
    if (String(req.headers.accept ?? '').includes('text/event-stream')) {
      eventStreams.add(res);
      res.once('close', () => eventStreams.delete(res));
    }
    void handle(req, res);
  });
  // Managers and scripts keep connections open between calls: outlive their idle timeouts,
  // so a request never races the server closing the connection it was sent on.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  async function handle(req: IncomingMessage, res: ServerResponse) {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      // Liveness: the process answers. Nothing else is checked (a database outage must not get it restarted).
      if (url.pathname === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
        return;
      }
      // Readiness: send it traffic? Not while shutting down, nor while the database does not answer.
      if (url.pathname === '/readyz') {
        const notReady = (reason: string) => res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'unavailable', reason }));
        if (shuttingDown) return notReady('shutting down');
        try {
          await database.ping(READY_TIMEOUT_MS);
        } catch (err) {
          return notReady(`database: ${(err as Error).message}`);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ready' }));
        return;
      }
      if (url.pathname === '/metrics' && req.method === 'GET') {
        // From an allowed address (OC_METRICS_ALLOW, loopback by default), or with a token of any role.
        if (!metricsAllowed(req.socket.remoteAddress) && !(await services.tokens.authenticate(bearer(req.headers.authorization)))) {
          res
            .writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' })
            .end(JSON.stringify({ errors: [{ message: '/metrics needs a bearer token from this address (see OC_METRICS_ALLOW)', extensions: { code: 'UNAUTHENTICATED' } }] }));
          return;
        }
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body);
        return;
      }
      if (url.pathname.startsWith(GRAPHIQL_PREFIX)) {
        await graphiql.asset(req, res, url.pathname);
        return;
      }
      if (url.pathname !== '/graphql') {
        // The operator console, and its client-side routes.
        await consoleSite.serve(req, res, url.pathname);
        return;
      }
      const tooLarge = () =>
        res
          .writeHead(413, { 'content-type': 'application/json', connection: 'close' })
          .end(JSON.stringify({ errors: [{ message: `request body over ${MAX_BODY_BYTES} bytes`, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] }));
      if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
        tooLarge();
        return;
      }
      // A browser's GET (yoga's rule: it accepts HTML) gets GraphiQL's page, which needs no token
      // and runs nothing, even with ?query= (GraphiQL keeps the editor's text there, so a reload has one).
      if ((req.method === 'GET' || req.method === 'HEAD') && String(req.headers.accept ?? '').includes('text/html')) {
        await graphiql.page(req, res);
        return;
      }
      const principal = await services.tokens.authenticate(bearer(req.headers.authorization));
      if (!principal && req.method !== 'OPTIONS') {
        const { reason, message } = await services.tokens.refusal(bearer(req.headers.authorization));
        res
          .writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' })
          .end(JSON.stringify({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED', reason } }] }));
        return;
      }
      if (req.method === 'POST' && req.headers['content-length'] === undefined) {
        // A body of unannounced length (chunked) is read here, bounded, and handed to yoga whole.
        const body = await readBounded(req, MAX_BODY_BYTES);
        if (!body) {
          tooLarge();
          return;
        }
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== 'transfer-encoding') headers.set(k, Array.isArray(v) ? v.join(', ') : v);
        const response = await yoga.fetch(url, { method: 'POST', headers, body: new Uint8Array(body) }, { principal });
        res.writeHead(response.status, Object.fromEntries(response.headers));
        if (response.body) for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
        res.end();
        return;
      }
      await yoga.handle(req, res, { principal });
    } catch (err) {
      if (isConnectionError(err)) {
        logger.warn('request failed: database connection lost', { err });
        if (!res.headersSent) res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ errors: [{ message: DATABASE_UNAVAILABLE_MESSAGE, extensions: { code: DATABASE_UNAVAILABLE } }] }));
        return;
      }
      logger.error('request failed', { err });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
    }
  }

  // graphql-ws on the same port and path, through yoga's envelope (same auth, validation, masking).
  // noServer: upgrades are routed here by hand, so an error of the HTTP server (a port in use)
  // is not re-emitted as a WebSocket server error.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/graphql') {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  const socketsByCredential = new Map<string, Set<WebSocket>>();
  const credentialKey = (p: Principal) => (p.kind === 'session' ? `s:${p.sessionId}` : p.kind === 'token' ? `t:${p.tokenId}` : 'bootstrap');
  const wsServer = useServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      execute: (args: any) => args.rootValue.execute(args),
      subscribe: (args: any) => args.rootValue.subscribe(args),
      onConnect: async (ctx) => {
        const secret = bearer(ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization);
        const generation = services.tokens.generation;
        const principal = await services.tokens.authenticate(secret);
        const socket = (ctx.extra as any).socket as WebSocket;
        if (!principal) {
          socket.close(4401, (await services.tokens.refusal(secret)).reason);
          return false;
        }
        ctx.extra.principal = principal;
        const key = credentialKey(principal);
        let set = socketsByCredential.get(key);
        if (!set) socketsByCredential.set(key, (set = new Set()));
        set.add(socket);
        socket.once('close', () => {
          set.delete(socket);
          if (set.size === 0) socketsByCredential.delete(key);
        });
        // A revocation between the lookup and now found no socket to close: look again.
        if (services.tokens.generation !== generation && !(await services.tokens.authenticate(secret))) {
          socket.close(4401, 'token revoked');
          return false;
        }
        return true;
      },
      onSubscribe: async (ctx, _id, params) => {
        const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: (ctx.extra as any).request,
          socket: (ctx.extra as any).socket,
          params,
        });
        let document: ReturnType<typeof parse>;
        try {
          document = parse(params.query);
        } catch (e) {
          return [e as GraphQLError];
        }
        const errors = validate(s, document);
        if (errors.length > 0) return errors;
        return {
          schema: s,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
      },
      onError: (_ctx, _id, _payload, errors) => {
        logger.debug('graphql-ws operation error', { errors: errors.map((e) => e.message) });
      },
    },
    wss,
    0, // graphql-ws's own heartbeat is replaced by the one below
  );
  wss.on('connection', (socket, request) => {
    metrics.sockets.inc();
    const opened = Date.now();
    const stopHeartbeat = heartbeat(socket, HEARTBEAT_MS);
    socket.once('close', (code, reason) => {
      stopHeartbeat();
      metrics.sockets.dec();
      logger.debug('websocket closed', { code, reason: reason.toString(), remote: request.socket.remoteAddress, openMs: Date.now() - opened });
    });
  });

  // A revoked token or replaced manager session loses its open sockets at once.
  bus.on('credentialRevoked', ({ tokenId, sessionId }) => {
    for (const key of [tokenId && `t:${tokenId}`, sessionId && `s:${sessionId}`]) {
      if (!key) continue;
      for (const socket of socketsByCredential.get(key) ?? []) socket.close(4401, 'token revoked');
    }
  });
  // Revocations made on other instances may have been missed: check every open socket's credential.
  bus.on('resync', () => {
    const tokenIds: string[] = [];
    const sessionIds: string[] = [];
    for (const key of socketsByCredential.keys()) {
      if (key.startsWith('t:')) tokenIds.push(key.slice(2));
      else if (key.startsWith('s:')) sessionIds.push(key.slice(2));
    }
    if (tokenIds.length + sessionIds.length === 0) return;
    services.tokens.revokedAmong(tokenIds, sessionIds).then(
      (revoked) => {
        for (const key of [...revoked.tokenIds.map((id) => `t:${id}`), ...revoked.sessionIds.map((id) => `s:${id}`)]) {
          for (const socket of socketsByCredential.get(key) ?? []) socket.close(4401, 'token revoked');
        }
      },
      (err) => logger.warn('could not re-check the credentials of open sockets', { err }),
    );
  });

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
    await Promise.resolve(wsServer.dispose()).catch(() => {});
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
        shuttingDown = true;
        logger.info('shutting down');
        await Promise.all(controllers.map((c) => c.stop()));
        await unbridge?.();
        for (const client of wss.clients) client.close(1001, 'server shutting down');
        for (const stream of eventStreams) stream.end();
        await wsServer.dispose();
        await new Promise<void>((resolve) => {
          draining = true;
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 5000).unref();
        });
        if (!opts.database) await database.close();
      })();
      return stopping;
    },
  };
}

/** The whole body, or null once it exceeds `max` bytes (reading stops there). */
function readBounded(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) {
        chunks.push(chunk);
        return;
      }
      req.off('data', onData);
      req.off('end', onEnd);
      req.pause();
      resolve(null);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
  });
}

/** Is it a GraphQLError? Ours or the executor's: under a bundler (vitest) the two may come from distinct copies of graphql. */
const isGqlError = (e: unknown): e is GraphQLError => e instanceof GraphQLError || Object.prototype.toString.call(e) === '[object GraphQLError]';

/**
 * What a client sees of an error: expected failures keep their message and get a stable
 * extensions.code (BAD_USER_INPUT for anything wrong with the input); anything else is
 * "Unexpected error." with code INTERNAL_SERVER_ERROR, and its cause is logged. The field path
 * and locations are kept either way.
 */
function maskError(error: unknown, message: string, logger: Logger): GraphQLError {
  const located = isGqlError(error) ? error : null;
  const original = located?.originalError;
  // The replacement is made with the class of the error given, so the executor recognises it as its own.
  const Err = (located?.constructor ?? GraphQLError) as typeof GraphQLError;
  const as = (msg: string, code: unknown, extra: Record<string, unknown> = {}) =>
    new Err(msg, { nodes: located?.nodes, source: located?.source, positions: located?.positions, path: located?.path, extensions: { ...extra, code } });
  if (original instanceof DomainError) return as(original.message, original.code === 'VALIDATION' ? 'BAD_USER_INPUT' : original.code);
  if (isConnectionError(original ?? error)) {
    logger.warn('request failed: database connection lost', { err: original ?? error, path: located?.path?.join('.') });
    return as(DATABASE_UNAVAILABLE_MESSAGE, DATABASE_UNAVAILABLE);
  }
  // A malformed global id, or another input Pothos refused.
  if (original instanceof PothosValidationError) return as(original.message, 'BAD_USER_INPUT');
  if (located && !original) return boundedError(located); // GraphQL's own: syntax, validation, and yoga's HTTP errors
  if (located && isGqlError(original)) {
    const code = original.extensions?.code ?? located.extensions?.code;
    if (code) return as(located.path ? original.message : located.message, code, { ...original.extensions });
    // Without a field path the request failed before execution: a variable that does not coerce.
    if (!located.path) return as(boundedMessage(located.message), 'BAD_USER_INPUT');
  }
  logger.error('unexpected error', { err: original ?? error, path: located?.path?.join('.') });
  return as(message, 'INTERNAL_SERVER_ERROR');
}

/** Parsed documents yoga keeps (default 1024); each holds its compiled query (~80 KB), see useJit. */
const DOCUMENT_CACHE_SIZE = 256;
/** Compilations in the life of the process (graphql-jit keeps ~2 KB of each for good), see useJit. */
const MAX_COMPILES = 10_000;

/** A Map in order of last use, of at most `max` entries. */
function lruCache<T>(max: number) {
  const map = new Map<string, T>();
  return {
    get(key: string): T | undefined {
      const value = map.get(key);
      if (value !== undefined) {
        map.delete(key);
        map.set(key, value);
      }
      return value;
    },
    set(key: string, value: T) {
      map.delete(key);
      map.set(key, value);
      if (map.size > max) map.delete(map.keys().next().value!);
    },
  };
}

/**
 * Queries and mutations run as JavaScript compiled from their document by graphql-jit, instead of
 * through yoga's generic executor, which spends much of a read walking its lists of 50 objects
 * (promises, and the garbage they leave). bench:topology on PostgreSQL, server CPU per request:
 * about a quarter less for clusters(first: 50), a fifth less for cluster(name) + 50 workers.
 *
 * The answers stay the executor's, to the byte (test/api/compiled-execution.test.ts):
 * - a document is compiled on its second run, not its first: compiling costs ~1 ms, about a whole
 *   read, which a one-off document (e.g. with literals inlined) would pay for nothing;
 * - compiled queries are cached per document object, whatever the operationName: only documents
 *   of one operation are compiled (else operation B would get A's compiled query);
 * - graphql-jit orders a selection set's fields before its fragments, and its fragments last to
 *   first: documents where that would change the order of the answer's keys are left out;
 * - subscriptions, and variables that do not coerce (graphql-jit says "Expected type DateTime."
 *   without the reason), stay with the executor;
 * - graphql-jit's errors carry line and column only: they are rebuilt with positions in the
 *   document, as the executor's are, which is what maskError and yoga's serializer build on.
 * But for one thing: when several fields fail under a parent they null, graphql-jit lists each
 * error, the executor only the first to fail (which one depends on timing).
 * Memory: a compiled query lives as long as yoga's cache keeps its document, so DOCUMENT_CACHE_SIZE
 * bounds them; but graphql-jit 0.8.7 also keeps ~2 KB of every compilation for good (a module-level
 * memo, zalando-incubator/graphql-jit#287), so after MAX_COMPILES new documents stay with the executor.
 */
function useJit(logger: Logger, metrics: Metrics): (Plugin | ReturnType<typeof useGraphQlJit>)[] {
  // Per document: absent until its first run, then whether it may be compiled.
  const compilable = new WeakMap<DocumentNode, boolean>();
  const compiled = new WeakSet<DocumentNode>();
  let compiles = 0;
  const jit = useGraphQlJit(
    {},
    {
      enableIf: ({ schema, document, operationName, variableValues }) => {
        const verdict = compilable.get(document);
        if (verdict === undefined) compilable.set(document, jitAnswersAlike(document));
        if (!verdict) return false;
        const op = getOperationAST(document, operationName ?? undefined);
        const defs = op?.variableDefinitions ?? [];
        if (op === null || (defs.length > 0 && 'errors' in getVariableValues(schema, defs, variableValues ?? {}))) return false;
        if (compiled.has(document)) return true;
        if (compiles >= MAX_COMPILES) return false;
        compiles++;
        metrics.compiledDocuments.inc();
        compiled.add(document);
        return true;
      },
      onError: (result) => logger.error('graphql-jit could not compile a document', { errors: result.errors?.map((e) => e.message) }),
    },
  );
  const relocate: Plugin = {
    onExecute: ({ args }) => ({
      onExecuteDone({ result, setResult }) {
        if (isAsyncIterable(result) || !result.errors?.some(madeByJit)) return;
        const { errors, ...rest } = result;
        const source = args.document.loc?.source;
        setResult({ errors: errors.map((e) => (madeByJit(e) ? withPositions(e, source) : e)), ...rest });
      },
    }),
  };
  return [jit, relocate];
}

/** One query or mutation, and no selection set with a fragment anywhere but last (see useJit). */
function jitAnswersAlike(document: DocumentNode): boolean {
  const ops = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (ops.length !== 1 || ops[0]!.operation === 'subscription') return false;
  let alike = true;
  visit(document, {
    SelectionSet(set) {
      const fragment = set.selections.findIndex((s) => s.kind !== Kind.FIELD);
      if (fragment === -1 || fragment === set.selections.length - 1) return;
      alike = false;
      return BREAK;
    },
  });
  return alike;
}

/** Not made by GraphQLError's constructor, which always sets `positions`. */
const madeByJit = (e: GraphQLError) => !('positions' in e);

/** The error again, located by offsets in the document (from which GraphQLError computes the same locations). */
function withPositions(e: GraphQLError, source: Source | undefined): GraphQLError {
  const offset = (body: string, line: number, column: number) => {
    const lineBreak = /\r\n|[\n\r]/g;
    let start = 0;
    for (let l = 1; l < line && lineBreak.exec(body); l++) start = lineBreak.lastIndex;
    return start + column - 1;
  };
  return new GraphQLError(e.message, {
    source,
    positions: source && e.locations?.map((l) => offset(source.body, l.line, l.column)),
    path: e.path,
    originalError: e.originalError,
    extensions: e.extensions,
  });
}

export const HEARTBEAT_MS = 15_000;

/**
 * Drops a peer that stopped answering: a ping every `intervalMs`, and the socket is terminated
 * when nothing (pong or message) came back within the next interval. The verdict waits for
 * pending I/O (setImmediate): after a long busy stretch Node runs expired timers before it reads
 * sockets, and a pong already received but not yet read must not cost a healthy manager its socket.
 */
export function heartbeat(socket: WebSocket, intervalMs: number): () => void {
  let heard = true;
  const hear = () => {
    heard = true;
  };
  socket.on('pong', hear);
  socket.on('message', hear);
  const timer = setInterval(() => {
    setImmediate(() => {
      if (socket.readyState !== socket.OPEN) return;
      if (!heard) {
        socket.terminate();
        return;
      }
      heard = false;
      socket.ping();
    });
  }, intervalMs);
  timer.unref?.();
  return () => {
    clearInterval(timer);
    socket.off('pong', hear);
    socket.off('message', hear);
  };
}

/** The root field a subscription streams (its topic, as the metrics name it). */
function rootField(args: { document: any; operationName?: string | null }): string {
  const first = getOperationAST(args.document, args.operationName ?? undefined)?.selectionSet.selections[0];
  return first?.kind === 'Field' ? first.name.value : 'unknown';
}

/** Counts and times every operation, HTTP and WebSocket alike. */
function metricsPlugin(metrics: Metrics): Plugin {
  const observe = (args: { document: any; operationName?: string | null }, start: number, ok: boolean) => {
    const op = getOperationAST(args.document, args.operationName ?? undefined);
    metrics.observe(args.operationName ?? op?.name?.value, op?.operation ?? 'unknown', (performance.now() - start) / 1000, ok);
  };
  return {
    onExecute({ args }) {
      const start = performance.now();
      return {
        onExecuteDone({ result }) {
          observe(args, start, !('errors' in result && result.errors?.length));
        },
      };
    },
    onSubscribe({ args }) {
      const start = performance.now();
      // Only a subscription that is live (an event stream) counts as active; a refused one never does.
      let active = false;
      let topic = '';
      const end = () => {
        if (!active) return;
        active = false;
        metrics.subscriptionEnded(topic);
      };
      return {
        onSubscribeResult({ result }) {
          const live = isAsyncIterable(result);
          observe(args, start, live || !('errors' in result && result.errors?.length));
          if (!live) return;
          active = true;
          topic = rootField(args);
          metrics.subscriptionStarted(topic);
          return { onEnd: end };
        },
        onSubscribeError: end,
      };
    },
  };
}
