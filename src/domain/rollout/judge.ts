/**
 * How the rollout planner judges one RUNNING step (plan.ts): from what the OC itself saw of its
 * worker since the step began (its baseline), then, with a soak or a canary, since its proof.
 */
import type { ArtifactSpec, Command, CommandStep, ProvenHealth, StepBaseline } from '../types.js';
import type { RolloutTask, RolloutWorker } from './types.js';
import { kindSpec } from './kinds.js';
import { stepArtifact } from './rollback.js';
import { judgeSoak, provenOf } from './soak.js';

/** A working copy of a step; the planner mutates these and records what changed. */
export type WorkStep = Pick<CommandStep, 'index' | 'memberId' | 'state' | 'message' | 'taskId' | 'startedAt' | 'finishedAt' | 'baseline' | 'artifact'>;

/** A step that is judged while it is RUNNING: what became of it, or when it times out; `proven` when its proof was first seen now. */
export type StepVerdict = ({ state: 'SUCCEEDED' | 'FAILED' | 'SKIPPED'; message: string | null } | { state: 'RUNNING'; deadline: Date | null }) & { proven?: ProvenHealth };

/**
 * Judges one RUNNING step from what the OC itself saw of its worker since the step began (its
 * baseline): never by comparing a time a manager reported with the OC's clock, so a manager
 * whose clock runs fast or slow is judged the same. A step succeeds only on the proof its kind
 * asks for (kinds.ts: a RESTART, the worker RUNNING as a new process; a DEPLOY, that and the
 * new artifact version). The manager's word counts only against it (task FAILED).
 */
export function judgeStep(
  step: WorkStep,
  command: Command,
  worker: RolloutWorker | undefined,
  task: RolloutTask | undefined,
  managerConnectedSince: Date | null,
  now: Date,
  watch: boolean,
): StepVerdict {
  // A step is RUNNING only with startedAt set; fall back to the command's start defensively.
  const stepStart = step.startedAt ?? command.startedAt ?? command.createdAt;

  if (!worker) return { state: 'SKIPPED', message: `${step.memberId} left the cluster` };

  // Proven already: in its soak, only the worker's own conduct counts (soak.ts).
  const { minHealthyMs } = command.strategy;
  if (step.baseline?.proven) return judgeSoak(step.baseline.proven, worker, minHealthyMs, managerConnectedSince, now);

  const seen = sinceBaseline(step.baseline ?? baselineOf(worker), worker);
  const succeeded = kindSpec(command.kind).stepSucceeded;
  if (succeeded?.(seen, { artifact: stepArtifact(step, command) }, worker)) {
    if (!watch) return { state: 'SUCCEEDED', message: null };
    const proven = provenOf(worker, stepStart, now);
    // Its soak begins: judged at once (a window already through succeeds now).
    return { ...(minHealthyMs === 0 ? { state: 'SUCCEEDED', message: null } : judgeSoak(proven, worker, minHealthyMs, managerConnectedSince, now)), proven };
  }

  if (seen.failed) return { state: 'FAILED', message: 'worker reported FAILED' };

  if (task?.state === 'FAILED') {
    return {
      state: 'FAILED',
      message: task.message ? `manager reported the task FAILED: ${task.message}` : 'manager reported the task FAILED',
    };
  }

  // Time runs only while the manager is connected, and restarts when it reconnects: a
  // rollout never fails because the OC could not hear from the cluster. (All OC times.)
  if (managerConnectedSince === null) return { state: 'RUNNING', deadline: null };
  const deadline = stepDeadline(stepStart, managerConnectedSince, command.strategy.healthTimeoutMs);
  if (now >= deadline) {
    return { state: 'FAILED', message: `not RUNNING within ${command.strategy.healthTimeoutMs} ms` };
  }
  return { state: 'RUNNING', deadline };
}

/** What a step records of its worker when it begins; with the artifact it deploys, the version of it the worker had (what a rollback restores). */
export function baselineOf(worker: RolloutWorker, deploys: ArtifactSpec | null = null): StepBaseline {
  const b: StepBaseline = { workerId: worker.id, state: worker.state, startedAt: worker.startedAt, stateChanges: worker.stateChanges };
  if (deploys) b.previousVersion = worker.artifacts.find((a) => a.name === deploys.name)?.version ?? null;
  return b;
}

/**
 * What the OC saw of a worker since a step's baseline.
 * - restarted: RUNNING now, as a new process. A manager that reports process starts proves it
 *   with a startedAt later than the baseline's (its clock compared with itself; a clock set back
 *   in between can only delay a proof); one that reports none, by the OC seeing the worker
 *   leave RUNNING and come back (its own count of state changes). A boot already in flight
 *   when the step began (STARTING) must be seen to end and start again: its end proves nothing.
 * - failed: FAILED now, and not merely still FAILED from before the step began.
 * A worker that left and joined again since (another row) counts as a state change.
 */
export function sinceBaseline(b: StepBaseline, w: RolloutWorker): { restarted: boolean; failed: boolean } {
  const changes = w.id === b.workerId ? w.stateChanges - b.stateChanges : w.stateChanges + 1;
  const newProcess = w.startedAt === null ? null : b.startedAt === null || w.startedAt > b.startedAt;
  const cameBack = changes >= (b.state === 'STARTING' ? 2 : 1);
  return {
    restarted: w.state === 'RUNNING' && (newProcess ?? cameBack),
    failed: w.state === 'FAILED' && (b.state !== 'FAILED' || changes > 0 || newProcess === true),
  };
}

export function stepDeadline(stepStart: Date, managerConnectedSince: Date | null, healthTimeoutMs: number): Date {
  const from = managerConnectedSince && managerConnectedSince > stepStart ? managerConnectedSince : stepStart;
  return new Date(from.getTime() + healthTimeoutMs);
}
