import type { Principal } from '../domain/auth.js';
import { ConflictError, NotFoundError, OperationFailedError, TimeoutError, UnreachableError, ValidationError } from '../domain/errors.js';
import { isPausableKind, isRolloutKind, kindSpec } from '../domain/rollout/kinds.js';
import { resolveStrategy, validateArtifact } from '../domain/rollout/strategy.js';
import type { ArtifactSpec, Command, CommandKind, ManagerTask, RolloutStrategy, TaskState } from '../domain/types.js';
import { isTerminalCommand, isTerminalTask, TASK_STATES } from '../domain/types.js';
import * as cmds from '../db/repositories/commands.js';
import * as topo from '../db/repositories/topology.js';
import type { Db } from '../db/client.js';
import { type Emit, inTransaction, type ServiceDeps } from './deps.js';
import { type CommandLogLine, recordCommand } from './command-log.js';
import type { ManagerService } from './manager-service.js';
import { clusterCursor } from './topology-service.js';
import { checkOperationArguments } from './operation-args.js';
import { boundedJson, int, list, optionalText, text } from './validate.js';

type StrategyInput = Partial<{ [K in keyof RolloutStrategy]: RolloutStrategy[K] | null }> | null | undefined;
type Session = Extract<Principal, { kind: 'session' }>;

export const DEFAULT_OPERATION_TIMEOUT_MS = 10_000;

const isUniqueViolation = (e: unknown): boolean => {
  const err = e as { code?: string; cause?: { code?: string } };
  return err?.code === '23505' || err?.cause?.code === '23505';
};

/** Operator commands (rollouts, patches, operations) and the manager's task reports. */
export class CommandService {
  constructor(
    private deps: ServiceDeps,
    private managers: ManagerService,
  ) {}

  restartCluster(principal: Principal, input: { clusterId: string; strategy?: StrategyInput }) {
    return this.startRollout(principal, 'RESTART', input.clusterId, input.strategy, null);
  }

  deployArtifact(principal: Principal, input: { clusterId: string; artifact: ArtifactSpec; strategy?: StrategyInput }) {
    const artifact = this.artifact(input.artifact);
    return this.startRollout(principal, 'DEPLOY', input.clusterId, input.strategy, artifact);
  }

  private artifact(a: ArtifactSpec): ArtifactSpec {
    try {
      return validateArtifact(a);
    } catch (e) {
      if (e instanceof ValidationError && e.field) throw new ValidationError(e.message, `input.${e.field}`);
      throw e;
    }
  }

  private strategy(s: StrategyInput, workerCount: number | null): RolloutStrategy {
    try {
      return resolveStrategy(s, { workerCount });
    } catch (e) {
      if (e instanceof ValidationError && e.field) throw new ValidationError(e.message, `input.${e.field}`);
      throw e;
    }
  }

