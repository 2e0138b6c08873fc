import type { Command, RolloutStrategy } from '../../src/domain/types.js';
import { DEFAULT_STRATEGY } from '../../src/domain/rollout/strategy.js';

/** Virtual time for planner tests: T0, and `at(ms)` after it. */
export const T0 = new Date('2030-01-01T00:00:00.000Z');
export const at = (ms: number) => new Date(T0.getTime() + ms);

export const DEFAULT_TEST_STRATEGY: RolloutStrategy = { ...DEFAULT_STRATEGY };

/** A persisted command as the planners see it: a PENDING RESTART of cluster-1 unless overridden. */
export function makeCommand(over: Partial<Command> = {}): Command {
  return {
    id: 'x',
    kind: 'RESTART',
    state: 'PENDING',
    clusterId: 'cluster-1',
    parentId: null,
    strategy: DEFAULT_TEST_STRATEGY,
    artifact: null,
    kinds: null,
    maxParallelClusters: null,
    operation: null,
    arguments: null,
    result: null,
    requestedBy: 'ops',
    message: null,
    pauseRequested: false,
    pauseRequestedBy: null,
    cancelRequested: false,
    acceptedFailures: 0,
    rollbackOf: null,
    hold: null,
    promotedAt: null,
    resumedAt: null,
    wakeAt: null,
    createdAt: T0,
    startedAt: null,
    finishedAt: null,
    updatedAt: T0,
    ...over,
  };
}
