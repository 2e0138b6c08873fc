/**
 * The WebSocket side of the one port: graphql-transport-ws on /graphql (graphql-transport-ws.ts)
 * through yoga's envelope (same auth, validation, masking), each socket's credential (a revoked
 * one loses its sockets at once), and the heartbeat.
 */
import type { Server } from 'node:http';
import type { ExecutionArgs, ExecutionResult, GraphQLError } from 'graphql';
import { isAsyncIterable } from 'graphql-yoga';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Principal } from '../domain/auth.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services/index.js';
import { serveGraphQLTransportWs } from './graphql-transport-ws.js';
import { HEARTBEAT_MS, startHeartbeat } from './heartbeat.js';
import { bearer, MAX_BODY_BYTES } from './http.js';
import type { Metrics } from './metrics.js';
import type { WsOperation } from './subscription-events.js';
import type { Yoga } from './yoga.js';

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
  /** Stops the protocol (its sockets and the WebSocket server). */
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
  const beat = startHeartbeat(wss.clients, HEARTBEAT_MS);
  /** When each socket opened (for the close's log line): one number per socket, no closure. */
  const openedAt = new WeakMap<WebSocket, number>();
  wss.on('connection', (socket) => {
    metrics.sockets.inc();
    openedAt.set(socket, Date.now());
    beat.watch(socket);
  });
  const protocol = serveGraphQLTransportWs<Principal>(wss, {
    onConnect: async (socket, params) => {
      const secret = bearer(params?.authorization ?? params?.Authorization);
      const generation = services.tokens.generation;
      const principal = await services.tokens.authenticate(secret);
      if (!principal) {
        socket.close(4401, (await services.tokens.refusal(secret)).reason);
        return null;
      }
      if (socket.readyState !== socket.OPEN) return null;
      const key = credentialKey(principal);
      let set = socketsByCredential.get(key);
      if (!set) socketsByCredential.set(key, (set = new Set()));
      set.add(socket);
      // A revocation between the lookup and now found no socket to close: look again.
      if (services.tokens.generation !== generation && !(await services.tokens.authenticate(secret))) {
        socket.close(4401, 'token revoked');
        return null;
      }
      return principal;
    },
    onSubscribe: async (socket, principal, id, params) => {
      const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
        principal,
        params,
        // Where a subscription's events may be sent directly (push mode, subscription-events.ts).
        wsOperation: { socket, id } satisfies WsOperation,
      });
      let document: ReturnType<typeof parse>;
      try {
        document = parse(params.query);
      } catch (e) {
        return [e as GraphQLError];
      }
      const errors = validate(schema, document);
      if (errors.length > 0) return errors;
      const args: ExecutionArgs = { schema, operationName: params.operationName, document, variableValues: params.variables, contextValue: await contextFactory() };
      return {
        args,
        execute: (a) => execute(a) as ExecutionResult | Promise<ExecutionResult>,
        subscribe: async (a) => {
          const result = await subscribe(a);
          const op = (a.contextValue as { wsOperation?: WsOperation } | undefined)?.wsOperation;
          const pushed = op?.stream;
          if (!pushed || !isAsyncIterable(result)) return result as ExecutionResult | AsyncIterable<ExecutionResult>;
          // Push mode (subscription-events.ts): the stream sends its events itself, so envelop's
          // wrappers of it (masking values, onEnd hooks) have nothing to do; it is kept instead of
          // them. Nor is the operation's context (its loaders: ~2 KB), which envelop's hooks would keep
          // through these arguments (bench:subscriptions, memory per idle subscriber).
          op.stream = undefined;
          a.contextValue = undefined;
          return pushed;
        },
      };
    },
    onError: (_id, errors) => {
      logger.debug('graphql-ws operation error', { errors: errors.map((e) => e.message) });
    },
    onClose: (socket, principal, code, reason) => {
      if (principal) {
        const key = credentialKey(principal);
        const set = socketsByCredential.get(key);
        set?.delete(socket);
        if (set?.size === 0) socketsByCredential.delete(key);
      }
      metrics.sockets.dec();
      logger.debug('websocket closed', { code, reason: reason.toString(), openMs: Date.now() - (openedAt.get(socket) ?? Date.now()) });
    },
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
      beat.stop();
      await protocol.dispose();
    },
  };
}
