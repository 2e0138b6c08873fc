import { describe, expect, it } from 'vitest';
import { planRollout, WAITING_FOR_MANAGER } from '../../src/domain/rollout/plan.js';
import { NEW_TASK, type RolloutDecision, type RolloutInput } from '../../src/domain/rollout/types.js';
import type {
  ArtifactSpec,
  Command,
  CommandKind,
  CommandStep,
  ManagerTask,
  ObservedWorker,
  RolloutStrategy,
} from '../../src/domain/types.js';
import { isTerminalCommand } from '../../src/domain/types.js';
import { at, makeCommand as baseCommand, DEFAULT_TEST_STRATEGY, T0 } from '../support/commands.js';

// ---------------------------------------------------------------------------------------
// Fixtures and a small simulation: it applies decisions to in-memory state the way the
// rollout controller applies them to the database, plays the cluster (workers restarting
// after a delay, or failing, hanging, leaving...) and advances virtual time. No timers.
// ---------------------------------------------------------------------------------------

const LONG_AGO = at(-86_400_000);

const OLD_ARTIFACT = { name: 'app', version: '1.0.0' };
const NEW_ARTIFACT: ArtifactSpec = {
  name: 'app',
  version: '2.0.0',
  url: 'https://repo.example.com/app-2.0.0.tar.gz',
  sha256: 'a'.repeat(64),
};

const STRATEGY = DEFAULT_TEST_STRATEGY;

const makeCommand = (over: Partial<Command> = {}): Command => baseCommand({ id: 'cmd-1', ...over });

function makeWorker(memberId: string): ObservedWorker {
  return {
    id: `worker-${memberId}`,
    clusterId: 'cluster-1',
    memberId,
    host: `${memberId}.example.com`,
    port: 8080,
    state: 'RUNNING',
    startedAt: LONG_AGO,
    joinedAt: LONG_AGO,
    stateChangedAt: LONG_AGO,
    stateChanges: 0,
    artifacts: [{ ...OLD_ARTIFACT, deployedAt: LONG_AGO.toISOString() }],
    stats: null,
  };
}

/** Steps as the service plans them: one per worker, in memberId order. */
function makeSteps(memberIds: string[]): CommandStep[] {
  return [...memberIds].sort().map((memberId, index) => ({
    commandId: 'cmd-1',
    index,
    memberId,
    state: 'PENDING',
    message: null,
    taskId: null,
    startedAt: null,
    finishedAt: null,
    baseline: null,
    artifact: null,
  }));
}

/**
 * What a worker does once a task names it:
 * ok: back RUNNING with a new startedAt (and the new artifact for a DEPLOY);
 * fail: reports FAILED; hang: stops and never comes back; stale: says RUNNING but its
 * process never restarted (old startedAt); oldVersion: restarts but keeps the old artifact;
 * leave: leaves the cluster.
 */
type Behaviour = 'ok' | 'fail' | 'hang' | 'stale' | 'oldVersion' | 'leave';

interface SimOptions {
  members: string[];
  strategy?: Partial<RolloutStrategy>;
  kind?: CommandKind;
  behaviour?: Record<string, Behaviour>;
  /** How long a worker takes to react to its task (default 5 s), per member or for all. */
  delayMs?: number | Record<string, number>;
  command?: Partial<Command>;
  /** How far the manager's clock is off the OC's: every time it reports is shifted by it. */
  clockSkewMs?: number;
  /** How long before T0 (by the OC's clock) the workers' processes started (default: a day). */
  startedAgoMs?: number;
}

interface Effect {
  at: number;
  memberId: string;
  taskId: string;
}

class Sim {
  command: Command;
  steps: CommandStep[];
  workers: ObservedWorker[];
  tasks: ManagerTask[] = [];
  managerConnectedSince: Date | null = T0;
  now: Date = T0;
  behaviour: Record<string, Behaviour>;
  delayMs: number | Record<string, number>;
  /** Everything the planner wrote to the history. */
  history: string[] = [];
  /** The members of each task handed to the manager, in order. */
  handedOut: string[][] = [];
  maxRunning = 0;
  /** The OC's time at which each worker's process really restarted (last time). */
  restartedAt = new Map<string, Date>();
  readonly clockSkewMs: number;
  private effects: Effect[] = [];

  constructor(opts: SimOptions) {
    const kind = opts.kind ?? 'RESTART';
    this.command = makeCommand({
      kind,
      artifact: kind === 'DEPLOY' ? NEW_ARTIFACT : null,
      strategy: { ...STRATEGY, ...opts.strategy },
      ...opts.command,
    });
    this.steps = makeSteps(opts.members);
    this.clockSkewMs = opts.clockSkewMs ?? 0;
    const startedAt = this.managerTime(opts.startedAgoMs === undefined ? LONG_AGO : at(-opts.startedAgoMs));
    this.workers = opts.members.map((m) => ({ ...makeWorker(m), startedAt }));
    this.behaviour = opts.behaviour ?? {};
    this.delayMs = opts.delayMs ?? 5_000;
  }

  input(): RolloutInput {
    // Cloned so that a planner which mutated its input would be caught by the idempotence check.
    return structuredClone({
      command: this.command,
      steps: this.steps,
      workers: this.workers,
      tasks: this.tasks,
      managerConnectedSince: this.managerConnectedSince,
      now: this.now,
    });
  }

  plan(): RolloutDecision {
    return planRollout(this.input());
  }

  /** Plans, applies, and checks that planning again right away changes nothing. */
  tick(): RolloutDecision {
    const decision = this.plan();
    this.apply(decision);
    expect(this.plan(), 'planning again after applying must change nothing').toEqual(settled(decision.wakeAt));
    return decision;
  }

  /** What the rollout controller does with a decision, in one transaction. */
  apply(d: RolloutDecision): void {
    let newTaskId: string | null = null;
    if (d.newTask) {
      newTaskId = `task-${this.tasks.length + 1}`;
      this.tasks.push({
        id: newTaskId,
        commandId: this.command.id,
        clusterId: 'cluster-1',
        action: this.command.kind === 'DEPLOY' ? 'DEPLOY_ARTIFACT' : 'RESTART_WORKERS',
        memberIds: d.newTask.memberIds,
        artifact: this.command.artifact,
        operation: null,
        arguments: null,
        state: 'PENDING',
        message: null,
        result: null,
        deliveries: 0,
        createdAt: this.now,
        updatedAt: this.now,
      });
      this.handedOut.push([...d.newTask.memberIds]);
      for (const memberId of d.newTask.memberIds) {
        const delay = typeof this.delayMs === 'number' ? this.delayMs : (this.delayMs[memberId] ?? 5_000);
        this.effects.push({ at: this.now.getTime() + delay, memberId, taskId: newTaskId });
      }
    }
    for (const u of d.stepUpdates) {
      const step = this.steps.find((s) => s.index === u.index)!;
      step.state = u.state;
      step.message = u.message;
      if (u.startedAt) step.startedAt = u.startedAt;
      if (u.finishedAt) step.finishedAt = u.finishedAt;
      if (u.taskId) step.taskId = u.taskId === NEW_TASK ? newTaskId : u.taskId;
      if (u.baseline) step.baseline = u.baseline;
    }
    for (const id of d.cancelTaskIds) this.tasks.find((t) => t.id === id)!.state = 'CANCELLED';
    this.command = { ...this.command, ...d.command, wakeAt: d.wakeAt, ...(d.hold !== undefined ? { hold: d.hold } : {}), updatedAt: this.now };
    this.history.push(...d.events.map((e) => e.message));
    this.maxRunning = Math.max(this.maxRunning, this.running().length);
  }

  running(): CommandStep[] {
    return this.steps.filter((s) => s.state === 'RUNNING');
  }

  step(memberId: string): CommandStep {
    return this.steps.find((s) => s.memberId === memberId)!;
  }

  worker(memberId: string): ObservedWorker | undefined {
    return this.workers.find((w) => w.memberId === memberId);
  }

  /** Moves virtual time forward, playing every worker reaction due by then. */
  advanceTo(ms: number): void {
    for (;;) {
      const due = this.effects.filter((e) => e.at <= ms).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.effects.splice(this.effects.indexOf(due), 1);
      // A reaction already due (time never runs backwards) is played at the current instant.
      this.now = new Date(Math.max(due.at, this.now.getTime()));
      this.react(due);
    }
    this.now = new Date(Math.max(ms, this.now.getTime()));
  }

  /** A time as the manager reports it: the OC's time shifted by the manager's clock skew. */
  managerTime(d: Date): Date {
    return new Date(d.getTime() + this.clockSkewMs);
  }

  private react(e: Effect): void {
    const worker = this.worker(e.memberId);
    const task = this.tasks.find((t) => t.id === e.taskId)!;
    if (!worker) return;
    const behaviour = this.behaviour[e.memberId] ?? 'ok';
    const now = this.now;
    const before = worker.state;
    switch (behaviour) {
      case 'ok':
      case 'oldVersion':
        worker.state = 'RUNNING';
        worker.startedAt = this.managerTime(now);
        worker.stateChangedAt = now;
        this.restartedAt.set(e.memberId, now);
        if (behaviour === 'ok' && this.command.artifact) {
          worker.artifacts = [
            { name: this.command.artifact.name, version: this.command.artifact.version, deployedAt: this.managerTime(now).toISOString() },
          ];
        }
        break;
      case 'stale':
        worker.state = 'RUNNING';
        worker.stateChangedAt = now;
        break;
      case 'fail':
        worker.state = 'FAILED';
        worker.stateChangedAt = now;
        break;
      case 'hang':
        worker.state = 'STOPPED';
        worker.stateChangedAt = now;
        break;
      case 'leave':
        this.workers = this.workers.filter((w) => w !== worker);
        break;
    }
    // As the OC counts them when the report arrives.
    if (worker.state !== before) worker.stateChanges++;
    // The manager says "done" once it went through every member: no proof of anything.
    if (!this.effects.some((x) => x.taskId === task.id) && task.state !== 'CANCELLED') task.state = 'SUCCEEDED';
  }