  /** Starts a command of a rollout kind (kinds.ts) on one cluster: one step per worker. */
  private async startRollout(principal: Principal, kind: CommandKind, clusterId: string, strategyInput: StrategyInput, artifact: ArtifactSpec | null): Promise<Command> {
    if (!isRolloutKind(kind)) throw new Error(`${kind} is not a rollout kind`);
    const now = this.deps.clock.now();
    try {
      const { command, clusterName } = await inTransaction(this.deps, async (tx, emit) => {
        const [cluster] = await topo.findClustersByIds(tx, [clusterId]);
        if (!cluster) throw new NotFoundError(`no cluster with id ${clusterId}`, clusterId);
        const busy = await cmds.findActiveRollout(tx, clusterId);
        if (busy) throw new ConflictError(`cluster ${cluster.name} already has an active rollout (${busy.kind} ${busy.state})`, busy.id);
        const workers = await topo.listWorkersByCluster(tx, clusterId);
        if (workers.length === 0) throw new ValidationError(`cluster ${cluster.name} has no workers to roll`, 'input.clusterId');
        const strategy = this.strategy(strategyInput, workers.length);
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

  async deployPatch(principal: Principal, input: { artifact: ArtifactSpec; kinds?: string[] | null; maxParallelClusters?: number | null; strategy?: StrategyInput }): Promise<Command> {
    const artifact = this.artifact(input.artifact);
    const kinds = input.kinds?.length ? [...new Set(list(input.kinds, 'input.kinds', 50).map((k, i) => text(k, `input.kinds[${i}]`, { max: 50 }).toUpperCase()))] : null;
    const maxParallelClusters = input.maxParallelClusters == null ? 1 : int(input.maxParallelClusters, 'input.maxParallelClusters', 1, 1000);
    const strategy = this.strategy(input.strategy, null);
    const now = this.deps.clock.now();
    try {
      const { parent, clusterNames } = await inTransaction(this.deps, async (tx, emit) => {
        const all = await this.clustersOfKinds(tx, kinds);
        if (all.length === 0) throw new ValidationError(kinds ? `no cluster of kind ${kinds.join(', ')}` : 'there is no cluster to patch', 'input.kinds');
        const rolling = new Set(await cmds.findActiveRolloutClusterIds(tx, all.map((c) => c.id)));
        const busy = all.filter((c) => rolling.has(c.id)).map((c) => c.name);
        if (busy.length) throw new ConflictError(`these clusters already have an active rollout: ${busy.join(', ')}`);
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
            strategy,
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

  private async clustersOfKinds(tx: Db, kinds: string[] | null) {
    const out = [];
    let after: string | null = null;
    for (;;) {
      // In natural order: a patch goes through its clusters as every list shows them.
      const page = await topo.listClusters(tx, {}, { first: 500, after: clusterCursor(after) });
      out.push(...page.clusters.filter((c) => !kinds || kinds.includes(c.kind)));
      if (!page.hasNextPage) return out;
      after = page.clusters.at(-1)!.name;
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
      if (c.state === 'PAUSED') {
        // Resuming after a failure pause accepts the failures so far.
        const counts = (await cmds.countSteps(tx, [c.id])).get(c.id);
        const msg = `resumed by ${principal.name}`;
        if (kindSpec(c.kind).driver === 'patch') {
          for (const child of await cmds.listChildren(tx, [c.id])) {
            if (child.state === 'PAUSED' || child.pauseRequested) {
              const cc = (await cmds.countSteps(tx, [child.id])).get(child.id);
              await cmds.updateCommand(tx, child.id, { state: 'RUNNING', pauseRequested: false, message: null, hold: null, acceptedFailures: cc?.FAILED ?? 0 }, now);
              await cmds.insertEvents(tx, [{ commandId: child.id, at: now, state: 'RUNNING', message: `resumed with its patch by ${principal.name}` }]);
            }
          }
        }
        return { patch: { state: 'RUNNING', pauseRequested: false, message: null, hold: null, acceptedFailures: counts?.FAILED ?? 0, wakeAt: null }, message: msg, event: 'command resumed' };
      }
      if (c.pauseRequested) return { patch: { pauseRequested: false, pauseRequestedBy: null }, message: `pause withdrawn by ${principal.name}`, event: 'command resumed' };
      return null; // already running: nothing to do
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
    decide: (tx: Db, c: Command, now: Date) => Promise<{ patch: cmds.CommandPatch; message: string; event: CommandLogLine['event'] } | null>,
  ): Promise<Command> {
    const now = this.deps.clock.now();
    const { command, line } = await inTransaction(this.deps, async (tx, emit) => {
      const c = await cmds.lockCommand(tx, id, { skipLocked: false });
      if (!c) throw new NotFoundError(`no command with id ${id}`, id);
      if (isTerminalCommand(c.state)) throw new ConflictError(`the command is already ${c.state}`, c.id);
      const d = await decide(tx, c, now);
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

  // ---------- manager side ----------

  /** A manager reports progress on one of its cluster's tasks. */
  async reportTask(session: Session, input: { taskId: string; state: TaskState; message?: string | null; result?: unknown }): Promise<ManagerTask> {
    if (!TASK_STATES.includes(input.state) || input.state === 'PENDING') {
      throw new ValidationError('state must be ACCEPTED, SUCCEEDED, FAILED or CANCELLED', 'input.state');
    }
    const message = optionalText(input.message, 'input.message', { max: 4000, multiline: true });
    const result = boundedJson(input.result, 'input.result', 256 * 1024);
    const now = this.deps.clock.now();
    const { task: reported, line } = await inTransaction(this.deps, async (tx, emit) => {
      const task = await cmds.lockTask(tx, input.taskId);
      // Another cluster's task is as good as unknown to this manager.
      if (!task || task.clusterId !== session.clusterId) throw new NotFoundError(`no task ${input.taskId} for this cluster`, input.taskId);
      await this.managers.touch(tx, emit, session.clusterId, now);
      if (isTerminalTask(task.state)) return { task, line: null }; // late or repeated report: idempotent, nothing changes
      if (task.state === 'ACCEPTED' && input.state === 'ACCEPTED') return { task, line: null };
      const updated = await cmds.updateTask(tx, task.id, { state: input.state, message, result: result ?? null }, now);
      emit({ topic: 'task', payload: { taskId: task.id, clusterId: task.clusterId, commandId: task.commandId, state: updated.state } });
      const line = task.action === 'RUN_OPERATION' && isTerminalTask(updated.state) ? await this.finishOperation(tx, emit, updated, now) : null;
      return { task: updated, line };
    });
    if (line) recordCommand(this.deps, line);
    return reported;
  }

  private async finishOperation(tx: Db, emit: Emit, task: ManagerTask, now: Date): Promise<CommandLogLine | null> {
    const [c] = await cmds.findCommandsByIds(tx, [task.commandId]);
    if (!c || isTerminalCommand(c.state)) return null;
    const state = task.state === 'SUCCEEDED' ? 'SUCCEEDED' : task.state === 'CANCELLED' ? 'CANCELLED' : 'FAILED';
    const message = task.state === 'SUCCEEDED' ? 'the manager answered' : `the manager reported ${task.state}${task.message ? `: ${task.message}` : ''}`;
    await cmds.updateCommand(tx, c.id, { state, finishedAt: now, message, result: task.result }, now);
    await cmds.insertEvents(tx, [{ commandId: c.id, at: now, state, message }]);
    emit({ topic: 'command', payload: { commandId: c.id, clusterId: c.clusterId, parentId: null, at: now } });
    const [cluster] = await topo.findClustersByIds(tx, [task.clusterId]);
    return { event: state === 'CANCELLED' ? 'command cancelled' : 'command finished', command: c, cluster: cluster?.name ?? null, state, message };
  }

  /**
   * Relays a cluster-specific operation to the cluster's manager and waits for its answer.
   */
  async runOperation(principal: Principal, input: { clusterId: string; operation: string; arguments?: unknown; timeoutMs?: number | null }) {
    const operation = text(input.operation, 'input.operation', { max: 100 });
    const args = boundedJson(input.arguments ?? null, 'input.arguments', 64 * 1024);
    const timeoutMs = input.timeoutMs == null ? DEFAULT_OPERATION_TIMEOUT_MS : int(input.timeoutMs, 'input.timeoutMs', 100, 300_000);
    const now = this.deps.clock.now();
    const { command, task, clusterName } = await inTransaction(this.deps, async (tx, emit) => {
      const [cluster] = await topo.findClustersByIds(tx, [input.clusterId]);
      if (!cluster) throw new NotFoundError(`no cluster with id ${input.clusterId}`, input.clusterId);
      const [manager] = await topo.findManagersByClusterIds(tx, [cluster.id]);
      if (!manager?.connected) throw new UnreachableError(`the manager of ${cluster.name} is not connected`);
      const spec = manager.operations.find((o) => o.name === operation);
      if (!spec) {
        const offered = manager.operations.map((o) => o.name);
        throw new ValidationError(`${cluster.name}'s manager offers no operation "${operation}"${offered.length ? ` (it offers: ${offered.join(', ')})` : ' (it offers none)'}`, 'input.operation');
      }
      // Checked before anything is written or relayed: arguments the manager would refuse never reach it.
      if (spec.inputSchema != null) checkOperationArguments(spec.inputSchema, args, { operation });
      const command = await cmds.insertCommand(tx, {
        kind: 'OPERATION',
        state: 'RUNNING',
        clusterId: cluster.id,
        strategy: resolveStrategy(null, { workerCount: null }),
        operation,
        arguments: args,
        requestedBy: principal.name,
        startedAt: now,
        createdAt: now,
      });
      const task = await cmds.insertTask(tx, { commandId: command.id, clusterId: cluster.id, action: kindSpec('OPERATION').taskAction!, memberIds: [], operation, arguments: args, createdAt: now });
      await this.history(tx, command, now, `operation ${operation} on ${cluster.name} requested by ${principal.name}`);
      emit({ topic: 'task', payload: { taskId: task.id, clusterId: cluster.id, commandId: command.id, state: 'PENDING' } });
      emit({ topic: 'command', payload: { commandId: command.id, clusterId: cluster.id, parentId: null, at: now } });
      return { command, task, clusterName: cluster.name };
    });
    recordCommand(this.deps, { event: 'command requested', command, cluster: clusterName, by: principal.name, extra: { operation } });

    const finished = await this.waitForTask(task.id, timeoutMs);
    if (!finished) {
      await this.expireOperation(command.id, task.id, timeoutMs);
      throw new TimeoutError(`the manager did not answer ${operation} within ${timeoutMs} ms`, timeoutMs);
    }
    const [after] = await cmds.findCommandsByIds(this.deps.db, [command.id]);
    if (finished.state !== 'SUCCEEDED') throw new OperationFailedError(finished.message ?? `the manager reported ${finished.state}`, finished.result ?? null);
    return { command: after ?? command, result: finished.result ?? null };
  }

  /** Waits for a task to end: woken by task events (bridged from other instances), checked against the database. */
  private async waitForTask(taskId: string, timeoutMs: number): Promise<ManagerTask | null> {
    const { bus, db } = this.deps;
    const check = async () => {
      const [t] = await cmds.findTasksByIds(db, [taskId]);
      return t && isTerminalTask(t.state) ? t : null;
    };
    return new Promise<ManagerTask | null>((resolve) => {
      let done = false;
      const finish = (t: ManagerTask | null) => {
        if (done) return;
        done = true;
        off();
        clearTimeout(timer);
        clearInterval(poll);
        resolve(t);
      };
      const probe = () =>
        void check().then(
          (t) => t && finish(t),
          () => {},
        );
      const off = bus.on('task', (e) => {
        if (e.taskId === taskId && isTerminalTask(e.state as TaskState)) probe();
      });
      const timer = setTimeout(() => void check().then(finish, () => finish(null)), timeoutMs);
      const poll = setInterval(probe, 1000); // a safety net should an event be lost
      probe();
    });
  }

  private async expireOperation(commandId: string, taskId: string, timeoutMs: number) {
    const now = this.deps.clock.now();
    const line = await inTransaction(this.deps, async (tx, emit): Promise<CommandLogLine | null> => {
      const task = await cmds.lockTask(tx, taskId);
      if (task && !isTerminalTask(task.state)) {
        await cmds.updateTask(tx, taskId, { state: 'CANCELLED', message: `no answer within ${timeoutMs} ms` }, now);
        emit({ topic: 'task', payload: { taskId, clusterId: task.clusterId, commandId, state: 'CANCELLED' } });
      }
      const c = await cmds.lockCommand(tx, commandId, { skipLocked: false });
      if (c && !isTerminalCommand(c.state)) {
        const message = `timed out: no answer within ${timeoutMs} ms`;
        await cmds.updateCommand(tx, commandId, { state: 'FAILED', finishedAt: now, message }, now);
        await cmds.insertEvents(tx, [{ commandId, at: now, state: 'FAILED', message }]);
        emit({ topic: 'command', payload: { commandId, clusterId: c.clusterId, parentId: null, at: now } });
        const cluster = c.clusterId ? ((await topo.findClustersByIds(tx, [c.clusterId]))[0]?.name ?? null) : null;
        return { event: 'command finished', command: c, cluster, state: 'FAILED', message };
      }
      return null;
    });
    if (line) recordCommand(this.deps, line);
  }

  /**
   * The managerTasks stream of a session: every unfinished task of its cluster first, then each
   * new task, and a task again when it is CANCELLED. Holding it keeps the manager's lease.
   */
  taskStream(session: Session): AsyncIterableIterator<ManagerTask> {
    // Subscribe before reading the backlog, so nothing made in between is missed.
    const events = this.deps.bus.subscribe('task', { filter: (e) => e.clusterId === session.clusterId });
    const inner = this.tasks(session, events);
    // An async generator parked on `await events.next()` cannot be returned until that settles:
    // ending `events` first lets it run its `finally` (which stops renewing the lease) at once.
    const it: AsyncIterableIterator<ManagerTask> = {
      next: () => inner.next(),
      return: async (value?: unknown) => {
        await events.return?.();
        return inner.return(value as undefined);
      },
      throw: async (e?: unknown) => {
        await events.return?.();
        return inner.throw(e);
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  private async *tasks(session: Session, events: AsyncIterableIterator<{ taskId: string }>): AsyncGenerator<ManagerTask> {
    const { db, config } = this.deps;
    const renew = () => void this.managers.renewLease(session.clusterId).catch((err) => this.deps.logger.warn('lease renewal failed', { err }));
    renew();
    const timer = setInterval(renew, Math.max(50, Math.floor(config.managerLeaseMs / 3)));
    const sent = new Map<string, TaskState>();
    const deliver = async (tasks: ManagerTask[]) => {
      const out = tasks.filter((t) => {
        const prev = sent.get(t.id);
        if (t.state === 'CANCELLED') return prev !== undefined && prev !== 'CANCELLED';
        return prev === undefined && !isTerminalTask(t.state);
      });
      for (const t of out) sent.set(t.id, t.state);
      await cmds.countDeliveries(db, out.map((t) => t.id));
      // Work handed out (a CANCELLED notice is not); handed out before means to an earlier stream.
      const work = out.filter((t) => t.state !== 'CANCELLED');
      if (work.length > 0) this.deps.telemetry?.tasksDelivered(work.length, work.filter((t) => t.deliveries > 0).length);
      return out;
    };
    try {
      for (const t of await deliver(await cmds.listUnfinishedTasks(db, session.clusterId))) yield t;
      for await (const e of events) {
        for (const t of await deliver(await cmds.findTasksByIds(db, [e.taskId]))) yield t;
      }
    } finally {
      clearInterval(timer);
    }
  }

  // ---------- reads ----------

  listCommands(f: cmds.CommandFilter, page: { first: number; after: { createdAt: Date; id: string } | null }) {
    return cmds.listCommands(this.deps.db, f, page);
  }
}

