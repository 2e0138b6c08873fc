import { randomUUID } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import * as cmds from '../db/repositories/commands.js';
import { loadRolloutState, type RolloutState } from '../db/repositories/rollout-state.js';
import * as topo from '../db/repositories/topology.js';
import type { Db } from '../db/client.js';
import { kindSpec } from '../domain/rollout/kinds.js';
import { childChange, planPatch } from '../domain/rollout/patch.js';
import { planRollout } from '../domain/rollout/plan.js';
import { autoRevertDue, taskArtifact } from '../domain/rollout/rollback.js';
import { NEW_TASK } from '../domain/rollout/types.js';
import type { Command, CommandKind, CommandStep, ManagerTask, StepState } from '../domain/types.js';
import { isTerminalCommand, isTerminalStep } from '../domain/types.js';
import { type CommandLogLine, recordCommand, transitionEvents } from './command-log.js';
import { type Emit, inTransaction, type ServiceDeps } from './deps.js';
import { startAutoRevert } from './rollback-service.js';
import { taskEvent } from './task-snapshots.js';

interface FinishedSteps {
  kind: CommandKind;
  outcome: StepState;
  n: number;
}

/** Adds steps that just ended to the counts reported after commit. */
function countFinished(into: FinishedSteps[], kind: CommandKind, steps: readonly { state: StepState }[]) {
  for (const s of steps) {
    const f = into.find((x) => x.kind === kind && x.outcome === s.state);
    if (f) f.n++;
    else into.push({ kind, outcome: s.state, n: 1 });
  }
}

/** A PATCH parent's decision was made on a child that has moved on since (the transaction is rolled back and the parent decided again). */
class StaleChild extends Error {
  constructor(readonly childId: string) {
    super(`child ${childId} changed while its parent was deciding`);
  }
}
const MAX_STALE_RETRIES = 5;
/** Steps one instance holds between advances, in all (RolloutService.stepCache): about 30 MB of heap at most (600 bytes a step). */
const MAX_HELD_STEPS = 50_000;

/**
 * Applies the rollout planners' decisions: one command per transaction, under its row lock
 * (FOR UPDATE SKIP LOCKED), so that two OC instances never drive the same command, and a
 * crash at any point leaves either the whole decision or none of it.
 */
export class RolloutService {
  /**
   * The `command` events each advance published about the command it advanced, as published on
   * this instance's bus (the same objects), with whether its state changed (see driverWakes).
   */
  private readonly announced = new WeakMap<object, { stateChanged: boolean }>();
  /**
   * The active rollout of each cluster as this instance's advances last saw it (a cluster has at
   * most one: a unique index), so that a worker report wakes it without a read: the look-up was a
   * round trip of every batch's turnaround (bench/rollout.ts's restart). Set when an advance
   * leaves a rollout active, dropped when one finds it over (a later rollout of the cluster is
   * advanced here on its creation, or is driven by the instance that holds it, which sees the
   * same reports; the sweep looks at every active command in any case).
   */
  private readonly rolloutOfCluster = new Map<string, string>();
  /**
   * Each rollout's steps as this instance's last advance of it left them, with the version of the
   * command's row they go with (rollout-state.ts): the next advance reads them only if the row was
   * written since (by anyone else: an operator's request, another instance's advance, a PATCH
   * parent). A rollout's 1,000 steps were half of each advance's read (bench/rollout.ts's
   * restart). A write planned from them still checks that every step it moves is where the plan
   * found it (writeTogether's `expect`): steps held wrongly fail that write, and are read again.
   */
  private readonly stepCache = new Map<string, { version: string; steps: CommandStep[] }>();
  private heldSteps = 0;

  constructor(private deps: ServiceDeps) {}

