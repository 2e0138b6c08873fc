/**
 * The manager's side of commands: the managerTasks stream of a session (which also keeps its lease)
 * and the manager's reports on its tasks (an operation's answer ends its command).
 */
import type { Principal } from '../domain/auth.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import type { ManagerTask, TaskState } from '../domain/types.js';
import { isTerminalCommand, isTerminalTask, TASK_STATES } from '../domain/types.js';
import * as cmds from '../db/repositories/commands.js';
import * as topo from '../db/repositories/topology.js';
import type { Db } from '../db/client.js';
import type { EventMap } from '../events/bus.js';
import { type CommandLogLine, recordCommand } from './command-log.js';
import { type Emit, inTransaction, type ServiceDeps } from './deps.js';
import type { ManagerService } from './manager-service.js';
import { taskSnapshot } from './task-snapshots.js';
import { boundedJson, optionalText } from './validate.js';

type Session = Extract<Principal, { kind: 'session' }>;

export class TaskService {
  constructor(
    private deps: ServiceDeps,
    private managers: ManagerService,
  ) {}

  /** A manager reports progress on one of its cluster's tasks. */
  async reportTask(session: Session, input: { taskId: string; state: TaskState; message?: string | null; result?: unknown }): Promise<ManagerTask> {
    if (!TASK_STATES.includes(input.state) || input.state === 'PENDING') {
      throw new ValidationError('state must be ACCEPTED, SUCCEEDED, FAILED or CANCELLED', 'input.state');
    }
    const message = optionalText(input.message, 'input.message', { max: 4000, multiline: true });
    const result = boundedJson(input.result, 'input.result', 256 * 1024);
    const now = this.deps.clock.now();
    // The usual report (a rollout task moving on, from a manager whose stream holds its lease
    // here: nothing to touch) is one statement, not a transaction of four round trips: a patch
    // over hundreds of clusters makes two of these per batch per cluster. Anything else (an
    // operation's answer, a repeated or late report, an unknown task) goes the long way below.
    if (this.managers.holdsLease(session.clusterId)) {
      const updated = await cmds.reportRolloutTask(this.deps.db, input.taskId, session.clusterId, { state: input.state, message, result: result ?? null }, now);
      if (updated) {
        this.deps.bus.publish('task', { taskId: updated.id, clusterId: updated.clusterId, commandId: updated.commandId, state: updated.state });
        return updated;
      }
    }
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

  /** Per cluster: the task deliveries its streams on this instance are still counting (see tasks()). */
  private readonly countingOf = new Map<string, Promise<void>>();

  private counting(clusterId: string, count: Promise<unknown>): void {
    const done: Promise<void> = Promise.all([this.countingOf.get(clusterId), count]).then(
      () => {},
      (err) => this.deps.logger.warn('counting task deliveries failed', { err }),
    );
    this.countingOf.set(clusterId, done);
    void done.then(() => {
      if (this.countingOf.get(clusterId) === done) this.countingOf.delete(clusterId);
    });
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

  private async *tasks(session: Session, events: AsyncIterableIterator<EventMap['task']>): AsyncGenerator<ManagerTask> {
    const { db } = this.deps;
    // Renewed at once (a manager coming back is announced now), then with every other held lease (renewHeldLeases).
    void this.managers.renewLease(session.clusterId).catch((err) => this.deps.logger.warn('lease renewal failed', { err }));
    const release = this.managers.holdLease(session.clusterId);
    const sent = new Map<string, TaskState>();
    const deliver = async (tasks: ManagerTask[]) => {
      const out = tasks.filter((t) => {
        const prev = sent.get(t.id);
        if (t.state === 'CANCELLED') return prev !== undefined && prev !== 'CANCELLED';
        return prev === undefined && !isTerminalTask(t.state);
      });
      for (const t of out) sent.set(t.id, t.state);
      // Counted beside the delivery, not before it: the manager's next batch does not wait on a
      // counter. Started on the next turn of the event loop, once the task is on its socket: on
      // PGlite a statement runs on this thread, and started here it went ahead of the task's message
      // (0.5-10 ms of each batch's turnaround in bench/rollout.ts's restart, loaded machine).
      if (out.length > 0) {
        const ids = out.map((t) => t.id);
        this.counting(session.clusterId, new Promise((next) => setImmediate(next)).then(() => cmds.countDeliveries(db, ids)));
      }
      // Work handed out (a CANCELLED notice is not); handed out before means to an earlier stream.
      const work = out.filter((t) => t.state !== 'CANCELLED');
      if (work.length > 0) this.deps.telemetry?.tasksDelivered(work.length, work.filter((t) => t.deliveries > 0).length);
      return out;
    };
    try {
      // A stream that just ended here may still be counting what it sent: a task it handed out
      // then counts as handed out before (re-delivered) when this one sends it again.
      await this.countingOf.get(session.clusterId);
      for (const t of await deliver(await cmds.listUnfinishedTasks(db, session.clusterId))) yield t;
      for await (const e of events) {
        // What this stream sends of a task: once while unfinished, and once more when CANCELLED.
        // The event's state says when a read cannot find anything to send (the manager's own
        // ACCEPTED and SUCCEEDED reports of a task sent already: most task events), and a new
        // task published here comes with its row (task-snapshots.ts): neither is read.
        const prev = sent.get(e.taskId);
        if (e.state === 'CANCELLED' ? prev === undefined || prev === 'CANCELLED' : prev !== undefined) continue;
        const snapshot = taskSnapshot(e);
        for (const t of await deliver(snapshot ? [snapshot] : await cmds.findTasksByIds(db, [e.taskId]))) yield t;
      }
    } finally {
      release();
    }
  }
}