  /**
   * Runs the rollout as the controller would: plan at every worker report and at wakeAt,
   * until it ends, pauses, waits for an event that will not come, or `untilMs` is reached.
   */
  run(untilMs = Number.POSITIVE_INFINITY): this {
    for (let i = 0; i < 10_000; i++) {
      const d = this.tick();
      // A PAUSED command that asks to be woken (a canary that promotes itself) goes on.
      if (isTerminalCommand(this.command.state) || (this.command.state === 'PAUSED' && d.wakeAt === null)) return this;
      const nextEffect = Math.min(...this.effects.map((e) => e.at));
      const next = Math.min(d.wakeAt?.getTime() ?? Number.POSITIVE_INFINITY, nextEffect);
      if (!Number.isFinite(next)) return this;
      if (next > T0.getTime() + untilMs) {
        this.advanceTo(T0.getTime() + untilMs);
        return this;
      }
      this.advanceTo(next);
    }
    throw new Error('the rollout did not settle');
  }

  /** The state the driver would find in the database after a crash: nothing else survives. */
  persisted() {
    return structuredClone({
      command: this.command,
      steps: this.steps,
      workers: this.workers,
      tasks: this.tasks,
      managerConnectedSince: this.managerConnectedSince,
    });
  }
}

/** The decision that changes nothing. */
function settled(wakeAt: Date | null = null): RolloutDecision {
  return { stepUpdates: [], newTask: null, cancelTaskIds: [], command: {}, wakeAt, events: [] };
}

const W5 = ['w1', 'w2', 'w3', 'w4', 'w5'];
const stepStates = (sim: Sim) => sim.steps.map((s) => `${s.memberId}:${s.state}`);

// ---------------------------------------------------------------------------------------

describe('planRollout: starting and ending', () => {
  it('starts a PENDING command: RUNNING, startedAt now, "started", and the first batch at once', () => {
    const sim = new Sim({ members: ['w1', 'w2'] });
    const d = sim.tick();
    expect(d.command).toMatchObject({ state: 'RUNNING', startedAt: T0 });
    expect(d.events.map((e) => e.message)).toEqual(['started', 'batch 1 started: w1']);
    expect(d.newTask).toEqual({ memberIds: ['w1'], stepIndexes: [0] });
    // The step records its worker as the OC sees it now: what its restart is judged against.
    const baseline = { workerId: 'worker-w1', state: 'RUNNING', startedAt: LONG_AGO, stateChanges: 0 };
    expect(d.stepUpdates).toEqual([{ index: 0, state: 'RUNNING', message: null, startedAt: T0, taskId: NEW_TASK, baseline }]);
    expect(d.wakeAt).toEqual(at(60_000));
  });

  it('leaves a PENDING child of a PATCH alone until its parent starts it', () => {
    const sim = new Sim({ members: ['w1'], command: { parentId: 'patch-1' } });
    expect(sim.plan()).toEqual(settled(null));
  });

  it('does nothing for a command that is already over', () => {
    for (const state of ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const) {
      const sim = new Sim({ members: ['w1'], command: { state, cancelRequested: true } });
      expect(sim.plan()).toEqual(settled(null));
    }
  });

  it('succeeds at once when there are no steps', () => {
    const sim = new Sim({ members: [] }).run();
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', finishedAt: T0, message: '0 succeeded, 0 failed, 0 skipped' });
    expect(sim.handedOut).toEqual([]);
  });

  it('succeeds once every worker is back, with a summary message', () => {
    const sim = new Sim({ members: W5 }).run();
    expect(sim.command.state).toBe('SUCCEEDED');
    expect(sim.command.message).toBe('5 succeeded, 0 failed, 0 skipped');
    expect(sim.command.finishedAt).toEqual(at(25_000));
    expect(sim.history).toContain('step w3 SUCCEEDED');
    expect(sim.history.at(-1)).toBe('5 succeeded, 0 failed, 0 skipped');
  });

  it('cancels a PENDING command that was cancelled before it started, touching nothing', () => {
    const sim = new Sim({ members: ['w1', 'w2'], command: { cancelRequested: true } }).run();
    expect(sim.command).toMatchObject({ state: 'CANCELLED', cancelRequested: false });
    expect(stepStates(sim)).toEqual(['w1:SKIPPED', 'w2:SKIPPED']);
    expect(sim.handedOut).toEqual([]);
  });
});

describe('planRollout: batches', () => {
  it('with batchSize 1 restarts one worker at a time, in memberId order', () => {
    const sim = new Sim({ members: ['w3', 'w1', 'w2'] }).run();
    expect(sim.handedOut).toEqual([['w1'], ['w2'], ['w3']]);
    expect(sim.maxRunning).toBe(1);
    expect(sim.history).toEqual(
      expect.arrayContaining(['batch 1 started: w1', 'batch 2 started: w2', 'batch 3 started: w3']),
    );
    expect(sim.command.state).toBe('SUCCEEDED');
  });

  it('with batchSize 2 takes two workers at a time and never more', () => {
    const sim = new Sim({ members: W5, strategy: { batchSize: 2 } }).run();
    expect(sim.handedOut).toEqual([['w1', 'w2'], ['w3', 'w4'], ['w5']]);
    expect(sim.maxRunning).toBe(2);
    expect(sim.command.state).toBe('SUCCEEDED');
  });

  it('with a batchSize larger than the cluster takes every worker in one batch', () => {
    const sim = new Sim({ members: W5, strategy: { batchSize: 50 } }).run();
    expect(sim.handedOut).toEqual([W5]);
    expect(sim.maxRunning).toBe(5);
    expect(sim.command.message).toBe('5 succeeded, 0 failed, 0 skipped');
  });

  it('picks the next batch among the steps whose workers were looked up, and asks for them all when it needs a step past them', () => {
    const sim = new Sim({ members: W5, strategy: { batchSize: 2 } });
    // Only w1 and w2's workers looked up (workersThrough 1): enough for the first batch.
    const first = planRollout({ ...sim.input(), workers: sim.workers.filter((w) => ['w1', 'w2'].includes(w.memberId)), workersThrough: 1 });
    expect(first.newTask?.memberIds).toEqual(['w1', 'w2']);
    // w1 left the cluster: the batch needs w3, whose worker was not looked up. Nothing is decided.
    const short = planRollout({ ...sim.input(), workers: sim.workers.filter((w) => w.memberId === 'w2'), workersThrough: 1 });
    expect(short).toEqual({ stepUpdates: [], newTask: null, cancelTaskIds: [], command: {}, wakeAt: null, events: [], needsAllWorkers: true });
    // With every worker: w1 is skipped, the batch is w2 and w3.
    const all = planRollout({ ...sim.input(), workers: sim.workers.filter((w) => w.memberId !== 'w1') });
    expect(all.newTask?.memberIds).toEqual(['w2', 'w3']);
    expect(all.stepUpdates.find((u) => u.index === 0)).toMatchObject({ state: 'SKIPPED', message: 'w1 left the cluster' });
  });

  it('starts no batch while any step of the batch in flight is still RUNNING', () => {
    const sim = new Sim({ members: W5, strategy: { batchSize: 2 }, delayMs: { w1: 1_000, w2: 30_000 } });
    sim.run(10_000);
    expect(sim.step('w1').state).toBe('SUCCEEDED');
    expect(sim.step('w2').state).toBe('RUNNING');
    expect(sim.handedOut).toEqual([['w1', 'w2']]);
    sim.run();
    expect(sim.handedOut).toEqual([['w1', 'w2'], ['w3', 'w4'], ['w5']]);
    expect(sim.step('w3').startedAt).toEqual(at(30_000));
  });

  it('waits pauseBetweenBatchesMs after the last step finished, and asks to be woken then', () => {
    const sim = new Sim({ members: ['w1', 'w2'], strategy: { pauseBetweenBatchesMs: 20_000 } });
    sim.run(5_000); // w1 is back at 5 s
    expect(sim.step('w1').state).toBe('SUCCEEDED');
    expect(sim.command.wakeAt).toEqual(at(25_000));
    sim.advanceTo(at(24_999).getTime());
    expect(sim.tick().newTask).toBeNull();
    sim.advanceTo(at(25_000).getTime());
    expect(sim.tick().newTask).toEqual({ memberIds: ['w2'], stepIndexes: [1] });
    sim.run();
    expect(sim.command.state).toBe('SUCCEEDED');
  });

  it('asks to be woken at the earliest deadline of the steps in flight', () => {
    const sim = new Sim({ members: ['w1', 'w2'], strategy: { batchSize: 2, healthTimeoutMs: 30_000 } });
    expect(sim.tick().wakeAt).toEqual(at(30_000));
    sim.now = at(10_000);
    expect(sim.tick().wakeAt).toEqual(at(30_000));
  });
});

