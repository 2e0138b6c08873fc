/**
 * Operators' rollout commands: restart, deploy and patch (validated, planned and stored in one
 * transaction), and their intents (pause, resume, cancel). The manager's side is task-service.ts;
 * operations relayed to a manager are operation-service.ts.
 */
import type { Principal } from '../domain/auth.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { patchChildStrategy, promotedBy } from '../domain/rollout/canary.js';
import { isPausableKind, kindSpec } from '../domain/rollout/kinds.js';
import type { ArtifactSpec, Command, CommandKind } from '../domain/types.js';
import { isTerminalCommand, isTerminalTask } from '../domain/types.js';
import * as cmds from '../db/repositories/commands.js';
import * as topo from '../db/repositories/topology.js';
import type { Db } from '../db/client.js';
import { type Emit, inTransaction, type ServiceDeps } from './deps.js';
import { type CommandLogLine, recordCommand } from './command-log.js';
import { checkedArtifact, type PatchRequestInput, patchRequest, patchTargets, rolloutRequest, type StrategyInput } from './rollout-request.js';

/** A write that met a unique index (the one-active-rollout index, for a command). */
export const isUniqueViolation = (e: unknown): boolean => {
  const err = e as { code?: string; cause?: { code?: string } };
  return err?.code === '23505' || err?.cause?.code === '23505';
};

/** Operators' rollout commands (restart, deploy, patch) and their intents (pause, resume, cancel); the list of commands. */
export class CommandService {
  constructor(private deps: ServiceDeps) {}

  restartCluster(principal: Principal, input: { clusterId: string; strategy?: StrategyInput }) {
    return this.startRollout(principal, 'RESTART', input.clusterId, input.strategy, null);
  }

  deployArtifact(principal: Principal, input: { clusterId: string; artifact: ArtifactSpec; strategy?: StrategyInput }) {
    const artifact = checkedArtifact(input.artifact);
    return this.startRollout(principal, 'DEPLOY', input.clusterId, input.strategy, artifact);
  }

  /** Starts a command of a rollout kind (kinds.ts) on one cluster: one step per worker (checked as its preview is: rollout-request.ts). */
  private async startRollout(principal: Principal, kind: CommandKind, clusterId: string, strategyInput: StrategyInput, artifact: ArtifactSpec | null): Promise<Command> {
    const now = this.deps.clock.now();
    try {
      const { command, clusterName } = await inTransaction(this.deps, async (tx, emit) => {
        const { cluster, workers, strategy } = await rolloutRequest(tx, kind, clusterId, strategyInput);
        const command = await cmds.insertCommand(tx, { kind, state: 'PENDING', clusterId, strategy, artifact, requestedBy: principal.name, createdAt: now });
        await cmds.insertSteps(tx, command.id, workers.map((w) => w.memberId)); // listed by memberId: the rollout order
        await this.history(tx, command, now, `${kindSpec(kind).describe(artifact)} of ${cluster.name} (${workers.length} workers) requested by ${principal.name}`);
        emit({ topic: 'command', payload: { commandId: command.id, clusterId, parentId: null, at: now } });
        return { command, clusterName: cluster.name };
      });
      recordCommand(this.deps, { event: 'command requested', command, cluster: clusterName, by: principal.name, extra: artifact ? { artifact: `${artifact.name} ${artifact.version}` } : undefined });
      return command;
    } catch (e) {
      // Two requests racing past the check meet the database's one-active-rollout index.
      if (isUniqueViolation(e)) throw new ConflictError('the cluster already has an active rollout');
      throw e;
    }
  }

