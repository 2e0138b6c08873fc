/**
 * How a subscription's events reach its subscribers: each event executed once per group of
 * subscribers asking the same thing, serialized once, and its bytes fanned out (Kubernetes' watch
 * cache serving every watcher from one copy; Nomad's event broker, whose publisher never waits).
 *
 * graphql-js (and yoga's executor) resolve each event once per subscriber: a thousand subscribers
 * of `membershipChanged` cost a thousand executions per event, and as many reads of whatever the
 * selection asks beyond the event (the cluster's health, its manager...). Here:
 * - each subscriber still has its own event stream (the field's `subscribe`: its filters, its
 *   authorization), made by graphql-js's createSourceEventStream;
 * - subscribers asking the same (document, operation, variables, accessKey) form a group; every
 *   subscriber of a topic receives the same payload object from the bus, so an event is executed
 *   once per group, with the group's one representative context, and the result is shared;
 * - the event's executions read through loaders of their own, made for that event and shared by
 *   every execution of it (other documents too): anything a selection asks beyond the event's own
 *   snapshot is read once per event, never once per subscriber, and always fresh for the event;
 * - an event's executions wait for a turn of the event loop (setImmediate), so that the request
 *   that published it is answered first, not after its thousand subscribers.
 * Results live as long as the payload object (WeakMaps): nothing to expire.
 *
 * graphql-ws subscribers on a live stream (ws.ts puts the socket and the operation id in the
 * context as `wsOperation`; the bus's iterator can push, events/bus.ts PUSH) go further ("push
 * mode"): a group's first subscriber lends the group its event stream, and the bus calls the
 * group's sink, once per event and group (a later subscriber's own stream is closed once the events
 * it buffered while subscribing are handed to it alone); the group's result is masked as yoga
 * masks (`mask`, the function yoga's maskedErrors uses), serialized once, and sent, in the group's
 * event order, to the members the group had at the event: `{"id":…,"type":"next","payload":<the
 * shared JSON>}` directly on each socket. A subscriber waits on a result of its own only in that
 * joining window (its `head`, and a FIFO behind it). graphql-transport-ws.ts keeps the subscriber's
 * stream, which yields nothing (ws.ts hands it that stream itself, not envelop's wrappers of it,
 * and drops the operation's context), and learns through SETTLE when it ends by itself: it ends
 * when returned (complete, socket closed: the subscriber leaves its group), or fails with
 * "subscriber too slow" when its socket's unsent bytes pass MAX_UNSENT_BYTES (a client that
 * stopped reading) or its group's pending results pass MAX_PENDING_EVENTS (the pull path's bounded
 * buffer). Executions and fan-outs run in
 * slices of TURN_MS, a fan-out FANOUT_STEP subscribers at a time, so the OC reads its sockets (the
 * next report, a report's database replies) between them; a turn's messages to one socket leave
 * in one write (the TCP socket is corked until the turn ends).
 * Replays (`after:`), managerTasks, server-sent events and anything else keep the pull path.
 *
 * Why by hand: bench:subscriptions (--quick, 400 subscribers, 100 events/s, PostgreSQL, same
 * runs). Quiet machine: report→receipt p99 894 ms → 39 ms (raw `ws` broadcasting the same bytes:
 * 94-144 ms), the manager's reports p50 94 → 12 ms (6 ms alone), the OC's CPU per message delivered
 * 26.9 → 18.9 µs, the reports' own CPU included (raw `ws` 9 µs; a queue, a promise chain,
 * envelop's wrappers, graphql-ws's `for await` and JSON.stringify per subscriber and event before).
 * Loaded machine: p99 ~7-13 s → 0.2-0.4 s, 27 → 6-9 µs per message (bursts share one write per
 * socket). Heap per idle subscriber 20.8 → 12.7-13.7 KB, then 5.0-5.4 KB with graphql-transport-ws.ts
 * and no closure per subscriber (raw `ws` 3.2 KB). One bus handler per group rather than per
 * subscriber: the publisher's time in the bus p50 ~0.27-0.58 → ~0.05 ms per event with 400.
 *
 * An event that is not an object (a command id) cannot be told from the next event with the same
 * value: it is executed per subscriber, with loaders of its own too.
 *
 * Resolvers under Subscription must therefore not depend on who asks beyond what `accessKey`
 * holds (role, kind, cluster binding): that is all the auth scopes read (graphql/builder.ts).
 */