describe('planRollout: judging a step', () => {
  it('fails a step at once when its worker reports FAILED after the batch started', () => {
    const sim = new Sim({ members: ['w1', 'w2'], behaviour: { w1: 'fail' } }).run();
    expect(sim.step('w1')).toMatchObject({ state: 'FAILED', message: 'worker reported FAILED', finishedAt: at(5_000) });
    expect(sim.history).toContain('step w1 FAILED: worker reported FAILED');
  });

  it('does not hold a FAILED state from before the batch against the step', () => {
    const sim = new Sim({ members: ['w1'] });
    const w1 = sim.worker('w1')!;
    w1.state = 'FAILED';
    w1.stateChangedAt = at(-1_000);
    sim.tick();
    expect(sim.step('w1').state).toBe('RUNNING');
    sim.run();
    expect(sim.step('w1').state).toBe('SUCCEEDED');
  });

  it("fails a step at once when the manager reports its task FAILED, with the manager's message", () => {
    const sim = new Sim({ members: ['w1', 'w2'], behaviour: { w1: 'hang' } });
    sim.tick();
    sim.now = at(2_000);
    Object.assign(sim.tasks[0]!, { state: 'FAILED', message: 'disk full on w1' });
    sim.tick();
    expect(sim.step('w1')).toMatchObject({ state: 'FAILED', finishedAt: at(2_000) });
    expect(sim.step('w1').message).toContain('disk full on w1');
    expect(sim.command.state).toBe('FAILED');
  });

  it('fails a step that is not RUNNING within healthTimeoutMs, exactly at the deadline', () => {
    const sim = new Sim({ members: ['w1', 'w2'], behaviour: { w1: 'hang' }, strategy: { maxFailures: 1 } });
    sim.tick();
    sim.advanceTo(at(59_999).getTime());
    expect(sim.tick().stepUpdates).toEqual([]);
    sim.advanceTo(at(60_000).getTime());
    sim.tick();
    expect(sim.step('w1')).toMatchObject({ state: 'FAILED', message: 'not RUNNING within 60000 ms' });
    expect(sim.history).toContain('step w1 FAILED: not RUNNING within 60000 ms');
    sim.run();
    expect(sim.command.message).toBe('1 succeeded, 1 failed, 0 skipped');
  });

  it('does not count a worker that reports RUNNING without a new startedAt, and times it out', () => {
    const sim = new Sim({ members: ['w1'], behaviour: { w1: 'stale' } });
    sim.run(10_000);
    // The manager said its task is done, the worker says RUNNING: neither is proof of a restart.
    expect(sim.tasks[0]!.state).toBe('SUCCEEDED');
    expect(sim.worker('w1')!.state).toBe('RUNNING');
    expect(sim.step('w1').state).toBe('RUNNING');
    sim.run();
    expect(sim.step('w1')).toMatchObject({ state: 'FAILED', message: 'not RUNNING within 60000 ms' });
    expect(sim.command.state).toBe('FAILED');
  });

  it('does not count a worker RUNNING with no startedAt, nor one with the startedAt it had when the batch began', () => {
    const sim = new Sim({ members: ['w1'] });
    sim.tick();
    const w1 = sim.worker('w1')!;
    Object.assign(w1, { state: 'RUNNING', startedAt: null, stateChangedAt: at(1) });
    sim.now = at(1_000);
    expect(sim.tick().stepUpdates).toEqual([]);
    w1.startedAt = LONG_AGO; // the process the step began with
    expect(sim.tick().stepUpdates).toEqual([]);
    w1.startedAt = at(1);
    expect(sim.tick().stepUpdates).toEqual([{ index: 0, state: 'SUCCEEDED', message: null, finishedAt: at(1_000) }]);
  });

  it('for a DEPLOY requires the worker to carry the new artifact version', () => {
    const stuck = new Sim({ members: ['w1'], kind: 'DEPLOY', behaviour: { w1: 'oldVersion' } }).run();
    expect(stuck.worker('w1')!.startedAt).toEqual(at(5_000)); // it did restart...
    expect(stuck.step('w1')).toMatchObject({ state: 'FAILED', message: 'not RUNNING within 60000 ms' }); // ...on 1.0.0

    const good = new Sim({ members: ['w1', 'w2'], kind: 'DEPLOY' }).run();
    expect(good.command.state).toBe('SUCCEEDED');
    expect(good.worker('w2')!.artifacts.map((a) => a.version)).toEqual(['2.0.0']);
  });

  it('skips a step whose worker left the cluster mid-batch; it is no failure', () => {
    const sim = new Sim({ members: ['w1', 'w2', 'w3'], behaviour: { w2: 'leave' } }).run();
    expect(sim.step('w2')).toMatchObject({ state: 'SKIPPED', message: 'w2 left the cluster' });
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', message: '2 succeeded, 0 failed, 1 skipped' });
    expect(sim.handedOut).toEqual([['w1'], ['w2'], ['w3']]);
  });

  it('skips a PENDING step whose worker left before its batch, and fills the batch with the next ones', () => {
    const sim = new Sim({ members: W5, strategy: { batchSize: 2 } });
    sim.run(4_000); // batch 1 in flight
    sim.workers = sim.workers.filter((w) => w.memberId !== 'w3');
    sim.advanceTo(at(5_000).getTime()); // batch 1 back
    const d = sim.tick();
    expect(d.newTask).toEqual({ memberIds: ['w4', 'w5'], stepIndexes: [3, 4] });
    expect(sim.step('w3')).toMatchObject({ state: 'SKIPPED', message: 'w3 left the cluster', startedAt: null });
    sim.run();
    expect(sim.command.message).toBe('4 succeeded, 0 failed, 1 skipped');
  });

  it('succeeds without a last batch when every remaining worker has left', () => {
    const sim = new Sim({ members: ['w1', 'w2', 'w3'] });
    sim.run(4_000); // w1 in flight
    sim.workers = sim.workers.filter((w) => w.memberId === 'w1');
    sim.run();
    expect(sim.handedOut).toEqual([['w1']]);
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED' });
    expect(stepStates(sim)).toEqual(['w1:SUCCEEDED', 'w2:SKIPPED', 'w3:SKIPPED']);
  });
});

describe('planRollout: failure budget', () => {
  it('with maxFailures 0 and ABORT a failed worker fails the command and skips the steps not started', () => {
    const sim = new Sim({ members: W5, behaviour: { w2: 'fail' } }).run();
    expect(sim.handedOut).toEqual([['w1'], ['w2']]);
    expect(stepStates(sim)).toEqual(['w1:SUCCEEDED', 'w2:FAILED', 'w3:SKIPPED', 'w4:SKIPPED', 'w5:SKIPPED']);
    expect(sim.command.state).toBe('FAILED');
    expect(sim.command.finishedAt).toEqual(at(10_000));
    expect(sim.command.message).toContain('1 failed');
    expect(sim.step('w3').message).toBe('not started: rollout aborted');
  });

  it('lets the batch in flight finish before aborting, touching no further worker', () => {
    const sim = new Sim({
      members: W5,
      strategy: { batchSize: 2 },
      behaviour: { w1: 'fail' },
      delayMs: { w1: 1_000, w2: 20_000 },
    });
    sim.run(10_000);
    expect(sim.step('w1').state).toBe('FAILED');
    expect(sim.command.state).toBe('RUNNING');
    sim.run();
    expect(sim.handedOut).toEqual([['w1', 'w2']]);
    expect(stepStates(sim)).toEqual(['w1:FAILED', 'w2:SUCCEEDED', 'w3:SKIPPED', 'w4:SKIPPED', 'w5:SKIPPED']);
    expect(sim.command).toMatchObject({ state: 'FAILED', finishedAt: at(20_000) });
  });

  it('with maxFailures 1 tolerates one failed worker', () => {
    const sim = new Sim({ members: W5, strategy: { maxFailures: 1 }, behaviour: { w2: 'fail' } }).run();
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', message: '4 succeeded, 1 failed, 0 skipped' });
  });

  it('with maxFailures 1 and ABORT stops at the second failed worker', () => {
    const members = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
    const sim = new Sim({ members, strategy: { maxFailures: 1 }, behaviour: { w2: 'fail', w4: 'hang' } }).run();
    expect(sim.handedOut.flat()).toEqual(['w1', 'w2', 'w3', 'w4']);
    expect(stepStates(sim)).toEqual(['w1:SUCCEEDED', 'w2:FAILED', 'w3:SUCCEEDED', 'w4:FAILED', 'w5:SKIPPED', 'w6:SKIPPED']);
    expect(sim.command.state).toBe('FAILED');
    expect(sim.command.message).toContain('2 failed workers exceed maxFailures 1');
  });

  it('with PAUSE holds as PAUSED, the steps not started still PENDING, and goes on once resumed', () => {
    const sim = new Sim({
      members: W5,
      strategy: { maxFailures: 1, onFailure: 'PAUSE' },
      behaviour: { w1: 'fail', w2: 'fail' },
    }).run();
    expect(sim.command).toMatchObject({ state: 'PAUSED', message: 'paused: 2 failed workers exceed maxFailures 1' });
    expect(stepStates(sim)).toEqual(['w1:FAILED', 'w2:FAILED', 'w3:PENDING', 'w4:PENDING', 'w5:PENDING']);
    expect(sim.command.finishedAt).toBeNull();
    expect(sim.history).toContain('paused: 2 failed workers exceed maxFailures 1');

    // A paused command stays paused, whatever time it is.
    sim.now = at(3_600_000);
    expect(sim.plan()).toEqual(settled(null));

    // The operator resumes: the service sets RUNNING and accepts the failures seen so far.
    sim.command = { ...sim.command, state: 'RUNNING', acceptedFailures: 2 };
    sim.run();
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', message: '3 succeeded, 2 failed, 0 skipped' });
    expect(sim.handedOut.flat()).toEqual(W5); // nobody twice
  });

  it('with PAUSE and a resume that does not accept the failures, pauses again without touching anyone', () => {
    const sim = new Sim({ members: W5, strategy: { onFailure: 'PAUSE' }, behaviour: { w1: 'fail' } }).run();
    expect(sim.command.state).toBe('PAUSED');
    sim.command = { ...sim.command, state: 'RUNNING' };
    sim.run();
    expect(sim.command.state).toBe('PAUSED');
    expect(sim.handedOut).toEqual([['w1']]);
  });
});

