/**
 * The WebSocket side of the one port: graphql-ws on /graphql through yoga's envelope (same auth,
 * validation, masking), each socket's credential (a revoked one loses its sockets at once), and
 * the heartbeat.
 */
import type { Server } from 'node:http';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { isAsyncIterable } from 'graphql-yoga';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Principal } from '../domain/auth.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services/index.js';
import { HEARTBEAT_MS, heartbeat } from './heartbeat.js';
import { bearer, MAX_BODY_BYTES } from './http.js';
import type { Metrics } from './metrics.js';
import type { WsOperation } from './subscription-events.js';
import type { Yoga } from './yoga.js';

/** What this server keeps on a graphql-ws connection, next to graphql-ws's own `{ socket, request }`. */
type SocketExtra = { principal?: Principal };

/** The enveloped execute and subscribe of one operation, handed from onSubscribe to graphql-ws in rootValue (yoga's graphql-ws recipe). */
type Enveloped = Pick<ReturnType<Yoga['getEnveloped']>, 'execute' | 'subscribe'>;
const enveloped = (args: ExecutionArgs) => args.rootValue as Enveloped;

export interface WsDeps {
  server: Server;
  yoga: Yoga;
  services: Services;
  bus: EventBus;
  metrics: Metrics;
  logger: Logger;
}

export interface WsFront {
  /** Closes every open socket (1001, server shutting down). */
  closeSockets(): void;
  /** Stops graphql-ws (its sockets and the WebSocket server). */
  dispose(): Promise<void>;
}

export function createWsFront({ server, yoga, services, bus, metrics, logger }: WsDeps): WsFront {
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
      execute: (args) => enveloped(args).execute(args),
      subscribe: async (args) => {
        const result = await enveloped(args).subscribe(args);
        const op = (args.contextValue as { wsOperation?: WsOperation } | undefined)?.wsOperation;
        const pushed = op?.stream;
        if (!pushed || !isAsyncIterable(result)) return result;
        // Push mode (subscription-events.ts): the stream yields nothing and ends by itself, so
        // envelop's wrappers of it (masking values, onEnd hooks) have nothing to do; graphql-ws
        // iterates it directly, and keeps neither them nor the operation's context, which the
        // events no longer need (bench:subscriptions, memory per idle subscriber).
        op.stream = undefined;
        args.contextValue = undefined;
        args.rootValue = undefined;
        return pushed;
      },
      onConnect: async (ctx) => {
        const secret = bearer(ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization);
        const generation = services.tokens.generation;
        const principal = await services.tokens.authenticate(secret);
        const socket = ctx.extra.socket;
        if (!principal) {
          socket.close(4401, (await services.tokens.refusal(secret)).reason);
          return false;
        }
        ctx.extra.principal = principal;
        // Nothing reads the upgrade request once the socket is authenticated: not kept for the
        // socket's life (bench:subscriptions, memory per idle subscriber).
        (ctx.extra as { request?: unknown }).request = undefined;
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
      onSubscribe: async (ctx, id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          socket: ctx.extra.socket,
          params,
          // Where a subscription's events may be sent directly (push mode, subscription-events.ts).
          wsOperation: { socket: ctx.extra.socket, id } satisfies WsOperation,
        });
        let document: ReturnType<typeof parse>;
        try {
          document = parse(params.query);
        } catch (e) {
          return [e as GraphQLError];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        return {
          schema,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies Enveloped,
        };
      },
      onError: (_ctx, _id, _payload, errors) => {
        logger.debug('graphql-ws operation error', { errors: errors.map((e) => e.message) });
      },
    },
    wss,
    0, // graphql-ws's own heartbeat is replaced by ours (heartbeat.ts)
  );
  wss.on('connection', (socket, request) => {
    metrics.sockets.inc();
    const opened = Date.now();
    const remote = request.socket.remoteAddress;
    const stopHeartbeat = heartbeat(socket, HEARTBEAT_MS);
    socket.once('close', (code, reason) => {
      stopHeartbeat();
      metrics.sockets.dec();
      logger.debug('websocket closed', { code, reason: reason.toString(), remote, openMs: Date.now() - opened });
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

  return {
    closeSockets() {
      for (const client of wss.clients) client.close(1001, 'server shutting down');
    },
    dispose: async () => {
      await wsServer.dispose();
    },
  };
}
