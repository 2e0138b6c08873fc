/**
 * A virtual cluster manager: what a real product's manager does, through the public API only.
 *
 *   registerManager (enrollment token, full snapshot) → session token
 *   managerTasks subscription (session token) → for each task: ACCEPTED, do it, SUCCEEDED/FAILED
 *   worker state changes → queued, one reportMembership per flush interval (seq 1, 2, … per session), at once when a task's last worker is back
 *   one reportStats per stats interval (one sample per worker)
 *   connection dropped / session refused → backoff, register again (new session, seq from 1,
 *   full snapshot); the subscription re-delivers unfinished tasks.
 *
 * This file is the manager as its users see it: its lifecycle (start, stop, crash, restart), its
 * faults, its workers (the WorkerHost they report to) and what it shows; its parts each have a file:
 * manager-connection.ts (register, the session, backoff), membership-reporter.ts, stats-reporter.ts,
 * chaos.ts, task-journal.ts, rollout-figures.ts; manager-types.ts holds the shapes they share.
 *
 * The task journal (which task ids it has seen and how they ended) is kept across crashes, as a
 * real manager keeps it on disk: a re-delivered task is never executed twice. Workers are
 * separate processes: they keep running (and finish restarts in flight) while their manager is
 * down; the next registration's snapshot tells the OC where they are.
 */
import { Chaos } from './chaos.js';
import { ManagerConnection } from './manager-connection.js';
import {
  iso,
  type LogLevel,
  type ManagerCore,
  type ManagerHooks,
  type ManagerOptions,
  type ManagerSpec,
  type ManagerStatus,
  type MembershipCounters,
  type RolloutFigures,
  type Session,
  type TaskRecord,
} from './manager-types.js';
import { MembershipReporter } from './membership-reporter.js';
import { type ManagerTask, OcClient, type OcTransport, type RegisterManagerInput, type Result } from './oc-client.js';
import { type ClusterOperations, operationsFor } from './operations.js';
import { type KindTraits, kindTraits, type Profile } from './profiles.js';
import { Rng } from './random.js';
import { FigureKeeper } from './rollout-figures.js';
import { realScheduler, type Scheduler } from './scheduler.js';
import type { Slots } from './slots.js';
import { StatsReporter } from './stats-reporter.js';
import { TaskJournal } from './task-journal.js';
import { type ChangeCause, type StatsSample, VirtualWorker, type WorkerHost, type WorkerSeed, type WorkerState } from './worker.js';

export type {
  LogEntry,
  LogLevel,
  ManagerHooks,
  ManagerOptions,
  ManagerSpec,
  ManagerStatus,
  MembershipCounters,
  RolloutFigures,
  TaskOutcomeState,
  TaskRecord,
} from './manager-types.js';
export type { WorkerSeed };

export class VirtualManager implements WorkerHost, ManagerCore {
  readonly clusterName: string;
  readonly kind: string;
  readonly profile: Profile;
  readonly scheduler: Scheduler;
  readonly spec: ManagerSpec;
  readonly workers = new Map<string, VirtualWorker>();
  /** The task journal: every task id seen, and how it ended. Survives crashes. */
  readonly tasks: Map<string, TaskRecord>;
  readonly membership: MembershipCounters;
  readonly figures: RolloutFigures;

  status: ManagerStatus = 'idle';
  /** Successful registrations (1 after the first; each reconnect adds one). */
  registrations = 0;
  /** Why the last attempt or session failed; null while all is well. */
  lastError: string | null = null;
  /** The OC refused the enrollment token (HTTP 401 / UNAUTHENTICATED) at the last attempt. */
  enrollmentRefused = false;
  clusterId: string | null = null;
  managerId: string | null = null;

  readonly transport: OcTransport;
  readonly hooks: ManagerHooks;
  readonly registrationSlots: Slots | null;
  private readonly rng: Rng;
  private readonly traits: KindTraits;
  private readonly ops: ClusterOperations;
  private readonly nominalSize: number;
  private readonly reporter: MembershipReporter;
  private readonly stats: StatsReporter;
  private readonly chaos: Chaos;
  private readonly journal: TaskJournal;
  private readonly keeper = new FigureKeeper();
  private readonly connection: ManagerConnection;
  private nextMemberIndex: number;

