/**
 * What wakes the rollout driver, and how often: a manager's report names many workers at once,
 * and each of its events reaches the driver on its own. The driver's service is a stand-in here
 * (it records what it is asked; no database): the subject is the controller's bookkeeping.
 */
import { describe, expect, it } from 'vitest';
import { createRolloutController } from '../../src/controllers/rollout-controller.js';
import type { Worker } from '../../src/domain/types.js';
import { type BusEvent, EventBus } from '../../src/events/bus.js';
import type { Logger } from '../../src/logger.js';
import type { RolloutService } from '../../src/services/rollout-service.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

/** A driver over a stand-in service whose one cluster has one active rollout. */
function driver() {
  const bus = new EventBus();
  const lookups: string[][] = [];
  const advanced: string[] = [];
  const rollouts = {
    driverWakes: () => ({ command: true, parent: true }),
    advance: async (id: string) => {
      advanced.push(id);
      return true;
    },
    dueCommandIds: async () => [],
    activeRolloutIds: async (clusters: readonly string[]) => {
      lookups.push([...clusters]);
      return clusters.includes('c1') ? ['r1'] : [];
    },
  } as unknown as RolloutService;
  // No ticks or sweeps during the test: only events wake it.
  const controller = createRolloutController({ rollouts, bus, logger: quiet, tickMs: 3_600_000, fullSweepMs: 3_600_000 });
  return { bus, controller, lookups, advanced };
}

const running = (clusterId: string, memberId: string): BusEvent => ({
  topic: 'membership',
  payload: {
    clusterId,
    change: 'STATE_CHANGED',
    at: new Date(),
    worker: { id: memberId, clusterId, memberId, host: `${memberId}.local`, port: null, state: 'RUNNING', startedAt: new Date(), joinedAt: new Date(), stateChangedAt: new Date(), artifacts: [], stats: null } satisfies Worker,
  },
});

/** Lets every stand-in call (each settles at once) and what follows from it run. */
const settle = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
};

describe('the rollout driver’s wake-ups', () => {
  it('looks up and advances a rollout once for one report of a whole batch of workers RUNNING', async () => {
    const { bus, controller, lookups, advanced } = driver();
    controller.start();
    try {
      // One reportMembership of a batch of 100: its events are published together, after its commit.
      bus.publishAll(Array.from({ length: 100 }, (_, i) => running('c1', `w${i + 1}`)));
      await settle();
      await controller.whenIdle();
      await settle();
      expect(lookups).toEqual([['c1']]);
      expect(advanced).toEqual(['r1']);
    } finally {
      await controller.stop();
    }
  });

  it('looks up the clusters of reports published one right after another in one statement', async () => {
    const { bus, controller, lookups, advanced } = driver();
    controller.start();
    try {
      bus.publishAll([running('c1', 'w1')]);
      // A second and third report, from other clusters, in the same turn of the event loop.
      bus.publishAll([running('c2', 'w1')]);
      bus.publishAll([running('c3', 'w1')]);
      await settle();
      await controller.whenIdle();
      await settle();
      expect(lookups).toEqual([['c1', 'c2', 'c3']]);
      expect(advanced).toEqual(['r1']);
    } finally {
      await controller.stop();
    }
  });
});