  async deployPatch(principal: Principal, input: PatchRequestInput): Promise<Command> {
    const { artifact, kinds, maxParallelClusters, strategy } = patchRequest(input);
    const now = this.deps.clock.now();
    try {
      const { parent, clusterNames } = await inTransaction(this.deps, async (tx, emit) => {
        const all = await patchTargets(tx, kinds);
        const parent = await cmds.insertCommand(tx, { kind: 'PATCH', state: 'PENDING', clusterId: null, strategy, artifact, kinds, maxParallelClusters, requestedBy: principal.name, createdAt: now });
        await this.history(tx, parent, now, `${kindSpec('PATCH').describe(artifact)} of ${all.length} clusters${kinds ? ` (${kinds.join(', ')})` : ''}, ${maxParallelClusters} at a time, requested by ${principal.name}`);
        const childKind = kindSpec('PATCH').childKind!;
        for (const [i, c] of all.entries()) {
          const workers = await topo.listWorkersByCluster(tx, c.id);
          // Children keep the parent's order by a distinct createdAt each.
          const child = await cmds.insertCommand(tx, {
            kind: childKind,
            state: 'PENDING',
            clusterId: c.id,
            parentId: parent.id,
            strategy: patchChildStrategy(strategy, i, maxParallelClusters), // the canary in the first wave only
            artifact,
            requestedBy: principal.name,
            createdAt: new Date(now.getTime() + i),
          });
          await cmds.insertSteps(tx, child.id, workers.map((w) => w.memberId));
          await this.history(tx, child, now, `${kindSpec(childKind).describe(artifact)} to ${c.name} (${workers.length} workers), part of patch ${parent.id}`);
        }
        emit({ topic: 'command', payload: { commandId: parent.id, clusterId: null, parentId: null, at: now } });
        return { parent, clusterNames: all.map((c) => c.name) };
      });
      recordCommand(this.deps, {
        event: 'command requested',
        command: parent,
        cluster: null,
        by: principal.name,
        extra: { artifact: `${artifact.name} ${artifact.version}`, clusters: clusterNames.slice(0, 50), clusterCount: clusterNames.length },
      });
      return parent;
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError('a cluster of this patch already has an active rollout');
      throw e;
    }
  }

  pause(principal: Principal, id: string) {
    return this.intent(principal, id, async (_tx, c) => {
      if (c.state === 'PAUSED' || c.pauseRequested) return null;
      if (!isPausableKind(c.kind)) throw new ConflictError('an operation cannot be paused; cancel it instead', c.id);
      // Who asked becomes the OPERATOR hold's `by` once the command holds.
      return { patch: { pauseRequested: true, pauseRequestedBy: principal.name }, message: `pause requested by ${principal.name}`, event: 'command pause requested' };
    });
  }

  resume(principal: Principal, id: string) {
    return this.intent(principal, id, async (tx, c, now) => {
      if (c.hold?.reason === 'CANARY') throw new ConflictError('the command waits for its canary to be promoted: promote it (promoteCommand) or cancel it', c.id);
      if (c.state === 'PAUSED') {
        // Resuming after a failure pause accepts the failures so far.
        const counts = (await cmds.countSteps(tx, [c.id])).get(c.id);
        const msg = `resumed by ${principal.name}`;
        if (kindSpec(c.kind).driver === 'patch') {
          for (const child of await cmds.listChildren(tx, [c.id])) {
            // A child waiting for its canary stays held: only a promotion moves it on.
            if (child.hold?.reason !== 'CANARY' && (child.state === 'PAUSED' || child.pauseRequested)) {
              const cc = (await cmds.countSteps(tx, [child.id])).get(child.id);
              const resumed = child.state === 'PAUSED' ? { state: 'RUNNING' as const, resumedAt: now } : {};
              await cmds.updateCommand(tx, child.id, { ...resumed, pauseRequested: false, message: null, hold: null, acceptedFailures: cc?.FAILED ?? 0 }, now);
              await cmds.insertEvents(tx, [{ commandId: child.id, at: now, state: 'RUNNING', message: `resumed with its patch by ${principal.name}` }]);
            }
          }
        }
        return { patch: { state: 'RUNNING', pauseRequested: false, message: null, hold: null, acceptedFailures: counts?.FAILED ?? 0, wakeAt: null, resumedAt: now }, message: msg, event: 'command resumed' };
      }
      if (c.pauseRequested) return { patch: { pauseRequested: false, pauseRequestedBy: null }, message: `pause withdrawn by ${principal.name}`, event: 'command resumed' };
      return null; // already running: nothing to do
    });
  }

