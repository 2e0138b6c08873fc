/**
 * What GraphQL subscriptions watch: the event bus's topics, as async iterators, and the event
 * log behind them (replay from a position, then live). Resolvers reach the bus through this
 * service only, never through the services' dependencies.
 */
import * as log from '../db/repositories/event-log.js';
import { EventsExpiredError, ValidationError } from '../domain/errors.js';
import type { BusEvent, EventMap, LoggedEvent, LoggedTopic, Topic } from '../events/bus.js';
import { type ReadLog, Sequencer } from '../events/sequencer.js';
import type { ServiceDeps } from './deps.js';

export interface EventPage {
  events: LoggedEvent[];
  hasNextPage: boolean;
}

const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const revive = (_k: string, v: unknown) => (typeof v === 'string' && ISO_DATE.test(v) ? new Date(v) : v);
const TOPICS: ReadonlySet<string> = new Set<LoggedTopic>(['membership', 'topology', 'command']);
/** Rows read per statement while a subscription replays. */
const REPLAY_PAGE = 500;

/** A row of the log as the bus event it was, with its position. */
function toEvent(row: log.LogRow): LoggedEvent | null {
  if (!TOPICS.has(row.topic)) return null;
  const payload = JSON.parse(row.payload, revive);
  payload.position = row.position.toString();
  return { topic: row.topic, payload } as LoggedEvent;
}

/** A position as given by a client: decimal digits (what `position` and cursors are). */
export function parsePosition(value: string, field = 'after'): bigint {
  if (!/^\d{1,19}$/.test(value)) throw new ValidationError(`${field} is not a position of the event log`, field);
  return BigInt(value);
}

export class EventService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Events of a topic as they are published (here or, bridged, on another instance), filtered and mapped. */
  watch<K extends Topic, T = EventMap[K]>(topic: K, opts: { filter?: (p: EventMap[K]) => boolean; map?: (p: EventMap[K]) => T } = {}): AsyncIterableIterator<T> {
    return this.deps.bus.subscribe<K, T>(topic, opts);
  }

  /**
   * Events of a logged topic: with `after`, first every event of the log after that position
   * (filtered), then live ones; no gap and no duplicate at the seam. Live delivery starts before
   * the replay's first read (it buffers meanwhile); a live event at or before the last position
   * the replay read was replayed already (positions follow commit order) and is skipped.
   * Rejects with EventsExpiredError when events after `after` are no longer kept.
   */
  async resume<K extends LoggedTopic>(topic: K, opts: { after: string | null; clusterId: string | null; filter?: (p: EventMap[K]) => boolean }): Promise<AsyncIterableIterator<EventMap[K]>> {
    const live = this.deps.bus.subscribe<K>(topic, { filter: opts.filter });
    if (opts.after == null) return live;
    try {
      const after = parsePosition(opts.after);
      const page = async (from: bigint) => {
        const rows = await log.readEvents(this.deps.db, from, null, { topics: [topic], clusterId: opts.clusterId }, REPLAY_PAGE);
        const items: EventMap[K][] = [];
        for (const r of rows) {
          const e = toEvent(r);
          if (e && e.topic === topic && (!opts.filter || opts.filter(e.payload as EventMap[K]))) items.push(e.payload as EventMap[K]);
        }
        return { items, last: rows.at(-1)?.position ?? from, full: rows.length === REPLAY_PAGE };
      };
      const first = await page(after);
      await this.checkKept(after);
      return replayThenLive(first, page, live);
    } catch (err) {
      await live.return?.();
      throw err;
    }
  }

  /** A page of the log after `after`, oldest first. */
  async list(args: { after: string | null; first: number; clusterId: string | null; topics: readonly LoggedTopic[] | null }): Promise<EventPage> {
    const after = args.after == null ? 0n : parsePosition(args.after);
    const rows = await log.readEvents(this.deps.db, after, null, { topics: args.topics, clusterId: args.clusterId }, args.first + 1);
    if (args.after != null) await this.checkKept(after);
    const events = rows.slice(0, args.first).flatMap((r) => toEvent(r) ?? []);
    return { events, hasNextPage: rows.length > args.first };
  }

  count(args: { clusterId: string | null; topics: readonly LoggedTopic[] | null }): Promise<number> {
    return log.countEvents(this.deps.db, { topics: args.topics, clusterId: args.clusterId });
  }

  /**
   * Throws EventsExpiredError when events after `after` were pruned, or `after` lies beyond the
   * log's head (a position of another database). Called after reading: pruning only moves the
   * oldest position forward, so a read followed by a passing check missed nothing.
   */
  private async checkKept(after: bigint): Promise<void> {
    const { head, oldest } = await log.logBounds(this.deps.db);
    if (after > head) throw new EventsExpiredError(`position ${after} is not in the event log (its newest is ${head}); list again, then watch`);
    const firstKept = oldest ?? head + 1n;
    if (after + 1n < firstKept) {
      throw new EventsExpiredError(`events after position ${after} are no longer kept (retention ${this.deps.config.eventRetentionHours} h); list again, then watch`);
    }
  }

  /** Deletes the events older than OC_EVENT_RETENTION_HOURS. */
  prune(): Promise<number> {
    return log.pruneEvents(this.deps.db, this.deps.config.eventRetentionHours);
  }

  /** Reads the log for the bus's Sequencer: what it delivers when events arrive out of order or were missed. */
  readonly readLog: ReadLog = async (after, upTo, limit) => {
    const rows = await log.readEvents(this.deps.db, after, upTo, { topics: null, clusterId: null }, limit);
    return rows.flatMap((r) => {
      const event = toEvent(r);
      return event ? [{ position: r.position, event: event as BusEvent }] : [];
    });
  };

  /** Makes the bus deliver logged events in position order from now on (every instance, one order). */
  async orderBus(): Promise<Sequencer> {
    const { bus, logger } = this.deps;
    const { head } = await log.logBounds(this.deps.db);
    const sequencer = new Sequencer(head, (e) => bus.handOut(e), this.readLog, logger);
    bus.order = sequencer;
    return sequencer;
  }
}

/**
 * The replayed pages, then the live events after the last position read. An iterator by hand (not
 * an async generator): `return()` must end the live subscription even while a `next()` waits.
 */
function replayThenLive<T extends { position?: string }>(
  first: { items: T[]; last: bigint; full: boolean },
  page: (after: bigint) => Promise<{ items: T[]; last: bigint; full: boolean }>,
  live: AsyncIterableIterator<T>,
): AsyncIterableIterator<T> {
  let current = first;
  let i = 0;
  let done = false;
  const it: AsyncIterableIterator<T> = {
    async next() {
      while (!done) {
        const item = current.items[i];
        if (item !== undefined) {
          i++;
          return { value: item, done: false };
        }
        if (current.full) {
          current = await page(current.last);
          i = 0;
          continue;
        }
        const r = await live.next();
        if (r.done) return r;
        const position = r.value.position;
        if (position !== undefined && BigInt(position) <= current.last) continue; // replayed already
        return r;
      }
      return { value: undefined, done: true };
    },
    return() {
      done = true;
      return live.return?.() ?? Promise.resolve({ value: undefined, done: true });
    },
    throw(e) {
      done = true;
      void live.return?.();
      return Promise.reject(e);
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
