import { taskReportWakes, workerReportWakes } from '../domain/rollout/kinds.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../logger.js';
import type { RolloutService } from '../services/rollout-service.js';
import { Loop } from './loop.js';

export interface RolloutControllerOptions {
  rollouts: RolloutService;
  bus: EventBus;
  logger: Logger;
  /** How often commands whose wake-up time has come are looked at. */
  tickMs?: number;
  /** How often every active command is looked at (a safety net for events lost between instances). */
  fullSweepMs?: number;
}

/**
 * The rollout driver: advances commands when something they depend on changes (membership,
 * task reports, connectivity, operator intent), when their wake-up time comes, and on a
 * periodic full sweep. Claims each command in the database, so any number of instances may run it.
 */
export function createRolloutController(o: RolloutControllerOptions) {
  const kicked = new Set<string>();
  const kickedClusters = new Set<string>();
  const fullSweepMs = o.fullSweepMs ?? 5000;
  let lastFull = 0;

  const loop = new Loop(
    'rollout-controller',
    o.tickMs ?? 250,
    async () => {
      const full = Date.now() - lastFull >= fullSweepMs;
      if (full) lastFull = Date.now();
      const ids = new Set(kicked);
      kicked.clear();
      const clusters = [...kickedClusters];
      kickedClusters.clear();
      for (const id of await o.rollouts.activeRolloutIds(clusters)) ids.add(id);
      for (const id of await o.rollouts.dueCommandIds(full)) ids.add(id);
      for (const id of ids) {
        try {
          await o.rollouts.advance(id);
        } catch (err) {
          o.logger.error('advancing a command failed; it will be retried', { commandId: id, err });
        }
      }
    },
    o.logger,
  );

  const kick = (id: string | null) => {
    if (!id) return;
    kicked.add(id);
    loop.kick();
  };
  const kickCluster = (clusterId: string) => {
    kickedClusters.add(clusterId);
    loop.kick();
  };
  const offs = [
    o.bus.on('command', (e) => {
      kick(e.commandId);
      kick(e.parentId);
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
      loop.kick();
    }),
  ];

  return {
    start: () => loop.start(),
    kick,
    async stop() {
      for (const off of offs) off();
      await loop.stop();
    },
  };
}