  constructor(spec: ManagerSpec, opts: ManagerOptions) {
    if (!opts.transport && !opts.ocUrl) throw new Error('VirtualManager needs ocUrl or transport');
    this.spec = spec;
    this.clusterName = spec.clusterName;
    this.kind = spec.kind;
    this.profile = spec.profile;
    this.scheduler = opts.scheduler ?? realScheduler;
    this.transport = opts.transport ?? new OcClient(opts.ocUrl!);
    this.hooks = opts.hooks ?? {};
    this.registrationSlots = opts.registrationSlots ?? null;
    this.rng = Rng.derive(spec.seed, 'manager', spec.clusterName);
    this.traits = kindTraits(spec.kind);
    this.ops = operationsFor(spec.kind, Rng.derive(spec.seed, 'operations', spec.clusterName), this.scheduler.now());
    this.nominalSize = spec.workers.length;
    this.reporter = new MembershipReporter(this);
    this.stats = new StatsReporter(this, this.traits, Rng.derive(spec.seed, 'stats', spec.clusterName), this.rng.next(), this.nominalSize);
    this.chaos = new Chaos(this, Rng.derive(spec.seed, 'chaos', spec.clusterName));
    this.journal = new TaskJournal(this, this.keeper, this.ops, this.rng);
    this.connection = new ManagerConnection(this, opts.enrollmentToken, this.rng);
    this.tasks = this.journal.tasks;
    this.membership = this.reporter.counters;
    this.figures = this.keeper.figures;
    this.nextMemberIndex = spec.workers.length + 1;
    for (const seed of spec.workers) this.createWorker(seed);
    this.figures.downNow = [...this.workers.values()].filter((w) => w.state !== 'RUNNING').length;
  }

  /** reportStats calls that the OC accepted, and that failed or were refused. */
  get statsSent(): number {
    return this.stats.sent;
  }

  get statsErrors(): number {
    return this.stats.errors;
  }

  /** One sample per worker: the cluster's traffic shared among RUNNING workers, by warmth. */
  sampleStats(now: number): StatsSample[] {
    return this.stats.sample(now);
  }

  /** ManagerCore: the session in hand, and the manager as its hooks see it. */
  get currentSession(): Session | null {
    return this.connection.session;
  }

  get self(): VirtualManager {
    return this;
  }

  // ── lifecycle ───────────────────────────────────────────────────────────────────────────

  /** Start registering (and keep trying, with backoff, until it works). */
  start(): void {
    if (this.status !== 'idle') return;
    this.chaos.start();
    this.connection.connect();
  }

  /** Stop for good: the socket closed cleanly, timers cleared, workers stopped being simulated. */
  async stop(): Promise<void> {
    if (this.status === 'stopped') return;
    this.status = 'stopped';
    this.connection.drop(false);
    this.chaos.stop();
    for (const w of this.workers.values()) w.dispose();
  }

  /** Fault: the manager process dies. Socket dropped without a goodbye, session and queues forgotten. */
  crash(): void {
    if (this.status === 'stopped' || this.status === 'crashed') return;
    this.log('warn', 'crashed (simulated): socket dropped, session and queued reports forgotten');
    this.connection.drop(true);
    this.reporter.forget();
    this.connection.attempt = 0;
    this.status = 'crashed';
  }

  /** After a crash: the process is back and registers again at once. */
  restart(): void {
    if (this.status !== 'crashed') return;
    this.log('info', 'restarted after a crash: registering again');
    this.status = 'backoff';
    this.chaos.start();
    this.connection.connect();
  }

  /** Fault: cut off from the OC for `ms`: the socket drops and nothing is sent until it ends. */
  cutOff(ms: number): void {
    if (this.status === 'stopped') return;
    this.connection.cutOff(ms);
  }

  /** Fault: the next membership flush re-sends the last batch the OC accepted (it must ignore it). */
  duplicateNextReport(): void {
    this.reporter.armDuplicate();
  }

  /** Fault: the next membership flush sends a later batch before an earlier one (the OC must refuse the gap). */
  reorderNextReports(): void {
    this.reporter.armReorder();
  }

  /** Fault: a new worker joins (STOPPED, then boots), carrying the cluster's current artifacts. */
  addWorker(memberId?: string): VirtualWorker {
    const id = memberId ?? this.nextMemberId();
    if (this.workers.has(id)) throw new Error(`cluster ${this.clusterName} already has a member "${id}"`);
    const reference = [...this.workers.values()].find((w) => w.state === 'RUNNING') ?? this.workers.values().next().value;
    const worker = this.createWorker({
      memberId: id,
      host: `${id}.sim.local`,
      port: this.traits.port,
      state: 'STOPPED',
      startedAt: null,
      artifacts: reference?.artifacts ?? [],
    });
    this.figures.downNow++;
    this.log('info', `worker ${id} joined`);
    this.reporter.enqueue('JOINED', worker);
    worker.boot();
    return worker;
  }

  /** Fault: a worker leaves the cluster (scaled in, host decommissioned). */
  removeWorker(memberId: string): void {
    const worker = this.worker(memberId);
    this.reporter.enqueue('LEFT', worker);
    if (worker.state !== 'RUNNING') this.figures.downNow--;
    worker.dispose();
    this.workers.delete(memberId);
    this.log('info', `worker ${memberId} left`);
  }

  /** The worker, or a clear error naming the members there are. */
  worker(memberId: string): VirtualWorker {
    const w = this.workers.get(memberId);
    if (!w) {
      const known = [...this.workers.keys()];
      throw new Error(
        `cluster ${this.clusterName} has no member "${memberId}" (members: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''})`,
      );
    }
    return w;
  }

  /** Holding a session whose task stream is acknowledged by the OC. */
  get connected(): boolean {
    return this.status === 'online' && this.currentSession?.connected === true;
  }

  get sessionNumber(): number {
    return this.currentSession?.no ?? 0;
  }

