/** Plain domain types shared by every layer. No imports from outside domain/. */

export const ROLES = ['VIEWER', 'OPERATOR', 'ADMIN', 'MANAGER'] as const;
export type Role = (typeof ROLES)[number];

export const WORKER_STATES = ['STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'FAILED'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export const CLUSTER_HEALTHS = ['HEALTHY', 'DEGRADED', 'UNAVAILABLE', 'UNREACHABLE'] as const;
export type ClusterHealth = (typeof CLUSTER_HEALTHS)[number];

export const MEMBERSHIP_CHANGES = ['JOINED', 'LEFT', 'STATE_CHANGED'] as const;
export type MembershipChange = (typeof MEMBERSHIP_CHANGES)[number];

export const TOPOLOGY_CHANGES = ['CLUSTER_ADDED', 'CLUSTER_REMOVED', 'MANAGER_CONNECTED', 'MANAGER_DISCONNECTED'] as const;
export type TopologyChange = (typeof TOPOLOGY_CHANGES)[number];

export const COMMAND_KINDS = ['RESTART', 'DEPLOY', 'PATCH', 'OPERATION'] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];

export const COMMAND_STATES = ['PENDING', 'RUNNING', 'PAUSED', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type CommandState = (typeof COMMAND_STATES)[number];

export const STEP_STATES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED'] as const;
export type StepState = (typeof STEP_STATES)[number];

export const FAILURE_ACTIONS = ['ABORT', 'PAUSE'] as const;
export type FailureAction = (typeof FAILURE_ACTIONS)[number];

export const TASK_ACTIONS = ['RESTART_WORKERS', 'DEPLOY_ARTIFACT', 'RUN_OPERATION'] as const;
export type TaskAction = (typeof TASK_ACTIONS)[number];

/**
 * Why a command waits (it is PAUSED, or RUNNING but holding its next batch): data the planners
 * read and write, never read back from `Command.message` (which is for people).
 * OPERATOR: an operator (or the command's PATCH parent) asked for a pause; FAILURE_BUDGET: more
 * steps failed than the strategy allows and it is set to PAUSE; CANARY: a canary batch waits to
 * be promoted (promoteCommand, or autoPromoteAfterMs); MANAGER_UNREACHABLE: its cluster's manager is not connected.
 */
export const HOLD_REASONS = ['OPERATOR', 'FAILURE_BUDGET', 'CANARY', 'MANAGER_UNREACHABLE'] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];

export interface CommandHold {
  reason: HoldReason;
  /** When the command began to wait (the OC's clock). */
  since: Date;
  /** The token name of whoever asked for it; null when the OC itself holds the command. */
  by: string | null;
}

