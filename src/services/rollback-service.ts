/**
 * Rollback (rollbackCommand) and auto-revert: a new command that deploys to each worker a
 * DEPLOY changed the version it had before (a PATCH: a PATCH of such per-cluster rollbacks),
 * with `rollbackOf` set. The previous versions come from the steps' baselines; their artifacts
 * (url, sha256) from the OC's own history of deploys. The rollout planner then runs it like any other
 * DEPLOY, one target artifact per batch (domain/rollout/rollback.ts).
 */
import type { Principal } from '../domain/auth.js';
import { ConflictError, DomainError, NotFoundError, ValidationError } from '../domain/errors.js';
import { kindSpec } from '../domain/rollout/kinds.js';
import {
  type ArtifactResolver,
  autoRevertRequester,
  changedWorkers,
  checkRollbackable,
  commonArtifact,
  planRollbackSteps,
  type RollbackPlan,
  rollbackStrategy,
} from '../domain/rollout/rollback.js';
import type { Command } from '../domain/types.js';
import * as cmds from '../db/repositories/commands.js';
import * as topo from '../db/repositories/topology.js';
import type { Db } from '../db/client.js';
import { type CommandLogLine, recordCommand } from './command-log.js';
import { isUniqueViolation } from './command-service.js';
import { type Emit, inTransaction, type ServiceDeps } from './deps.js';

/** What a command is, for history lines ("deploy of app 2.0", "rollback of <id>"). */
function what(c: Command): string {
  if (c.artifact) return kindSpec(c.kind).describe(c.artifact);
  return c.rollbackOf ? `rollback of ${c.rollbackOf}` : c.kind;
}

export class RollbackService {
  constructor(private deps: ServiceDeps) {}

  /** rollbackCommand: a finished DEPLOY or PATCH back to what its changed workers ran before. */
  async rollback(principal: Principal, id: string): Promise<Command> {
    const now = this.deps.clock.now();
    try {
      const { command, line } = await inTransaction(this.deps, async (tx, emit) => {
        const original = await cmds.lockCommand(tx, id, { skipLocked: false });
        if (!original) throw new NotFoundError(`no command with id ${id}`, id);
        const made = await createRollback(tx, emit, original, principal.name, now);
        await noteOnOriginal(tx, emit, original, now, `rollback ${made.command.id} requested by ${principal.name}`);
        return made;
      });
      recordCommand(this.deps, { ...line, by: principal.name });
      return command;
    } catch (e) {
      // Two requests racing past the check meet the database's one-active-rollout index.
      if (isUniqueViolation(e)) throw new ConflictError('a cluster of this rollback already has an active rollout');
      throw e;
    }
  }
}

/**
 * Auto-revert: in the transaction where `failed` (a DEPLOY or PATCH with autoRevert, now FAILED)
 * failed, starts its rollback, with a history line on both; when nothing can be rolled back (or
 * the cluster is busy), says why on the failed command instead. Returns the lifecycle line to
 * write once the transaction committed.
 */
export async function startAutoRevert(tx: Db, emit: Emit, failed: Command, now: Date): Promise<CommandLogLine | null> {
  try {
    const made = await createRollback(tx, emit, failed, autoRevertRequester(failed), now);
    await noteOnOriginal(tx, emit, failed, now, `auto-revert: rollback ${made.command.id} started`);
    return made.line;
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    await noteOnOriginal(tx, emit, failed, now, `auto-revert: not started: ${e.message}`);
    return null;
  }
}

async function noteOnOriginal(tx: Db, emit: Emit, c: Command, now: Date, message: string): Promise<void> {
  await cmds.insertEvents(tx, [{ commandId: c.id, at: now, state: c.state, message }]);
  emit({ topic: 'command', payload: { commandId: c.id, clusterId: c.clusterId, parentId: c.parentId, at: now } });
}

/** The rollback plan of one cluster's rollout command: its changed workers, their previous artifacts resolved from the OC's history. */
async function planFor(tx: Db, c: Command): Promise<RollbackPlan> {
  const steps = await cmds.listSteps(tx, [c.id]);
  const changed = changedWorkers(c, steps);
  if (changed.length === 0) return { steps: [], restored: 0, summary: 'it changed no worker' };
  const known: cmds.KnownArtifact[] = [];
  const names = new Set(changed.map((w) => w.deployed?.name).filter((n): n is string => n !== undefined));
  for (const name of names) {
    const wanted = changed.flatMap((w) => (w.deployed?.name === name && typeof w.previous === 'string' ? [{ memberId: w.memberId, version: w.previous }] : []));
    known.push(...(await cmds.findDeployedArtifacts(tx, c.clusterId!, name, wanted)));
  }
  // The artifact this very worker was deployed from, else the latest deploy of that version anywhere.
  const resolve: ArtifactResolver = (memberId, name, version) => {
    const match = (m: string) => known.find((k) => k.memberId === m && k.name === name && k.version === version);
    const k = match(memberId) ?? match('');
    return k ? { name: k.name, version: k.version, url: k.url, sha256: k.sha256 } : null;
  };
  return planRollbackSteps(changed, resolve);
}

interface Made {
  command: Command;
  line: CommandLogLine;
}

