/**
 * A virtual worker: one server process of a cluster, as its manager sees it.
 *
 *   RUNNING ─restart─▶ STOPPING ─▶ STOPPED ─▶ STARTING ─▶ RUNNING   (new startedAt)
 *                                     │  (a deploy swaps the artifact here)   └─▶ FAILED (failed to start)
 *   RUNNING ─crash─▶ FAILED            FAILED/STOPPED ─restart─▶ STARTING ─▶ …
 *
 * Durations and odds come from the manager's profile, drawn from the worker's own seeded
 * stream. A worker holds at most one timer, only while it is between states, so an idle fleet
 * of tens of thousands of workers costs no timers at all. Every state change is reported to the
 * manager through `WorkerHost.workerChanged`. Its stats samples are drawn in worker-stats.ts.
 */
import { type Profile, planBoot, sampleDuration } from './profiles.js';
import type { Rng } from './random.js';
import type { Scheduler, TimerHandle } from './scheduler.js';

export const WORKER_STATES = ['STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'FAILED'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export interface DeployedArtifact {
  name: string;
  version: string;
  /** Epoch ms. */
  deployedAt: number;
}

/** What a deploy asks for (the task's artifact). */
export interface ArtifactRef {
  name: string;
  version: string;
  url?: string;
  sha256?: string;
}

/** The API's WorkerInput, as sent in registerManager and membership events. */
export interface WorkerInput {
  memberId: string;
  host: string;
  port: number | null;
  state: WorkerState;
  startedAt: string | null;
  artifacts: { name: string; version: string; deployedAt: string }[];
}

/** What a worker needs from its manager; one object shared by all the manager's workers. */
export interface WorkerHost {
  readonly scheduler: Scheduler;
  readonly profile: Profile;
  /** Called synchronously after every state change, with the state the worker left. */
  workerChanged(worker: VirtualWorker, from: WorkerState, cause: ChangeCause): void;
}

/** Why a worker changed state; for logs and for the recorder. */
export type ChangeCause = 'restart' | 'deploy' | 'crash' | 'recovery' | 'join' | 'fault';

export type RestartOutcome =
  | { ok: true; state: 'RUNNING'; startedAt: number }
  | { ok: false; state: WorkerState; reason: string };

/** Faults armed on a worker; each fires once, at the next occasion. */
export type WorkerFault =
  /** The next restart stops it and it never starts again (stays STOPPED, or ends FAILED). */
  | { kind: 'never-come-back'; state?: 'STOPPED' | 'FAILED' }
  /** The next boot takes exactly `durationMs`. */
  | { kind: 'slow-boot'; durationMs: number }
  /** The next start ends FAILED. */
  | { kind: 'fail-start' }
  /** Crash now if RUNNING, else as soon as it is next RUNNING. */
  | { kind: 'crash' };

interface ArmedFaults {
  neverComeBack?: 'STOPPED' | 'FAILED';
  slowBootMs?: number;
  failStart?: boolean;
  crashWhenRunning?: boolean;
}

/** A restart (or a background boot: crash recovery, a joining worker) in flight. */
interface Op {
  artifact: ArtifactRef | null;
  waiters: ((outcome: RestartOutcome) => void)[];
  cause: ChangeCause;
  /** Recovery and join boots: a task's restart may take them over. */
  background: boolean;
}

/** A worker as a scenario or a manager describes it before it exists. */
export interface WorkerSeed {
  memberId: string;
  host: string;
  port: number | null;
  state?: WorkerState;
  startedAt?: number | null;
  artifacts: readonly DeployedArtifact[];
}

export interface WorkerInit extends WorkerSeed {
  rng: Rng;
}

export class VirtualWorker {
  readonly memberId: string;
  readonly host: string;
  readonly port: number | null;
  state: WorkerState;
  /** Epoch ms when the process last started (entered STARTING); null if it never ran. */
  startedAt: number | null;
  stateChangedAt: number;
  /** Replaced, never mutated: workers of a cluster share the initial array. */
  artifacts: readonly DeployedArtifact[];
  /** Restarts asked of this worker (by tasks or by hand), and crashes. */
  restarts = 0;
  crashes = 0;

  private readonly rng: Rng;
  private readonly owner: WorkerHost;
  private timer: TimerHandle | null = null;
  private faults: ArmedFaults | null = null;
  private op: Op | null = null;
  private queued: Op | null = null;
  private bootFails = false;
  private disposed = false;

