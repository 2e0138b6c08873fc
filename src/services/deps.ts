import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../domain/clock.js';
import { appendEvents } from '../db/repositories/event-log.js';
import { committed, transaction } from '../db/transaction.js';
import { type BusEvent, type EventBus, isLogged, type LoggedEvent } from '../events/bus.js';
import type { Logger } from '../logger.js';
import type { Telemetry } from './telemetry.js';

export interface ServiceDeps {
  db: Db;
  bus: EventBus;
  clock: Clock;
  config: Config;
  logger: Logger;
  /** Counts of what happened, for metrics (none when absent). */
  telemetry?: Telemetry;
}

export type Emit = (event: BusEvent) => void;

/**
 * Runs `fn` in one transaction and publishes the events it emitted only after COMMIT;
 * nothing is published when it throws (and nothing it wrote stays). The membership, topology
 * and command events among them are appended to the event log by the transaction's last
 * statement, so they are logged exactly when they commit, and carry their position when published.
 */
export async function inTransaction<T>(deps: Pick<ServiceDeps, 'db' | 'bus' | 'config'>, fn: (tx: Db, emit: Emit) => Promise<T>): Promise<T> {
  const events: BusEvent[] = [];
  const result = await transaction(deps.db, async (tx) => {
    const r = await fn(tx, (e) => events.push(e));
    if (deps.config.eventLog) await appendToLog(tx, events);
    return r;
  });
  deps.bus.publishAll(events);
  return result;
}

/**
 * Appends the logged events to the event log and gives each its position. Events that have their
 * position already were appended by the statement that wrote them (a membership report's: see
 * topo.writeLoggedMembershipReport); the others follow them.
 */
async function appendToLog(tx: Db, events: BusEvent[]): Promise<void> {
  const logged = events.filter((e): e is LoggedEvent => isLogged(e) && e.payload.position === undefined);
  if (logged.length === 0) return;
  if (committed(tx)) throw new Error(`${logged.length} logged event(s) emitted after their transaction was committed (commitWith must be its last write)`);
  // The transaction's last statement (inTransaction): COMMIT goes with it.
  const first = await appendEvents(
    tx,
    logged.map((e) => ({ topic: e.topic, clusterId: e.payload.clusterId, payload: e.payload })),
    { commit: true },
  );
  logged.forEach((e: LoggedEvent, i) => {
    e.payload.position = (first + BigInt(i)).toString();
  });
}
