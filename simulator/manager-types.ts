/**
 * The shapes of a virtual manager: its spec and options, what it tells its hooks, its task journal's
 * records and counters, and the session and core that its parts (membership, stats, chaos, tasks) share.
 */
import type { ManagerTask, MembershipChange, MembershipEventInput, OcTransport, Result, TaskStream } from './oc-client.js';
import type { Profile } from './profiles.js';
import type { Scheduler, TimerHandle } from './scheduler.js';
import type { Slots } from './slots.js';
import type { ChangeCause, VirtualWorker, WorkerSeed, WorkerState } from './worker.js';
import type { VirtualManager } from './manager.js';

export interface ManagerSpec {
  clusterName: string;
  kind: string;
  /** The manager's own host and management URL, as advertised at registration. */
  host: string;
  url: string;
  version: string;
  profile: Profile;
  workers: WorkerSeed[];
  /** Root seed: the manager and each of its workers draw from streams derived from it. */
  seed: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEntry {
  at: number;
  cluster: string;
  level: LogLevel;
  message: string;
}

/** What the fleet (or a test) hears from a manager. All optional, all synchronous. */
export interface ManagerHooks {
  log?(entry: LogEntry): void;
  registered?(manager: VirtualManager): void;
  /** A registration attempt failed (the manager retries on its own). */
  registrationFailed?(manager: VirtualManager, reason: string): void;
  workerChanged?(manager: VirtualManager, worker: VirtualWorker, from: WorkerState, cause: ChangeCause): void;
  /** A task asks this worker to restart (counted before the worker moves). */
  restartRequested?(manager: VirtualManager, worker: VirtualWorker, task: TaskRecord): void;
  /** Every delivery of a task, the first one included (`record.deliveries` counts them). */
  taskDelivered?(manager: VirtualManager, task: ManagerTask, record: TaskRecord): void;
  /** A task seen for the first time is accepted. */
  taskAccepted?(manager: VirtualManager, record: TaskRecord): void;
  taskFinished?(manager: VirtualManager, record: TaskRecord): void;
}

export interface ManagerOptions {
  /** The OC base URL (http://host:port); or give `transport`. */
  ocUrl?: string;
  transport?: OcTransport;
  enrollmentToken: string;
  scheduler?: Scheduler;
  hooks?: ManagerHooks;
  /** Shared by a fleet's managers: every registerManager call (first ones and retries) takes one of these slots while in flight. */
  registrationSlots?: Slots;
}

export type ManagerStatus =
  | 'idle' // not started
  | 'registering' // registerManager in flight
  | 'online' // registered, holding a session
  | 'backoff' // waiting to register again
  | 'cut-off' // a simulated network cut: sends nothing until it ends
  | 'crashed' // a simulated crash: does nothing until restarted
  | 'stopped';

export type TaskOutcomeState = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface TaskRecord {
  id: string;
  cluster: string;
  action: string;
  memberIds: string[];
  commandId: string | null;
  operation: string | null;
  /** How many times the OC delivered it (1 = once; more = re-deliveries). */
  deliveries: number;
  state: TaskOutcomeState;
  message: string | null;
  result: unknown;
  receivedAt: number;
  finishedAt: number | null;
  /** The session number in which ACCEPTED reached the OC (0: not yet). */
  acceptedInSession: number;
  /** The final SUCCEEDED/FAILED reached the OC. */
  finalReported: boolean;
}

export interface MembershipCounters {
  batchesSent: number;
  eventsSent: number;
  /** Batches re-sent after a network error or a refusal. */
  retries: number;
  /** Simulated faults: already-accepted batches sent again, batches sent ahead of a gap. */
  duplicatesSent: number;
  reorderedSent: number;
  /** Out-of-order batches the OC refused (as it must), and ones it accepted (an OC bug). */
  gapRejections: number;
  outOfOrderAccepted: number;
  /** Business errors returned by reportMembership (other than expected gap rejections). */
  errors: number;
  lastAcceptedSeq: number;
}

export interface RolloutFigures {
  /** Workers not RUNNING right now. */
  downNow: number;
  /** The most workers not RUNNING at once, while a RESTART/DEPLOY task was in hand. */
  maxDownDuringTasks: number;
  /** The most task-driven restarts in flight at once. */
  maxRestartsInFlight: number;
}

export interface Session {
  no: number;
  token: string;
  managerId: string;
  clusterId: string;
  /** The last seq given out, and the highest the OC accepted. */
  seq: number;
  acked: number;
  unacked: MembershipEventInput[];
  lastAckedBatch: MembershipEventInput[] | null;
  inflight: boolean;
  retries: number;
  stream: TaskStream | null;
  connected: boolean;
  flushTimer: TimerHandle | null;
  statsTimer: TimerHandle | null;
  statsInflight: boolean;
}

export interface QueuedEvent {
  change: MembershipChange;
  worker: MembershipEventInput['worker'];
}

export interface TaskOutcome {
  state: 'SUCCEEDED' | 'FAILED';
  message?: string;
  result?: unknown;
}

/** What the manager's parts (membership, stats, chaos, tasks) need from the manager itself. */
export interface ManagerCore {
  readonly clusterName: string;
  readonly profile: Profile;
  readonly scheduler: Scheduler;
  readonly transport: OcTransport;
  readonly hooks: ManagerHooks;
  readonly workers: Map<string, VirtualWorker>;
  readonly status: ManagerStatus;
  /** The session in hand (null between sessions). */
  readonly currentSession: Session | null;
  /** Calls the OC on session `s`, unless the session is gone or the manager is cut off. */
  call<T>(s: Session, fn: (token: string) => Promise<Result<T>>): Promise<Result<T>>;
  /** The session is gone (socket closed, token refused): register again after a backoff. */
  sessionLost(reason: string): void;
  /** Sends the queued membership events now, not at the end of the flush interval (a task's workers are all back). */
  reportMembershipNow(): void;
  log(level: LogLevel, message: string): void;
  /** The manager as its hooks see it. */
  readonly self: VirtualManager;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
