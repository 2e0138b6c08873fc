/**
 * The graphql-transport-ws protocol (graphql-ws's GRAPHQL_TRANSPORT_WS_PROTOCOL.md) on `ws`, by
 * hand, in place of graphql-ws's server (`useServer`/`makeServer`); graphql-ws's own message
 * parsing, close codes and subprotocol choice are used as they are.
 *
 * Why by hand: memory per idle subscriber (bench:subscriptions; tmp heap snapshots of 1,000
 * sockets, PostgreSQL, NODE_ENV=production). With graphql-ws's server a socket without a
 * subscription cost 6.4 KB of heap and a subscription 6.5 KB more (a raw `ws` connection: 3.3 KB):
 * per socket its context, a socket adapter of three closures, an async message handler, `once`
 * wrappers for its own close and error listeners and a 3 s timer kept until the socket closes; per
 * subscription the suspended `for await` of its message handler: two async frames (graphql-ws's,
 * and its `ws` adapter's, which holds the subscribe message's Buffer), the parsed message, the
 * execution arguments, an `emit` of three closures, and the pending promise of the iterator's next().
 * None of that serves a push-mode subscription (subscription-events.ts), which writes to the socket
 * itself. Here a socket is one small record reached from shared listeners (no closure per
 * socket), and a push-mode subscription is an entry in the socket's map, told when it ends by a
 * callback (SETTLE): nothing waits on it. Other operations (queries, mutations, pull-mode streams:
 * managerTasks, replays) run as graphql-ws runs them.
 *
 * The behaviour is graphql-ws 6.4's, message for message and close code for close code
 * (test/api/ws-protocol.test.ts, written against graphql-ws's server): 4406 without the
 * subprotocol, 4408 when no connection_init comes within 3 s, 4429 on a second one, 4403 when
 * onConnect refuses (unless it closed the socket itself), 4401 for a subscribe before the ack,
 * 4409 for an id in use, 4400 for a message that is not one, 4500 for an internal error; ping is
 * answered with pong (its payload echoed); a query is answered with next then complete; errors
 * before execution with one error message; a stream that fails with an error message; a
 * complete from the client ends its operation without a reply. One difference: a finished
 * operation frees only its own id (graphql-ws's could free the id's next operation's).
 */
import { type ExecutionArgs, type ExecutionResult, getOperationAST, GraphQLError } from 'graphql';
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, MessageType, parseMessage, type SubscribePayload } from 'graphql-ws';
import type { RawData, WebSocket, WebSocketServer } from 'ws';

/** A push-mode stream's way of saying it ended by itself: null when done, the error when it failed (subscription-events.ts). */
export const SETTLE: unique symbol = Symbol('graphql-transport-ws.settle');
export interface Settling {
  [SETTLE](settled: (failure: GraphQLError | null) => void): void;
}

type Returnable = { return?: (value?: unknown) => unknown };

/** An operation ready to run: its arguments and the execute and subscribe to run it with. */
export interface PreparedOperation {
  args: ExecutionArgs;
  execute(args: ExecutionArgs): ExecutionResult | Promise<ExecutionResult>;
  subscribe(args: ExecutionArgs): Promise<ExecutionResult | AsyncIterable<ExecutionResult>> | ExecutionResult | AsyncIterable<ExecutionResult>;
}

export interface ProtocolHooks<P> {
  /** connection_init: the socket's principal, or null to refuse it (closed with 4403 unless the hook closed it already). */
  onConnect(socket: WebSocket, params: Record<string, unknown> | undefined): Promise<P | null>;
  /** subscribe: the operation, or the errors to answer with (one error message). */
  onSubscribe(socket: WebSocket, principal: P, id: string, payload: SubscribePayload): Promise<PreparedOperation | readonly GraphQLError[]>;
  /** An error message is about to be sent. */
  onError(id: string, errors: readonly GraphQLError[]): void;
  /** The socket closed (after its operations were ended); `principal` is null if it was never acknowledged. */
  onClose(socket: WebSocket, principal: P | null, code: number, reason: Buffer): void;
}

/** How long a socket may wait before its connection_init (graphql-ws's default). */
export const CONNECTION_INIT_WAIT_MS = 3_000;