  /**
   * Which commands a `command` event asks the driver to look at. An advance announcing the command
   * it advanced needs no second look at that command (it was planned to the end), and its parent
   * needs one only if its state changed (a PATCH parent plans from its children's states); any
   * other event (an operator's intent, a parent's change to a child, another instance's advance)
   * wakes both.
   */
  driverWakes(payload: object): { command: boolean; parent: boolean } {
    const own = this.announced.get(payload);
    return own ? { command: false, parent: own.stateChanged } : { command: true, parent: true };
  }

  /** Advances one command if nobody else is driving it right now; returns whether it changed. */
  async advance(commandId: string): Promise<boolean> {
    const started = performance.now();
    // Lifecycle lines are written once the transaction committed.
    const lines: CommandLogLine[] = [];
    const finished: FinishedSteps[] = [];
    let changed = false;
    // The rollout's cluster, and whether the advance left it active (for rolloutOfCluster).
    let seen = null as { clusterId: string; active: boolean } | null;
    // The steps as this advance leaves them, kept once it committed (null: forget them).
    let leaves = null as { version: string; steps: CommandStep[] } | null;
    for (let attempt = 1; ; attempt++) {
      try {
        changed = await inTransaction(this.deps, async (tx, emit) => {
          lines.length = 0;
          finished.length = 0;
          seen = null;
          leaves = null;
          const held = this.stepCache.get(commandId);
          // The planner's read is sent right behind the lock, in the same write (one round trip, not
          // two, on an advance's critical path: bench/rollout.ts's restart): it runs once the lock is
          // held, and is not used when the command is no rollout, is over, or is someone else's.
          const locking = cmds.lockCommand(tx, commandId, { skipLocked: true });
          const loading = loadRolloutState(tx, commandId, held?.version ?? null);
          loading.catch(() => {}); // the lock's failure is the one thrown
          const command = await locking;
          if (!command) return false;
          const { driver } = kindSpec(command.kind);
          if (isTerminalCommand(command.state)) {
            if (driver === 'rollout' && command.clusterId) seen = { clusterId: command.clusterId, active: false };
            return false;
          }
          if (driver === 'patch') return this.advancePatch(tx, emit, command, lines, finished);
          if (driver === 'rollout') {
            const st = await loading;
            const steps = st.steps ?? held!.steps;
            const r = await this.advanceRollout(tx, emit, command, { ...st, steps }, lines, finished, () => loadRolloutState(tx, commandId, st.version, true));
            const active = !isTerminalCommand(r.state);
            seen = { clusterId: command.clusterId!, active };
            // Once this transaction writes the command's row, the row's version is its id.
            const version = r.wroteCommand ? st.xid : st.version;
            if (active && version) leaves = { version, steps: r.steps };
            return r.changed;
          }
          return false; // an operation ends by the manager's answer or its timeout
        });
        break;
      } catch (err) {
        this.forgetSteps(commandId);
        // A child moved on while its parent decided, or a step while the command was planned from
        // steps held here: decide again on what they are now.
        const stale = err instanceof StaleChild || (err instanceof Error && err.message.includes(cmds.STEPS_MOVED));
        if (!stale || attempt >= MAX_STALE_RETRIES) throw err;
      }
    }
    this.keepSteps(commandId, leaves);
    if (seen?.active) this.rolloutOfCluster.set(seen.clusterId, commandId);
    else if (seen && this.rolloutOfCluster.get(seen.clusterId) === commandId) this.rolloutOfCluster.delete(seen.clusterId);
    for (const line of lines) recordCommand(this.deps, line);
    for (const f of finished) this.deps.telemetry?.stepsFinished(f.kind, f.outcome, f.n);
    if (changed) this.deps.logger.debug('command advanced', { commandId, ms: Math.round(performance.now() - started) });
    return changed;
  }

  /** Keeps (or forgets) a rollout's steps after an advance; MAX_HELD_STEPS in all, the least recently advanced rollouts' forgotten first. */
  private keepSteps(commandId: string, leaves: { version: string; steps: CommandStep[] } | null): void {
    this.forgetSteps(commandId);
    if (!leaves || leaves.steps.length > MAX_HELD_STEPS) return;
    this.stepCache.set(commandId, leaves);
    this.heldSteps += leaves.steps.length;
    while (this.heldSteps > MAX_HELD_STEPS) this.forgetSteps(this.stepCache.keys().next().value!);
  }

