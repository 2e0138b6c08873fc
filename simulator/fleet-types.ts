/**
 * The shapes of a fleet: how one is specified (FleetSpec), what it is to its users (Fleet), and
 * what it reports (status, invariants, injected faults).
 */
import type { LogEntry, LogLevel, ManagerStatus, MembershipCounters, TaskRecord, VirtualManager } from './manager.js';
import type { OcTransport } from './oc-client.js';
import type { Profile } from './profiles.js';
import type { Scheduler } from './scheduler.js';
import type { Fault, Scenario, ScenarioSpec } from './scenario.js';
import type { VirtualWorker, WorkerState } from './worker.js';

export interface FleetSpec {
  /** The OC base URL, e.g. http://127.0.0.1:4000 (…/graphql is accepted too). */
  url: string;
  /** A MANAGER token made by an admin; every manager of the fleet registers with it. */
  enrollmentToken: string;
  /** A scenario as written (validated here) or one already loaded with loadScenario(). */
  scenario: ScenarioSpec | Scenario;
  /** Root seed (default: the scenario's, else 1). The same seed replays the same worker timelines. */
  seed?: number;
  /** Overrides every cluster's profile (tests pass 'fast'). */
  profile?: string;
  /** Tweaks on top of the profile, e.g. { taskTimeoutMs: 2000 }. */
  profileOverrides?: Partial<Profile>;
  /** Overrides every cluster's manager clock skew (ms, positive: fast); else each cluster's own (default 0). */
  clockSkewMs?: number;
  /** How many managers register at once while the fleet comes up (default 32). */
  registerConcurrency?: number;
  /** Every log line of every manager, as it happens. */
  log?: (entry: LogEntry) => void;
  /** Injected time (defaults to the real clock). */
  scheduler?: Scheduler;
  /** Injected transport (defaults to HTTP + graphql-ws against `url`). */
  transport?: (clusterName: string) => OcTransport;
}

/** A task as the fleet's invariants show it: the manager's record without its bookkeeping, and
 * `deliveries` counted since the fleet started (or since resetInvariants). */
export type TaskSummary = Pick<TaskRecord, 'id' | 'cluster' | 'action' | 'memberIds' | 'commandId' | 'operation' | 'deliveries' | 'state' | 'message' | 'result'>;

export interface FleetInvariants {
  /** "cluster/member" → restarts asked of that worker by tasks. */
  restarts: Record<string, number>;
  /** "cluster/member" → crashes. */
  crashes: Record<string, number>;
  /** cluster → the most workers not RUNNING at once while a RESTART/DEPLOY task was in hand. */
  maxDownDuringTasks: Record<string, number>;
  /** cluster → the most task-driven restarts in flight at once. */
  maxRestartsInFlight: Record<string, number>;
  /** Every task received, in the order first received. */
  tasks: TaskSummary[];
  /** task id → how many times it was delivered again after the first time (only ids delivered more than once). */
  redeliveries: Record<string, number>;
  /** cluster → successful registrations (1 = never re-registered). */
  registrations: Record<string, number>;
  /** cluster → membership report counters (batches, retries, faults and how the OC answered them). */
  membership: Record<string, MembershipCounters>;
}

export interface FleetStatus {
  clusters: number;
  /** Clusters whose manager registered at least once. */
  registered: number;
  /** Managers online now, and holding an acknowledged task stream. */
  online: number;
  connected: number;
  managers: Record<ManagerStatus, number>;
  workers: Record<WorkerState, number>;
  totalWorkers: number;
  tasksInFlight: number;
  warnings: number;
  errors: number;
}

export interface InjectedFault {
  fault: Fault;
  /** The member it hit (chosen by the seeded stream when the fault named none). */
  member: string | null;
  at: number;
}

export interface WaitOptions {
  timeoutMs?: number;
  /** Said in the timeout error. */
  what?: string;
  intervalMs?: number;
}

export interface Fleet {
  readonly seed: number;
  readonly scenario: Scenario;
  readonly managers: ReadonlyMap<string, VirtualManager>;
  /** The cluster's manager, or a clear error naming the clusters there are. */
  manager(cluster: string): VirtualManager;
  worker(cluster: string, member: string): VirtualWorker;
  /** Resolves once every manager has registered; rejects on timeout (default 30 s) or a refused enrollment token. */
  ready(opts?: { timeoutMs?: number }): Promise<void>;
  inject(fault: Fault): InjectedFault;
  invariants(): FleetInvariants;
  /** Forget recorded restarts, tasks, deliveries and max-down figures (e.g. between two rollouts). */
  resetInvariants(): void;
  status(): FleetStatus;
  /** Polls `predicate` until true; on timeout rejects with `what`, the fleet status and recent log lines. */
  waitFor(predicate: (fleet: Fleet) => boolean, opts?: WaitOptions): Promise<void>;
  /** The last `n` log lines of every manager (a ring of 2,000). */
  recentLog(n?: number, minLevel?: LogLevel): LogEntry[];
  stop(): Promise<void>;
}