describe('planRollout: pause and cancel', () => {
  it('pause requested during a batch lets the batch finish, then holds as PAUSED', () => {
    const sim = new Sim({ members: W5, strategy: { batchSize: 2 } });
    sim.run(2_000);
    sim.command.pauseRequested = true;
    sim.run();
    expect(sim.command).toMatchObject({ state: 'PAUSED', pauseRequested: false, message: 'paused' });
    expect(stepStates(sim)).toEqual(['w1:SUCCEEDED', 'w2:SUCCEEDED', 'w3:PENDING', 'w4:PENDING', 'w5:PENDING']);
    expect(sim.history.at(-1)).toBe('paused');

    sim.command = { ...sim.command, state: 'RUNNING' }; // resumed
    sim.run();
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', message: '5 succeeded, 0 failed, 0 skipped' });
    expect(sim.handedOut).toEqual([['w1', 'w2'], ['w3', 'w4'], ['w5']]);
  });

  it('cancel requested during a batch lets the batch finish, then ends CANCELLED with the rest SKIPPED', () => {
    const sim = new Sim({ members: W5, strategy: { batchSize: 2 } });
    sim.run(2_000);
    sim.command.cancelRequested = true;
    sim.run();
    expect(sim.command).toMatchObject({ state: 'CANCELLED', cancelRequested: false, message: 'cancelled', finishedAt: at(5_000) });
    expect(stepStates(sim)).toEqual(['w1:SUCCEEDED', 'w2:SUCCEEDED', 'w3:SKIPPED', 'w4:SKIPPED', 'w5:SKIPPED']);
    expect(sim.handedOut).toEqual([['w1', 'w2']]);
    expect(sim.history).toContain('cancelled');
  });

  it('cancel wins over a pause requested at the same time', () => {
    const sim = new Sim({ members: W5 });
    sim.run(2_000);
    Object.assign(sim.command, { pauseRequested: true, cancelRequested: true });
    sim.run();
    expect(sim.command).toMatchObject({ state: 'CANCELLED', pauseRequested: false, cancelRequested: false });
  });

  it('cancel while paused ends CANCELLED at once', () => {
    const sim = new Sim({ members: W5 });
    sim.run(2_000);
    sim.command.pauseRequested = true;
    sim.run();
    expect(sim.command.state).toBe('PAUSED');
    expect(sim.handedOut).toEqual([['w1']]);
    sim.now = at(600_000);
    sim.command.cancelRequested = true;
    const d = sim.tick();
    expect(d.command).toMatchObject({ state: 'CANCELLED', finishedAt: at(600_000), cancelRequested: false });
    expect(stepStates(sim)).toEqual(['w1:SUCCEEDED', 'w2:SKIPPED', 'w3:SKIPPED', 'w4:SKIPPED', 'w5:SKIPPED']);
  });

  it('cancel while the manager is unreachable skips the steps in flight and withdraws their tasks', () => {
    const sim = new Sim({ members: W5, strategy: { batchSize: 2 }, behaviour: { w1: 'hang', w2: 'hang' } });
    sim.tick();
    sim.tasks[0]!.state = 'ACCEPTED';
    sim.managerConnectedSince = null;
    sim.now = at(1_000);
    sim.command.cancelRequested = true;
    const d = sim.tick();
    expect(d.cancelTaskIds).toEqual(['task-1']);
    expect(sim.step('w1')).toMatchObject({ state: 'SKIPPED', message: 'cancelled while manager unreachable' });
    expect(sim.command).toMatchObject({ state: 'CANCELLED', finishedAt: at(1_000) });
    expect(stepStates(sim)).toEqual(['w1:SKIPPED', 'w2:SKIPPED', 'w3:SKIPPED', 'w4:SKIPPED', 'w5:SKIPPED']);
  });

  it('withdraws the unfinished tasks of a rollout that aborts, so no worker is touched later', () => {
    const sim = new Sim({ members: ['w1', 'w2'], behaviour: { w1: 'hang' } });
    sim.tick();
    sim.advanceTo(at(60_000).getTime());
    sim.tasks[0]!.state = 'ACCEPTED'; // the manager never said it was through
    const d = sim.tick();
    expect(sim.command.state).toBe('FAILED');
    expect(d.cancelTaskIds).toEqual(['task-1']);
  });
});

describe('planRollout: manager unreachable', () => {
  it('fires no timeout while the manager is unreachable and restarts the clock when it is back', () => {
    const sim = new Sim({ members: ['w1', 'w2'], behaviour: { w1: 'hang' } });
    sim.tick(); // batch 1: w1, deadline 60 s
    sim.managerConnectedSince = null;
    sim.now = at(10_000);
    let d = sim.tick();
    expect(d.command).toEqual({ message: WAITING_FOR_MANAGER });
    expect(d.events).toEqual([{ state: 'RUNNING', message: WAITING_FOR_MANAGER }]);
    expect(d.wakeAt).toBeNull();

    // Long past the deadline: nothing fails, the message is not said twice.
    sim.now = at(3_600_000);
    expect(sim.tick()).toEqual(settled(null));
    expect(sim.history.filter((m) => m === WAITING_FOR_MANAGER)).toHaveLength(1);

    // Back: a fresh full healthTimeoutMs from the reconnect.
    sim.managerConnectedSince = at(3_600_000);
    d = sim.tick();
    expect(d.command).toEqual({ message: null });
    expect(d.wakeAt).toEqual(at(3_660_000));
    expect(sim.step('w1').state).toBe('RUNNING');

    sim.now = at(3_659_999);
    expect(sim.tick().stepUpdates).toEqual([]);
    sim.now = at(3_660_000);
    sim.tick();
    expect(sim.step('w1')).toMatchObject({ state: 'FAILED', message: 'not RUNNING within 60000 ms' });
  });

  it('succeeds a step whose worker came back while the manager was away, once reports arrive', () => {
    const sim = new Sim({ members: ['w1', 'w2'], behaviour: { w1: 'hang' } });
    sim.tick();
    sim.managerConnectedSince = null;
    sim.now = at(120_000);
    sim.tick();
    // The manager reconnects and reports w1 restarted at 90 s.
    sim.managerConnectedSince = at(130_000);
    Object.assign(sim.worker('w1')!, { state: 'RUNNING', startedAt: at(90_000), stateChangedAt: at(90_000) });
    sim.now = at(130_000);
    sim.tick();
    expect(sim.step('w1').state).toBe('SUCCEEDED');
    expect(sim.command.message).toBeNull();
    sim.run();
    expect(sim.command.state).toBe('SUCCEEDED');
  });

  it('starts no batch while the manager is unreachable and continues after it reconnects', () => {
    const sim = new Sim({ members: ['w1', 'w2', 'w3'] });
    sim.run(4_000); // w1 in flight
    sim.managerConnectedSince = null;
    sim.advanceTo(at(5_000).getTime()); // w1's restart was reported just before the connection dropped
    const d = sim.tick();
    expect(sim.step('w1').state).toBe('SUCCEEDED');
    expect(d.newTask).toBeNull();
    expect(sim.command.message).toBe(WAITING_FOR_MANAGER);
    sim.now = at(500_000);
    expect(sim.tick()).toEqual(settled(null));
    sim.managerConnectedSince = at(500_000);
    expect(sim.tick().newTask).toEqual({ memberIds: ['w2'], stepIndexes: [1] });
    expect(sim.history).toContain('manager reachable again: continuing');
    sim.run();
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', message: '3 succeeded, 0 failed, 0 skipped' });
  });
});

