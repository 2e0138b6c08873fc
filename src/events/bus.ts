import type { ClusterHealth, ClusterSnapshot, MembershipChange, Stats, TopologyChange, Worker } from '../domain/types.js';

/**
 * An event's place in the event log (LOGGED_TOPICS): set when its transaction appends it, just
 * before COMMIT, so every delivery of it (here, bridged, or replayed from the log) carries it.
 * Decimal digits, opaque to clients. Absent only when the log is off (OC_EVENT_LOG=off, benches).
 */
export interface Positioned {
  position?: string;
}

/** Every event the OC publishes, by topic. Payloads are small and JSON-serialisable (ISO dates are revived by the bridge). */
export interface EventMap {
  /**
   * `worker`: the row as written. `cluster`: the cluster as the event's transaction left it (name,
   * health, counts), so that a subscriber's usual selection needs no read; absent from events of
   * older instances.
   */
  membership: { clusterId: string; change: MembershipChange; worker: Worker; at: Date; cluster?: ClusterSnapshot } & Positioned;
  topology: { clusterId: string; change: TopologyChange; at: Date; cluster: { id: string; name: string; kind: string; createdAt: Date } } & Positioned;
  clusterStats: { clusterId: string; stats: Stats };
  command: { commandId: string; clusterId: string | null; parentId: string | null; at: Date } & Positioned;
  task: { taskId: string; clusterId: string; commandId: string; state: string };
  /** A token or a manager session stops being valid: sockets authenticated with it are closed. */
  credentialRevoked: { tokenId: string | null; sessionId: string | null };
  /** Health may have changed (membership or connectivity); for metrics and caches. */
  health: { clusterId: string; health?: ClusterHealth };
  /**
   * Local only, never bridged: events from other instances may have been missed (the LISTEN
   * connection was lost and is back). Whoever keeps state from events reads it again.
   */
  resync: { at: Date; reason: string };
}

export type Topic = keyof EventMap;
export type BusEvent = { [K in Topic]: { topic: K; payload: EventMap[K] } }[Topic];

/** The topics appended to the event log, in commit order, before they are published. */
export const LOGGED_TOPICS = ['membership', 'topology', 'command'] as const;
export type LoggedTopic = (typeof LOGGED_TOPICS)[number];
export type LoggedEvent = { [K in LoggedTopic]: { topic: K; payload: EventMap[K] } }[LoggedTopic];

export const isLogged = (e: BusEvent): e is LoggedEvent => e.topic === 'membership' || e.topic === 'topology' || e.topic === 'command';

/** The log position an event carries, or null (an unlogged topic, or the log is off). */
export function positionOf(e: BusEvent): bigint | null {
  return isLogged(e) && e.payload.position !== undefined ? BigInt(e.payload.position) : null;
}

/** What puts positioned events in position order before handlers see them (./sequencer.ts). */
export interface Orderer {
  push(event: BusEvent, position: bigint): void;
  /** Events may have been missed (see EventMap.resync): read what the log has past the last one delivered. */
  catchUp(): void;
  /** Events up to this position are committed (another instance said so): read from the log those not delivered yet. */
  expect(upTo: bigint): void;
}
type Handler<K extends Topic> = (payload: EventMap[K]) => void;

/**
 * The method by which a consumer of `EventBus.subscribe`'s iterator takes its events pushed
 * instead of pulled: `it[PUSH](sink, ended)` hands what is buffered and every later event to
 * `sink`, synchronously as it is published, and calls `ended` once when the stream ends (return(),
 * the abort signal). The consumer then bounds itself. Used by server/subscription-events.ts, where a
 * promise per event and subscriber is what a thousand subscribers cannot afford.
 */
export const PUSH: unique symbol = Symbol('EventBus.push');
export interface Pushable<T> {
  [PUSH](sink: (value: T) => void, ended: () => void): void;
}

/**
 * The typed in-process event bus. Services publish only after their transaction commits.
 * `bridge` (when set) forwards local publications to other OC instances and feeds theirs in via `deliver`.
 */