/** Checks, plans and stores the rollback of `original` (every check before the first write). */
async function createRollback(tx: Db, emit: Emit, original: Command, requestedBy: string, now: Date): Promise<Made> {
  const parent = original.parentId ? ((await cmds.findCommandsByIds(tx, [original.parentId]))[0] ?? null) : null;
  checkRollbackable(original, parent);
  if (kindSpec(original.kind).driver === 'patch') return createPatchRollback(tx, emit, original, requestedBy, now);

  const clusterId = original.clusterId!;
  const [cluster] = await topo.findClustersByIds(tx, [clusterId]);
  const clusterName = cluster?.name ?? clusterId;
  const busy = await cmds.findActiveRollout(tx, clusterId);
  if (busy) throw new ConflictError(`cluster ${clusterName} already has an active rollout (${busy.kind} ${busy.state})`, busy.id);
  const plan = await planFor(tx, original);
  if (plan.restored === 0) throw new ValidationError(`nothing to roll back: ${plan.summary}`, 'id');

  const command = await cmds.insertCommand(tx, {
    kind: original.kind,
    state: 'PENDING',
    clusterId,
    strategy: rollbackStrategy(original.strategy),
    artifact: commonArtifact(plan.steps),
    rollbackOf: original.id,
    requestedBy,
    createdAt: now,
  });
  await cmds.insertTargetedSteps(tx, command.id, plan.steps.map((s) => ({ ...s, finishedAt: s.state === 'SKIPPED' ? now : null })));
  const message = `rollback of ${original.id} (${what(original)}, ${original.state}) on ${clusterName} requested by ${requestedBy}: ${plan.summary}`;
  await cmds.insertEvents(tx, [{ commandId: command.id, at: now, state: command.state, message }]);
  emit({ topic: 'command', payload: { commandId: command.id, clusterId, parentId: null, at: now } });
  return { command, line: { event: 'command requested', command, cluster: clusterName, by: requestedBy, extra: { rollbackOf: original.id } } };
}

/** A PATCH's rollback: a PATCH (same kinds, maxParallelClusters) of one rollback per child that changed workers. */
async function createPatchRollback(tx: Db, emit: Emit, original: Command, requestedBy: string, now: Date): Promise<Made> {
  const children = await cmds.listChildren(tx, [original.id]);
  const rolling = new Set(await cmds.findActiveRolloutClusterIds(tx, children.map((c) => c.clusterId!)));
  const names = new Map((await topo.findClustersByIds(tx, children.map((c) => c.clusterId!))).map((c) => [c.id, c.name]));
  const nameOf = (c: Command) => names.get(c.clusterId!) ?? c.clusterId!;
  const planned: { child: Command; plan: RollbackPlan }[] = [];
  const nothing: string[] = [];
  for (const child of children) {
    const plan = await planFor(tx, child);
    if (plan.restored > 0) planned.push({ child, plan });
    else nothing.push(`${nameOf(child)} (${plan.summary})`);
  }
  if (planned.length === 0) throw new ValidationError(`nothing to roll back: ${nothing.join('; ') || 'the patch had no cluster'}`, 'id');
  const busy = planned.filter((p) => rolling.has(p.child.clusterId!)).map((p) => nameOf(p.child));
  if (busy.length) throw new ConflictError(`these clusters already have an active rollout: ${busy.join(', ')}`);

  const patch = await cmds.insertCommand(tx, {
    kind: original.kind,
    state: 'PENDING',
    clusterId: null,
    strategy: rollbackStrategy(original.strategy),
    artifact: commonArtifact(planned.flatMap((p) => p.plan.steps)),
    kinds: original.kinds,
    maxParallelClusters: original.maxParallelClusters,
    rollbackOf: original.id,
    requestedBy,
    createdAt: now,
  });
  let message = `rollback of ${original.id} (${what(original)}, ${original.state}) on ${planned.length} clusters requested by ${requestedBy}`;
  if (nothing.length) message += `; nothing to restore on ${nothing.join('; ')}`;
  await cmds.insertEvents(tx, [{ commandId: patch.id, at: now, state: patch.state, message }]);
  for (const [i, { child, plan }] of planned.entries()) {
    // Children keep the original's order by a distinct createdAt each.
    const c = await cmds.insertCommand(tx, {
      kind: child.kind,
      state: 'PENDING',
      clusterId: child.clusterId,
      parentId: patch.id,
      strategy: rollbackStrategy(child.strategy),
      artifact: commonArtifact(plan.steps),
      rollbackOf: child.id,
      requestedBy,
      createdAt: new Date(now.getTime() + i),
    });
    await cmds.insertTargetedSteps(tx, c.id, plan.steps.map((s) => ({ ...s, finishedAt: s.state === 'SKIPPED' ? now : null })));
    await cmds.insertEvents(tx, [{ commandId: c.id, at: now, state: c.state, message: `rollback of ${child.id} on ${nameOf(child)}, part of patch ${patch.id}: ${plan.summary}` }]);
    await cmds.insertEvents(tx, [{ commandId: child.id, at: now, state: child.state, message: `rollback ${c.id} requested, part of patch ${patch.id}` }]);
  }
  emit({ topic: 'command', payload: { commandId: patch.id, clusterId: null, parentId: null, at: now } });
  return { command: patch, line: { event: 'command requested', command: patch, cluster: null, by: requestedBy, extra: { rollbackOf: original.id, clusters: planned.map((p) => nameOf(p.child)) } } };
}
