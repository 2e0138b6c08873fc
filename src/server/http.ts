/** The HTTP side of the one port: routes each request (probes, /metrics, GraphiQL, the console, GraphQL), bounds bodies, and winds connections down at shutdown. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type Database, isConnectionError } from '../db/client.js';
import type { Principal } from '../domain/auth.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services/index.js';
import { DATABASE_UNAVAILABLE, DATABASE_UNAVAILABLE_MESSAGE } from './errors.js';
import { GRAPHIQL_PREFIX, type GraphiQL } from './graphiql.js';
import type { Metrics } from './metrics.js';
import type { ConsoleSite } from './static.js';
import type { KnownQueries } from './known-queries.js';
import type { Yoga } from './yoga.js';

export const MAX_BODY_BYTES = 16 * 1024 * 1024;
const GRAPHQL_URL: Readonly<URL> = new URL('/graphql', 'http://localhost');
/** How long /readyz waits for the database before it says the OC is not ready. */
export const READY_TIMEOUT_MS = 2_000;

/** The secret of an `Authorization: Bearer <secret>` value, else null. */
export const bearer = (v: unknown): string | null => {
  if (typeof v !== 'string') return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(v);
  return m ? m[1]! : null;
};

export interface HttpDeps {
  yoga: Yoga;
  knownQueries: KnownQueries;
  services: Services;
  database: Database;
  metrics: Metrics;
  /** Whether /metrics answers this address without a token (OC_METRICS_ALLOW). */
  metricsAllowed: (remoteAddress: string | undefined) => boolean;
  consoleSite: ConsoleSite;
  graphiql: GraphiQL;
  logger: Logger;
}

export interface HttpFront {
  server: Server;
  /** From the first moment of shutdown: /readyz turns traffic away while the rest winds down. */
  refuseTraffic(): void;
  /** Ends the subscriptions over server-sent events: long-lived responses that shutdown has to end itself. */
  endEventStreams(): void;
  /** Stops listening; keep-alive connections close as their requests are answered, any left after 5 s. */
  close(): Promise<void>;
}

export function createHttpFront({ yoga, knownQueries, services, database, metrics, metricsAllowed, consoleSite, graphiql, logger }: HttpDeps): HttpFront {
  let draining = false;
  let shuttingDown = false;
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
      // The GraphQL endpoint as written by every client needs no parsing (most requests: a URL object each).
      const url = req.url === '/graphql' ? GRAPHQL_URL : new URL(req.url ?? '/', 'http://localhost');
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
        await viaFetch(req, res, url, body, principal);
        return;
      }
      if (req.method === 'POST' && Number(req.headers['content-length']) > 0) {
        // A body of announced length (bounded above) is read here in one piece. Reading it through
        // whatwg-node's web streams instead cost a pipeline, a TransformStream and an AbortController
        // aborted with a DOMException (a stack trace) on every request: about 5% of a CPU profile
        // of the clusters page (bench:topology).
        const body = await readBounded(req, MAX_BODY_BYTES);
        if (!body) {
          tooLarge();
          return;
        }
        // A JSON body is parsed once, here, and handed to yoga parsed (whatwg-node's parsed-body
        // form, `req.body`, which yoga's request.json() returns as is). Not as the Buffer: whatwg-node
        // tests a parsed body with Object.keys(), which for a Buffer lists every byte's index as a
        // string: 4 ms for a 20 KB body, 16 ms for 60 KB, all of it garbage (a manager's reports
        // are the largest and most frequent bodies: 10% of the OC's CPU in bench/rollout.ts).
        const params = jsonObject(req, body);
        if (!params) {
          await viaFetch(req, res, url, body, principal);
          return;
        }
        // A query yoga answered before is answered again without it (known-queries.ts).
        if (await knownQueries.answer(req, res, params, principal)) return;
        (req as IncomingMessage & { body?: object }).body = params;
      }
      await yoga.handle(req, res, { principal });
    } catch (err) {
      if (err === ABORTED) return; // the client went away while sending its body: no one to answer
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

  /**
   * A body read here that yoga is to parse itself (not JSON, not an object, not JSON at all):
   * handed to it as a fetch Request, and its answer written back. Rarer than JSON and slower, but
   * never the Buffer as req.body (see above).
   */
  async function viaFetch(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer, principal: Principal | null) {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && k !== 'transfer-encoding') headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const response = await yoga.fetch(url, { method: 'POST', headers, body: new Uint8Array(body) }, { principal });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
    res.end();
  }

  return {
    server,
    refuseTraffic() {
      shuttingDown = true;
    },
    endEventStreams() {
      for (const stream of eventStreams) stream.end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        draining = true;
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5000).unref();
      }),
  };
}

/** Whether yoga reads a body of this content-type as JSON (its post-json request parser's own test, exactly). */
const yogaReadsJson = (contentType: string | undefined) => {
  const first = contentType?.split(',')[0];
  if (!first) return false;
  for (const media of ['application/json', 'application/graphql+json']) if (first === media || first.startsWith(`${media};`)) return true;
  return false;
};

/**
 * The body as yoga would parse it, when that is a JSON object with at least one key (whatwg-node
 * takes a parsed body only then); else null, and yoga parses (and refuses) it itself. Not an
 * array either (a batch, which yoga refuses): whatwg-node's Object.keys() would list its elements.
 */
function jsonObject(req: IncomingMessage, body: Buffer): Record<string, unknown> | null {
  if (req.headers['content-encoding'] !== undefined || !yogaReadsJson(req.headers['content-type'])) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString());
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  for (const _ in parsed) return parsed as Record<string, unknown>;
  return null;
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
    const onEnd = () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', () => reject(ABORTED));
    req.once('close', () => {
      if (!req.complete) reject(ABORTED);
    });
  });
}

/** readBounded's failure when the request ended before its body did (the client aborted it). */
const ABORTED = new Error('the request was aborted before its body was read');