  private forgetSteps(commandId: string): void {
    const held = this.stepCache.get(commandId);
    if (!held) return;
    this.stepCache.delete(commandId);
    this.heldSteps -= held.steps.length;
  }

  private async advanceRollout(
    tx: Db,
    emit: Emit,
    command: Command,
    { steps, workers, workersThrough, tasks, manager }: Omit<RolloutState, 'steps'> & { steps: CommandStep[] },
    lines: CommandLogLine[],
    finished: FinishedSteps[],
    readAllWorkers: () => Promise<RolloutState>,
  ): Promise<{ changed: boolean; state: Command['state']; wroteCommand: boolean; steps: CommandStep[] }> {
    const now = this.deps.clock.now();
    const clusterId = command.clusterId!;
    const managerConnectedSince = manager?.connected ? manager.connectedAt : null;
    let d = planRollout({ command, steps, workers, workersThrough, tasks, managerConnectedSince, now });
    if (d.needsAllWorkers) {
      // More of the next steps' members left than the read looked at: read them all (same lock, same steps).
      workers = (await readAllWorkers()).workers;
      d = planRollout({ command, steps, workers, tasks, managerConnectedSince, now });
    }

    // The decision's writes (its task, its steps, tasks it cancels, the command, its history) go
    // out as one statement (writeTogether): the task's id is made here, so the steps can name it.
    const writes: SQL[] = [];
    let task: ManagerTask | null = null;
    const byIndex = new Map(steps.map((s) => [s.index, s]));
    if (d.newTask) {
      const kind = kindSpec(command.kind);
      const batch = d.newTask.stepIndexes.map((i) => byIndex.get(i)!);
      task = {
        id: randomUUID(),
        commandId: command.id,
        clusterId,
        action: kind.taskAction!, // every rollout kind hands out tasks
        memberIds: d.newTask.memberIds,
        artifact: kind.shipsArtifact ? taskArtifact(command, batch) : null,
        operation: null,
        arguments: null,
        state: 'PENDING',
        message: null,
        result: null,
        deliveries: 0,
        createdAt: now,
        updatedAt: now,
      };
      writes.push(cmds.insertTaskStatement(tx, task));
    }
    // Each changed step, whole (the decision's fields over the stored ones), but its baseline only
    // when the decision set one (null keeps the stored one: writeStepsStatement).
    const written = d.stepUpdates.map((u) => {
      const given = Object.fromEntries(Object.entries(u).filter(([, v]) => v !== undefined));
      const s = { ...byIndex.get(u.index)!, ...given };
      return { ...s, taskId: u.taskId === NEW_TASK ? (task?.id ?? null) : s.taskId, baseline: u.baseline ?? null, from: byIndex.get(u.index)!.state };
    });
    // Written only where each step still is as planned from (they may be steps held from an earlier advance).
    const stepWrite = written.length > 0 ? cmds.writeStepsStatement(command.id, written) : null;
    if (stepWrite) writes.push(stepWrite);
    countFinished(finished, command.kind, written.filter((s) => isTerminalStep(s.state) && !isTerminalStep(byIndex.get(s.index)!.state)));
    if (d.cancelTaskIds.length > 0) {
      writes.push(cmds.endTasksStatement(tx, d.cancelTaskIds, { state: 'CANCELLED', message: 'cancelled by the OC: the rollout no longer needs it' }, now));
    }
    const changed = d.stepUpdates.length > 0 || d.newTask !== null || d.cancelTaskIds.length > 0 || Object.keys(d.command).length > 0 || d.hold !== undefined;
    const wakeChanged = (d.wakeAt?.getTime() ?? null) !== (command.wakeAt?.getTime() ?? null);
    if (changed || wakeChanged) writes.push(cmds.updateCommandStatement(tx, command.id, { ...d.command, wakeAt: d.wakeAt, hold: d.hold }, now));
    if (d.events.length > 0) writes.push(cmds.insertEventsStatement(d.events.map((e) => ({ commandId: command.id, at: now, ...e }))));
    await cmds.writeTogether(tx, writes, stepWrite ? { statement: stepWrite, rows: written.length } : undefined);
    // The command as this statement leaves it (updateCommandStatement's fields over the locked row).
    const commandAsWritten: Command | undefined = task ? { ...command, ...d.command, wakeAt: d.wakeAt, ...(d.hold !== undefined ? { hold: d.hold } : {}), updatedAt: now } : undefined;
    if (task) emit({ topic: 'task', payload: taskEvent(task, commandAsWritten) });
    for (const id of d.cancelTaskIds) emit({ topic: 'task', payload: { taskId: id, clusterId, commandId: command.id, state: 'CANCELLED' } });
    const stateChanged = d.command.state !== undefined && d.command.state !== command.state;
    if (changed) emit({ topic: 'command', payload: this.announce({ commandId: command.id, clusterId, parentId: command.parentId, at: now }, stateChanged) });
    // Auto-revert starts in the transaction that fails the command: a crash cannot lose it.
    const revert = autoRevertDue(command, d.command.state) ? await startAutoRevert(tx, emit, { ...command, ...d.command }, now) : null;
    const told = transitionEvents(command.state, d.command, d.hold);
    if (told.length > 0) {
      const [cluster] = await topo.findClustersByIds(tx, [clusterId]);
      const message = d.command.message !== undefined ? d.command.message : (d.events.at(-1)?.message ?? null);
      for (const { event, state } of told) lines.push({ event, command, cluster: cluster?.name ?? null, state, message: told.length > 1 && event === 'command started' ? null : message });
    }
    if (revert) lines.push(revert);
    // The steps as a read after this transaction would give them (a baseline as stored and read back).
    const after = new Map(written.map((w) => [w.index, w]));
    const stepsAfter = steps.map((s) => {
      const w = after.get(s.index);
      if (!w) return s;
      return { ...s, state: w.state, message: w.message, taskId: w.taskId, startedAt: w.startedAt, finishedAt: w.finishedAt, baseline: w.baseline ? cmds.asStoredBaseline(w.baseline) : s.baseline };
    });
    return { changed, state: d.command.state ?? command.state, wroteCommand: changed || wakeChanged, steps: stepsAfter };
  }

