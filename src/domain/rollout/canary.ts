/**
 * Canary and promote (like Nomad's canaries with `nomad deployment promote`, and Argo Rollouts'
 * pause step): the first `canary` workers (in step order) form the first batch (strategy.ts,
 * `batchLimit`); once it has SUCCEEDED the command holds PAUSED with hold CANARY, touching no
 * other worker, until an operator promotes it (promoteCommand) or, with `autoPromoteAfterMs`,
 * it promotes itself once the canary has stayed healthy that long. While it waits, each canary
 * worker is watched against what the OC saw when its step was proven (soak.ts): a crash is a
 * canary failure, and so is any failed canary step (the canary tolerates none, whatever
 * maxFailures says): the command then FAILS or PAUSES by `onFailure`.
 */
import type { CommandHold, CommandStep, RolloutStrategy } from '../types.js';
import type { RolloutWorker } from './types.js';
import { crashSince } from './soak.js';

/** Whether the command is still proving its canary: it has one and it was not promoted yet. */
export const inCanaryPhase = (strategy: Pick<RolloutStrategy, 'canary'>, promotedAt: Date | null): boolean => strategy.canary !== null && promotedAt === null;

/**
 * When a canary held since `hold.since` promotes itself: `autoPromoteAfterMs` of it healthy,
 * counted only while the manager is connected (from its reconnect, if later). Null: never by itself.
 */
export function autoPromoteAt(strategy: Pick<RolloutStrategy, 'autoPromoteAfterMs'>, hold: CommandHold, managerConnectedSince: Date | null): Date | null {
  if (strategy.autoPromoteAfterMs === null || managerConnectedSince === null) return null;
  const from = managerConnectedSince > hold.since ? managerConnectedSince : hold.since;
  return new Date(from.getTime() + strategy.autoPromoteAfterMs);
}

/** A canary step whose worker crashed while the command waited to be promoted. */
export interface CanaryCrash {
  index: number;
  memberId: string;
  why: string;
}

/**
 * The canary's crashes since each of its steps was proven. Only SUCCEEDED steps with a proof
 * recorded are watched; a worker that left the cluster is gone, not crashed.
 */
export function canaryCrashes(steps: readonly Pick<CommandStep, 'index' | 'memberId' | 'state' | 'taskId' | 'baseline'>[], workers: readonly RolloutWorker[]): CanaryCrash[] {
  const byMember = new Map(workers.map((w) => [w.memberId, w]));
  const out: CanaryCrash[] = [];
  for (const s of steps) {
    const proven = s.baseline?.proven;
    const worker = byMember.get(s.memberId);
    if (s.state !== 'SUCCEEDED' || s.taskId === null || !proven || !worker) continue;
    const why = crashSince(proven, worker);
    if (why !== null) out.push({ index: s.index, memberId: s.memberId, why });
  }
  return out;
}

/** The history line of a canary that SUCCEEDED and now waits. */
export function canaryWaiting(members: readonly string[], strategy: Pick<RolloutStrategy, 'autoPromoteAfterMs'>): string {
  const how = strategy.autoPromoteAfterMs === null ? 'promoteCommand' : `promoteCommand, or by itself after ${strategy.autoPromoteAfterMs} ms healthy`;
  return `canary SUCCEEDED (${members.join(', ')}): waiting to be promoted (${how})`;
}

export const autoPromoted = (ms: number) => `canary promoted by the OC: healthy for ${ms} ms (autoPromoteAfterMs)`;
export const promotedBy = (name: string) => `canary promoted by ${name}`;

/**
 * A PATCH's strategy for its `index`-th child (0-based, in start order): the canary applies in
 * the clusters of its first wave (the first `maxParallelClusters`), which each hold for CANARY;
 * the clusters after them roll without one, the patch being proven by then. (Promoting the
 * PATCH promotes every child held for CANARY.)
 */
export function patchChildStrategy(strategy: RolloutStrategy, index: number, maxParallelClusters: number): RolloutStrategy {
  if (strategy.canary === null || index < Math.max(1, maxParallelClusters)) return strategy;
  return { ...strategy, canary: null, autoPromoteAfterMs: null };
}