describe('planRollout: durability and idempotence', () => {
  it('gives nothing more to do when planned again after its decision was applied', () => {
    const sim = new Sim({ members: W5, strategy: { batchSize: 2, pauseBetweenBatchesMs: 1_000 }, behaviour: { w3: 'leave' } });
    sim.tick();
    for (let i = 0; i < 5; i++) expect(sim.plan()).toEqual(settled(at(60_000)));
    sim.run(); // every tick of the run checks the same
    expect(sim.command.state).toBe('SUCCEEDED');
  });

  it('makes the same decision again when a decision was lost before it was applied', () => {
    const sim = new Sim({ members: W5, strategy: { batchSize: 2 } });
    sim.run(4_000);
    sim.advanceTo(at(5_000).getTime());
    const first = sim.plan();
    const again = sim.plan();
    expect(again).toEqual(first);
    expect(first.newTask).toEqual({ memberIds: ['w3', 'w4'], stepIndexes: [2, 3] });
  });

  it('a restarted driver planning from the persisted state continues where it was and restarts no worker twice', () => {
    const sim = new Sim({ members: W5, strategy: { batchSize: 2 }, delayMs: 20_000 });
    sim.run(30_000); // batch 2 (w3, w4) in flight since 20 s
    expect(sim.running().map((s) => s.memberId)).toEqual(['w3', 'w4']);

    // The driver dies; a new one (maybe another OC instance) starts from the database only.
    const restarted = new Sim({ members: [], delayMs: 20_000 });
    Object.assign(restarted, sim.persisted(), { now: at(31_000) });
    expect(restarted.plan()).toEqual(settled(at(80_000))); // no new task, same deadline
    // The workers come back while it is down; the new driver judges them from the reports.
    for (const m of ['w3', 'w4']) Object.assign(restarted.worker(m)!, { state: 'RUNNING', startedAt: at(40_000) });
    restarted.now = at(45_000);
    restarted.run();
    expect(restarted.command).toMatchObject({ state: 'SUCCEEDED', message: '5 succeeded, 0 failed, 0 skipped' });
    const everyTask = restarted.tasks.flatMap((t) => t.memberIds);
    expect(everyTask).toEqual(W5); // each worker handed out exactly once across both drivers
  });

  it('never has more than batchSize steps RUNNING nor hands a worker out twice, whatever the workers do', () => {
    const behaviours: Behaviour[] = ['ok', 'ok', 'ok', 'fail', 'hang', 'stale', 'leave'];
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 60; round++) {
      const members = Array.from({ length: 1 + Math.floor(random() * 12) }, (_, i) => `m${String(i).padStart(2, '0')}`);
      const behaviour = Object.fromEntries(members.map((m) => [m, behaviours[Math.floor(random() * behaviours.length)]!]));
      const delayMs = Object.fromEntries(members.map((m) => [m, 500 + Math.floor(random() * 90_000)]));
      const batchSize = 1 + Math.floor(random() * 5);
      const strategy = {
        batchSize,
        maxFailures: Math.floor(random() * 3),
        onFailure: random() < 0.5 ? ('ABORT' as const) : ('PAUSE' as const),
        pauseBetweenBatchesMs: random() < 0.5 ? 0 : 3_000,
      };
      const sim = new Sim({ members, behaviour, delayMs, strategy }).run();
      expect(sim.maxRunning).toBeLessThanOrEqual(batchSize);
      expect(new Set(sim.handedOut.flat()).size).toBe(sim.handedOut.flat().length);
      expect(sim.handedOut.flat()).toEqual([...sim.handedOut.flat()].sort());
      expect(['SUCCEEDED', 'FAILED', 'PAUSED']).toContain(sim.command.state);
      if (sim.command.state !== 'PAUSED') expect(sim.steps.every((s) => ['SUCCEEDED', 'FAILED', 'SKIPPED'].includes(s.state))).toBe(true);
    }
  });
});

describe('planRollout: clock skew between a manager and the OC', () => {
  const TEN_MINUTES = 600_000;

  /** Every step that SUCCEEDED did so after its worker really restarted, and after the step began. */
  function expectProvenRestarts(sim: Sim) {
    for (const step of sim.steps.filter((s) => s.state === 'SUCCEEDED')) {
      const restarted = sim.restartedAt.get(step.memberId);
      expect(restarted, `${step.memberId} SUCCEEDED without a restart`).toBeDefined();
      expect(restarted!.getTime()).toBeGreaterThanOrEqual(step.startedAt!.getTime());
      expect(step.finishedAt!.getTime()).toBeGreaterThanOrEqual(restarted!.getTime());
    }
  }

  it('a manager 10 minutes fast: a worker not restarted yet is not counted, so no next batch starts early', () => {
    // Started 2 minutes ago by a manager clock 10 minutes fast: its startedAt is 8 minutes
    // ahead of the OC's clock, later than the step's start although nothing restarted.
    const sim = new Sim({ members: W5, clockSkewMs: TEN_MINUTES, startedAgoMs: 120_000 });
    sim.tick();
    sim.now = at(1_000);
    const d = sim.tick();
    expect(d.stepUpdates).toEqual([]);
    expect(d.newTask).toBeNull();
    sim.run();
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', message: '5 succeeded, 0 failed, 0 skipped' });
    expect(sim.handedOut).toEqual(W5.map((m) => [m]));
    expect(sim.maxRunning).toBe(1);
    expectProvenRestarts(sim);
  });

  it('a manager 10 minutes fast: a worker RUNNING again with its old startedAt times out', () => {
    const sim = new Sim({ members: ['w1', 'w2'], clockSkewMs: TEN_MINUTES, startedAgoMs: 60_000, behaviour: { w1: 'stale' } }).run();
    expect(sim.step('w1')).toMatchObject({ state: 'FAILED', message: 'not RUNNING within 60000 ms' });
    expect(sim.handedOut).toEqual([['w1']]);
  });

  it('a manager 10 minutes slow: every real restart counts, though its startedAt is before the step began', () => {
    const sim = new Sim({ members: W5, strategy: { batchSize: 2 }, clockSkewMs: -TEN_MINUTES }).run();
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', message: '5 succeeded, 0 failed, 0 skipped' });
    expect(sim.command.finishedAt).toEqual(at(15_000));
    expect(sim.maxRunning).toBe(2);
    expectProvenRestarts(sim);
  });

  it('a DEPLOY is judged the same with either skew: a restart carrying the new version', () => {
    for (const clockSkewMs of [TEN_MINUTES, -TEN_MINUTES]) {
      const good = new Sim({ members: W5, kind: 'DEPLOY', clockSkewMs, startedAgoMs: 60_000 }).run();
      expect(good.command.state, `skew ${clockSkewMs}`).toBe('SUCCEEDED');
      expect(good.maxRunning).toBe(1);
      expectProvenRestarts(good);

      const stuck = new Sim({ members: ['w1'], kind: 'DEPLOY', clockSkewMs, startedAgoMs: 60_000, behaviour: { w1: 'oldVersion' } }).run();
      expect(stuck.step('w1'), `skew ${clockSkewMs}`).toMatchObject({ state: 'FAILED', message: 'not RUNNING within 60000 ms' });

      // Already on the new version, but never restarted: no proof.
      const notRestarted = new Sim({ members: ['w1'], kind: 'DEPLOY', clockSkewMs, startedAgoMs: 60_000, behaviour: { w1: 'stale' } });
      notRestarted.worker('w1')!.artifacts = [{ name: 'app', version: '2.0.0', deployedAt: T0.toISOString() }];
      notRestarted.run();
      expect(notRestarted.step('w1').state).toBe('FAILED');
    }
  });

  it('makes the same decisions whatever the skew, whatever the workers do', () => {
    const behaviours: Behaviour[] = ['ok', 'ok', 'ok', 'fail', 'hang', 'stale', 'leave'];
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 25; round++) {
      const members = Array.from({ length: 1 + Math.floor(random() * 10) }, (_, i) => `m${String(i).padStart(2, '0')}`);
      const behaviour = Object.fromEntries(members.map((m) => [m, behaviours[Math.floor(random() * behaviours.length)]!]));
      const delayMs = Object.fromEntries(members.map((m) => [m, 500 + Math.floor(random() * 90_000)]));
      const strategy = { batchSize: 1 + Math.floor(random() * 4), maxFailures: Math.floor(random() * 3), pauseBetweenBatchesMs: random() < 0.5 ? 0 : 3_000 };
      const startedAgoMs = Math.floor(random() * 1_200_000);
      const runs = [0, TEN_MINUTES, -TEN_MINUTES, 1, -1].map((clockSkewMs) => new Sim({ members, behaviour, delayMs, strategy, clockSkewMs, startedAgoMs }).run());
      for (const sim of runs) {
        expect(sim.maxRunning).toBeLessThanOrEqual(strategy.batchSize);
        expectProvenRestarts(sim);
        expect(stepStates(sim)).toEqual(stepStates(runs[0]!));
        expect(sim.handedOut).toEqual(runs[0]!.handedOut);
        expect(sim.command.message).toBe(runs[0]!.command.message);
      }
    }
  });
});

