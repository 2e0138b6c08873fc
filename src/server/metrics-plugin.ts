/** The envelop plugin that counts and times every GraphQL operation, and the live subscriptions per topic. */
import { type DocumentNode, getOperationAST } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Metrics } from './metrics.js';
import { ON_END, type PushStream } from './subscription-events.js';

/** What the plugin reads of an operation's arguments (envelop's ExecutionArgs and SubscriptionArgs). */
type OperationArgs = { document: DocumentNode; operationName?: string | null };

/** The root field a subscription streams (its topic, as the metrics name it). */
function rootField(args: OperationArgs): string {
  const first = getOperationAST(args.document, args.operationName ?? undefined)?.selectionSet.selections[0];
  return first?.kind === 'Field' ? first.name.value : 'unknown';
}

/**
 * The same stream, calling `onEnd` once when it ends: done, returned, or failed. (envelop's onEnd
 * is not called when the stream fails, e.g. a subscriber too slow for its buffer: the gauge of
 * active subscriptions kept counting it for good.)
 */
function endingWith<T>(source: AsyncIterable<T>, onEnd: () => void): AsyncIterableIterator<T> {
  const inner = source[Symbol.asyncIterator]();
  const it: AsyncIterableIterator<T> = {
    next: () =>
      inner.next().then(
        (r) => {
          if (r.done) onEnd();
          return r;
        },
        (e: unknown) => {
          onEnd();
          throw e;
        },
      ),
    return: (v?: unknown) => {
      onEnd();
      return inner.return ? inner.return(v) : Promise.resolve({ value: undefined, done: true as const });
    },
    throw: (e?: unknown) => {
      onEnd();
      return inner.throw ? inner.throw(e) : Promise.reject(e);
    },
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

/**
 * Counts a live subscription in the gauge, and returns what uncounts it (once). Made here rather
 * than in the hooks, so that a subscription's end keeps nothing of its operation (its arguments)
 * alive: bench:subscriptions, memory per idle subscriber.
 */
function liveSubscription(metrics: Metrics, topic: string): () => void {
  let active = true;
  metrics.subscriptionStarted(topic);
  return () => {
    if (!active) return;
    active = false;
    metrics.subscriptionEnded(topic);
  };
}

/** Counts and times every operation, HTTP and WebSocket alike. */
export function metricsPlugin(metrics: Metrics): Plugin {
  const observe = (args: OperationArgs, start: number, ok: boolean) => {
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
      let end: (() => void) | null = null;
      return {
        onSubscribeResult({ result, setResult }) {
          const live = isAsyncIterable(result);
          observe(args, start, live || !('errors' in result && result.errors?.length));
          if (!live) return;
          end = liveSubscription(metrics, rootField(args));
          // A push-mode stream (subscription-events.ts) is handed to graphql-ws without envelop's wrappers: it says when it ends.
          if (ON_END in result) (result as PushStream)[ON_END](end);
          else setResult(endingWith(result, end));
        },
        onSubscribeError: () => end?.(),
      };
    },
  };
}
