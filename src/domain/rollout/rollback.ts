/**
 * Rollback and auto-revert, pure: which workers a DEPLOY changed, what each ran before (its
 * step's baseline recorded it), and the steps of the rollback that deploys that back, grouped
 * so that every batch hands the manager one artifact. The rollback service resolves the
 * previous versions' artifacts (url, sha256) from the OC's own history and writes the result;
 * the rollout planner runs a rollback like any DEPLOY, one target artifact per batch.
 */
import { ConflictError, ValidationError } from '../errors.js';
import type { ArtifactSpec, Command, CommandState, CommandStep, RolloutStrategy, StepState } from '../types.js';
import { isTerminalCommand } from '../types.js';
import { kindSpec } from './kinds.js';

/** What a step deploys: its own target (a rollback's steps differ per worker), else its command's artifact. */
export function stepArtifact(step: Pick<CommandStep, 'artifact'>, command: Pick<Command, 'artifact'>): ArtifactSpec | null {
  return step.artifact ?? command.artifact;
}

/** The same artifact: name, version, url and sha256. */
export function sameArtifact(a: ArtifactSpec | null, b: ArtifactSpec | null): boolean {
  if (a === null || b === null) return a === b;
  return a.name === b.name && a.version === b.version && a.url === b.url && a.sha256 === b.sha256;
}

/** The artifact of a batch's manager task: its first step's (a batch never mixes targets, see planRollout). */
export function taskArtifact(command: Pick<Command, 'artifact'>, batch: readonly Pick<CommandStep, 'artifact'>[]): ArtifactSpec | null {
  return batch[0] ? stepArtifact(batch[0], command) : command.artifact;
}

/**
 * Whether a step changed its worker: its task was handed to the manager and the step ended
 * SUCCEEDED (the new version proven) or FAILED (the manager may have installed it before the
 * start failed, as a real one does). Steps never started, or SKIPPED (cancelled, worker gone),
 * changed nothing the OC can vouch for.
 */
export function changedWorker(step: Pick<CommandStep, 'state' | 'taskId' | 'startedAt'>): boolean {
  return step.taskId !== null && step.startedAt !== null && (step.state === 'SUCCEEDED' || step.state === 'FAILED');
}

/** Refuses what cannot be rolled back: a kind that deploys nothing, a command still active (or whose PATCH is). */
export function checkRollbackable(c: Command, parent: Command | null): void {
  if (!kindSpec(c.kind).shipsArtifact) {
    throw new ValidationError(`a ${c.kind} changes no version: only a DEPLOY or a PATCH can be rolled back`, 'id');
  }
  if (!isTerminalCommand(c.state)) {
    throw new ConflictError(`command ${c.id} is still ${c.state}: wait for it to finish, or cancel it, before rolling it back`, c.id);
  }
  if (parent && !isTerminalCommand(parent.state)) {
    throw new ConflictError(`command ${c.id} is part of patch ${parent.id}, still ${parent.state}: roll back the patch once it is over`, parent.id);
  }
}

/** A worker a DEPLOY changed, with what it ran before. */
export interface ChangedWorker {
  memberId: string;
  /** The artifact the step deployed. */
  deployed: ArtifactSpec | null;
  /** The version of `deployed.name` the worker had before (null: none; undefined: not recorded). */
  previous: string | null | undefined;
}

/** The workers a rollout command changed, in step order, with what each ran before. */
export function changedWorkers(command: Pick<Command, 'artifact'>, steps: readonly CommandStep[]): ChangedWorker[] {
  return [...steps]
    .sort((a, b) => a.index - b.index)
    .filter(changedWorker)
    .map((s) => ({ memberId: s.memberId, deployed: stepArtifact(s, command), previous: s.baseline?.previousVersion }));
}

/** A step of a rollback as it is created: PENDING with the artifact to restore, or SKIPPED with why not. */
export interface RollbackStep {
  memberId: string;
  artifact: ArtifactSpec | null;
  state: Extract<StepState, 'PENDING' | 'SKIPPED'>;
  message: string | null;
}

export interface RollbackPlan {
  /** Restorable steps grouped by target artifact (groups in order of first appearance, step order within), then the unrestorable ones. */
  steps: RollbackStep[];
  /** How many steps restore a worker (PENDING). */
  restored: number;
  /** History text: what goes where, and what cannot be restored and why. */
  summary: string;
}

