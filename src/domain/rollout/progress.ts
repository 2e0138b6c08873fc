/**
 * The progress deadline (`progressDeadlineMs`, like Nomad's progress_deadline and Kubernetes'
 * progressDeadlineSeconds): a RUNNING rollout FAILS when no step has succeeded for this long.
 * The clock runs from the latest of: the command's start, its last step that SUCCEEDED, its
 * last resume or promotion (`resumedAt`), and its manager's reconnect. It does not run while
 * the command is PAUSED (a hold of any kind: the resume restarts it) nor while the manager is
 * unreachable (the reconnect restarts it): only time the rollout could have used counts.
 */
import type { CommandStep, RolloutStrategy } from '../types.js';

export interface ProgressClock {
  strategy: Pick<RolloutStrategy, 'progressDeadlineMs'>;
  startedAt: Date | null;
  resumedAt: Date | null;
  steps: readonly Pick<CommandStep, 'state' | 'finishedAt'>[];
  managerConnectedSince: Date | null;
}

/** When the rollout fails for want of progress, or null (no deadline, or the manager is away). */
export function progressDeadline(c: ProgressClock): Date | null {
  const ms = c.strategy.progressDeadlineMs;
  if (ms === null || c.managerConnectedSince === null || c.startedAt === null) return null;
  let from = c.startedAt;
  const later = (d: Date | null) => {
    if (d !== null && d > from) from = d;
  };
  for (const s of c.steps) if (s.state === 'SUCCEEDED') later(s.finishedAt);
  later(c.resumedAt);
  later(c.managerConnectedSince);
  return new Date(from.getTime() + ms);
}

export const progressDeadlineExceeded = (ms: number) => `progress deadline exceeded: no step succeeded for ${ms} ms`;
