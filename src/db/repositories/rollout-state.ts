/**
 * What the rollout planner needs of one command, read in one statement (its steps, its cluster's
 * workers, its tasks, its manager's connectivity): the driver's hot read, once per advance. Four
 * round trips were a third of an advance's time, and more under load.
 */
import { sql } from 'drizzle-orm';
import type { ArtifactSpec, CommandStep, ManagerTask, ObservedWorker, StepState, TaskAction, TaskState } from '../../domain/types.js';
import type { Db } from '../client.js';
import { queryRows } from '../query.js';
import type { StoredStepBaseline } from '../schema/index.js';
import { toBaseline } from './commands.js';
import { fromRecord, type WorkerRecord } from './topology/workers.js';

export interface RolloutState {
  steps: CommandStep[];
  workers: ObservedWorker[];
  tasks: ManagerTask[];
  manager: { connected: boolean; connectedAt: Date } | null;
}

interface StepRecord {
  command_id: string;
  index: number;
  member_id: string;
  state: string;
  message: string | null;
  task_id: string | null;
  started_at: string | null;
  finished_at: string | null;
  baseline: StoredStepBaseline | null;
  artifact: ArtifactSpec | null;
}

interface TaskRecord {
  id: string;
  command_id: string;
  cluster_id: string;
  action: string;
  member_ids: string[];
  artifact: ArtifactSpec | null;
  operation: string | null;
  arguments: unknown;
  state: string;
  message: string | null;
  result: unknown;
  deliveries: number;
  created_at: string;
  updated_at: string;
}

/** A json column: parsed by one driver, text from the other. */
const json = <T>(v: unknown): T => (typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
const date = (v: string | null) => (v === null ? null : new Date(v));

export async function loadRolloutState(db: Db, commandId: string, clusterId: string): Promise<RolloutState> {
  const [row] = await queryRows<{ steps: unknown; workers: unknown; tasks: unknown; manager: unknown }>(
    db,
    sql`select
      (select coalesce(json_agg(s order by s.index), '[]') from command_steps s where s.command_id = ${commandId}) as steps,
      (select coalesce(json_agg(w order by w.member_id), '[]') from workers w where w.cluster_id = ${clusterId}) as workers,
      (select coalesce(json_agg(t order by t.created_at, t.id), '[]') from manager_tasks t where t.command_id = ${commandId}) as tasks,
      (select json_build_object('connected', m.connected, 'connected_at', m.connected_at) from managers m where m.cluster_id = ${clusterId}) as manager`,
  );
  const steps = json<StepRecord[]>(row?.steps ?? '[]').map(
    (s): CommandStep => ({
      commandId: s.command_id,
      index: s.index,
      memberId: s.member_id,
      state: s.state as StepState,
      message: s.message,
      taskId: s.task_id,
      startedAt: date(s.started_at),
      finishedAt: date(s.finished_at),
      baseline: toBaseline(s.baseline),
      artifact: s.artifact ?? null,
    }),
  );
  const tasks = json<TaskRecord[]>(row?.tasks ?? '[]').map(
    (t): ManagerTask => ({
      id: t.id,
      commandId: t.command_id,
      clusterId: t.cluster_id,
      action: t.action as TaskAction,
      memberIds: t.member_ids,
      artifact: t.artifact,
      operation: t.operation,
      arguments: t.arguments,
      state: t.state as TaskState,
      message: t.message,
      result: t.result,
      deliveries: t.deliveries,
      createdAt: new Date(t.created_at),
      updatedAt: new Date(t.updated_at),
    }),
  );
  const m = row?.manager ? json<{ connected: boolean; connected_at: string }>(row.manager) : null;
  return {
    steps,
    workers: json<WorkerRecord[]>(row?.workers ?? '[]').map(fromRecord),
    tasks,
    manager: m ? { connected: m.connected, connectedAt: new Date(m.connected_at) } : null,
  };
}
