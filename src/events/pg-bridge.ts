/** The event bus across OC instances on one PostgreSQL: events encoded into NOTIFY payloads and read back. */
import { randomUUID } from 'node:crypto';
import { type Database, isConnectionError } from '../db/client.js';
import type { Logger } from '../logger.js';
import { type BusEvent, type EventBus, positionOf } from './bus.js';

export const CHANNEL = 'oc_events';
/** PostgreSQL's NOTIFY payload limit is 8000 bytes; stay well under it. */
const MAX_PAYLOAD = 7000;
const NOTIFY_ATTEMPTS = 3;
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
 */
export function encodeEvents(origin: string, events: BusEvent[], onTooBig: (e: BusEvent) => void): string[] {
  const out: string[] = [];
  let batch: string[] = [];
  let size = 0;
  let upTo: bigint | null = null;
  for (const e of events) {
    const p = positionOf(e);
    if (p !== null && (upTo === null || p > upTo)) upTo = p;
  }
  let head = `{"o":"${origin}",${upTo === null ? '' : `"u":"${upTo}",`}"e":[`;
  const flush = () => {
    if (batch.length || upTo !== null) out.push(`${head}${batch.join(',')}]}`);
    batch = [];
    size = 0;
    upTo = null;
    head = `{"o":"${origin}","e":[`;
  };
  for (const e of events) {
    if (positionOf(e) !== null) continue;
    const s = JSON.stringify(e);
    if (head.length + s.length + 2 > MAX_PAYLOAD) {
      onTooBig(e);
      continue;
    }
    if (head.length + size + s.length + 2 > MAX_PAYLOAD) flush();
    batch.push(s);
    size += s.length + 1;
  }
  flush();
  return out;
}

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
  // Every instance hears its own NOTIFYs too: told apart by their first bytes (encodeEvents' head),
  // not by parsing them (a report's events are several kB of JSON; parsing them back was about 4%
  // of the OC's CPU in `npm run bench:ingest`).
  const own = `{"o":"${origin}",`;
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
  let chain: Promise<unknown> = Promise.resolve();
  bus.bridge = (all) => {
    const events = all.filter((e) => e.topic !== 'resync');
    if (events.length === 0) return;
    const payloads = encodeEvents(origin, events, (e) => logger.warn('event too large to bridge; other instances will not see it', { topic: e.topic }));
    // In order, one after the other: subscribers elsewhere see events in the order they happened here.
    chain = chain.then(async () => {
      for (const p of payloads) {
        // A connection lost between the commit and its NOTIFY: sent again on another (the pool opens one).
        for (let attempt = 1; ; attempt++) {
          try {
            await database.notify(CHANNEL, p);
            break;
          } catch (err) {
            if (isConnectionError(err) && attempt < NOTIFY_ATTEMPTS) continue;
            logger.warn('NOTIFY failed; other instances will not see these events', { err, attempt });
            break;
          }
        }
      }
    });
  };
  return async () => {
    bus.bridge = null;
    await chain;
    await unlisten();
  };
}