/** Finds the artifact (url, sha256) of `name` `version` as it was deployed to `memberId`, or null when the OC never deployed it. */
export type ArtifactResolver = (memberId: string, name: string, version: string) => ArtifactSpec | null;

/** The steps of a rollback of `changed`: each worker back to what it ran before, where the OC knows how. */
export function planRollbackSteps(changed: readonly ChangedWorker[], resolve: ArtifactResolver): RollbackPlan {
  const groups = new Map<string, { artifact: ArtifactSpec; memberIds: string[] }>();
  const skipped: RollbackStep[] = [];
  const skip = (memberId: string, why: string) => skipped.push({ memberId, artifact: null, state: 'SKIPPED', message: `cannot be restored: ${why}` });
  for (const w of changed) {
    const name = w.deployed?.name;
    if (name === undefined) skip(w.memberId, 'its step deployed no artifact');
    else if (w.previous === undefined) skip(w.memberId, `what it ran before was not recorded`);
    else if (w.previous === null) skip(w.memberId, `it had no ${name} before: there is nothing to go back to`);
    else if (w.previous === w.deployed?.version) skip(w.memberId, `it already ran ${name} ${w.previous} before`);
    else {
      const artifact = resolve(w.memberId, name, w.previous);
      if (!artifact) {
        skip(w.memberId, `the OC never deployed ${name} ${w.previous}, so its url and sha256 are unknown (deploy it by hand)`);
        continue;
      }
      const key = `${artifact.name}\u0000${artifact.version}\u0000${artifact.url}\u0000${artifact.sha256}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { artifact, memberIds: [] }));
      g.memberIds.push(w.memberId);
    }
  }
  const steps: RollbackStep[] = [];
  for (const g of groups.values()) for (const memberId of g.memberIds) steps.push({ memberId, artifact: g.artifact, state: 'PENDING', message: null });
  const restored = steps.length;
  steps.push(...skipped);
  const parts = [...groups.values()].map((g) => `${g.artifact.name} ${g.artifact.version} to ${listOf(g.memberIds)}`);
  const why = `${skipped.slice(0, 10).map((s) => `${s.memberId} (${s.message!.replace('cannot be restored: ', '')})`).join('; ')}${skipped.length > 10 ? '; ...' : ''}`;
  let summary = restored > 0 ? `restoring ${restored} workers: ${parts.join('; ')}` : `none of the ${skipped.length} workers it changed can be restored: ${why}`;
  if (restored > 0 && skipped.length > 0) summary += `; ${skipped.length} cannot be restored: ${why}`;
  return { steps, restored, summary };
}

/** The artifact a rollback's command carries: the one its steps restore when they share one, else null (each step has its own). */
export function commonArtifact(steps: readonly Pick<RollbackStep, 'artifact' | 'state'>[]): ArtifactSpec | null {
  const targets = steps.filter((s) => s.state === 'PENDING').map((s) => s.artifact);
  const first = targets[0] ?? null;
  return first !== null && targets.every((t) => sameArtifact(t, first)) ? first : null;
}

/**
 * A rollback runs in the strategy of what it rolls back, less what would hold or loop it: no
 * canary to promote (going back should not wait for a person), and no auto-revert of a revert.
 */
export function rollbackStrategy(s: RolloutStrategy): RolloutStrategy {
  return { ...s, canary: null, autoPromoteAfterMs: null, autoRevert: false };
}

/** Whether a command that moves to `to` now starts its own auto-revert (a PATCH child leaves it to its PATCH). */
export function autoRevertDue(c: Pick<Command, 'kind' | 'strategy' | 'parentId'>, to: CommandState | undefined): boolean {
  return to === 'FAILED' && c.strategy.autoRevert && c.parentId === null && kindSpec(c.kind).shipsArtifact;
}

/** Who an auto-revert is requested by: the OC, on behalf of whoever requested the command that failed. */
export function autoRevertRequester(failed: Pick<Command, 'requestedBy'>): string {
  return `OC auto-revert (for ${failed.requestedBy})`;
}

function listOf(ids: readonly string[], max = 10): string {
  const more = ids.length - max;
  return ids.slice(0, max).join(', ') + (more > 0 ? `, and ${more} more` : '');
}
