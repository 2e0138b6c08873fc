import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import type { Clock } from '../domain/clock.js';
import type { BusEvent, EventBus } from '../events/bus.js';
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
 * nothing is published when it throws (and nothing it wrote stays).
 */
export async function inTransaction<T>(deps: Pick<ServiceDeps, 'db' | 'bus'>, fn: (tx: Db, emit: Emit) => Promise<T>): Promise<T> {
  const events: BusEvent[] = [];
  const result = await deps.db.transaction(async (tx) => fn(tx as unknown as Db, (e) => events.push(e)));
  deps.bus.publishAll(events);
  return result;
}
