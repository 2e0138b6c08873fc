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
 * The task journal (which task ids it has seen and how they ended) is kept across crashes, as a
 * real manager keeps it on disk: a re-delivered task is never executed twice. Workers are
 * separate processes: they keep running (and finish restarts in flight) while their manager is
 * down; the next registration's snapshot tells the OC where they are.
 */
import {
  type ManagerTask,
  type MembershipChange,
  type MembershipEventInput,
  OcClient,
  OcError,
  type OcTransport,
  type RegisterManagerInput,
  type RegisterManagerPayload,
  type ReportTaskInput,
  type Result,
  type TaskStream,
} from './oc-client.js';
import { type ClusterOperations, operationsFor } from './operations.js';
import { backoffMs, crashProbability, type KindTraits, kindTraits, type Profile, sampleDuration } from './profiles.js';
import { Rng } from './random.js';
import { DEADLINE_PASSED, realScheduler, type Scheduler, sleep, type TimerHandle, withDeadline } from './scheduler.js';
import {
  type ArtifactRef,
  type ChangeCause,
  type StatsSample,
  sampleWorkerStats,
  VirtualWorker,
  type WorkerHost,
  type WorkerSeed,
  type WorkerState,
  warmth,
} from './worker.js';

/** The most events sent in one reportMembership. */
const MAX_BATCH = 1_000;
/** Cluster traffic swings ±LOAD_SWING around its base over LOAD_PERIOD_MS. */
const LOAD_SWING = 0.25;
const LOAD_PERIOD_MS = 15 * 60_000;

export type { WorkerSeed };

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

interface Session {
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

interface QueuedEvent {
  change: MembershipChange;
  worker: MembershipEventInput['worker'];
}

interface TaskOutcome {
  state: 'SUCCEEDED' | 'FAILED';
  message?: string;
  result?: unknown;
}

export class VirtualManager implements WorkerHost {
  readonly clusterName: string;
  readonly kind: string;
  readonly profile: Profile;
  readonly scheduler: Scheduler;
  readonly spec: ManagerSpec;
  readonly workers = new Map<string, VirtualWorker>();
  /** The task journal: every task id seen, and how it ended. Survives crashes. */
  readonly tasks = new Map<string, TaskRecord>();
  readonly membership: MembershipCounters = {
    batchesSent: 0,
    eventsSent: 0,
    retries: 0,
    duplicatesSent: 0,
    reorderedSent: 0,
    gapRejections: 0,
    outOfOrderAccepted: 0,
    errors: 0,
    lastAcceptedSeq: 0,
  };
  readonly figures: RolloutFigures = { downNow: 0, maxDownDuringTasks: 0, maxRestartsInFlight: 0 };

  status: ManagerStatus = 'idle';
  /** Successful registrations (1 after the first; each reconnect adds one). */
  registrations = 0;
  /** Why the last attempt or session failed; null while all is well. */
  lastError: string | null = null;
  /** The OC refused the enrollment token (HTTP 401 / UNAUTHENTICATED) at the last attempt. */
  enrollmentRefused = false;
  clusterId: string | null = null;
  managerId: string | null = null;
  statsSent = 0;
  statsErrors = 0;

  private readonly transport: OcTransport;
  private readonly enrollmentToken: string;
  private readonly hooks: ManagerHooks;
  private readonly rng: Rng;
  private readonly statsRng: Rng;
  private readonly chaosRng: Rng;
  private readonly traits: KindTraits;
  private readonly ops: ClusterOperations;
  private readonly loadPhase: number;
  private readonly nominalSize: number;
  private session: Session | null = null;
  private generation = 0;
  private attempt = 0;
  private reconnectTimer: TimerHandle | null = null;
  private chaosTimer: TimerHandle | null = null;
  private cutOffUntil = 0;
  private pending: QueuedEvent[] = [];
  private armed = { duplicate: false, reorder: false };
  private activeRolloutTasks = 0;
  private running = 0;
  private chaosCrash = false;
  private restartsInFlight = 0;
  private nextMemberIndex: number;
  private readonly reporting = new Map<string, Promise<void>>();

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
    this.statsRng = Rng.derive(spec.seed, 'stats', spec.clusterName);
    this.chaosRng = Rng.derive(spec.seed, 'chaos', spec.clusterName);
    this.traits = kindTraits(spec.kind);
    this.ops = operationsFor(spec.kind, Rng.derive(spec.seed, 'operations', spec.clusterName), this.scheduler.now());
    this.loadPhase = this.rng.next();
    this.nominalSize = spec.workers.length;
    this.nextMemberIndex = spec.workers.length + 1;
    for (const seed of spec.workers) this.createWorker(seed);
    this.figures.downNow = [...this.workers.values()].filter((w) => w.state !== 'RUNNING').length;
  }