describe('planRollout: what the OC saw of a worker', () => {
  it('for a manager that reports no startedAt, a restart is the worker seen leaving RUNNING and coming back', () => {
    const sim = new Sim({ members: ['w1'] });
    const w1 = sim.worker('w1')!;
    w1.startedAt = null;
    sim.tick();
    expect(sim.step('w1').baseline).toEqual({ workerId: 'worker-w1', state: 'RUNNING', startedAt: null, stateChanges: 0 });
    sim.now = at(1_000);
    Object.assign(w1, { state: 'STOPPING', stateChanges: 1 });
    expect(sim.tick().stepUpdates).toEqual([]);
    sim.now = at(2_000);
    Object.assign(w1, { state: 'RUNNING', stateChanges: 2 });
    expect(sim.tick().stepUpdates).toEqual([{ index: 0, state: 'SUCCEEDED', message: null, finishedAt: at(2_000) }]);
  });

  it('a boot already in flight when the step began proves nothing by ending: it must be seen to start again', () => {
    const sim = new Sim({ members: ['w1'] });
    const w1 = sim.worker('w1')!;
    Object.assign(w1, { state: 'STARTING', startedAt: null, stateChanges: 5 });
    sim.tick();
    sim.now = at(1_000);
    Object.assign(w1, { state: 'RUNNING', stateChanges: 6 });
    expect(sim.tick().stepUpdates).toEqual([]);
    Object.assign(w1, { state: 'STOPPING', stateChanges: 7 });
    sim.tick();
    Object.assign(w1, { state: 'RUNNING', stateChanges: 8 });
    expect(sim.tick().stepUpdates).toEqual([{ index: 0, state: 'SUCCEEDED', message: null, finishedAt: at(1_000) }]);
  });

  it('a worker RUNNING with the startedAt it began with is the same process, whatever states were reported', () => {
    const sim = new Sim({ members: ['w1'] });
    sim.tick();
    Object.assign(sim.worker('w1')!, { state: 'RUNNING', stateChanges: 2 }); // STOPPING, RUNNING: same startedAt
    sim.now = at(1_000);
    expect(sim.tick().stepUpdates).toEqual([]);
  });

  it('takes a startedAt earlier than the one the step began with as no proof (a manager clock set back): it waits, on the safe side', () => {
    const sim = new Sim({ members: ['w1'] });
    sim.tick();
    sim.worker('w1')!.startedAt = at(-86_400_001);
    sim.now = at(1_000);
    expect(sim.tick().stepUpdates).toEqual([]);
  });

  it('fails a step whose worker, FAILED before the step, failed again after a start; not one still FAILED from before', () => {
    const sim = new Sim({ members: ['w1'] });
    const w1 = sim.worker('w1')!;
    Object.assign(w1, { state: 'FAILED', stateChanges: 3, stateChangedAt: at(-1_000) });
    sim.tick();
    sim.now = at(1_000);
    expect(sim.tick().stepUpdates).toEqual([]);
    Object.assign(w1, { state: 'STARTING', stateChanges: 4, stateChangedAt: at(1_000) });
    sim.tick();
    Object.assign(w1, { state: 'FAILED', stateChanges: 5 });
    expect(sim.tick().stepUpdates).toEqual([{ index: 0, state: 'FAILED', message: 'worker reported FAILED', finishedAt: at(1_000) }]);
  });

  it('a worker that left and joined again during its step counts once it runs a new process', () => {
    const sim = new Sim({ members: ['w1'] });
    sim.tick();
    const again: ObservedWorker = { ...sim.worker('w1')!, id: 'worker-w1-again', stateChanges: 0 };
    sim.workers = [again];
    sim.now = at(1_000);
    expect(sim.tick().stepUpdates).toEqual([]); // the same process, seen again
    again.startedAt = at(900);
    expect(sim.tick().stepUpdates).toEqual([{ index: 0, state: 'SUCCEEDED', message: null, finishedAt: at(1_000) }]);
  });

  it('a step begun without a baseline (by an older OC) takes the worker as it is now, and is judged from there', () => {
    // A manager 10 minutes fast whose workers just started: later than the step's start by the OC's clock.
    const sim = new Sim({ members: ['w1', 'w2'], clockSkewMs: 600_000, startedAgoMs: 0 });
    sim.tick();
    const step = sim.step('w1');
    step.baseline = null;
    sim.now = at(1_000);
    const d = sim.tick();
    expect(d.stepUpdates).toEqual([
      { index: 0, state: 'RUNNING', message: null, baseline: { workerId: 'worker-w1', state: 'RUNNING', startedAt: at(600_000), stateChanges: 0 } },
    ]);
    expect(d.newTask).toBeNull();
    sim.run();
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', message: '2 succeeded, 0 failed, 0 skipped' });
  });
});

describe('planRollout: why a command waits is data (Command.hold)', () => {
  it('holds MANAGER_UNREACHABLE (since then, by nobody) while the manager is away, and lifts it when it is back', () => {
    const sim = new Sim({ members: ['w1', 'w2'], behaviour: { w1: 'hang' } });
    sim.tick();
    sim.managerConnectedSince = null;
    sim.now = at(10_000);
    expect(sim.tick().hold).toEqual({ reason: 'MANAGER_UNREACHABLE', since: at(10_000), by: null });
    sim.now = at(20_000);
    expect(sim.tick().hold).toBeUndefined(); // unchanged: still the hold of 10 s
    sim.managerConnectedSince = at(30_000);
    sim.now = at(30_000);
    expect(sim.tick().hold).toBeNull();
    expect(sim.command.hold).toBeNull();
  });

  it('decides from the hold, not from the message: a message that reads like a hold holds nothing', () => {
    const sim = new Sim({ members: ['w1', 'w2'] });
    sim.tick();
    sim.command.message = WAITING_FOR_MANAGER; // prose only: nobody is waiting
    sim.managerConnectedSince = null;
    sim.now = at(1_000);
    const d = sim.tick();
    expect(d.hold).toMatchObject({ reason: 'MANAGER_UNREACHABLE' });
    expect(d.events).toEqual([{ state: 'RUNNING', message: WAITING_FOR_MANAGER }]);
  });

  it('holds FAILURE_BUDGET when too many steps failed with onFailure PAUSE', () => {
    const sim = new Sim({ members: W5, strategy: { onFailure: 'PAUSE' }, behaviour: { w1: 'fail' } }).run();
    expect(sim.command).toMatchObject({ state: 'PAUSED', hold: { reason: 'FAILURE_BUDGET', since: at(5_000), by: null } });
  });

  it('holds OPERATOR, naming who asked for the pause, and a resumed command holds nothing', () => {
    const sim = new Sim({ members: W5 });
    sim.run(2_000);
    Object.assign(sim.command, { pauseRequested: true, pauseRequestedBy: 'ops-alice' });
    sim.run();
    expect(sim.command).toMatchObject({ state: 'PAUSED', hold: { reason: 'OPERATOR', since: at(5_000), by: 'ops-alice' } });
    sim.command = { ...sim.command, state: 'RUNNING' }; // resumed (the service also clears the hold)
    sim.tick();
    expect(sim.command.hold).toBeNull();
    sim.run();
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', hold: null });
  });

  it('a command that ends holds nothing', () => {
    const sim = new Sim({ members: W5, strategy: { onFailure: 'PAUSE' }, behaviour: { w1: 'fail' } }).run();
    sim.command.cancelRequested = true;
    sim.tick();
    expect(sim.command).toMatchObject({ state: 'CANCELLED', hold: null });
  });
});

// ---------------------------------------------------------------------------------------
// Canary and promote, soak (minHealthyMs), progress deadline (issue 11)
// ---------------------------------------------------------------------------------------

/** What the command service does on promoteCommand (or resumeCommand): the driver goes on from there. */
function promote(sim: Sim): void {
  sim.command = { ...sim.command, state: 'RUNNING', hold: null, message: null, wakeAt: null, promotedAt: sim.now, resumedAt: sim.now };
}
function resume(sim: Sim): void {
  const failed = sim.steps.filter((s) => s.state === 'FAILED').length;
  sim.command = { ...sim.command, state: 'RUNNING', hold: null, message: null, wakeAt: null, pauseRequested: false, acceptedFailures: failed, resumedAt: sim.now };
}
/** A worker's report as the OC records it: a change of state counts once. */
function report(sim: Sim, memberId: string, change: Partial<ObservedWorker>): void {
  const w = sim.worker(memberId)!;
  const changed = change.state !== undefined && change.state !== w.state;
  Object.assign(w, change, changed ? { stateChanges: w.stateChanges + 1, stateChangedAt: sim.now } : {});
}

