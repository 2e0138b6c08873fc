/**
 * What the rollout planner needs of one command, read in one statement (its steps, its cluster's
 * workers, its tasks, its manager's connectivity): the driver's hot read, once per advance. Four
 * round trips were a third of an advance's time, and more under load.
 *
 * Only what the planner reads, as JSON arrays rather than objects, times as epoch milliseconds:
 * whole rows (every worker's host and stats, every task's result) as JSON objects made 1.1 MB for
 * a 1,000-worker command, about half of an advance's time on the database and in JSON.parse
 * (bench/rollout.ts, the restart case); this is about a third of that.
 *
 * Of the workers, only those the planner can look at (RolloutInput.workers): the members of the
 * steps not finished, and of steps holding a proof (a canary, watched for crashes until promoted).
 * Finished batches' workers were most of the read late in a big rollout: its last batch read
 * 1,000 workers to judge 100.
 */
import type { RolloutTask, RolloutWorker } from '../../domain/rollout/types.js';
import type { ArtifactSpec, CommandStep, DeployedArtifact, StepState, TaskState, WorkerState } from '../../domain/types.js';
import type { Db, NamedStatement } from '../client.js';
import { runNamed } from '../named.js';
import { rawJson } from '../raw.js';
import type { StoredStepBaseline } from '../schema/index.js';
import { toBaseline } from './commands.js';

export interface RolloutState {
  steps: CommandStep[];
  workers: RolloutWorker[];
  tasks: RolloutTask[];
  manager: { connected: boolean; connectedAt: Date } | null;
}

type Ms = number | null;
/** A step: index, member_id, state, message, task_id, started_at, finished_at, baseline, artifact. */
type StepTuple = [number, string, string, string | null, string | null, Ms, Ms, StoredStepBaseline | null, ArtifactSpec | null];
/** A worker: id, member_id, state, started_at, state_changed_at, state_changes, artifacts. */
type WorkerTuple = [string, string, string, Ms, number, number, DeployedArtifact[]];
/** A task: id, state, message. */
type TaskTuple = [string, string, string | null];

const date = (ms: Ms) => (ms === null ? null : new Date(ms));

/** Epoch milliseconds of a timestamp column (truncated, as JavaScript reads an ISO text with microseconds). */
const ms = (column: string) => `floor(extract(epoch from ${column}) * 1000)::int8`;

/**
 * The read as a named statement ($1 the command; its cluster is the command's): parsed once per connection and,
 * after a few calls, planned once. Planned on every call (drizzle's unnamed statement) it cost
 * PostgreSQL 4 ms of planning per advance, about as much as running it (EXPLAIN ANALYZE of a
 * 1,000-step command, bench/rollout.ts's restart).
 */
const LOAD_ROLLOUT_STATE: NamedStatement = {
  name: 'oc_load_rollout_state',
  text: `with c as (select cluster_id from commands where id = $1::uuid)
    select
      (select coalesce(json_agg(json_build_array(s.index, s.member_id, s.state, s.message, s.task_id, ${ms('s.started_at')}, ${ms('s.finished_at')}, s.baseline, s.artifact) order by s.index), '[]')
        from command_steps s where s.command_id = $1::uuid) as steps,
      (select coalesce(json_agg(json_build_array(w.id, w.member_id, w.state, ${ms('w.started_at')}, ${ms('w.state_changed_at')}, w.state_changes, w.artifacts)), '[]')
        from workers w where w.cluster_id = (select cluster_id from c) and w.member_id in (
          select s.member_id from command_steps s where s.command_id = $1::uuid and (s.state in ('PENDING', 'RUNNING') or jsonb_typeof(s.baseline -> 'proven') = 'object'))) as workers,
      (select coalesce(json_agg(json_build_array(t.id, t.state, t.message) order by t.created_at, t.id), '[]') from manager_tasks t where t.command_id = $1::uuid) as tasks,
      (select json_build_object('connected', m.connected, 'connected_at', m.connected_at) from managers m where m.cluster_id = (select cluster_id from c)) as manager`,
};

export async function loadRolloutState(db: Db, commandId: string): Promise<RolloutState> {
  const [r] = await runNamed(db, LOAD_ROLLOUT_STATE, [commandId]);
  const row = r ? { steps: r[0], workers: r[1], tasks: r[2], manager: r[3] } : undefined;
  const steps = rawJson<StepTuple[]>(row?.steps ?? '[]').map(
    ([index, memberId, state, message, taskId, startedAt, finishedAt, baseline, artifact]): CommandStep => ({
      commandId,
      index,
      memberId,
      state: state as StepState,
      message,
      taskId,
      startedAt: date(startedAt),
      finishedAt: date(finishedAt),
      baseline: toBaseline(baseline),
      artifact: artifact ?? null,
    }),
  );
  const workers = rawJson<WorkerTuple[]>(row?.workers ?? '[]').map(
    ([id, memberId, state, startedAt, stateChangedAt, stateChanges, artifacts]): RolloutWorker => ({
      id,
      memberId,
      state: state as WorkerState,
      startedAt: date(startedAt),
      stateChangedAt: new Date(stateChangedAt),
      stateChanges,
      artifacts,
    }),
  );
  const tasks = rawJson<TaskTuple[]>(row?.tasks ?? '[]').map(([id, state, message]): RolloutTask => ({ id, state: state as TaskState, message }));
  const m = row?.manager ? rawJson<{ connected: boolean; connected_at: string }>(row.manager) : null;
  return { steps, workers, tasks, manager: m ? { connected: m.connected, connectedAt: new Date(m.connected_at) } : null };
}
