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
 *
 * Of the PENDING steps' workers, those of the first few only (twice the largest batch): the next
 * batch is picked among them, and the planner says when it needs more (it can if more than that
 * many members left the cluster; the service reads them all then). A 1,000-worker rollout read
 * 500 workers on average to pick 100.
 *
 * Of the steps, none when the caller holds them already: it passes the version of the command's
 * row it last saw them with (the row's xmin: the transaction that last wrote it), and they are read
 * only if the row was written since. Every transaction that writes a command's steps writes its
 * row too (writeStepsStatement), so an unchanged row means unchanged steps; a rollout's steps were
 * half of this read's time on the database, and of its JSON (RolloutService's step cache).
 */
import type { RolloutTask, RolloutWorker } from '../../domain/rollout/types.js';
import type { ArtifactSpec, CommandStep, DeployedArtifact, StepState, TaskState, WorkerState } from '../../domain/types.js';
import type { Db, NamedStatement } from '../client.js';
import { runNamed } from '../named.js';
import { rawJson } from '../raw.js';
import type { StoredStepBaseline } from '../schema/index.js';
import { toBaseline } from './commands.js';

export interface RolloutState {
  /** Null when the caller's version of them is current (`known`). */
  steps: CommandStep[] | null;
  /** The version of the command's row now (its xmin), and this transaction's id in the same terms (what the row's version is once this transaction writes it); null when it has none yet. */
  version: string;
  xid: string | null;
  workers: RolloutWorker[];
  tasks: RolloutTask[];
  manager: { connected: boolean; connectedAt: Date } | null;
  /** RolloutInput.workersThrough: null when every PENDING step's worker was read. */
  workersThrough: number | null;
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
  text: `with c as (select cluster_id, xmin::text as version,
        case when $3::bool then null else 2 * greatest(coalesce((strategy ->> 'batchSize')::int, 1), coalesce((strategy ->> 'canary')::int, 0)) end as k
        from commands where id = $1::uuid),
      p as (select s.index from command_steps s where s.command_id = $1::uuid and s.state = 'PENDING' order by s.index limit (select k from c))
    select
      case when (select version from c) = $2::text then null else
      (select coalesce(json_agg(json_build_array(s.index, s.member_id, s.state, s.message, s.task_id, ${ms('s.started_at')}, ${ms('s.finished_at')}, s.baseline, s.artifact) order by s.index), '[]')
        from command_steps s where s.command_id = $1::uuid) end as steps,
      (select coalesce(json_agg(json_build_array(w.id, w.member_id, w.state, ${ms('w.started_at')}, ${ms('w.state_changed_at')}, w.state_changes, w.artifacts)), '[]')
        from workers w where w.cluster_id = (select cluster_id from c) and w.member_id in (
          select s.member_id from command_steps s where s.command_id = $1::uuid
            and (s.state = 'RUNNING' or jsonb_typeof(s.baseline -> 'proven') = 'object' or (s.state = 'PENDING' and s.index <= (select max(index) from p))))) as workers,
      (select coalesce(json_agg(json_build_array(t.id, t.state, t.message) order by t.created_at, t.id), '[]') from manager_tasks t where t.command_id = $1::uuid) as tasks,
      (select json_build_object('connected', m.connected, 'connected_at', m.connected_at) from managers m where m.cluster_id = (select cluster_id from c)) as manager,
      (select version from c) as version,
      case when (select k from c) is null or (select count(*) from p) < (select k from c) then null else (select max(index) from p) end as through,
      (pg_current_xact_id_if_assigned()::text::int8 % 4294967296)::text as xid`,
};

/**
 * The planner's input for one command, read in the caller's transaction once the command is locked.
 * `known`: the version of the command's row the caller holds its steps for (RolloutState.version
 * of an earlier read, or the xid of the transaction that last wrote them), or null.
 */
export async function loadRolloutState(db: Db, commandId: string, known: string | null = null, allWorkers = false): Promise<RolloutState> {
  const [r] = await runNamed(db, LOAD_ROLLOUT_STATE, [commandId, known, allWorkers]);
  const row = r ? { steps: r[0], workers: r[1], tasks: r[2], manager: r[3], version: r[4] as string, through: r[5], xid: r[6] as string | null } : undefined;
  const steps = row && row.steps === null ? null : rawJson<StepTuple[]>(row?.steps ?? '[]').map(
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
  return {
    steps,
    workers,
    tasks,
    manager: m ? { connected: m.connected, connectedAt: new Date(m.connected_at) } : null,
    workersThrough: row?.through == null ? null : Number(row.through),
    version: row?.version ?? '',
    xid: row?.xid ?? null,
  };
}
