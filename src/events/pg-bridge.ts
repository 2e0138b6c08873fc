/** The event bus across OC instances on one PostgreSQL: events encoded into NOTIFY payloads and read back. */
import { randomUUID } from 'node:crypto';
import { type Database, isConnectionError } from '../db/client.js';
import type { Logger } from '../logger.js';
import { type BusEvent, type EventBus, positionOf } from './bus.js';

export const CHANNEL = 'oc_events';
/** PostgreSQL's NOTIFY payload limit is 8000 bytes; stay well under it. */
const MAX_PAYLOAD = 7000;
const NOTIFY_ATTEMPTS = 3;
/** Payloads sent in one statement at most (each up to MAX_PAYLOAD: a statement stays under a megabyte). */
const NOTIFY_BATCH = 100;
const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

const revive = (_k: string, v: unknown) => (typeof v === 'string' && ISO_DATE.test(v) ? new Date(v) : v);

/**
 * Splits events into payloads under the NOTIFY limit (an event too big alone is dropped, and said so).
 *
 * Events that carry their event-log position are not sent: they are committed in the log (the
 * bridge sends after COMMIT), and the first payload says only up to which position (`u`); other
 * instances read them there (Orderer.expect, which reads the log for whatever it has not yet
 * delivered). A report's ten membership events were two NOTIFYs of 7 kB each, sent to PostgreSQL,
 * queued, and received and parsed by every instance (`npm run bench:ingest`); they are one small
 * NOTIFY now, and an instance that receives it reads them in one statement (several reports' at once when busy).
 *
 * `serial` numbers each payload: PostgreSQL delivers identical payloads NOTIFYed in one
 * transaction once, and the bridge sends many publications in one statement.
 */
export function encodeEvents(origin: string, events: BusEvent[], onTooBig: (e: BusEvent) => void, serial?: () => number): string[] {
  const out: string[] = [];
  let batch: string[] = [];
  let size = 0;
  let upTo: bigint | null = null;
  for (const e of events) {
    const p = positionOf(e);
    if (p !== null && (upTo === null || p > upTo)) upTo = p;
  }
  const head = ownPrefix(origin);
  // Room for the serial's digits, the position and the rest of the head.
  const headLength = head.length + 48;
  const flush = () => {
    if (batch.length || upTo !== null) {
      out.push(`${head}${serial ? `"n":${serial()},` : ''}${upTo === null ? '' : `"u":"${upTo}",`}"e":[${batch.join(',')}]}`);
    }
    batch = [];
    size = 0;
    upTo = null;
  };
  for (const e of events) {
    if (positionOf(e) !== null) continue;
    const s = JSON.stringify(e);
    if (headLength + s.length + 2 > MAX_PAYLOAD) {
      onTooBig(e);
      continue;
    }
    if (headLength + size + s.length + 2 > MAX_PAYLOAD) flush();
    batch.push(s);
    size += s.length + 1;
  }
  flush();
  return out;
}

/** How every payload of `origin` starts (see encodeEvents). */
export const ownPrefix = (origin: string) => `{"o":"${origin}",`;

/** A payload of encodeEvents: who sent it, the events it carries, and up to which log position the sender committed events (null: none). */
export function decodeEvents(payload: string): { origin: string; events: BusEvent[]; upTo: bigint | null } {
  const p = JSON.parse(payload, revive) as { o: string; u?: string; e: BusEvent[] };
  return { origin: p.o, events: p.e, upTo: p.u === undefined ? null : BigInt(p.u) };
}

/**
 * Bridges the in-process bus across OC instances sharing one PostgreSQL: every local
 * publication is sent (after its commit) as NOTIFY on one channel, and every other instance's
 * is delivered to the local handlers. Events are small (ids and little else), so that any
 * instance can serve any subscriber, and the rollout driver on one instance hears what a
 * manager told another.
 */
export async function bridgeBus(bus: EventBus, database: Database, logger: Logger): Promise<() => Promise<void>> {
  const origin = randomUUID();
  // This instance's own payloads come back too: recognised by their first bytes (encodeEvents
  // writes the origin first), never parsed (parsing them was a third of the bridge's CPU).
  const own = ownPrefix(origin);
  const unlisten = await database.listen(
    CHANNEL,
    (payload) => {
      if (payload.startsWith(own)) return;
      try {
        const { origin: from, events, upTo } = decodeEvents(payload);
        if (from === origin) return;
        bus.deliver(events);
        if (upTo !== null) {
          if (bus.order) bus.order.expect(upTo);
          else logger.warn('logged events from another instance cannot be read here: this bus does not read the event log', { upTo: String(upTo) });
        }
      } catch (err) {
        logger.warn('unreadable event from another instance', { err });
      }
    },
    // The LISTEN connection was lost and is back: what other instances published meanwhile never
    // arrived. Everyone who acts on events looks at the database again (see EventMap.resync).
    () => bus.deliver([{ topic: 'resync', payload: { at: new Date(), reason: 'the LISTEN connection was restored' } }]),
  );
  // Payloads waiting for their NOTIFY, in publication order. One statement sends all that are
  // waiting (up to NOTIFY_BATCH): one round trip and one NOTIFY commit for many publications (a
  // 50-worker registration alone made 5 payloads; a fleet's reports make hundreds a second).
  const waiting: string[] = [];
  let serial = 0;
  let sending: Promise<void> | null = null;
  const send = async () => {
    while (waiting.length > 0) {
      const batch = waiting.splice(0, NOTIFY_BATCH);
      // A connection lost between the commit and its NOTIFY: sent again on another (the pool opens one).
      for (let attempt = 1; ; attempt++) {
        try {
          await database.notify(CHANNEL, batch);
          break;
        } catch (err) {
          if (isConnectionError(err) && attempt < NOTIFY_ATTEMPTS) continue;
          logger.warn('NOTIFY failed; other instances will not see these events', { err, attempt });
          break;
        }
      }
    }
    sending = null;
  };
  bus.bridge = (all) => {
    const events = all.filter((e) => e.topic !== 'resync');
    if (events.length === 0) return;
    const payloads = encodeEvents(
      origin,
      events,
      (e) => logger.warn('event too large to bridge; other instances will not see it', { topic: e.topic }),
      () => ++serial,
    );
    // In order: subscribers elsewhere see events in the order they happened here.
    waiting.push(...payloads);
    sending ??= send();
  };
  return async () => {
    bus.bridge = null;
    await sending;
    await unlisten();
  };
}