  constructor(owner: WorkerHost, init: WorkerInit) {
    this.owner = owner;
    this.memberId = init.memberId;
    this.host = init.host;
    this.port = init.port;
    this.state = init.state ?? 'RUNNING';
    this.startedAt = init.startedAt ?? (this.state === 'STOPPED' ? null : owner.scheduler.now());
    this.stateChangedAt = owner.scheduler.now();
    this.artifacts = init.artifacts;
    this.rng = init.rng;
  }

  /** True while the worker is between states (a restart, a boot). */
  get busy(): boolean {
    return this.op !== null && this.timer !== null;
  }

  get removed(): boolean {
    return this.disposed;
  }

  /**
   * Stop the process and start it again; with `artifact`, install it while stopped (a deploy).
   * Resolves when the worker is RUNNING again or has FAILED. A worker that never comes back
   * leaves the promise pending until the next restart supersedes it (callers put a deadline on
   * it, as a real manager would). A restart asked while another is in flight runs after it.
   */
  restart(opts: { artifact?: ArtifactRef } = {}): Promise<RestartOutcome> {
    if (this.disposed) {
      return Promise.resolve({ ok: false, state: this.state, reason: 'worker has left the cluster' });
    }
    this.restarts++;
    const artifact = opts.artifact ?? null;
    const cause: ChangeCause = artifact ? 'deploy' : 'restart';
    return new Promise((resolve) => {
      const current = this.op;
      if (current && !current.background && this.timer !== null) {
        // A restart is in flight: this one runs after it (the last artifact asked for wins).
        this.queued ??= { artifact: null, waiters: [], cause, background: false };
        if (artifact) {
          this.queued.artifact = artifact;
          this.queued.cause = 'deploy';
        }
        this.queued.waiters.push(resolve);
        return;
      }
      if (current && !current.background) {
        // The previous restart is stuck (never came back): this one takes over.
        settle(current, { ok: false, state: this.state, reason: 'did not come back before the next restart' });
      }
      this.op = { artifact, waiters: [resolve], cause, background: false };
      this.begin();
    });
  }

  /** Crash now: a RUNNING (or booting, or stopping) worker ends FAILED. False if it was not up. */
  crash(): boolean {
    if (this.disposed || this.state === 'STOPPED' || this.state === 'FAILED') return false;
    this.clearTimer();
    this.bootFails = false;
    this.crashes++;
    this.enter('FAILED', 'crash');
    const op = this.op;
    this.op = null;
    if (op) settle(op, { ok: false, state: 'FAILED', reason: 'crashed' });
    if (this.queued) {
      this.startQueued();
    } else if (this.owner.profile.crashRecoveryMs !== null) {
      // The process supervisor brings it back after a while.
      this.op = { artifact: null, waiters: [], cause: 'recovery', background: true };
      this.schedule(this.owner.profile.crashRecoveryMs, () => this.launch());
    }
    return true;
  }

  /** Boot a worker that has just joined (from STOPPED): STARTING → RUNNING, not counted as a restart. */
  boot(): void {
    if (this.disposed || this.op) return;
    this.op = { artifact: null, waiters: [], cause: 'join', background: true };
    this.begin();
  }

  /** Arm a fault; it fires at its next occasion (a crash on a RUNNING, idle worker fires now). */
  arm(fault: WorkerFault): void {
    const faults = (this.faults ??= {});
    switch (fault.kind) {
      case 'never-come-back':
        faults.neverComeBack = fault.state ?? 'STOPPED';
        break;
      case 'slow-boot':
        faults.slowBootMs = fault.durationMs;
        break;
      case 'fail-start':
        faults.failStart = true;
        break;
      case 'crash':
        if (this.state === 'RUNNING' && !this.op) {
          this.crash();
        } else {
          faults.crashWhenRunning = true;
        }
        break;
    }
  }

  /** Faults armed and not yet fired (for status displays and tests). */
  armedFaults(): string[] {
    const f = this.faults;
    if (!f) return [];
    const out: string[] = [];
    if (f.neverComeBack) out.push(`never-come-back(${f.neverComeBack})`);
    if (f.slowBootMs !== undefined) out.push(`slow-boot(${f.slowBootMs}ms)`);
    if (f.failStart) out.push('fail-start');
    if (f.crashWhenRunning) out.push('crash');
    return out;
  }