import { createSourceEventStream, type DocumentNode, type ExecutionArgs, type ExecutionResult, execute, getOperationAST, GraphQLError, type GraphQLSchema } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Principal } from '../domain/auth.js';
import { PUSH, type Pushable } from '../events/bus.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { Loaders } from '../services/loaders.js';
import { SETTLE, type Settling } from './graphql-transport-ws.js';

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * What ws.ts puts in a graphql-ws operation's context: where its events go in push mode. In push
 * mode the plugin sets `stream`: ws.ts hands that to graphql-transport-ws.ts rather than envelop's wrappers of it.
 */
export interface WsOperation {
  socket: WebSocket;
  id: string;
  stream?: PushStream;
}

/** Registers what to call once when a push-mode stream ends (completed, socket closed, too slow). */
export const ON_END: unique symbol = Symbol('PushStream.onEnd');
export type PushStream = AsyncIterableIterator<never> & Settling & { [ON_END](f: () => void): void };

/** A push-mode subscriber is ended when this many of its events wait for their execution... */
export const MAX_PENDING_EVENTS = 10_000;
/** ...or when its socket holds this many bytes not yet taken by the network (a client that stopped reading). */
export const MAX_UNSENT_BYTES = 4 * 1024 * 1024;
const TOO_SLOW = 'subscriber too slow: event buffer overflowed';
/** How long deferred executions (and their fan-out) may hold the event loop before it reads its sockets again. */
const TURN_MS = 2;
/** Subscribers flushed between two looks at the clock. */
const FANOUT_STEP = 16;
/**
 * Subscription fields whose events are executed at once on the pull path, not after the I/O
 * pending then: a manager's own task stream has one subscriber per event (its cluster's session),
 * published by the rollout driver rather than by a request awaiting its answer, and a rollout's
 * next batch waits on it. Deferred, a task waited for whatever requests had arrived meanwhile
 * (the manager's own reports among them): 20-190 ms of each batch's turnaround in
 * bench/rollout.ts's restart on a loaded machine.
 */
const AT_ONCE_FIELDS = new Set(['managerTasks']);

/** What of a principal its authorization depends on: subscribers alike in this see the same answers. */
export function accessKey(p: Principal | null | undefined): string {
  if (!p) return '-';
  if (p.kind === 'session') return `s:${p.clusterId}`;
  if (p.kind === 'token') return `t:${p.role}:${p.clusterName ?? ''}`;
  return `b:${p.role}`;
}

/**
 * The same stream with each value mapped (one object, no async generator per value); an error of
 * the stream (a subscriber too slow for its buffer) is located at the operation, as yoga's executor does.
 */