  /** Tasks accepted and not finished. */
  get tasksInFlight(): number {
    return this.journal.running;
  }

  /** Membership events not yet accepted by the OC (queued, or sent and unacknowledged). */
  get unreportedEvents(): number {
    return this.reporter.pending.length + (this.currentSession?.unacked.length ?? 0);
  }

  /** Clears the rollout figures (max down, max in flight), e.g. between two rollouts in one test. */
  resetFigures(): void {
    this.keeper.reset();
  }

  /** Everything worth seeing when a test fails at 2 a.m. */
  describe(): Record<string, unknown> {
    const s = this.currentSession;
    return {
      cluster: this.clusterName,
      kind: this.kind,
      status: this.status,
      connected: this.connected,
      registrations: this.registrations,
      lastError: this.lastError,
      session: s && { no: s.no, seq: s.seq, acked: s.acked, unacked: s.unacked.length, queued: this.reporter.pending.length },
      workers: Object.fromEntries([...this.workers.values()].map((w) => [w.memberId, describeWorker(w)])),
      tasks: [...this.tasks.values()].map((t) => `${t.id} ${t.action} [${t.memberIds.join(',')}] ${t.state}×${t.deliveries}`),
      membership: this.membership,
      figures: this.figures,
    };
  }

  // ── WorkerHost ────────────────────────────────────────────────────────────────────────────

  workerChanged(worker: VirtualWorker, from: WorkerState, cause: ChangeCause): void {
    this.keeper.workerMoved(from, worker.state);
    this.keeper.note();
    if (this.chaos.crashing) {
      this.log('info', `worker ${worker.memberId} crashed (${this.profile.name} profile odds)`);
    } else if (cause === 'crash' || (worker.state === 'FAILED' && cause !== 'fault')) {
      this.log('warn', `worker ${worker.memberId} ${from} → ${worker.state} (${cause})`);
    } else {
      this.log('debug', `worker ${worker.memberId} ${from} → ${worker.state} (${cause})`);
    }
    this.reporter.enqueue('STATE_CHANGED', worker);
    this.hooks.workerChanged?.(this, worker, from, cause);
  }

  // ── what the connection calls ───────────────────────────────────────────────────────────

  /** The registration input. Its snapshot covers every change so far: queued events are dropped. */
  registrationSnapshot(): RegisterManagerInput {
    this.reporter.pending = [];
    return {
      clusterName: this.clusterName,
      kind: this.kind,
      host: this.spec.host,
      url: this.spec.url,
      version: this.spec.version,
      workers: [...this.workers.values()].map((w) => w.toInput()),
      operations: this.ops.specs,
    };
  }

  /** A session opened (its task stream is being set up): start reporting on it. */
  sessionOpened(s: Session): void {
    s.statsTimer = this.scheduler.setTimeout(() => this.stats.tick(s), this.rng.int(0, this.profile.statsIntervalMs));
    if (this.reporter.hasWork) this.reporter.armFlush(s);
    this.hooks.registered?.(this);
  }

  /** A task delivered on session `s`. */
  taskDelivered(task: ManagerTask, s: Session): void {
    this.journal.onTask(task, s);
  }

  /** ManagerCore: the session is gone; register again after a backoff. */
  sessionLost(reason: string): void {
    this.connection.sessionLost(reason);
  }

  /** ManagerCore: calls the OC on session `s`, unless the session is gone or the manager is cut off. */
  call<T>(s: Session, fn: (token: string) => Promise<Result<T>>): Promise<Result<T>> {
    return this.connection.call(s, fn);
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────

  private createWorker(seed: WorkerSeed): VirtualWorker {
    const w = new VirtualWorker(this, {
      memberId: seed.memberId,
      host: seed.host,
      port: seed.port,
      state: seed.state ?? 'RUNNING',
      startedAt: seed.startedAt ?? null,
      artifacts: seed.artifacts,
      rng: Rng.derive(this.spec.seed, 'worker', this.clusterName, seed.memberId),
    });
    this.workers.set(seed.memberId, w);
    return w;
  }

  private nextMemberId(): string {
    for (;;) {
      const id = memberName(this.clusterName, this.nextMemberIndex++, this.nominalSize);
      if (!this.workers.has(id)) return id;
    }
  }

  reportMembershipNow(): void {
    this.reporter.sendNow();
  }

  log(level: LogLevel, message: string): void {
    this.hooks.log?.({ at: this.scheduler.now(), cluster: this.clusterName, level, message });
  }
}

/** `as-1` member 3 of 4 → `as-1-w03` (zero-padded to at least two digits, so names sort in order). */
export function memberName(cluster: string, index: number, size: number): string {
  const width = Math.max(2, String(size).length);
  return `${cluster}-w${String(index).padStart(width, '0')}`;
}

function describeWorker(w: VirtualWorker): string {
  const armed = w.armedFaults();
  const version = w.artifacts.map((a) => `${a.name}@${a.version}`).join(',');
  return `${w.state} started=${iso(w.startedAt) ?? '-'} ${version}${armed.length ? ` armed=${armed.join(',')}` : ''}`;
}
