/**
 * Relays a cluster's own operations (an ESB's proxy services, …) to its manager: checks the
 * arguments against the operation's inputSchema, hands the manager a task, waits for its answer.
 */
import type { Principal } from '../domain/auth.js';
import { NotFoundError, OperationFailedError, TimeoutError, UnreachableError, ValidationError } from '../domain/errors.js';
import { kindSpec } from '../domain/rollout/kinds.js';
import { resolveStrategy } from '../domain/rollout/strategy.js';
import type { Command, ManagerTask, TaskState } from '../domain/types.js';
import { isTerminalCommand, isTerminalTask } from '../domain/types.js';
import * as cmds from '../db/repositories/commands.js';
import * as topo from '../db/repositories/topology.js';
import type { Db } from '../db/client.js';
import { type CommandLogLine, recordCommand } from './command-log.js';
import { inTransaction, type ServiceDeps } from './deps.js';
import { checkOperationArguments } from './operation-args.js';
import { taskEvent } from './task-snapshots.js';
import { boundedJson, int, text } from './validate.js';

export const DEFAULT_OPERATION_TIMEOUT_MS = 10_000;

export class OperationService {
  constructor(private deps: ServiceDeps) {}

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
      emit({ topic: 'task', payload: taskEvent(task) });
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

  private history(tx: Db, c: Command, at: Date, message: string) {
    return cmds.insertEvents(tx, [{ commandId: c.id, at, state: c.state, message }]);
  }
}