/** What the protocol keeps of a socket (on the socket, under CONN): read by shared listeners. */
interface Conn<P> {
  initReceived: boolean;
  /** Set once acknowledged. */
  principal: P | null;
  /** Operations by id: null while starting, then the stream to return() on complete; null map until the first. */
  ops: Map<string, Returnable | null> | null;
  initTimer: NodeJS.Timeout | null;
  closed: boolean;
}
const CONN: unique symbol = Symbol('graphql-transport-ws.conn');
type Socket<P> = WebSocket & { [CONN]: Conn<P> };

const isProd = () => process.env.NODE_ENV === 'production';
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> => typeof Object(v)[Symbol.asyncIterator] === 'function';
const areGraphQLErrors = (v: unknown): v is readonly GraphQLError[] => Array.isArray(v) && v.length > 0 && v.every((e) => e instanceof GraphQLError);
const ACK = JSON.stringify({ type: MessageType.ConnectionAck });
const PONG = JSON.stringify({ type: MessageType.Pong });

/** Serves graphql-transport-ws on every connection of `wss` (which must route only /graphql's upgrades to it). */
export function serveGraphQLTransportWs<P>(wss: WebSocketServer, hooks: ProtocolHooks<P>): { dispose(): Promise<void> } {
  // The subprotocol, as graphql-ws chooses it: none, and the socket is closed with 4406 below.
  wss.options.handleProtocols = (protocols) => (protocols.has(GRAPHQL_TRANSPORT_WS_PROTOCOL) ? GRAPHQL_TRANSPORT_WS_PROTOCOL : false);

  const send = (socket: WebSocket, text: string) => {
    if (socket.readyState === socket.OPEN) socket.send(text);
  };
  const internalError = (socket: WebSocket, err: unknown) => {
    console.error('Internal error occurred during message handling. Please check your implementation.', err);
    const message = err instanceof Error ? err.message : String(err);
    socket.close(CloseCode.InternalServerError, isProd() || message.length >= 124 ? 'Internal server error' : message);
  };
  const sendError = (socket: WebSocket, id: string, errors: readonly GraphQLError[]) => {
    hooks.onError(id, errors);
    send(socket, JSON.stringify({ id, type: MessageType.Error, payload: errors.map((e) => e.toJSON()) }));
  };
  const sendNext = (socket: WebSocket, id: string, result: ExecutionResult) => {
    const { errors, ...rest } = result;
    send(socket, JSON.stringify({ id, type: MessageType.Next, payload: errors ? { ...rest, errors: errors.map((e) => e.toJSON()) } : rest }));
  };
  const sendComplete = (socket: WebSocket, id: string) => send(socket, JSON.stringify({ id, type: MessageType.Complete }));
  /** Is `op` still the operation running under `id` (not completed by the client, socket open)? */
  const running = (conn: Conn<P>, id: string, op: Returnable | null) => conn.ops?.has(id) === true && conn.ops.get(id) === op;

  async function start(socket: WebSocket, conn: Conn<P>, id: string, payload: SubscribePayload) {
    const prepared = await hooks.onSubscribe(socket, conn.principal as P, id, payload);
    if (areGraphQLErrors(prepared)) {
      if (running(conn, id, null)) {
        conn.ops!.delete(id);
        sendError(socket, id, prepared);
      }
      return;
    }
    if (Array.isArray(prepared)) throw new Error('Invalid return value from onSubscribe hook, expected an array of GraphQLError objects');
    const { args } = prepared as PreparedOperation;
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation) {
      if (running(conn, id, null)) {
        conn.ops!.delete(id);
        sendError(socket, id, [new GraphQLError('Unable to identify operation')]);
      }
      return;
    }
    const result = operation.operation === 'subscription' ? await (prepared as PreparedOperation).subscribe(args) : await (prepared as PreparedOperation).execute(args);
    if (!isAsyncIterable(result)) {
      if (running(conn, id, null)) {
        conn.ops!.delete(id);
        sendNext(socket, id, result);
        sendComplete(socket, id);
      }
      return;
    }
    const stream = result as AsyncIterable<ExecutionResult> & Returnable;
    if (!running(conn, id, null)) {
      // Completed by the client (or the socket closed) while it started.
      void stream.return?.(undefined);
      return;
    }
    conn.ops!.set(id, stream);
    if (SETTLE in stream) {
      // Push mode: the stream sends its events itself; it says when it ends.
      (stream as unknown as Settling)[SETTLE]((failure) => {
        if (!running(conn, id, stream)) return;
        conn.ops!.delete(id);
        if (failure) sendError(socket, id, [failure]);
        else sendComplete(socket, id);
      });
      return;
    }
    try {
      for await (const r of stream) sendNext(socket, id, r);
    } catch (err) {
      const originalError = err instanceof Error ? err : new Error(String(err));
      if (running(conn, id, stream)) {
        conn.ops!.delete(id);
        sendError(socket, id, [new GraphQLError(originalError.message, { originalError })]);
      }
      return;
    }
    if (running(conn, id, stream)) {
      conn.ops!.delete(id);
      sendComplete(socket, id);
    }
  }

  // Shared listeners: `this` is the socket.
  function onMessage(this: WebSocket, data: RawData) {
    const socket = this as Socket<P>;
    const conn = socket[CONN];
    let message: ReturnType<typeof parseMessage>;
    try {
      message = parseMessage(String(data));
    } catch {
      socket.close(CloseCode.BadRequest, 'Invalid message received');
      return;
    }
    switch (message.type) {
      case MessageType.ConnectionInit: {
        if (conn.initReceived) {
          socket.close(CloseCode.TooManyInitialisationRequests, 'Too many initialisation requests');
          return;
        }
        conn.initReceived = true;
        if (conn.initTimer) clearTimeout(conn.initTimer);
        conn.initTimer = null;
        hooks.onConnect(socket, isObject(message.payload) ? message.payload : undefined).then(
          (principal) => {
            if (principal === null) {
              socket.close(CloseCode.Forbidden, 'Forbidden');
              return;
            }
            if (conn.closed) return;
            conn.principal = principal;
            send(socket, ACK);
          },
          (err: unknown) => internalError(socket, err),
        );
        return;
      }
      case MessageType.Ping:
        send(socket, message.payload ? JSON.stringify({ type: MessageType.Pong, payload: message.payload }) : PONG);
        return;
      case MessageType.Pong:
        return;
      case MessageType.Subscribe: {
        if (conn.principal === null) {
          socket.close(CloseCode.Unauthorized, 'Unauthorized');
          return;
        }
        const { id, payload } = message;
        const ops = (conn.ops ??= new Map());
        if (ops.has(id)) {
          socket.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
          return;
        }
        ops.set(id, null);
        start(socket, conn, id, payload).catch((err: unknown) => {
          if (conn.ops?.get(id) === null) conn.ops.delete(id);
          internalError(socket, err);
        });
        return;
      }
      case MessageType.Complete: {
        const op = conn.ops?.get(message.id);
        conn.ops?.delete(message.id);
        if (op && isAsyncIterable(op)) void op.return?.(undefined);
        return;
      }
      default:
        internalError(socket, new Error(`Unexpected message of type ${message.type} received`));
    }
  }

  function onClose(this: WebSocket, code: number, reason: Buffer) {
    const conn = (this as Socket<P>)[CONN];
    conn.closed = true;
    if (conn.initTimer) clearTimeout(conn.initTimer);
    conn.initTimer = null;
    const ops = conn.ops;
    conn.ops = null;
    if (ops) for (const op of ops.values()) if (op && isAsyncIterable(op)) void op.return?.(undefined);
    hooks.onClose(this, conn.principal, code, reason);
  }

  function onError(this: WebSocket, err: Error) {
    console.error('Internal error emitted on a WebSocket socket. Please check your implementation.', err);
    this.close(CloseCode.InternalServerError, isProd() || err.message.length >= 124 ? 'Internal server error' : err.message);
  }

  wss.on('connection', (ws: WebSocket) => {
    const socket = ws as Socket<P>;
    const conn: Conn<P> = { initReceived: false, principal: null, ops: null, initTimer: null, closed: false };
    socket[CONN] = conn;
    socket.on('close', onClose);
    socket.on('error', onError);
    if (socket.protocol !== GRAPHQL_TRANSPORT_WS_PROTOCOL) {
      socket.close(CloseCode.SubprotocolNotAcceptable, 'Subprotocol not acceptable');
      return;
    }
    conn.initTimer = setTimeout(() => {
      conn.initTimer = null;
      if (!conn.initReceived) socket.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
    }, CONNECTION_INIT_WAIT_MS);
    socket.on('message', onMessage);
  });

  return {
    dispose: async () => {
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
