import type { Command, CommandHold, CommandState, CommandStep, ManagerTask, ObservedWorker, StepBaseline, StepState } from '../types.js';

/**
 * Everything the rollout planner looks at for one command (of a kind whose driver is
 * 'rollout', see kinds.ts: it works on one cluster's workers).
 * The planner is a pure function of this; the controller loads it in a transaction, calls
 * `planRollout`, applies the decision, and publishes after commit.
 */
/**
 * What the planner reads of a worker and of a task: the driver loads only this for each advance
 * (rollout-state.ts; a whole worker row and a task's result were most of the bytes of a 1,000-worker
 * command's read, bench/rollout.ts). Full ObservedWorker and ManagerTask values fit.
 */
export type RolloutWorker = Pick<ObservedWorker, 'id' | 'memberId' | 'state' | 'startedAt' | 'stateChangedAt' | 'stateChanges' | 'artifacts'>;
export type RolloutTask = Pick<ManagerTask, 'id' | 'state' | 'message'>;

export interface RolloutInput {
  command: Command;
  /** All steps of the command, ordered by index. */
  steps: CommandStep[];
  /**
   * The cluster's current workers (as the manager reported them, with what the OC counted of
   * them) that the planner looks at: at least the members of RUNNING steps, of steps with a proof
   * (`baseline.proven`: a canary watched for crashes) and of PENDING steps (up to
   * `workersThrough`). Such a member missing has left the cluster. The driver loads only those
   * (rollout-state.ts).
   */
  workers: RolloutWorker[];
  /**
   * When not every PENDING step's worker was looked up: the greatest index of the PENDING steps
   * whose workers were (a member of a step past it may or may not be in the cluster). The next
   * batch is picked from the steps up to it; a decision that needs a step past it is not made
   * (RolloutDecision.needsAllWorkers). Undefined or null: every PENDING step's worker was.
   */
  workersThrough?: number | null;
  /** The command's manager tasks (any state). */
  tasks: RolloutTask[];
  /** When the cluster's manager last became connected, or null while it is unreachable. */
  managerConnectedSince: Date | null;
  now: Date;
}

export interface StepUpdate {
  index: number;
  state: StepState;
  message: string | null;
  startedAt?: Date;
  finishedAt?: Date;
  taskId?: string;
  /** Set when the step begins: its worker as the OC saw it then. */
  baseline?: StepBaseline;
}

export interface RolloutDecision {
  /** Steps whose state changes. */
  stepUpdates: StepUpdate[];
  /** Start a batch: one manager task for these members; their steps become RUNNING (listed in stepUpdates with taskId 'NEW'). */
  newTask: { memberIds: string[]; stepIndexes: number[] } | null;
  /** Unfinished tasks to mark CANCELLED (their remaining work is no longer wanted). */
  cancelTaskIds: string[];
  /** Command changes; undefined fields stay as they are. */
  command: {
    state?: CommandState;
    message?: string | null;
    startedAt?: Date;
    finishedAt?: Date;
    pauseRequested?: boolean;
    cancelRequested?: boolean;
    /** Set when its canary is promoted (canary.ts). */
    promotedAt?: Date;
    /** Set when it continues after a hold by itself (an automatic promotion): the progress clock restarts. */
    resumedAt?: Date;
  };
  /** When to look at the command again even if nothing happens (null: only on events). */
  wakeAt: Date | null;
  /** The command's new hold (null: it no longer waits); undefined: unchanged. */
  hold?: CommandHold | null;
  /** History lines, in order (e.g. "step w3 FAILED: not RUNNING within 60000 ms"). */
  events: { state: string; message: string }[];
  /** Set (and nothing else decided) when the decision needs the workers of PENDING steps past `workersThrough`: plan again with them all. */
  needsAllWorkers?: true;
}

/** A change the planners make to a command other than the one they plan (a PATCH's child). */
export type CommandChange = Partial<
  Pick<Command, 'state' | 'message' | 'startedAt' | 'finishedAt' | 'pauseRequested' | 'pauseRequestedBy' | 'cancelRequested' | 'wakeAt' | 'hold' | 'promotedAt' | 'resumedAt'>
>;

/** The placeholder task id in stepUpdates for the task the controller creates from `newTask`. */
export const NEW_TASK = 'NEW';