describe('planRollout: canary and promote', () => {
  it('runs the first `canary` workers as the first batch, then holds PAUSED (CANARY) touching nobody else until promoted', () => {
    const sim = new Sim({ members: W5, strategy: { canary: 2, batchSize: 2 } }).run();
    expect(sim.handedOut).toEqual([['w1', 'w2']]);
    expect(sim.command).toMatchObject({ state: 'PAUSED', message: 'waiting: canary to be promoted', hold: { reason: 'CANARY', since: at(5_000), by: null }, wakeAt: null });
    expect(stepStates(sim)).toEqual(['w1:SUCCEEDED', 'w2:SUCCEEDED', 'w3:PENDING', 'w4:PENDING', 'w5:PENDING']);
    expect(sim.history).toContain('canary SUCCEEDED (w1, w2): waiting to be promoted (promoteCommand)');

    // However long it waits, nothing moves by itself.
    sim.now = at(86_400_000);
    expect(sim.plan()).toEqual(settled(null));

    promote(sim);
    sim.run();
    expect(sim.handedOut).toEqual([['w1', 'w2'], ['w3', 'w4'], ['w5']]);
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', hold: null, message: '5 succeeded, 0 failed, 0 skipped' });
  });

  it('the canary batch has `canary` workers whatever batchSize is; the batches after it have batchSize', () => {
    const sim = new Sim({ members: W5, strategy: { canary: 1, batchSize: 3 } }).run();
    expect(sim.handedOut).toEqual([['w1']]);
    promote(sim);
    sim.run();
    expect(sim.handedOut).toEqual([['w1'], ['w2', 'w3', 'w4'], ['w5']]);
  });

  it('a failed canary with ABORT fails the command, whatever maxFailures allows, and never touches a non-canary worker', () => {
    const sim = new Sim({ members: W5, strategy: { canary: 2, batchSize: 2, maxFailures: 3 }, behaviour: { w2: 'fail' } }).run();
    expect(sim.command.state).toBe('FAILED');
    expect(sim.command.message).toBe('aborted: canary failed: 1 of 2 canary workers failed; 1 succeeded, 1 failed, 3 skipped');
    expect(stepStates(sim)).toEqual(['w1:SUCCEEDED', 'w2:FAILED', 'w3:SKIPPED', 'w4:SKIPPED', 'w5:SKIPPED']);
    expect(sim.handedOut).toEqual([['w1', 'w2']]);
  });

  it('a failed canary with PAUSE holds FAILURE_BUDGET; a resume accepts the failure and the command waits for its promotion again', () => {
    const sim = new Sim({ members: W5, strategy: { canary: 2, batchSize: 2, onFailure: 'PAUSE' }, behaviour: { w1: 'hang' } }).run();
    expect(sim.command).toMatchObject({ state: 'PAUSED', message: 'paused: canary failed: 1 of 2 canary workers failed', hold: { reason: 'FAILURE_BUDGET' } });
    expect(sim.handedOut).toEqual([['w1', 'w2']]);
    resume(sim);
    sim.run();
    expect(sim.command).toMatchObject({ state: 'PAUSED', hold: { reason: 'CANARY' } });
    expect(sim.handedOut).toEqual([['w1', 'w2']]);
    promote(sim);
    sim.run();
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', message: '4 succeeded, 1 failed, 0 skipped' });
  });

  it('a canary worker that crashes while the command waits to be promoted is a canary failure (ABORT)', () => {
    const sim = new Sim({ members: W5, strategy: { canary: 2, batchSize: 2 } }).run();
    expect(sim.command.hold?.reason).toBe('CANARY');
    sim.now = at(600_000);
    report(sim, 'w2', { state: 'STOPPED' });
    const d = sim.tick();
    expect(sim.step('w2')).toMatchObject({ state: 'FAILED', message: 'canary crashed while waiting to be promoted: worker reported STOPPED', finishedAt: at(600_000) });
    expect(d.hold).toBeNull();
    expect(sim.command).toMatchObject({ state: 'FAILED', message: 'aborted: canary failed: 1 of 2 canary workers crashed; 1 succeeded, 1 failed, 3 skipped' });
    expect(sim.handedOut).toEqual([['w1', 'w2']]);
  });

  it('a canary worker that crashed while the rest of the canary batch ran fails the canary when the batch is through, before any hold', () => {
    const sim = new Sim({ members: W5, strategy: { canary: 2, batchSize: 2 }, delayMs: { w1: 5_000, w2: 20_000 } });
    sim.run(10_000);
    expect(sim.step('w1').state).toBe('SUCCEEDED');
    report(sim, 'w1', { state: 'FAILED' });
    sim.run();
    expect(sim.command).toMatchObject({ state: 'FAILED', hold: null, message: 'aborted: canary failed: 1 of 2 canary workers crashed; 1 succeeded, 1 failed, 3 skipped' });
    expect(sim.history.some((h) => h.startsWith('canary SUCCEEDED'))).toBe(false);
    expect(sim.handedOut).toEqual([['w1', 'w2']]);
  });

  it('a canary worker that crashed and came back (a new process) while waiting is a canary failure too (PAUSE)', () => {
    const sim = new Sim({ members: W5, strategy: { canary: 1, onFailure: 'PAUSE' } }).run();
    sim.now = at(60_000);
    report(sim, 'w1', { state: 'STARTING' });
    report(sim, 'w1', { state: 'RUNNING', startedAt: at(60_000) });
    sim.tick();
    expect(sim.step('w1')).toMatchObject({ state: 'FAILED', message: 'canary crashed while waiting to be promoted: worker left RUNNING and came back' });
    expect(sim.command).toMatchObject({ state: 'PAUSED', hold: { reason: 'FAILURE_BUDGET' }, message: 'paused: canary failed: 1 of 1 canary workers crashed' });
    expect(sim.handedOut).toEqual([['w1']]);
  });

  it('with autoPromoteAfterMs promotes itself once the canary has been healthy that long, and goes on', () => {
    const sim = new Sim({ members: ['w1', 'w2', 'w3'], strategy: { canary: 1, autoPromoteAfterMs: 60_000 } });
    sim.run(5_000);
    expect(sim.command).toMatchObject({ state: 'PAUSED', hold: { reason: 'CANARY', since: at(5_000) }, wakeAt: at(65_000) });
    expect(sim.history).toContain('canary SUCCEEDED (w1): waiting to be promoted (promoteCommand, or by itself after 60000 ms healthy)');
    sim.now = at(64_999);
    expect(sim.plan()).toEqual(settled(at(65_000)));
    sim.now = at(65_000);
    const d = sim.tick();
    expect(d.command).toMatchObject({ state: 'RUNNING', promotedAt: at(65_000), resumedAt: at(65_000), message: null });
    expect(d.hold).toBeNull();
    expect(d.events.map((e) => e.message)).toEqual(['canary promoted by the OC: healthy for 60000 ms (autoPromoteAfterMs)', 'batch 2 started: w2']);
    sim.run();
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', message: '3 succeeded, 0 failed, 0 skipped' });
    expect(sim.handedOut).toEqual([['w1'], ['w2'], ['w3']]);
  });

  it('does not promote itself when the canary crashed in that time: the command FAILS', () => {
    const sim = new Sim({ members: ['w1', 'w2', 'w3'], strategy: { canary: 1, autoPromoteAfterMs: 60_000 } });
    sim.run(5_000);
    sim.now = at(30_000);
    report(sim, 'w1', { state: 'FAILED' });
    sim.run();
    expect(sim.command).toMatchObject({ state: 'FAILED', promotedAt: null });
    expect(sim.handedOut).toEqual([['w1']]);
  });

  it('counts the healthy time for an automatic promotion only while the manager is connected', () => {
    const sim = new Sim({ members: ['w1', 'w2'], strategy: { canary: 1, autoPromoteAfterMs: 60_000 } });
    sim.run(5_000);
    sim.managerConnectedSince = null;
    sim.now = at(10_000);
    expect(sim.tick().wakeAt).toBeNull();
    sim.now = at(600_000);
    expect(sim.tick()).toEqual(settled(null));
    expect(sim.command.state).toBe('PAUSED');
    sim.managerConnectedSince = at(600_000);
    expect(sim.tick().wakeAt).toEqual(at(660_000));
    sim.run();
    expect(sim.command.state).toBe('SUCCEEDED');
    expect(sim.step('w2').startedAt).toEqual(at(660_000));
  });

  it('a pause requested during the canary batch holds OPERATOR first; once resumed, the canary waits to be promoted', () => {
    const sim = new Sim({ members: W5, strategy: { canary: 1, autoPromoteAfterMs: 1_000 } });
    sim.tick();
    Object.assign(sim.command, { pauseRequested: true, pauseRequestedBy: 'ops-alice' });
    sim.run();
    expect(sim.command).toMatchObject({ state: 'PAUSED', hold: { reason: 'OPERATOR', by: 'ops-alice' } });
    resume(sim);
    sim.tick();
    expect(sim.command).toMatchObject({ state: 'PAUSED', hold: { reason: 'CANARY' } });
  });

  it('cancel while the canary waits ends CANCELLED with the rest SKIPPED', () => {
    const sim = new Sim({ members: W5, strategy: { canary: 2, batchSize: 2 } }).run();
    sim.command.cancelRequested = true;
    sim.tick();
    expect(sim.command).toMatchObject({ state: 'CANCELLED', hold: null });
    expect(stepStates(sim)).toEqual(['w1:SUCCEEDED', 'w2:SUCCEEDED', 'w3:SKIPPED', 'w4:SKIPPED', 'w5:SKIPPED']);
  });

  it('never hands out a non-canary worker before the promotion, whatever the canary workers do', () => {
    const behaviours: Behaviour[] = ['ok', 'ok', 'fail', 'hang', 'stale', 'leave', 'oldVersion'];
    for (let round = 0; round < 40; round++) {
      const members = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'];
      const behaviour = Object.fromEntries(members.map((m, i) => [m, behaviours[(round * 7 + i * 3) % behaviours.length]!]));
      const canary = 1 + (round % 3);
      const sim = new Sim({ members, behaviour, kind: round % 2 ? 'DEPLOY' : 'RESTART', strategy: { canary, batchSize: 2, maxFailures: 5, onFailure: round % 4 < 2 ? 'ABORT' : 'PAUSE' } }).run();
      const handed = sim.handedOut.flat();
      // Only canary workers (the first `canary`, or the next ones standing in for any that left).
      expect(sim.handedOut).toHaveLength(1);
      expect(handed.length).toBeLessThanOrEqual(canary);
      expect(['FAILED', 'PAUSED', 'SUCCEEDED']).toContain(sim.command.state);
      if (sim.command.state === 'SUCCEEDED') expect(sim.steps.every((s) => s.state !== 'PENDING')).toBe(true);
    }
  });
});