  /**
   * Promotes a command held for its canary (hold CANARY): it continues with the workers after
   * the canary. A PATCH promotes every child held for its canary. Anything else: ConflictError.
   */
  promote(principal: Principal, id: string) {
    return this.intent(principal, id, async (tx, c, now, emit) => {
      const promoted = { state: 'RUNNING' as const, message: null, hold: null, wakeAt: null, promotedAt: now, resumedAt: now };
      if (kindSpec(c.kind).driver === 'patch') {
        const held = (await cmds.listChildren(tx, [c.id])).filter((ch) => ch.state === 'PAUSED' && ch.hold?.reason === 'CANARY');
        if (held.length === 0) throw new ConflictError('no cluster of this patch waits for its canary to be promoted', c.id);
        for (const child of held) {
          await cmds.updateCommand(tx, child.id, promoted, now);
          await cmds.insertEvents(tx, [{ commandId: child.id, at: now, state: 'RUNNING', message: `${promotedBy(principal.name)} (with its patch)` }]);
          emit({ topic: 'command', payload: { commandId: child.id, clusterId: child.clusterId, parentId: c.id, at: now } });
        }
        const patch: cmds.CommandPatch = c.hold?.reason === 'CANARY' ? { hold: null, message: null } : {};
        return { patch, message: `${promotedBy(principal.name)}: ${held.length} cluster${held.length === 1 ? '' : 's'}`, event: 'command promoted' };
      }
      if (c.state !== 'PAUSED' || c.hold?.reason !== 'CANARY') {
        throw new ConflictError(`the command is not waiting for its canary to be promoted (it is ${c.state}${c.hold ? `, held for ${c.hold.reason}` : ''})`, c.id);
      }
      return { patch: promoted, message: promotedBy(principal.name), event: 'command promoted' };
    });
  }

  cancel(principal: Principal, id: string) {
    return this.intent(principal, id, async (tx, c, now) => {
      if (c.cancelRequested) return null;
      if (kindSpec(c.kind).driver === 'operation') {
        // Nothing drives it: it ends at once, its task withdrawn.
        for (const t of await cmds.listTasksByCommands(tx, [c.id])) {
          if (!isTerminalTask(t.state)) await cmds.updateTask(tx, t.id, { state: 'CANCELLED', message: `cancelled by ${principal.name}` }, now);
        }
        return { patch: { state: 'CANCELLED', finishedAt: now, message: `cancelled by ${principal.name}` }, message: `cancelled by ${principal.name}`, event: 'command cancelled' };
      }
      return { patch: { cancelRequested: true }, message: `cancel requested by ${principal.name}`, event: 'command cancel requested' };
    });
  }

  /** Records an operator's intent on a command; the driver applies it (pause/cancel take effect once the batch in flight is through). */
  private async intent(
    principal: Principal,
    id: string,
    decide: (tx: Db, c: Command, now: Date, emit: Emit) => Promise<{ patch: cmds.CommandPatch; message: string; event: CommandLogLine['event'] } | null>,
  ): Promise<Command> {
    const now = this.deps.clock.now();
    const { command, line } = await inTransaction(this.deps, async (tx, emit) => {
      const c = await cmds.lockCommand(tx, id, { skipLocked: false });
      if (!c) throw new NotFoundError(`no command with id ${id}`, id);
      if (isTerminalCommand(c.state)) throw new ConflictError(`the command is already ${c.state}`, c.id);
      const d = await decide(tx, c, now, emit);
      if (!d) return { command: c, line: null };
      const updated = await cmds.updateCommand(tx, c.id, d.patch, now);
      await cmds.insertEvents(tx, [{ commandId: c.id, at: now, state: updated.state, message: d.message }]);
      emit({ topic: 'command', payload: { commandId: c.id, clusterId: c.clusterId, parentId: c.parentId, at: now } });
      const cluster = c.clusterId ? ((await topo.findClustersByIds(tx, [c.clusterId]))[0]?.name ?? null) : null;
      return { command: updated, line: { event: d.event, command: updated, cluster, by: principal.name, state: updated.state } satisfies CommandLogLine };
    });
    if (line) recordCommand(this.deps, line);
    return command;
  }

  private history(tx: Db, c: Command, at: Date, message: string) {
    return cmds.insertEvents(tx, [{ commandId: c.id, at, state: c.state, message }]);
  }

  // ---------- reads ----------

  listCommands(f: cmds.CommandFilter, page: { first: number; after: { createdAt: Date; id: string } | null }) {
    return cmds.listCommands(this.deps.db, f, page);
  }
}