  // ── lifecycle ───────────────────────────────────────────────────────────────────────────

  /** Start registering (and keep trying, with backoff, until it works). */
  start(): void {
    if (this.status !== 'idle') return;
    this.scheduleChaos();
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
    this.clearTimer(this.chaosTimer);
    this.chaosTimer = null;
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
    this.pending = [];
    this.armed = { duplicate: false, reorder: false };
    this.attempt = 0;
    this.status = 'crashed';
  }

  /** After a crash: the process is back and registers again at once. */
  restart(): void {
    if (this.status !== 'crashed') return;
    this.log('info', 'restarted after a crash: registering again');
    this.status = 'backoff';
    this.scheduleChaos();
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
    this.armed.duplicate = true;
    this.nudgeFlush();
  }

  /** Fault: the next membership flush sends a later batch before an earlier one (the OC must refuse the gap). */
  reorderNextReports(): void {
    this.armed.reorder = true;
    this.nudgeFlush();
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
    this.enqueue('JOINED', worker);
    worker.boot();
    return worker;
  }

  /** Fault: a worker leaves the cluster (scaled in, host decommissioned). */
  removeWorker(memberId: string): void {
    const worker = this.worker(memberId);
    this.enqueue('LEFT', worker);
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
    return this.running;
  }

  /** Membership events not yet accepted by the OC (queued, or sent and unacknowledged). */
  get unreportedEvents(): number {
    return this.pending.length + (this.session?.unacked.length ?? 0);
  }