describe('planRollout: soak (minHealthyMs)', () => {
  it('a restarted worker must stay RUNNING minHealthyMs before its step SUCCEEDS; the next batch waits for it', () => {
    const sim = new Sim({ members: ['w1', 'w2', 'w3'], strategy: { minHealthyMs: 30_000 } });
    sim.run(5_000);
    expect(sim.step('w1').state).toBe('RUNNING');
    // The OC saw it RUNNING at 5 s (its own receive time): the window starts there.
    expect(sim.step('w1').baseline?.proven).toEqual({ at: at(5_000), workerId: 'worker-w1', startedAt: at(5_000), stateChanges: 0 });
    expect(sim.command.wakeAt).toEqual(at(35_000));
    expect(sim.history).toContain('step w1 RUNNING again: must stay RUNNING 30000 ms (minHealthyMs)');
    expect(sim.step('w1').message).toBe('RUNNING again: must stay RUNNING 30000 ms (minHealthyMs)');
    sim.now = at(34_999);
    expect(sim.plan()).toEqual(settled(at(35_000)));
    sim.now = at(35_000);
    const d = sim.tick();
    expect(sim.step('w1')).toMatchObject({ state: 'SUCCEEDED', message: null, finishedAt: at(35_000) });
    expect(d.newTask).toEqual({ memberIds: ['w2'], stepIndexes: [1] });
    sim.run();
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', finishedAt: at(105_000) });
  });

  it('starts the window when the OC saw the worker RUNNING (its receive time), even if it judged the step later', () => {
    const sim = new Sim({ members: ['w1', 'w2'], strategy: { minHealthyMs: 30_000 }, behaviour: { w1: 'hang' } });
    sim.tick();
    // The OC received w1's RUNNING at 6 s; the driver looks at it at 8 s.
    Object.assign(sim.worker('w1')!, { state: 'RUNNING', startedAt: at(5_500), stateChangedAt: at(6_000), stateChanges: 2 });
    sim.now = at(8_000);
    expect(sim.tick().wakeAt).toEqual(at(36_000));
    expect(sim.step('w1').baseline?.proven?.at).toEqual(at(6_000));
  });

  it('a restart reported without a change of state (a new startedAt only) starts the window when the OC first saw it', () => {
    const sim = new Sim({ members: ['w1', 'w2'], strategy: { minHealthyMs: 30_000 }, behaviour: { w1: 'hang' } });
    sim.tick();
    Object.assign(sim.worker('w1')!, { startedAt: at(5_500) }); // still RUNNING: its stateChangedAt is from long before the step
    sim.now = at(8_000);
    expect(sim.tick().wakeAt).toEqual(at(38_000));
    expect(sim.step('w1').baseline?.proven).toEqual({ at: at(8_000), workerId: 'worker-w1', startedAt: at(5_500), stateChanges: 0 });
  });

  it('a crash inside the window FAILS the step', () => {
    const sim = new Sim({ members: ['w1', 'w2', 'w3'], strategy: { minHealthyMs: 30_000 } });
    sim.run(5_000);
    sim.now = at(20_000);
    report(sim, 'w1', { state: 'FAILED' });
    sim.run();
    expect(sim.step('w1')).toMatchObject({ state: 'FAILED', message: 'crashed within minHealthyMs 30000 ms: worker reported FAILED', finishedAt: at(20_000) });
    expect(sim.command.state).toBe('FAILED');
    expect(sim.handedOut).toEqual([['w1']]);
  });

  it('a crash inside the window that the OC sees only as a new process (no change of state reported) FAILS the step', () => {
    const sim = new Sim({ members: ['w1', 'w2'], strategy: { minHealthyMs: 30_000, maxFailures: 1 } });
    sim.run(5_000);
    sim.now = at(20_000);
    report(sim, 'w1', { startedAt: at(19_000) });
    sim.tick();
    expect(sim.step('w1')).toMatchObject({ state: 'FAILED', message: 'crashed within minHealthyMs 30000 ms: worker restarted (a new process)' });
    sim.run();
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', message: '1 succeeded, 1 failed, 0 skipped' });
  });

  it('a crash after the window is no failure of the step', () => {
    const sim = new Sim({ members: ['w1', 'w2'], strategy: { minHealthyMs: 30_000 }, delayMs: { w1: 5_000, w2: 10_000 } });
    sim.run(36_000);
    expect(sim.step('w1').state).toBe('SUCCEEDED');
    report(sim, 'w1', { state: 'FAILED' });
    sim.run();
    expect(sim.step('w1').state).toBe('SUCCEEDED');
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', message: '2 succeeded, 0 failed, 0 skipped' });
  });

  it('once proven, a task the manager FAILED (for another worker of the batch) does not fail the soaking step', () => {
    const sim = new Sim({ members: ['w1', 'w2'], strategy: { minHealthyMs: 30_000, batchSize: 2, maxFailures: 1 }, behaviour: { w2: 'fail' } });
    sim.run(5_000);
    sim.tasks[0]!.state = 'FAILED';
    sim.run();
    expect(stepStates(sim)).toEqual(['w1:SUCCEEDED', 'w2:FAILED']);
  });

  it('the window runs only while the manager is connected, and starts again when it is back', () => {
    const sim = new Sim({ members: ['w1', 'w2'], strategy: { minHealthyMs: 30_000 } });
    sim.run(5_000);
    sim.managerConnectedSince = null;
    sim.now = at(40_000);
    expect(sim.tick().wakeAt).toBeNull();
    expect(sim.step('w1').state).toBe('RUNNING');
    sim.managerConnectedSince = at(50_000);
    sim.now = at(50_000);
    expect(sim.tick().wakeAt).toEqual(at(80_000));
    sim.now = at(80_000);
    sim.tick();
    expect(sim.step('w1')).toMatchObject({ state: 'SUCCEEDED', finishedAt: at(80_000) });
  });

  it('with minHealthyMs 0 a step SUCCEEDS at its proof, as before', () => {
    const sim = new Sim({ members: ['w1'] }).run();
    expect(sim.step('w1').baseline?.proven).toBeUndefined();
    expect(sim.command.finishedAt).toEqual(at(5_000));
  });
});

describe('planRollout: progress deadline', () => {
  const hangs = { w1: 'hang' as const };

  it('FAILS the command when no step has succeeded for progressDeadlineMs: the steps in flight FAIL, the rest are SKIPPED', () => {
    const sim = new Sim({ members: ['w1', 'w2', 'w3'], strategy: { healthTimeoutMs: 600_000, progressDeadlineMs: 60_000 }, behaviour: hangs });
    expect(sim.tick().wakeAt).toEqual(at(60_000));
    sim.tasks[0]!.state = 'ACCEPTED';
    sim.now = at(59_999);
    expect(sim.tick().command).toEqual({});
    sim.now = at(60_000);
    const d = sim.tick();
    expect(sim.command).toMatchObject({ state: 'FAILED', finishedAt: at(60_000), message: 'progress deadline exceeded: no step succeeded for 60000 ms; 0 succeeded, 1 failed, 2 skipped' });
    expect(sim.step('w1')).toMatchObject({ state: 'FAILED', message: 'stopped: progress deadline exceeded' });
    expect(d.cancelTaskIds).toEqual(['task-1']);
    expect(sim.history).toContain('progress deadline exceeded: no step succeeded for 60000 ms; 0 succeeded, 1 failed, 2 skipped');
  });

  it('each step that succeeds starts the clock again', () => {
    const sim = new Sim({ members: ['w1', 'w2', 'w3'], strategy: { progressDeadlineMs: 60_000 }, delayMs: 50_000 }).run();
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', finishedAt: at(150_000) });
  });

  it('is not counted while PAUSED: the clock starts again at the resume', () => {
    const sim = new Sim({ members: ['w1', 'w2'], strategy: { healthTimeoutMs: 600_000, progressDeadlineMs: 60_000 }, behaviour: { w2: 'hang' } });
    sim.tick();
    Object.assign(sim.command, { pauseRequested: true });
    sim.run();
    expect(sim.command).toMatchObject({ state: 'PAUSED' });
    sim.now = at(3_600_000);
    expect(sim.tick()).toEqual(settled(null));
    resume(sim);
    const d = sim.tick();
    expect(d.newTask).toEqual({ memberIds: ['w2'], stepIndexes: [1] });
    expect(d.wakeAt).toEqual(at(3_660_000));
    sim.run();
    expect(sim.command).toMatchObject({ state: 'FAILED', finishedAt: at(3_660_000) });
  });

  it('is not counted while the manager is unreachable: the clock starts again at the reconnect', () => {
    const sim = new Sim({ members: ['w1', 'w2'], strategy: { healthTimeoutMs: 600_000, progressDeadlineMs: 60_000 }, behaviour: hangs });
    sim.tick();
    sim.managerConnectedSince = null;
    sim.now = at(30_000);
    expect(sim.tick().wakeAt).toBeNull();
    sim.now = at(3_600_000);
    expect(sim.tick()).toEqual(settled(null));
    expect(sim.command.state).toBe('RUNNING');
    sim.managerConnectedSince = at(3_600_000);
    expect(sim.tick().wakeAt).toEqual(at(3_660_000));
    sim.now = at(3_659_999);
    sim.tick();
    expect(sim.command.state).toBe('RUNNING');
    sim.now = at(3_660_000);
    sim.tick();
    expect(sim.command).toMatchObject({ state: 'FAILED', message: expect.stringContaining('progress deadline exceeded') });
  });

  it('is not counted while a canary waits to be promoted: the promotion starts the clock again', () => {
    const sim = new Sim({ members: ['w1', 'w2'], strategy: { canary: 1, progressDeadlineMs: 60_000 } }).run();
    expect(sim.command).toMatchObject({ state: 'PAUSED', hold: { reason: 'CANARY' }, wakeAt: null });
    sim.now = at(3_600_000);
    expect(sim.tick()).toEqual(settled(null));
    promote(sim);
    sim.run();
    expect(sim.command).toMatchObject({ state: 'SUCCEEDED', finishedAt: at(3_605_000) });
  });

  it('counts a soak as time without progress', () => {
    const sim = new Sim({ members: ['w1', 'w2'], strategy: { minHealthyMs: 50_000, progressDeadlineMs: 52_000 } }).run();
    expect(sim.command).toMatchObject({ state: 'FAILED', finishedAt: at(52_000) });
    expect(sim.step('w1')).toMatchObject({ state: 'FAILED', message: 'stopped: progress deadline exceeded' });
  });
});