export const TASK_STATES = ['PENDING', 'ACCEPTED', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export interface DeployedArtifact {
  name: string;
  version: string;
  deployedAt: string; // ISO-8601
}

export interface ArtifactSpec {
  name: string;
  version: string;
  url: string;
  sha256: string;
}

export interface ManagerOperationSpec {
  name: string;
  description?: string | null;
  inputSchema?: unknown;
}

export interface RolloutStrategy {
  batchSize: number;
  healthTimeoutMs: number;
  pauseBetweenBatchesMs: number;
  maxFailures: number;
  onFailure: FailureAction;
  /** The first `canary` workers (in step order) form the first batch; the command then holds (CANARY) until promoted. Null: no canary. */
  canary: number | null;
  /** With `canary`: promote by itself once the canary has been healthy this long. */
  autoPromoteAfterMs: number | null;
  /** A restarted worker must stay RUNNING this long before its step SUCCEEDS (0: at once). */
  minHealthyMs: number;
  /** FAIL the command when no step has succeeded for this long (not counted while PAUSED or while the manager is unreachable). Null: never. */
  progressDeadlineMs: number | null;
  /** DEPLOY and PATCH: when the command FAILS, start a rollback of the workers it changed. */
  autoRevert: boolean;
}

export interface StatsValues {
  cpuPercent: number;
  memoryMb: number;
  requestsPerSec: number;
  errorsPerSec: number;
}

export interface Stats extends StatsValues {
  sampledAt: Date;
}

export interface Cluster {
  id: string;
  name: string;
  kind: string;
  createdAt: Date;
}

/** A cluster with its health and worker counts at one moment (what a membership event carries). */
export interface ClusterSnapshot extends Cluster {
  health: ClusterHealth;
  workerCount: number;
  runningCount: number;
}

export interface Manager {
  id: string;
  clusterId: string;
  host: string;
  url: string;
  version: string | null;
  operations: ManagerOperationSpec[];
  connected: boolean;
  lastSeenAt: Date;
  connectedAt: Date;
  registeredAt: Date;
}

export interface Worker {
  id: string;
  clusterId: string;
  memberId: string;
  host: string;
  port: number | null;
  state: WorkerState;
  startedAt: Date | null;
  joinedAt: Date;
  stateChangedAt: Date;
  artifacts: DeployedArtifact[];
  stats: Stats | null;
}

/**
 * A worker with what the OC itself counted of it, as it received the reports: the rollout
 * health gate judges from this and from the worker's own reported values compared with
 * themselves, never by comparing a manager's clock with the OC's.
 */
export interface ObservedWorker extends Worker {
  /** How many times the OC saw this worker's state change (one per reported event that changed it). */
  stateChanges: number;
}

/** What a manager says about one worker (registration snapshot or membership event). */
export interface WorkerReport {
  memberId: string;
  host: string;
  port?: number | null;
  state?: WorkerState | null;
  startedAt?: Date | null;
  artifacts?: { name: string; version: string; deployedAt?: Date | null }[] | null;
}

export interface MembershipEvent {
  seq: number;
  change: MembershipChange;
  worker: WorkerReport;
}

export interface Command {
  id: string;
  kind: CommandKind;
  state: CommandState;
  clusterId: string | null;
  parentId: string | null;
  strategy: RolloutStrategy;
  artifact: ArtifactSpec | null;
  kinds: string[] | null;
  maxParallelClusters: number | null;
  operation: string | null;
  arguments: unknown;
  result: unknown;
  requestedBy: string;
  message: string | null;
  pauseRequested: boolean;
  /** Who asked for the latest pause (the OPERATOR hold's `by`); read only while pauseRequested. */
  pauseRequestedBy: string | null;
  cancelRequested: boolean;
  acceptedFailures: number;
  /** The command this one rolls back (it deploys to each worker that one changed the version it had before); null otherwise. */
  rollbackOf: string | null;
  /** Why the command waits, or null when it does not. */
  hold: CommandHold | null;
  /** When its canary was promoted (by an operator or by itself); null while it has none or it waits. */
  promotedAt: Date | null;
  /** When it last continued after a hold (resumed, or its canary promoted): a progress deadline counts from then. */
  resumedAt: Date | null;
  wakeAt: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

export interface CommandStep {
  commandId: string;
  index: number;
  memberId: string;
  state: StepState;
  message: string | null;
  taskId: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The worker as the OC saw it when the step began (null until then). */
  baseline: StepBaseline | null;
  /** What this step deploys when it differs from worker to worker (a rollback's steps); null: the command's artifact. */
  artifact: ArtifactSpec | null;
}

/**
 * A step's worker as the OC saw it when the step began: what a restart (or a deploy) is judged
 * against. `startedAt` is the manager's value and is only ever compared with later values from
 * the same manager, never with the OC's clock.
 */
export interface StepBaseline {
  /** The worker's row: a worker that left and joined again since is another row. */
  workerId: string;
  state: WorkerState;
  startedAt: Date | null;
  stateChanges: number;
  /**
   * The worker as the OC saw it when it first saw the step's proof, and when (the OC's clock):
   * what a soak (`minHealthyMs`) and a canary waiting to be promoted are watched against.
   * Absent until then, and when nothing watches the worker after its proof.
   */
  proven?: ProvenHealth | null;
  /**
   * A step that deploys an artifact: the version of that artifact's name the worker carried when
   * the step began (null: none), what a rollback restores. Absent for a restart, or when not
   * recorded (a step begun by an older OC).
   */
  previousVersion?: string | null;
}

/** A step's worker when its proof was first seen (see `StepBaseline.proven`). */
export interface ProvenHealth {
  /** When the OC saw the worker RUNNING as the proven process (its own clock). */
  at: Date;
  workerId: string;
  startedAt: Date | null;
  stateChanges: number;
}

export interface ManagerTask {
  id: string;
  commandId: string;
  clusterId: string;
  action: TaskAction;
  memberIds: string[];
  artifact: ArtifactSpec | null;
  operation: string | null;
  arguments: unknown;
  state: TaskState;
  message: string | null;
  result: unknown;
  deliveries: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface CommandEvent {
  id: number;
  commandId: string;
  at: Date;
  state: string;
  message: string;
}

export const TERMINAL_COMMAND_STATES: readonly CommandState[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
export const isTerminalCommand = (s: CommandState) => TERMINAL_COMMAND_STATES.includes(s);
export const TERMINAL_TASK_STATES: readonly TaskState[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
export const isTerminalTask = (s: TaskState) => TERMINAL_TASK_STATES.includes(s);
export const TERMINAL_STEP_STATES: readonly StepState[] = ['SUCCEEDED', 'FAILED', 'SKIPPED'];
export const isTerminalStep = (s: StepState) => TERMINAL_STEP_STATES.includes(s);
