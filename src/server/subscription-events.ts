/**
 * How a subscription's events are resolved: once per event for every subscriber asking the same
 * thing, like Kubernetes' watch cache serving every watcher from one copy.
 *
 * graphql-js (and yoga's executor) resolve each event once per subscriber: a thousand subscribers
 * of `membershipChanged` cost a thousand executions per event, and as many reads of whatever the
 * selection asks beyond the event (the cluster's health, its manager...). Here:
 * - each subscriber still has its own event stream (the field's `subscribe`: its filters, its
 *   authorization, its bounded buffer, its order), made by graphql-js's createSourceEventStream;
 * - every subscriber of a topic receives the same payload object from the bus, so an event is
 *   executed once per (document, operation, variables, access) and the result is shared: the
 *   second to the thousandth subscriber only await it;
 * - the event's executions read through loaders of their own, made for that event and shared by
 *   every execution of it (other documents too): anything a selection asks beyond the event's own
 *   snapshot is read once per event, never once per subscriber, and always fresh for the event.
 * - an event's first execution waits for a turn of the event loop (setImmediate), so that the
 *   request that published it is answered first, not after its thousand subscribers.
 * Both live as long as the payload object (WeakMaps): nothing to expire.
 *
 * An event that is not an object (a command id) cannot be told from the next event with the same
 * value: it is executed per subscriber, with loaders of its own too.
 *
 * Resolvers under Subscription must therefore not depend on who asks beyond what `accessKey`
 * holds (role, kind, cluster binding): that is all the auth scopes read (graphql/builder.ts).
 */
import { createSourceEventStream, type DocumentNode, type ExecutionArgs, type ExecutionResult, execute, getOperationAST, GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Principal } from '../domain/auth.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { Loaders } from '../services/loaders.js';

type Result = ExecutionResult | Promise<ExecutionResult>;

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

/**
 * The envelop plugin (yoga: graphql-ws and server-sent events alike). `makeLoaders` makes the
 * loaders of one event.
 */
export function useSharedSubscriptionEvents(makeLoaders: () => Loaders): Plugin {
  const loadersOf = new WeakMap<object, Loaders>();
  /** Per event: its results, by what was asked (document, operation, variables, access). */
  const resultsOf = new WeakMap<object, Map<string, Result>>();
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 1;

  const eventLoaders = (event: unknown): Loaders => {
    if (typeof event !== 'object' || event === null) return makeLoaders();
    let l = loadersOf.get(event);
    if (!l) loadersOf.set(event, (l = makeLoaders()));
    return l;
  };

  const subscribe = async (args: ExecutionArgs) => {
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterable(stream)) return stream;
    const subscriber = args.contextValue as GraphQLContext;
    let documentId = documentIds.get(args.document);
    if (documentId === undefined) documentIds.set(args.document, (documentId = nextDocumentId++));
    const asked = `${documentId}|${args.operationName ?? ''}|${JSON.stringify(args.variableValues ?? {})}|${accessKey(subscriber.principal)}`;
    const run = (event: unknown): Result =>
      execute({ ...args, rootValue: event, contextValue: { ...subscriber, loaders: eventLoaders(event) } satisfies GraphQLContext }) as Result;
    return mapStream(stream[Symbol.asyncIterator](), (event: unknown): Result => {
      if (typeof event !== 'object' || event === null) return run(event);
      let results = resultsOf.get(event);
      if (!results) resultsOf.set(event, (results = new Map()));
      let r = results.get(asked);
      if (r === undefined) {
        // After what is pending now: the publisher (a manager's report) answers before its
        // subscribers are served, whatever their number (Nomad's event broker: publishing never
        // waits on subscribers).
        r = new Promise<void>((resolve) => setImmediate(resolve)).then(() => run(event));
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