export class EventBus {
  private handlers = new Map<Topic, Set<Handler<any>>>();
  bridge: ((events: BusEvent[]) => void) | null = null;
  /**
   * When set, events that carry a log position reach handlers in position order, each once,
   * wherever they were published (./sequencer.ts); others are handed out at once.
   */
  order: Orderer | null = null;
  /** Events published here, and events handed to this instance's handlers (its own and, bridged, other instances'), by topic. */
  readonly counts = { published: new Map<Topic, number>(), delivered: new Map<Topic, number>() };

  on<K extends Topic>(topic: K, handler: Handler<K>): () => void {
    let set = this.handlers.get(topic);
    if (!set) {
      set = new Set();
      this.handlers.set(topic, set);
    }
    set.add(handler);
    return () => set.delete(handler);
  }

  publish<K extends Topic>(topic: K, payload: EventMap[K]): void {
    this.publishAll([{ topic, payload } as BusEvent]);
  }

  publishAll(events: BusEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) this.counts.published.set(e.topic, (this.counts.published.get(e.topic) ?? 0) + 1);
    this.deliver(events);
    this.bridge?.(events);
  }

  /** Hands events to local handlers only (used by the bridge for events from other instances). */
  deliver(events: BusEvent[]): void {
    for (const e of events) {
      const position = this.order ? positionOf(e) : null;
      if (position !== null) this.order?.push(e, position);
      else this.handOut(e);
      if (e.topic === 'resync') this.order?.catchUp();
    }
  }

  /** Hands one event to this instance's handlers, now. */
  handOut(e: BusEvent): void {
    this.counts.delivered.set(e.topic, (this.counts.delivered.get(e.topic) ?? 0) + 1);
    for (const h of this.handlers.get(e.topic) ?? []) {
      try {
        h(e.payload);
      } catch {
        // A failing subscriber must not break the publisher or the other subscribers.
      }
    }
  }

  /**
   * An async iterator over a topic, for GraphQL subscriptions. Events are buffered (bounded:
   * a consumer that falls `maxBuffered` behind is ended with an error rather than growing memory).
   */
  subscribe<K extends Topic, T = EventMap[K]>(
    topic: K,
    opts: { filter?: (p: EventMap[K]) => boolean; map?: (p: EventMap[K]) => T; maxBuffered?: number; signal?: AbortSignal } = {},
  ): AsyncIterableIterator<T> & Pushable<T> {
    const sub = new TopicSubscription<EventMap[K], T>(opts.filter ?? null, opts.map ?? null, opts.maxBuffered ?? 10_000);
    sub.off = this.on(topic, (p) => sub.take(p));
    opts.signal?.addEventListener('abort', () => sub.finish(), { once: true });
    return sub;
  }
}

/**
 * One subscriber's stream of a topic (EventBus.subscribe): its state in fields and its methods on
 * the prototype, so that a live subscriber costs one object and one handler closure (a thousand
 * idle subscribers: bench:subscriptions, memory per idle subscriber).
 */
class TopicSubscription<P, T> implements AsyncIterableIterator<T>, Pushable<T> {
  /** Buffered events (pull mode), made when the first one waits. */
  private queue: T[] | null = null;
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  private done = false;
  private overflow = false;
  private sink: ((v: T) => void) | null = null;
  private ended: (() => void) | null = null;
  off: (() => void) | null = null;

  constructor(
    private readonly filter: ((p: P) => boolean) | null,
    private readonly map: ((p: P) => T) | null,
    private readonly max: number,
  ) {}

  take(p: P): void {
    if (this.done || (this.filter && !this.filter(p))) return;
    const v = this.map ? this.map(p) : (p as unknown as T);
    if (this.sink) this.sink(v);
    else if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w({ value: v, done: false });
    } else if ((this.queue?.length ?? 0) >= this.max) {
      this.overflow = true;
      this.finish();
    } else (this.queue ??= []).push(v);
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    this.off?.();
    this.off = null;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
    this.ended?.();
  }

  [PUSH](to: (v: T) => void, onEnd: () => void): void {
    this.sink = to;
    this.ended = onEnd;
    const queue = this.queue;
    this.queue = null;
    if (queue) for (const v of queue) to(v);
    if (this.done) onEnd();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue && this.queue.length > 0) return Promise.resolve({ value: this.queue.shift() as T, done: false });
    if (this.overflow) return Promise.reject(new Error('subscriber too slow: event buffer overflowed'));
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(e?: unknown): Promise<IteratorResult<T>> {
    this.finish();
    return Promise.reject(e);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