  /** The worker leaves: timers cleared, pending restarts answered as failed. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.clearTimer();
    const outcome: RestartOutcome = { ok: false, state: this.state, reason: 'worker has left the cluster' };
    if (this.op) settle(this.op, outcome);
    if (this.queued) settle(this.queued, outcome);
    this.op = null;
    this.queued = null;
  }

  /** The API's WorkerInput for this worker, now. */
  toInput(): WorkerInput {
    return {
      memberId: this.memberId,
      host: this.host,
      port: this.port,
      state: this.state,
      startedAt: this.startedAt === null ? null : new Date(this.startedAt).toISOString(),
      artifacts: this.artifacts.map((a) => ({
        name: a.name,
        version: a.version,
        deployedAt: new Date(a.deployedAt).toISOString(),
      })),
    };
  }

  // ── transitions ─────────────────────────────────────────────────────────────────────────

  private begin(): void {
    this.clearTimer();
    const profile = this.owner.profile;
    const cause = this.op?.cause ?? 'restart';
    switch (this.state) {
      case 'RUNNING':
      case 'STARTING':
        this.bootFails = false;
        this.enter('STOPPING', cause);
        this.schedule(sampleDuration(profile.stopping, this.rng), () => this.stopped());
        break;
      case 'STOPPING':
        this.schedule(sampleDuration(profile.stopping, this.rng), () => this.stopped());
        break;
      case 'STOPPED':
      case 'FAILED':
        this.schedule(sampleDuration(profile.stoppedToStarting, this.rng), () => this.launch());
        break;
    }
  }

  private stopped(): void {
    this.timer = null;
    const cause = this.op?.cause ?? 'restart';
    this.enter('STOPPED', cause);
    const never = this.faults?.neverComeBack;
    if (never && this.op && !this.op.background) {
      delete this.faults!.neverComeBack;
      if (never === 'FAILED') this.enter('FAILED', 'fault');
      return; // stuck: the op stays, its waiters wait until a deadline or the next restart
    }
    this.schedule(sampleDuration(this.owner.profile.stoppedToStarting, this.rng), () => this.launch());
  }

  private launch(): void {
    this.timer = null;
    const now = this.owner.scheduler.now();
    const op = this.op;
    if (op?.artifact) this.artifacts = withArtifact(this.artifacts, op.artifact, now);
    const plan = planBoot(this.owner.profile, this.rng);
    let ms = plan.ms;
    let fails = plan.fails;
    const faults = this.faults;
    if (faults?.slowBootMs !== undefined) {
      ms = faults.slowBootMs;
      delete faults.slowBootMs;
    }
    if (faults?.failStart) {
      fails = true;
      delete faults.failStart;
    }
    this.bootFails = fails;
    this.startedAt = now;
    this.enter('STARTING', op?.cause ?? 'restart');
    this.schedule(ms, () => this.booted());
  }

  private booted(): void {
    this.timer = null;
    const cause = this.op?.cause ?? 'restart';
    if (this.bootFails) {
      this.bootFails = false;
      this.enter('FAILED', cause);
      this.finish({ ok: false, state: 'FAILED', reason: 'failed to start' });
      return;
    }
    this.enter('RUNNING', cause);
    this.finish({ ok: true, state: 'RUNNING', startedAt: this.startedAt! });
    if (this.faults?.crashWhenRunning && this.state === 'RUNNING' && !this.op) {
      delete this.faults.crashWhenRunning;
      this.crash();
    }
  }

  private finish(outcome: RestartOutcome): void {
    const op = this.op;
    this.op = null;
    if (op) settle(op, outcome);
    if (this.queued) this.startQueued();
  }

  private startQueued(): void {
    this.op = this.queued;
    this.queued = null;
    this.begin();
  }

  private enter(state: WorkerState, cause: ChangeCause): void {
    const from = this.state;
    if (from === state) return;
    this.state = state;
    this.stateChangedAt = this.owner.scheduler.now();
    this.owner.workerChanged(this, from, cause);
  }

  private schedule(ms: number, fn: () => void): void {
    this.timer = this.owner.scheduler.setTimeout(fn, ms);
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      this.owner.scheduler.clearTimeout(this.timer);
      this.timer = null;
    }
  }
}

function settle(op: Op, outcome: RestartOutcome): void {
  const waiters = op.waiters;
  op.waiters = [];
  for (const resolve of waiters) resolve(outcome);
}

/** The artifact list with `artifact` installed (replacing any version of the same name). */
export function withArtifact(
  current: readonly DeployedArtifact[],
  artifact: ArtifactRef,
  now: number,
): readonly DeployedArtifact[] {
  const next = current.filter((a) => a.name !== artifact.name);
  next.push({ name: artifact.name, version: artifact.version, deployedAt: now });
  return next;
}

// ── stats ─────────────────────────────────────────────────────────────────────────────────

export { type StatsSample, sampleWorkerStats, warmth } from './worker-stats.js';