  private async advancePatch(tx: Db, emit: Emit, parent: Command, lines: CommandLogLine[], finished: FinishedSteps[]): Promise<boolean> {
    const now = this.deps.clock.now();
    const children = await cmds.listChildren(tx, [parent.id]);
    const d = planPatch({ parent, children, now });
    const byId = new Map(children.map((c) => [c.id, c]));
    const touched = new Set<string>();
    const named = d.startChildIds.length + d.cancelChildIds.length > 0 ? children.filter((c) => c.clusterId).map((c) => c.clusterId!) : [];
    const names = new Map((await topo.findClustersByIds(tx, named)).map((c) => [c.id, c.name]));
    const childLine = (id: string, event: CommandLogLine['event'], state: Command['state'], message: string) => {
      const child = byId.get(id);
      if (child) lines.push({ event, command: child, cluster: child.clusterId ? (names.get(child.clusterId) ?? null) : null, state, message });
    };
    // What becomes of each child the decision names is planPatch's (childChange); this writes it.
    const actions = [
      ['start', d.startChildIds],
      ['cancel', d.cancelChildIds],
      ['pause', d.pauseChildIds],
      ['cancelRequest', d.cancelRequestChildIds],
    ] as const;
    // Children are not locked by their parent (lock order: a parent, then a child; a child's
    // advance never locks its parent): each write holds only if the child is as planned from.
    // Alike changes go out as one statement (a patch starts its first wave of children at once).
    const writes = new Map<string, { seen: Command['state']; command: cmds.CommandPatch; ids: string[] }>();
    const childEvents: { commandId: string; at: Date; state: string; message: string }[] = [];
    for (const [action, ids] of actions) {
      for (const id of ids) {
        const child = byId.get(id);
        if (!child) continue;
        const steps = action === 'cancel' ? await cmds.listSteps(tx, [id]) : [];
        const change = childChange(action, parent, child, now, steps);
        if (action === 'start') childLine(id, 'command started', 'RUNNING', change.event.message);
        const key = `${child.state} ${JSON.stringify(change.command)}`;
        const w = writes.get(key) ?? { seen: child.state, command: change.command, ids: [] as string[] };
        w.ids.push(id);
        writes.set(key, w);
        if (change.steps.length > 0) {
          const stepByIndex = new Map(steps.map((s) => [s.index, s]));
          await cmds.writeSteps(tx, id, change.steps.map((u) => ({ ...stepByIndex.get(u.index)!, ...u })));
          countFinished(finished, child.kind, change.steps);
        }
        childEvents.push({ commandId: id, at: now, ...change.event });
        if (action === 'cancel') childLine(id, 'command cancelled', 'CANCELLED', change.event.message);
        touched.add(id);
      }
    }
    for (const w of writes.values()) {
      const written = new Set(await cmds.updateCommandsInState(tx, w.ids, w.seen, w.command, now));
      const moved = w.ids.find((id) => !written.has(id));
      if (moved) throw new StaleChild(moved);
    }
    await cmds.insertEvents(tx, childEvents);
    const parentChanged = Object.keys(d.command).length > 0 || d.hold !== undefined;
    const changed = touched.size > 0 || parentChanged;
    if (parentChanged) await cmds.updateCommand(tx, parent.id, { ...d.command, hold: d.hold }, now);
    await cmds.insertEvents(tx, d.events.map((e) => ({ commandId: parent.id, at: now, ...e })));
    for (const id of touched) emit({ topic: 'command', payload: { commandId: id, clusterId: byId.get(id)?.clusterId ?? null, parentId: parent.id, at: now } });
    if (changed) emit({ topic: 'command', payload: this.announce({ commandId: parent.id, clusterId: null, parentId: null, at: now }, false) });
    const revert = autoRevertDue(parent, d.command.state) ? await startAutoRevert(tx, emit, { ...parent, ...d.command }, now) : null;
    const told = transitionEvents(parent.state, d.command);
    for (const { event, state } of told) {
      lines.push({ event, command: parent, cluster: null, state, message: told.length > 1 && event === 'command started' ? null : (d.command.message ?? d.events.at(-1)?.message ?? null) });
    }
    if (revert) lines.push(revert);
    return changed;
  }

  private announce<T extends object>(payload: T, stateChanged: boolean): T {
    this.announced.set(payload, { stateChanged });
    return payload;
  }

  /** Commands to look at now: those whose wake-up time has come (or, on a full sweep, every active one). */
  async dueCommandIds(full: boolean): Promise<string[]> {
    const rows = await cmds.listActiveCommandIds(this.deps.db, full ? {} : { dueBy: this.deps.clock.now() });
    return rows.map((r) => r.id);
  }

  /** The active rollouts of these clusters: as this instance's advances left them (rolloutOfCluster), read for the others. */
  async activeRolloutIds(clusterIds: readonly string[]): Promise<string[]> {
    const known: string[] = [];
    const unknown: string[] = [];
    for (const c of clusterIds) {
      const id = this.rolloutOfCluster.get(c);
      if (id) known.push(id);
      else unknown.push(c);
    }
    return unknown.length === 0 ? known : [...known, ...(await cmds.findActiveRolloutIdsByClusters(this.deps.db, unknown))];
  }
}