  /** Clears the rollout figures (max down, max in flight), e.g. between two rollouts in one test. */
  resetFigures(): void {
    this.figures.maxDownDuringTasks = this.activeRolloutTasks > 0 ? this.figures.downNow : 0;
    this.figures.maxRestartsInFlight = this.restartsInFlight;
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
      session: s && { no: s.no, seq: s.seq, acked: s.acked, unacked: s.unacked.length, queued: this.pending.length },
      workers: Object.fromEntries([...this.workers.values()].map((w) => [w.memberId, describeWorker(w)])),
      tasks: [...this.tasks.values()].map((t) => `${t.id} ${t.action} [${t.memberIds.join(',')}] ${t.state}×${t.deliveries}`),
      membership: this.membership,
      figures: this.figures,
    };
  }

  // ── WorkerHost ────────────────────────────────────────────────────────────────────────────

  workerChanged(worker: VirtualWorker, from: WorkerState, cause: ChangeCause): void {
    const wasUp = from === 'RUNNING';
    const isUp = worker.state === 'RUNNING';
    if (wasUp && !isUp) this.figures.downNow++;
    else if (!wasUp && isUp) this.figures.downNow--;
    this.noteFigures();
    if (this.chaosCrash) {
      this.log('info', `worker ${worker.memberId} crashed (${this.profile.name} profile odds)`);
    } else if (cause === 'crash' || (worker.state === 'FAILED' && cause !== 'fault')) {
      this.log('warn', `worker ${worker.memberId} ${from} → ${worker.state} (${cause})`);
    } else {
      this.log('debug', `worker ${worker.memberId} ${from} → ${worker.state} (${cause})`);
    }
    this.enqueue('STATE_CHANGED', worker);
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
    this.pending = [];
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
        if (this.session === s) this.onTask(task, s);
      },
      ended: (err) => {
        if (this.session === s) this.sessionLost(`task stream ended: ${err.message}`);
      },
    });
    s.statsTimer = this.scheduler.setTimeout(() => this.statsTick(s), this.rng.int(0, this.profile.statsIntervalMs));
    if (this.pending.length > 0 || this.armed.duplicate || this.armed.reorder) this.armFlush(s);
    this.hooks.registered?.(this);
  }

  /** The session is gone (socket closed, token refused): register again after a backoff. */
  private sessionLost(reason: string): void {
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
  private call<T>(s: Session, fn: (token: string) => Promise<Result<T>>): Promise<Result<T>> {
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

  // ── membership ────────────────────────────────────────────────────────────────────────────

  private enqueue(change: MembershipChange, worker: VirtualWorker): void {
    if (this.status !== 'online' && this.status !== 'registering') return;
    this.pending.push({ change, worker: worker.toInput() });
    if (this.session) this.armFlush(this.session);
  }

  private armFlush(s: Session, delay = this.profile.membershipFlushMs): void {
    if (s.flushTimer !== null || s.inflight || this.session !== s) return;
    s.flushTimer = this.scheduler.setTimeout(() => {
      s.flushTimer = null;
      void this.flush(s);
    }, delay);
  }

  private nudgeFlush(): void {
    if (this.session) this.armFlush(this.session);
  }

  /** One reportMembership: the queued events get the session's next seqs and go out in order. */
  private async flush(s: Session): Promise<void> {
    if (this.session !== s || s.inflight) return;
    for (const e of this.pending) s.unacked.push({ seq: ++s.seq, change: e.change, worker: e.worker });
    this.pending = [];

    let kind: 'normal' | 'duplicate' | 'reordered' = 'normal';
    let batch: MembershipEventInput[];
    if (this.armed.duplicate && s.lastAckedBatch) {
      kind = 'duplicate';
      batch = s.lastAckedBatch;
      this.armed.duplicate = false;
    } else if (this.armed.reorder && s.unacked.length >= 2) {
      kind = 'reordered';
      const cut = Math.ceil(s.unacked.length / 2);
      batch = s.unacked.slice(cut, cut + MAX_BATCH);
      this.armed.reorder = false;
    } else if (s.unacked.length > 0) {
      batch = s.unacked.slice(0, MAX_BATCH);
    } else {
      // A fault is armed but there is nothing to send: make something to send (a state report
      // of a worker as it is now is always harmless), then come back.
      if (this.armed.duplicate || this.armed.reorder) {
        const needed = this.armed.reorder ? 2 : 1;
        for (const w of [...this.workers.values()].slice(0, needed)) {
          this.pending.push({ change: 'STATE_CHANGED', worker: w.toInput() });
        }
        if (this.pending.length > 0) this.armFlush(s);
      }
      return;
    }

    const first = batch[0]!.seq;
    const last = batch[batch.length - 1]!.seq;
    s.inflight = true;
    this.membership.batchesSent++;
    this.membership.eventsSent += batch.length;
    if (kind === 'duplicate') this.membership.duplicatesSent++;
    if (kind === 'reordered') this.membership.reorderedSent++;

    let res: Result<{ acceptedThroughSeq: number }>;
    try {
      res = await this.call(s, (token) => this.transport.reportMembership(token, batch));
    } catch (err) {
      s.inflight = false;
      if (this.session !== s) return;
      if (err instanceof OcError && err.kind === 'auth') {
        this.sessionLost(`reportMembership: ${err.message}`);
        return;
      }
      s.retries++;
      this.membership.retries++;
      this.log('debug', `reportMembership ${first}..${last} failed (${errorText(err)}); retrying the same seqs`);
      this.armFlush(s, this.retryDelay(s));
      return;
    }
    s.inflight = false;
    if (this.session !== s) return;

    if (!res.ok) {
      if (kind === 'reordered') {
        this.membership.gapRejections++;
        this.log('info', `OC refused out-of-order batch ${first}..${last} (${res.error.code}), as it should; resending in order`);
      } else if (kind === 'duplicate') {
        this.log('info', `OC answered the duplicate batch ${first}..${last} with ${res.error.code}: ${res.error.message}`);
      } else {
        this.membership.errors++;
        this.membership.retries++;
        s.retries++;
        this.log('warn', `reportMembership ${first}..${last} refused: ${res.error.code} ${res.error.message}; retrying`);
      }
      this.armFlush(s, kind === 'normal' ? this.retryDelay(s) : this.profile.membershipFlushMs);
      return;
    }

    s.retries = 0;
    const accepted = res.value.acceptedThroughSeq;
    if (kind === 'reordered') {
      if (accepted >= last) {
        this.membership.outOfOrderAccepted++;
        this.log('error', `OC accepted out-of-order batch ${first}..${last} past a gap at ${s.acked + 1} (acceptedThroughSeq ${accepted})`);
      } else {
        this.membership.gapRejections++;
        this.log('info', `OC held at seq ${accepted} on out-of-order batch ${first}..${last}, as it should; resending in order`);
      }
    }
    if (accepted > s.acked) {
      s.acked = accepted;
      let drop = 0;
      while (drop < s.unacked.length && s.unacked[drop]!.seq <= accepted) drop++;
      s.unacked.splice(0, drop);
      this.membership.lastAcceptedSeq = accepted;
    }
    if (kind === 'normal') {
      if (accepted >= last) s.lastAckedBatch = batch;
      else this.log('warn', `OC accepted through seq ${accepted} of batch ${first}..${last}; resending from ${accepted + 1}`);
    }
    if (s.unacked.length > 0 || this.pending.length > 0 || this.armed.duplicate || this.armed.reorder) this.armFlush(s);
  }

  private retryDelay(s: Session): number {
    return Math.min(this.profile.reconnectMaxMs, this.profile.membershipFlushMs * 2 ** Math.min(s.retries, 10));
  }

  // ── stats ────────────────────────────────────────────────────────────────────────────────

  private statsTick(s: Session): void {
    if (this.session !== s) return;
    s.statsTimer = this.scheduler.setTimeout(() => this.statsTick(s), this.profile.statsIntervalMs);
    if (s.statsInflight) return;
    const samples = this.sampleStats(this.scheduler.now());
    if (samples.length === 0) return;
    s.statsInflight = true;
    this.call(s, (token) => this.transport.reportStats(token, samples)).then(
      (res) => {
        s.statsInflight = false;
        if (res.ok) {
          this.statsSent++;
        } else {
          this.statsErrors++;
          if (this.statsErrors === 1 || this.statsErrors % 100 === 0) {
            this.log('warn', `reportStats refused: ${res.error.code} ${res.error.message} (${this.statsErrors} so far)`);
          }
        }
      },
      (err: unknown) => {
        s.statsInflight = false;
        this.statsErrors++;
        if (this.session === s && err instanceof OcError && err.kind === 'auth') this.sessionLost(`reportStats: ${err.message}`);
      },
    );
  }

  /** One sample per worker: the cluster's traffic shared among RUNNING workers, by warmth. */
  sampleStats(now: number): StatsSample[] {
    const load = 1 + LOAD_SWING * Math.sin(2 * Math.PI * (now / LOAD_PERIOD_MS + this.loadPhase));
    const demand = this.traits.baseRps * this.nominalSize * load;
    let totalWeight = 0;
    for (const w of this.workers.values()) if (w.state === 'RUNNING') totalWeight += 0.3 + 0.7 * warmth(w, now, this.profile);
    const samples: StatsSample[] = [];
    for (const w of this.workers.values()) {
      const weight = w.state === 'RUNNING' ? 0.3 + 0.7 * warmth(w, now, this.profile) : 0;
      const rps = totalWeight > 0 ? (demand * weight) / totalWeight : 0;
      samples.push(sampleWorkerStats(w, now, this.profile, this.traits, rps, this.statsRng));
    }
    return samples;
  }

  /** Chaos: RUNNING workers crash at the profile's per-minute odds, checked once per stats interval. */
  private scheduleChaos(): void {
    if (this.profile.crashOddsPerMinute <= 0 || this.chaosTimer !== null) return;
    const interval = this.profile.statsIntervalMs;
    const p = crashProbability(this.profile, interval);
    const tick = () => {
      this.chaosTimer = this.scheduler.setTimeout(tick, interval);
      for (const w of this.workers.values()) {
        if (w.state === 'RUNNING' && !w.busy && this.chaosRng.chance(p)) {
          this.chaosCrash = true;
          try {
            w.crash();
          } finally {
            this.chaosCrash = false;
          }
        }
      }
    };
    this.chaosTimer = this.scheduler.setTimeout(tick, interval);
  }

  // ── tasks ────────────────────────────────────────────────────────────────────────────────

  private onTask(task: ManagerTask, s: Session): void {
    let rec = this.tasks.get(task.id);
    if (rec) rec.deliveries++;

    if (task.state === 'CANCELLED') {
      if (!rec) {
        rec = this.newRecord(task);
        rec.state = 'CANCELLED';
        rec.finishedAt = this.scheduler.now();
        this.tasks.set(task.id, rec);
      } else if (rec.state === 'RUNNING') {
        this.settle(rec, 'CANCELLED');
        this.log('info', `task ${task.id} cancelled by the OC while in hand: its outcome will not be reported`);
      }
      this.hooks.taskDelivered?.(this, task, rec);
      return;
    }

    if (rec) {
      this.hooks.taskDelivered?.(this, task, rec);
      if (task.state === 'SUCCEEDED' || task.state === 'FAILED') return;
      this.log('info', `task ${task.id} delivered again (${rec.deliveries}×) while ${rec.state}: not executing it again`);
      if (rec.state === 'RUNNING') {
        // The OC still has it PENDING: our ACCEPTED never reached it (it is sent again in order).
        if (task.state === 'PENDING' && rec.acceptedInSession !== s.no) this.report(rec, 'ACCEPTED');
      } else if (rec.state !== 'CANCELLED') {
        this.report(rec, rec.state); // the answer may not have reached the OC: say it again
      }
      return;
    }

    rec = this.newRecord(task);
    this.tasks.set(task.id, rec);
    this.hooks.taskDelivered?.(this, task, rec);
    if (task.state === 'SUCCEEDED' || task.state === 'FAILED') {
      rec.state = task.state;
      rec.finishedAt = this.scheduler.now();
      return;
    }
    const what = task.action === 'RUN_OPERATION' ? `${task.operation}` : `[${task.memberIds.join(', ')}]`;
    this.log('info', `task ${task.id} ${task.action} ${what}: accepted`);
    this.running++;
    this.hooks.taskAccepted?.(this, rec);
    this.report(rec, 'ACCEPTED');
    void this.execute(rec, task);
  }

  private settle(rec: TaskRecord, state: Exclude<TaskOutcomeState, 'RUNNING'>): void {
    if (rec.state === 'RUNNING') this.running--;
    rec.state = state;
    rec.finishedAt = this.scheduler.now();
  }

  private newRecord(task: ManagerTask): TaskRecord {
    return {
      id: task.id,
      cluster: this.clusterName,
      action: task.action,
      memberIds: [...(task.memberIds ?? [])],
      commandId: task.command?.id ?? null,
      operation: task.operation ?? null,
      deliveries: 1,
      state: 'RUNNING',
      message: null,
      result: null,
      receivedAt: this.scheduler.now(),
      finishedAt: null,
      acceptedInSession: 0,
      finalReported: false,
    };
  }

  private async execute(rec: TaskRecord, task: ManagerTask): Promise<void> {
    const rollout = task.action === 'RESTART_WORKERS' || task.action === 'DEPLOY_ARTIFACT';
    if (rollout) {
      this.activeRolloutTasks++;
      this.noteFigures();
    }
    let outcome: TaskOutcome;
    try {
      switch (task.action) {
        case 'RESTART_WORKERS':
          outcome = await this.restartMembers(rec, task.memberIds ?? [], null);
          break;
        case 'DEPLOY_ARTIFACT':
          outcome = task.artifact
            ? await this.restartMembers(rec, task.memberIds ?? [], task.artifact)
            : { state: 'FAILED', message: 'DEPLOY_ARTIFACT task without an artifact' };
          break;
        case 'RUN_OPERATION':
          outcome = await this.runOperation(task);
          break;
        default:
          outcome = { state: 'FAILED', message: `this manager does not know the task action ${task.action}` };
      }
    } catch (err) {
      outcome = { state: 'FAILED', message: `simulator error: ${errorText(err)}` };
    } finally {
      if (rollout) this.activeRolloutTasks--;
    }
    if (rec.state !== 'RUNNING') return;
    rec.message = outcome.message ?? null;
    rec.result = outcome.result ?? null;
    this.settle(rec, outcome.state);
    if (this.status === 'stopped') return;
    this.log(
      outcome.state === 'SUCCEEDED' ? 'info' : 'warn',
      `task ${rec.id} ${outcome.state}${outcome.message ? `: ${outcome.message}` : ''}`,
    );
    this.hooks.taskFinished?.(this, rec);
    this.report(rec, outcome.state);
  }

  /** Restart (or deploy to) the members in parallel; SUCCEEDED only if every one is RUNNING again in time. */
  private async restartMembers(rec: TaskRecord, memberIds: string[], artifact: ArtifactRef | null): Promise<TaskOutcome> {
    const deadline = this.profile.taskTimeoutMs;
    const results = await Promise.all(
      memberIds.map(async (memberId) => {
        const w = this.workers.get(memberId);
        if (!w) return { memberId, ok: false, state: null, startedAt: null, reason: 'no such member in this cluster' };
        this.hooks.restartRequested?.(this, w, rec);
        this.restartsInFlight++;
        this.noteFigures();
        try {
          const outcome = await withDeadline(this.scheduler, w.restart(artifact ? { artifact } : {}), deadline);
          if (outcome === DEADLINE_PASSED) {
            return { memberId, ok: false, state: w.state, startedAt: iso(w.startedAt), reason: `not RUNNING within ${deadline} ms (still ${w.state})` };
          }
          return { memberId, ok: outcome.ok, state: w.state, startedAt: iso(w.startedAt), reason: outcome.ok ? null : outcome.reason };
        } finally {
          this.restartsInFlight--;
        }
      }),
    );
    const failed = results.filter((r) => !r.ok);
    const result = {
      members: results.map((r) => ({ memberId: r.memberId, state: r.state, startedAt: r.startedAt })),
      ...(artifact ? { artifact: { name: artifact.name, version: artifact.version } } : {}),
    };
    if (failed.length === 0) return { state: 'SUCCEEDED', result };
    return { state: 'FAILED', message: failed.map((r) => `${r.memberId}: ${r.reason}`).join('; '), result };
  }

  private async runOperation(task: ManagerTask): Promise<TaskOutcome> {
    await sleep(this.scheduler, sampleDuration(this.profile.operation, this.rng));
    const runningMembers = [...this.workers.values()].filter((w) => w.state === 'RUNNING').map((w) => w.memberId);
    const outcome = this.ops.run(task.operation, task.arguments, { now: this.scheduler.now(), runningMembers });
    return outcome.ok ? { state: 'SUCCEEDED', result: outcome.result } : { state: 'FAILED', message: outcome.message };
  }

  /** reportTask, in order per task (ACCEPTED before the outcome), retried while the session lasts. */
  private report(rec: TaskRecord, state: 'ACCEPTED' | 'SUCCEEDED' | 'FAILED'): void {
    const previous = this.reporting.get(rec.id) ?? Promise.resolve();
    const next = previous.then(() => this.sendReport(rec, state));
    this.reporting.set(rec.id, next);
    void next.finally(() => {
      if (this.reporting.get(rec.id) === next) this.reporting.delete(rec.id);
    });
  }

  private async sendReport(rec: TaskRecord, state: 'ACCEPTED' | 'SUCCEEDED' | 'FAILED'): Promise<void> {
    const input: ReportTaskInput = { taskId: rec.id, state };
    if (state !== 'ACCEPTED') {
      if (rec.message) input.message = rec.message;
      if (rec.result !== null && rec.result !== undefined) input.result = rec.result;
    }
    for (let attempt = 1; attempt <= 6; attempt++) {
      const s = this.session;
      // Without a session the report waits for the re-delivery that follows the next registration.
      if (!s || this.status !== 'online') return;
      try {
        const res = await this.call(s, (token) => this.transport.reportTask(token, input));
        if (!res.ok) {
          this.log('warn', `reportTask ${rec.id} ${state} refused: ${res.error.code} ${res.error.message}`);
          return;
        }
        if (state === 'ACCEPTED') rec.acceptedInSession = s.no;
        else rec.finalReported = true;
        return;
      } catch (err) {
        if (err instanceof OcError && err.kind === 'auth') {
          if (this.session === s) this.sessionLost(`reportTask: ${err.message}`);
          return;
        }
        if (this.session !== s) return;
        this.log('debug', `reportTask ${rec.id} ${state} failed (${errorText(err)}); retrying`);
        await sleep(this.scheduler, backoffMs(this.profile, attempt, this.rng));
      }
    }
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

  private noteFigures(): void {
    const f = this.figures;
    if (this.activeRolloutTasks > 0 && f.downNow > f.maxDownDuringTasks) f.maxDownDuringTasks = f.downNow;
    if (this.restartsInFlight > f.maxRestartsInFlight) f.maxRestartsInFlight = this.restartsInFlight;
  }

  private clearTimer(handle: TimerHandle | null): void {
    if (handle !== null) this.scheduler.clearTimeout(handle);
  }

  private log(level: LogLevel, message: string): void {
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

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
