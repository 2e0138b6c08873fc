/**
 * A virtual cluster manager: what a real product's manager does, through the public API only.
 *
 *   registerManager (enrollment token, full snapshot) → session token
 *   managerTasks subscription (session token) → for each task: ACCEPTED, do it, SUCCEEDED/FAILED
 *   worker state changes → queued, one reportMembership per flush interval (seq 1, 2, … per session)
 *   one reportStats per stats interval (one sample per worker)
 *   connection dropped / session refused → backoff, register again (new session, seq from 1,
 *   full snapshot); the subscription re-delivers unfinished tasks.
 *
 * This file is the manager's session and lifecycle (register, hold the task stream, back off,
 * crash, cut off) and the WorkerHost its workers talk to; its parts each have a file:
 * membership-reporter.ts, stats-reporter.ts, chaos.ts, task-journal.ts, rollout-figures.ts.
 *
 * The task journal (which task ids it has seen and how they ended) is kept across crashes, as a
 * real manager keeps it on disk: a re-delivered task is never executed twice. Workers are
 * separate processes: they keep running (and finish restarts in flight) while their manager is
 * down; the next registration's snapshot tells the OC where they are.
 */
import { OcClient, OcError, type OcTransport, type RegisterManagerInput, type RegisterManagerPayload, type Result } from './oc-client.js';
import { Chaos } from './chaos.js';
import {
  errorText,
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
import { type ClusterOperations, operationsFor } from './operations.js';
import { backoffMs, type KindTraits, kindTraits, type Profile } from './profiles.js';
import { Rng } from './random.js';
import { FigureKeeper } from './rollout-figures.js';
import { realScheduler, type Scheduler, type TimerHandle } from './scheduler.js';
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
  private readonly enrollmentToken: string;
  private readonly rng: Rng;
  private readonly traits: KindTraits;
  private readonly ops: ClusterOperations;
  private readonly nominalSize: number;
  private readonly reporter: MembershipReporter;
  private readonly stats: StatsReporter;
  private readonly chaos: Chaos;
  private readonly journal: TaskJournal;
  private readonly keeper = new FigureKeeper();
  private session: Session | null = null;
  private generation = 0;
  private attempt = 0;
  private reconnectTimer: TimerHandle | null = null;
  private cutOffUntil = 0;
  private nextMemberIndex: number;

  constructor(spec: ManagerSpec, opts: ManagerOptions) {
    if (!opts.transport && !opts.ocUrl) throw new Error('VirtualManager needs ocUrl or transport');
    this.spec = spec;
    this.clusterName = spec.clusterName;
    this.kind = spec.kind;
    this.profile = spec.profile;
    this.scheduler = opts.scheduler ?? realScheduler;
    this.transport = opts.transport ?? new OcClient(opts.ocUrl!);
    this.enrollmentToken = opts.enrollmentToken;
    this.hooks = opts.hooks ?? {};
    this.rng = Rng.derive(spec.seed, 'manager', spec.clusterName);
    this.traits = kindTraits(spec.kind);
    this.ops = operationsFor(spec.kind, Rng.derive(spec.seed, 'operations', spec.clusterName), this.scheduler.now());
    this.nominalSize = spec.workers.length;
    this.reporter = new MembershipReporter(this);
    this.stats = new StatsReporter(this, this.traits, Rng.derive(spec.seed, 'stats', spec.clusterName), this.rng.next(), this.nominalSize);
    this.chaos = new Chaos(this, Rng.derive(spec.seed, 'chaos', spec.clusterName));
    this.journal = new TaskJournal(this, this.keeper, this.ops, this.rng);
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
    return this.session;
  }

  get self(): VirtualManager {
    return this;
  }

  // ── lifecycle ───────────────────────────────────────────────────────────────────────────

  /** Start registering (and keep trying, with backoff, until it works). */
  start(): void {
    if (this.status !== 'idle') return;
    this.chaos.start();
    this.connect();
  }

  /** Stop for good: the socket closed cleanly, timers cleared, workers stopped being simulated. */
  async stop(): Promise<void> {
    if (this.status === 'stopped') return;
    this.status = 'stopped';
    this.generation++;
    this.teardown(false);
    this.clearTimer(this.reconnectTimer);
    this.reconnectTimer = null;
    this.chaos.stop();
    for (const w of this.workers.values()) w.dispose();
  }

  /** Fault: the manager process dies. Socket dropped without a goodbye, session and queues forgotten. */
  crash(): void {
    if (this.status === 'stopped' || this.status === 'crashed') return;
    this.log('warn', 'crashed (simulated): socket dropped, session and queued reports forgotten');
    this.generation++;
    this.teardown(true);
    this.clearTimer(this.reconnectTimer);
    this.reconnectTimer = null;
    this.reporter.forget();
    this.attempt = 0;
    this.status = 'crashed';
  }

  /** After a crash: the process is back and registers again at once. */
  restart(): void {
    if (this.status !== 'crashed') return;
    this.log('info', 'restarted after a crash: registering again');
    this.status = 'backoff';
    this.chaos.start();
    this.connect();
  }

  /** Fault: cut off from the OC for `ms`: the socket drops and nothing is sent until it ends. */
  cutOff(ms: number): void {
    if (this.status === 'stopped') return;
    const until = this.scheduler.now() + ms;
    this.cutOffUntil = Math.max(this.cutOffUntil, until);
    if (this.status === 'crashed' || this.status === 'idle') return; // honoured when it (re)starts
    this.log('warn', `cut off from the OC for ${ms} ms (simulated)`);
    this.generation++;
    this.teardown(true);
    this.clearTimer(this.reconnectTimer);
    this.status = 'cut-off';
    this.attempt = 0;
    this.reconnectTimer = this.scheduler.setTimeout(() => this.connect(), this.cutOffUntil - this.scheduler.now());
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
    return this.status === 'online' && this.session?.connected === true;
  }

  get sessionNumber(): number {
    return this.session?.no ?? 0;
  }

  /** Tasks accepted and not finished. */
  get tasksInFlight(): number {
    return this.journal.running;
  }

  /** Membership events not yet accepted by the OC (queued, or sent and unacknowledged). */
  get unreportedEvents(): number {
    return this.reporter.pending.length + (this.session?.unacked.length ?? 0);
  }

  /** Clears the rollout figures (max down, max in flight), e.g. between two rollouts in one test. */
  resetFigures(): void {
    this.keeper.reset();
  }

  /** Everything worth seeing when a test fails at 2 a.m. */
  describe(): Record<string, unknown> {
    const s = this.session;
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

  // ── connection ────────────────────────────────────────────────────────────────────────────

  private connect(): void {
    this.reconnectTimer = null;
    if (this.status === 'stopped' || this.status === 'crashed') return;
    const wait = this.cutOffUntil - this.scheduler.now();
    if (wait > 0) {
      this.status = 'cut-off';
      this.reconnectTimer = this.scheduler.setTimeout(() => this.connect(), wait);
      return;
    }
    this.status = 'registering';
    const gen = ++this.generation;
    // The snapshot sent now covers every change so far; only later changes need events.
    this.reporter.pending = [];
    const input = this.registrationInput();
    this.transport.registerManager(this.enrollmentToken, input).then(
      (res) => {
        if (gen !== this.generation) return;
        if (!res.ok) {
          const reason = `registerManager refused: ${res.error.code} ${res.error.message}`;
          this.retryLater(reason);
          this.hooks.registrationFailed?.(this, reason);
          return;
        }
        this.enrollmentRefused = false;
        this.openSession(res.value);
      },
      (err: unknown) => {
        if (gen !== this.generation) return;
        this.enrollmentRefused = err instanceof OcError && err.kind === 'auth';
        const hint = this.enrollmentRefused ? ' (is the enrollment token a MANAGER token that exists and is not revoked?)' : '';
        const reason = `registerManager failed: ${errorText(err)}${hint}`;
        this.retryLater(reason);
        this.hooks.registrationFailed?.(this, reason);
      },
    );
  }

  private openSession(payload: RegisterManagerPayload): void {
    this.registrations++;
    const s: Session = {
      no: this.registrations,
      token: payload.sessionToken,
      managerId: payload.manager.id,
      clusterId: payload.cluster.id,
      seq: 0,
      acked: 0,
      unacked: [],
      lastAckedBatch: null,
      inflight: false,
      retries: 0,
      stream: null,
      connected: false,
      flushTimer: null,
      statsTimer: null,
      statsInflight: false,
    };
    this.session = s;
    this.status = 'online';
    this.attempt = 0;
    this.lastError = null;
    this.clusterId = payload.cluster.id;
    this.managerId = payload.manager.id;
    this.log('info', `registered: session #${s.no}, cluster ${payload.cluster.id}, ${this.workers.size} workers`);
    s.stream = this.transport.subscribeTasks(s.token, {
      connected: () => {
        if (this.session === s) s.connected = true;
      },
      task: (task) => {
        if (this.session === s) this.journal.onTask(task, s);
      },
      ended: (err) => {
        if (this.session === s) this.sessionLost(`task stream ended: ${err.message}`);
      },
    });
    s.statsTimer = this.scheduler.setTimeout(() => this.stats.tick(s), this.rng.int(0, this.profile.statsIntervalMs));
    if (this.reporter.hasWork) this.reporter.armFlush(s);
    this.hooks.registered?.(this);
  }

  /** The session is gone (socket closed, token refused): register again after a backoff. */
  sessionLost(reason: string): void {
    if (!this.session) return;
    this.generation++;
    this.teardown(false);
    this.retryLater(reason);
  }

  private retryLater(reason: string): void {
    if (this.status === 'stopped' || this.status === 'crashed') return;
    this.attempt++;
    const delay = backoffMs(this.profile, this.attempt, this.rng);
    this.lastError = reason;
    this.status = 'backoff';
    this.log(this.attempt >= 5 ? 'error' : 'warn', `${reason}; registering again in ${delay} ms (attempt ${this.attempt})`);
    this.clearTimer(this.reconnectTimer);
    this.reconnectTimer = this.scheduler.setTimeout(() => this.connect(), delay);
  }

  private teardown(abrupt: boolean): void {
    const s = this.session;
    if (!s) return;
    this.session = null;
    this.clearTimer(s.flushTimer);
    this.clearTimer(s.statsTimer);
    s.flushTimer = null;
    s.statsTimer = null;
    s.stream?.close(abrupt);
  }

  /** Calls the OC on session `s`, unless the session is gone or the manager is cut off. */
  call<T>(s: Session, fn: (token: string) => Promise<Result<T>>): Promise<Result<T>> {
    if (this.session !== s) return Promise.reject(new OcError('network', 'session closed'));
    if (this.cutOffUntil > this.scheduler.now()) return Promise.reject(new OcError('network', 'cut off from the OC (simulated)'));
    return fn(s.token);
  }

  private registrationInput(): RegisterManagerInput {
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

  private clearTimer(handle: TimerHandle | null): void {
    if (handle !== null) this.scheduler.clearTimeout(handle);
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