function mapStream<T, U>(source: AsyncIterator<T>, map: (v: T) => U | Promise<U>, located: (e: Error) => GraphQLError): AsyncIterableIterator<U> {
  const it: AsyncIterableIterator<U> = {
    next: () =>
      source.next().then(
        (r) => (r.done ? (r as IteratorReturnResult<undefined>) : Promise.resolve(map(r.value)).then((value) => ({ value, done: false }))),
        (e: Error) => Promise.reject(located(e)),
      ),
    return: () => (source.return ? source.return() : Promise.resolve({ value: undefined, done: true })) as Promise<IteratorResult<U>>,
    throw: (e) => (source.throw ? source.throw(e) : Promise.reject(e)) as Promise<IteratorResult<U>>,
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

/** One event's result for one group, as the payload of a graphql-ws `next` message (JSON), once ready. */
interface Shared {
  json: string | null;
  /** Push-mode subscribers whose next message this is, waiting for it (the few that joined while it was published). */
  waiters: Member[] | null;
  /** The group's members when its source had the event, sent it once ready, in the group's order; null when it is not the group's. */
  members: Member[] | null;
  group: Group | null;
}

/** Subscribers asking the same: the group's one execution context (no socket, no request). */
interface Group {
  key: string;
  args: Pick<ExecutionArgs, 'schema' | 'document' | 'operationName' | 'variableValues'> & { context: Omit<GraphQLContext, 'loaders'> };
  /** Its members; replaced, never changed in place, when one joins or leaves (a pending result keeps the list of its event). */
  list: Member[];
  /** The event stream of its first member, serving every member (theirs are closed once they join). */
  source: (AsyncIterator<unknown> & Pushable<unknown>) | null;
  /** Its events' results not sent yet, in event order: each is fanned out once it and those before it are ready. */
  queue: Shared[];
  /** The last event it had, and its result (the bus hands an event to every subscriber before the next). */
  lastEvent: object | null;
  lastShared: Shared | null;
}

/** A push-mode subscriber: only what its deliveries need. */
interface Member {
  socket: WebSocket;
  /** `{"id":<id>,"type":"next","payload":` */
  prefix: string;
  group: Group;
  /** The result it is to send next, waited for (it is among the result's `waiters`); null when it waits for nothing. */
  head: Shared | null;
  /** The results after `head`, in event order; null when there are none (one event at a time needs no array, an idle subscriber keeps none). */
  fifo: Shared[] | null;
  /** Told once when the subscription ends by itself: null when done, the error when too slow (graphql-transport-ws.ts's SETTLE). */
  settled: ((failure: GraphQLError | null) => void) | null;
  /** Called once when it leaves (the gauge of active subscriptions, metrics-plugin.ts). */
  onEnd: (() => void) | null;
  ended: boolean;
  failure: GraphQLError | null;
  /** Ends its subscription (it leaves its group; graphql-transport-ws.ts sends complete). */
  end(): void;
}

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

/**
 * The envelop plugin (yoga: graphql-ws and server-sent events alike). `makeLoaders` makes the
 * loaders of one event; `mask` is yoga's masking of an error (yoga.ts's maskedErrors), applied
 * here to push-mode results, which bypass yoga's own.
 */
export function useSharedSubscriptionEvents(makeLoaders: () => Loaders, mask: (error: GraphQLError) => GraphQLError): Plugin {
  const loadersOf = new WeakMap<object, Loaders>();
  /** Per event: its results, by what was asked (document, operation, variables, access). */
  const resultsOf = new WeakMap<object, Map<string, Result>>();
  const groups = new Map<string, Group>();
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 1;

  const eventLoaders = (event: unknown): Loaders => {
    if (typeof event !== 'object' || event === null) return makeLoaders();
    let l = loadersOf.get(event);
    if (!l) loadersOf.set(event, (l = makeLoaders()));
    return l;
  };

  // Work deferred to later turns of the event loop, in slices of TURN_MS: a report of a hundred
  // events fans out to every subscriber of each, and the OC still reads its sockets (the next
  // report, its database replies) between slices (bench:subscriptions, the manager's report
  // latency). Fan-outs of ready results go first, a few subscribers at a time (a subscriber's
  // messages stay in order whenever its flush runs: flush sends only the ready head of its FIFO);
  // then executions, in the order of their events.
  let deferred: (() => void)[] = [];
  let done = 0;
  /** Ready results to send: to their group's members (`shared`), or to the subscribers waiting for them (null: flush each). */
  const fanouts: { members: Member[]; next: number; shared: Shared | null }[] = [];
  let scheduled = false;
  const runDeferred = () => {
    scheduled = false;
    const until = performance.now() + TURN_MS;
    for (;;) {
      const f = fanouts[0];
      if (f) {
        const end = Math.min(f.members.length, f.next + FANOUT_STEP);
        if (f.shared) while (f.next < end) deliver(f.members[f.next++]!, f.shared);
        else while (f.next < end) flush(f.members[f.next++]!);
        if (f.next >= f.members.length) fanouts.shift();
      } else if (done < deferred.length) deferred[done++]!();
      else break;
      if (performance.now() > until) break;
    }
    if (done >= deferred.length) {
      deferred = [];
      done = 0;
    }
    if (fanouts.length > 0 || done < deferred.length) schedule();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(runDeferred);
  };
  const defer = (f: () => void) => {
    deferred.push(f);
    schedule();
  };

  // --- push mode -----------------------------------------------------------------------------

  const serialize = (result: ExecutionResult): string => {
    // The shape graphql-ws sends: the result without errors, then its errors (masked, as yoga would).
    const { errors, ...rest } = result;
    return JSON.stringify(errors ? { ...rest, errors: errors.map(mask) } : rest);
  };

  const ready = (shared: Shared, json: string) => {
    shared.json = json;
    const waiters = shared.waiters;
    shared.waiters = null;
    if (waiters) fanouts.push({ members: waiters, next: 0, shared: null });
    const group = shared.group;
    if (group) {
      const queue = group.queue;
      let i = 0;
      while (i < queue.length && queue[i]!.json !== null) {
        const s = queue[i++]!;
        fanouts.push({ members: s.members!, next: 0, shared: s });
        s.members = null;
      }
      if (i > 0) queue.splice(0, i);
    }
    schedule();
  };

  const executeShared = (group: Group, event: unknown, shared: Shared) => {
    let r: Result;
    try {
      const { context, ...args } = group.args;
      r = execute({ ...args, rootValue: event, contextValue: { ...context, loaders: eventLoaders(event) } satisfies GraphQLContext }) as Result;
    } catch (e) {
      r = { errors: [new GraphQLError((e as Error).message, { originalError: e as Error })] };
    }
    if ('then' in r) {
      r.then(
        (result) => ready(shared, serialize(result)),
        (e: Error) => ready(shared, serialize({ errors: [new GraphQLError(e.message, { originalError: e })] })),
      );
    } else ready(shared, serialize(r));
  };

  const sharedFor = (group: Group, event: unknown): Shared => {
    if (group.lastEvent === event && group.lastShared) return group.lastShared;
    const shared: Shared = { json: null, waiters: null, members: null, group: null };
    if (typeof event === 'object' && event !== null) {
      group.lastEvent = event;
      group.lastShared = shared;
    }
    defer(() => executeShared(group, event, shared));
    return shared;
  };

  // The TCP sockets written to in this turn are corked until its end (process.nextTick): the
  // messages a subscriber is sent in one turn (a report of many events) leave in one writev, not
  // one each. bench:subscriptions: writev is most of the OC's time, as it is a raw ws server's.
  // (`_socket` is ws's own field for it; without it, messages are written one by one.)
  let corked: Socket[] = [];
  const uncork = () => {
    const now = corked;
    corked = [];
    for (const s of now) s.uncork();
  };
  const send = (m: Member, json: string) => {
    const ws = m.socket;
    if (ws.readyState !== 1) return;
    const tcp = (ws as unknown as { _socket?: Socket })._socket;
    if (tcp && tcp.writableCorked === 0) {
      tcp.cork();
      if (corked.push(tcp) === 1) process.nextTick(uncork);
    }
    ws.send(`${m.prefix}${json}}`);
  };

  /** Sends what is ready at the head of the member's FIFO, in order; then waits for the next head. */
  function flush(m: Member) {
    if (m.ended) return;
    let head = m.head;
    const fifo = m.fifo;
    let i = 0;
    while (head !== null && head.json !== null) {
      send(m, head.json);
      head = fifo !== null && i < fifo.length ? fifo[i++]! : null;
    }
    if (fifo !== null) {
      if (i >= fifo.length) m.fifo = null;
      else if (i > 0) fifo.splice(0, i);
    }
    m.head = head;
    if (head !== null) (head.waiters ??= []).push(m);
  }

  const tooSlow = (m: Member) => {
    m.failure = new GraphQLError(TOO_SLOW, { nodes: getOperationAST(m.group.args.document, m.group.args.operationName) });
    leave(m);
    const settled = m.settled;
    m.settled = null;
    settled?.(m.failure);
  };

  const leave = (m: Member) => {
    m.ended = true;
    m.head = null;
    m.fifo = null;
    const onEnd = m.onEnd;
    m.onEnd = null;
    onEnd?.();
    const group = m.group;
    group.list = group.list.filter((x) => x !== m);
    if (group.list.length === 0) {
      if (groups.get(group.key) === group) groups.delete(group.key);
      const source = group.source;
      group.source = null;
      void source?.return?.();
    }
  };

  /** A ready result of the member's group: sent, or queued behind the result it waits for. */
  const deliver = (m: Member, shared: Shared) => {
    if (m.ended) return;
    if (m.socket.bufferedAmount > MAX_UNSENT_BYTES || (m.fifo?.length ?? 0) >= MAX_PENDING_EVENTS - 1) tooSlow(m);
    else if (m.head === null) send(m, shared.json!);
    else (m.fifo ??= []).push(shared);
  };

  /** An event of a group's source: executed once (later), and sent to the members the group has now. */
  const onGroupEvent = (group: Group, event: unknown) => {
    if (group.list.length === 0) return;
    if (group.queue.length >= MAX_PENDING_EVENTS) {
      for (const m of group.list) tooSlow(m);
      return;
    }
    const shared = sharedFor(group, event);
    if (shared.group === group) return; // had it already
    shared.group = group;
    shared.members = group.list;
    group.queue.push(shared);
  };

  /** An event of a member's own source, before it joined its group's (published while it subscribed): sent to it alone. */
  const onEvent = (m: Member, event: unknown) => {
    if (m.ended) return;
    if ((m.fifo?.length ?? 0) >= MAX_PENDING_EVENTS - 1 || m.socket.bufferedAmount > MAX_UNSENT_BYTES) {
      tooSlow(m);
      return;
    }
    const shared = sharedFor(m.group, event);
    if (m.head === null) {
      if (shared.json !== null) send(m, shared.json);
      else {
        m.head = shared;
        (shared.waiters ??= []).push(m);
      }
    } else (m.fifo ??= []).push(shared);
  };

  /** Its source ended by itself: so do its members' subscriptions. */
  const endGroup = (group: Group) => {
    group.source = null;
    for (const m of group.list) m.end();
  };

  /**
   * A push-mode subscriber and the stream handed for it (it yields nothing; it ends when the
   * subscription does). State in fields, methods on the prototype: no closure per subscriber
   * (bench:subscriptions, memory per idle subscriber).
   */
  class PushMember implements Member, PushStream {
    head: Shared | null = null;
    fifo: Shared[] | null = null;
    settled: ((failure: GraphQLError | null) => void) | null = null;
    onEnd: (() => void) | null = null;
    ended = false;
    failure: GraphQLError | null = null;
    constructor(
      readonly socket: WebSocket,
      readonly prefix: string,
      readonly group: Group,
    ) {}
    end(): void {
      if (this.ended) return;
      leave(this);
      const settled = this.settled;
      this.settled = null;
      settled?.(null);
    }
    [ON_END](f: () => void): void {
      if (this.ended) f();
      else this.onEnd = f;
    }
    [SETTLE](f: (failure: GraphQLError | null) => void): void {
      if (this.ended) f(this.failure);
      else this.settled = f;
    }
    /** Not called by graphql-transport-ws.ts (it takes SETTLE): an async iterator for anyone else. */
    next(): Promise<IteratorResult<never>> {
      if (this.failure) return Promise.reject(this.failure);
      if (this.ended) return Promise.resolve(DONE);
      return new Promise<IteratorResult<never>>((resolve, reject) => {
        this.settled = (failure) => (failure ? reject(failure) : resolve(DONE));
      });
    }
    return(): Promise<IteratorResult<never>> {
      this.end();
      return Promise.resolve(DONE);
    }
    throw(e?: unknown): Promise<IteratorResult<never>> {
      this.end();
      return Promise.reject(e);
    }
    [Symbol.asyncIterator](): PushMember {
      return this;
    }
  }

  const ignore = () => {};

  /**
   * The stream graphql-transport-ws.ts keeps for a push-mode subscriber. The first member of a
   * group lends the group its event stream; a later member's own stream is closed once what it
   * buffered (events published while it subscribed) is handed to it alone: an event reaches the bus
   * handler of each group once, not of each subscriber (the publisher, a manager's report, waited
   * for a handler per subscriber: ~0.2-0.6 ms per event with 400).
   */
  function pushStream(source: AsyncIterator<unknown> & Pushable<unknown>, op: WsOperation, key: string, args: ExecutionArgs): PushStream {
    const group = groups.get(key);
    const prefix = `{"id":${JSON.stringify(op.id)},"type":"next","payload":`;
    if (!group?.source) {
      const { principal, services, clock } = args.contextValue as GraphQLContext;
      const { schema, document, operationName, variableValues } = args;
      const g: Group = { key, args: { schema: schema as GraphQLSchema, document, operationName, variableValues, context: { principal, services, clock } }, list: [], source, queue: [], lastEvent: null, lastShared: null };
      groups.set(key, g);
      const m = new PushMember(op.socket, prefix, g);
      g.list = [m];
      source[PUSH]((event) => onGroupEvent(g, event), () => endGroup(g));
      op.stream = m;
      return m;
    }
    const m = new PushMember(op.socket, prefix, group);
    group.list = [...group.list, m];
    source[PUSH]((event) => onEvent(m, event), ignore);
    void source.return?.();
    op.stream = m;
    return m;
  }

  // --- the subscribe function ---------------------------------------------------------------

  const subscribe = async (args: ExecutionArgs) => {
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterable(stream)) return stream;
    const subscriber = args.contextValue as GraphQLContext & { wsOperation?: WsOperation };
    let documentId = documentIds.get(args.document);
    if (documentId === undefined) documentIds.set(args.document, (documentId = nextDocumentId++));
    const asked = `${documentId}|${args.operationName ?? ''}|${JSON.stringify(args.variableValues ?? {})}|${accessKey(subscriber.principal)}`;
    const source = stream[Symbol.asyncIterator]();
    if (subscriber.wsOperation && PUSH in source) return pushStream(source as AsyncIterator<unknown> & Pushable<unknown>, subscriber.wsOperation, asked, args);

    const run = (event: unknown): Result =>
      execute({ ...args, rootValue: event, contextValue: { ...subscriber, loaders: eventLoaders(event) } satisfies GraphQLContext }) as Result;
    const root = getOperationAST(args.document, args.operationName)?.selectionSet.selections[0];
    const atOnce = root?.kind === 'Field' && AT_ONCE_FIELDS.has(root.name.value);
    return mapStream(source, (event: unknown): Result => {
      if (atOnce || typeof event !== 'object' || event === null) return run(event);
      let results = resultsOf.get(event);
      if (!results) resultsOf.set(event, (results = new Map()));
      let r = results.get(asked);
      if (r === undefined) {
        // After what is pending now: the publisher (a manager's report) answers before its
        // subscribers are served, whatever their number (Nomad's event broker: publishing never
        // waits on subscribers).
        r = new Promise<void>((resolve) => defer(resolve)).then(() => run(event));
        results.set(asked, r);
      }
      return r;
    }, (e) => (e instanceof GraphQLError ? e : new GraphQLError(e.message, { originalError: e, nodes: getOperationAST(args.document, args.operationName) })));
  };

  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(subscribe);
    },
  };
}
