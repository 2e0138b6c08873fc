import { taskReportWakes, workerReportWakes } from '../domain/rollout/kinds.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../logger.js';
import type { RolloutService } from '../services/rollout-service.js';
import { KeyedPool } from './keyed-pool.js';
import { Loop } from './loop.js';

/** Commands one instance advances at once unless configured (OC_DRIVER_CONCURRENCY). */
export const DEFAULT_DRIVER_CONCURRENCY = 4;

export interface RolloutControllerOptions {
  rollouts: RolloutService;
  bus: EventBus;
  logger: Logger;
  /** How many commands this instance advances at once (each in its own transaction, on its own connection). */
  concurrency?: number;
  /** How often commands whose wake-up time has come are looked at. */
  tickMs?: number;
  /** How often every active command is looked at (a safety net for events lost between instances). */
  fullSweepMs?: number;
}

/**
 * The rollout driver: advances commands when something they depend on changes (membership,
 * task reports, connectivity, operator intent), when their wake-up time comes, and on a
 * periodic full sweep. Independent commands advance concurrently in a bounded pool (a slow one
 * holds up only its own slot); each advance claims its command in the database, so any number
 * of instances may run the driver and none drives a command another is driving.
 */
export function createRolloutController(o: RolloutControllerOptions) {
  const fullSweepMs = o.fullSweepMs ?? 5000;
  let lastFull = 0;

  const pool = new KeyedPool(o.concurrency ?? DEFAULT_DRIVER_CONCURRENCY, async (id) => {
    try {
      lookedAt.set(id, Date.now());
      await o.rollouts.advance(id);
    } catch (err) {
      o.logger.error('advancing a command failed; it will be retried', { commandId: id, err });
    }
  });

  // Commands whose wake-up time has come; and on a full sweep every active one this instance has
  // not looked at since the sweep before (so each is looked at at least every two sweeps; they
  // are a safety net, and looking at hundreds of busy patch children every 5 s was most of the
  // driver's work). After a resync, every active one.
  const lookedAt = new Map<string, number>();
  let previousSweep = 0;
  let everything = true;
  const loop = new Loop(
    'rollout-controller',
    o.tickMs ?? 250,
    async () => {
      for (const id of await o.rollouts.dueCommandIds(false)) kick(id);
      if (Date.now() - lastFull < fullSweepMs) return;
      lastFull = Date.now();
      const since = everything ? Number.POSITIVE_INFINITY : previousSweep;
      everything = false;
      previousSweep = lastFull;
      const active = new Set(await o.rollouts.dueCommandIds(true));
      for (const id of lookedAt.keys()) if (!active.has(id)) lookedAt.delete(id);
      for (const id of active) if ((lookedAt.get(id) ?? 0) < since) kick(id);
    },
    o.logger,
  );

  // A worker report names a cluster, not a command: its active rollouts are looked up, the
  // clusters of reports that arrive meanwhile in one statement after it (not behind the sweep).
  const kickedClusters = new Set<string>();
  let lookup: Promise<void> | null = null;
  let stopped = true;
  const lookUpClusters = () => {
    if (lookup || stopped || kickedClusters.size === 0) return;
    lookup = (async () => {
      // Started after the events published with this one are handed out (one report's events come
      // together): one look-up for them all, not one for the first and a second for the rest,
      // which kicked the command again while it was being advanced (a second, idle advance per batch).
      await Promise.resolve();
      while (!stopped && kickedClusters.size > 0) {
        const clusters = [...kickedClusters];
        kickedClusters.clear();
        try {
          for (const id of await o.rollouts.activeRolloutIds(clusters)) kick(id);
        } catch (err) {
          if (!stopped) o.logger.error('looking up the rollouts of reporting clusters failed; the sweep will find them', { err });
        }
      }
    })().finally(() => {
      lookup = null;
    });
  };

  const kick = (id: string | null) => {
    if (id && !stopped) pool.add(id);
  };
  const kickCluster = (clusterId: string) => {
    kickedClusters.add(clusterId);
    lookUpClusters();
  };
  const offs = [
    o.bus.on('command', (e) => {
      const wakes = o.rollouts.driverWakes(e);
      if (wakes.command) kick(e.commandId);
      if (wakes.parent) kick(e.parentId);
    }),
    // Only what can change a decision wakes the driver (each kind's `wakesOn` in kinds.ts; for a
    // rollout: a task the manager FAILED, a worker RUNNING (perhaps restarted) or FAILED, a worker
    // gone). A busy driver otherwise spends a batch's time re-planning STOPPING/STARTING reports.
    o.bus.on('task', (e) => {
      if (taskReportWakes(e.state)) kick(e.commandId);
    }),
    o.bus.on('membership', (e) => {
      if (workerReportWakes(e.change === 'LEFT', e.worker.state)) kickCluster(e.clusterId);
    }),
    o.bus.on('topology', (e) => kickCluster(e.clusterId)),
    // Events from other instances were missed: look at every active command now, not at the next sweep.
    o.bus.on('resync', () => {
      lastFull = 0;
      everything = true;
      loop.kick();
    }),
  ];

  return {
    start: () => {
      stopped = false;
      loop.start();
    },
    kick,
    /** Resolves once no command is being advanced or waits to be (for tests). */
    whenIdle: () => pool.whenIdle(),
    async stop() {
      stopped = true;
      for (const off of offs) off();
      await loop.stop();
      await lookup;
      await pool.stop();
    },
  };
}
