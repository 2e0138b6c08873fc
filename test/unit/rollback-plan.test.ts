/**
 * Rollback and auto-revert, planned with virtual time: a DEPLOY runs through `planRollout` on an
 * in-memory cluster (workers install the task's artifact and come back, or fail), the rollback is
 * made from its steps as the rollback service makes it (domain/rollout/rollback.ts), and then
 * runs through the same planner on the same cluster.
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../src/domain/errors.js';
import { planRollout } from '../../src/domain/rollout/plan.js';
import {
  autoRevertDue,
  changedWorkers,
  checkRollbackable,
  commonArtifact,
  planRollbackSteps,
  rollbackStrategy,
  taskArtifact,
} from '../../src/domain/rollout/rollback.js';
import { NEW_TASK } from '../../src/domain/rollout/types.js';
import type { ArtifactSpec, Command, CommandStep, ManagerTask, ObservedWorker, RolloutStrategy } from '../../src/domain/types.js';
import { isTerminalCommand } from '../../src/domain/types.js';
import { at, DEFAULT_TEST_STRATEGY, makeCommand, T0 } from '../support/commands.js';

const art = (version: string): ArtifactSpec => ({ name: 'app', version, url: `https://repo.example.com/app-${version}.tar.gz`, sha256: version.replace(/\./g, '').padEnd(64, 'a') });
/** The OC's history of deploys: every version here was deployed by it before. */
const KNOWN = new Map(['1.0.0', '1.1.0', '2.0.0'].map((v) => [v, art(v)]));
const resolveKnown = (_m: string, _n: string, v: string) => KNOWN.get(v) ?? null;

/** An in-memory cluster: what its workers run, and how each reacts to a deploy of a version. */
class Cluster {
  workers: ObservedWorker[];
  /** `${memberId}@${version}` → the worker installs it, then fails to start. */
  failing = new Set<string>();
  now = T0;

  constructor(versions: Record<string, string>) {
    this.workers = Object.entries(versions).map(([memberId, version]) => ({
      id: `worker-${memberId}`,
      clusterId: 'cluster-1',
      memberId,
      host: `${memberId}.example.com`,
      port: 8080,
      state: 'RUNNING',
      startedAt: at(-86_400_000),
      joinedAt: at(-86_400_000),
      stateChangedAt: at(-86_400_000),
      stateChanges: 0,
      artifacts: [{ name: 'app', version, deployedAt: at(-86_400_000).toISOString() }],
      stats: null,
    }));
  }

  versions(): Record<string, string> {
    return Object.fromEntries(this.workers.map((w) => [w.memberId, `${w.state}:${w.artifacts[0]!.version}`]));
  }

  /**
   * Runs a command as the rollout controller would, until it ends: tasks are handed out with
   * their batch's artifact (taskArtifact) and each named worker reacts 5 s later.
   */
  run(command: Command, steps: CommandStep[]) {
    const tasks: ManagerTask[] = [];
    const handedOut: { memberIds: string[]; version: string }[] = [];
    let effects: { at: number; memberId: string; artifact: ArtifactSpec }[] = [];
    const history: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const d = planRollout({ command, steps, workers: this.workers, tasks, managerConnectedSince: T0, now: this.now });
      const taskId = `task-${tasks.length + 1}`;
      if (d.newTask) {
        const artifact = taskArtifact(command, d.newTask.stepIndexes.map((ix) => steps.find((s) => s.index === ix)!))!;
        tasks.push({ id: taskId, commandId: command.id, clusterId: 'cluster-1', action: 'DEPLOY_ARTIFACT', memberIds: d.newTask.memberIds, artifact, operation: null, arguments: null, state: 'PENDING', message: null, result: null, deliveries: 0, createdAt: this.now, updatedAt: this.now });
        handedOut.push({ memberIds: d.newTask.memberIds, version: artifact.version });
        for (const memberId of d.newTask.memberIds) effects.push({ at: this.now.getTime() + 5_000, memberId, artifact });
      }
      for (const u of d.stepUpdates) {
        const s = steps.find((x) => x.index === u.index)!;
        Object.assign(s, { state: u.state, message: u.message }, u.startedAt ? { startedAt: u.startedAt } : {}, u.finishedAt ? { finishedAt: u.finishedAt } : {});
        if (u.taskId) s.taskId = u.taskId === NEW_TASK ? taskId : u.taskId;
        if (u.baseline) s.baseline = u.baseline;
      }
      command = { ...command, ...d.command, wakeAt: d.wakeAt };
      history.push(...d.events.map((e) => e.message));
      if (isTerminalCommand(command.state)) return { command, steps, handedOut, history };
      const next = Math.min(d.wakeAt?.getTime() ?? Number.POSITIVE_INFINITY, ...effects.map((e) => e.at));
      if (!Number.isFinite(next)) throw new Error('the rollout waits for nothing');
      this.now = new Date(next);
      for (const e of effects.filter((x) => x.at <= next)) this.react(e.memberId, e.artifact);
      effects = effects.filter((x) => x.at > next);
    }
    throw new Error('the rollout did not settle');
  }

  private react(memberId: string, artifact: ArtifactSpec) {
    const w = this.workers.find((x) => x.memberId === memberId)!;
    // As the simulator: the artifact is installed while the worker is stopped, then it starts (or fails to).
    w.artifacts = [{ name: artifact.name, version: artifact.version, deployedAt: this.now.toISOString() }];
    w.state = this.failing.has(`${memberId}@${artifact.version}`) ? 'FAILED' : 'RUNNING';
    if (w.state === 'RUNNING') w.startedAt = this.now;
    w.stateChanges += 1;
  }
}

function pendingSteps(commandId: string, memberIds: string[]): CommandStep[] {
  return memberIds.map((memberId, index) => ({ commandId, index, memberId, state: 'PENDING', message: null, taskId: null, startedAt: null, finishedAt: null, baseline: null, artifact: null }));
}

function deploy(version: string, memberIds: string[], strategy: Partial<RolloutStrategy> = {}) {
  const command = makeCommand({ id: `deploy-${version}`, kind: 'DEPLOY', artifact: art(version), strategy: { ...DEFAULT_TEST_STRATEGY, ...strategy } });
  return { command, steps: pendingSteps(command.id, memberIds) };
}

/** The rollback of a finished command, made as the rollback service makes it. */
function rollbackOf(original: Command, steps: CommandStep[], resolve = resolveKnown) {
  checkRollbackable(original, null);
  const plan = planRollbackSteps(changedWorkers(original, steps), resolve);
  const command = makeCommand({ id: `rollback-of-${original.id}`, kind: original.kind, artifact: commonArtifact(plan.steps), strategy: rollbackStrategy(original.strategy), rollbackOf: original.id });
  const rsteps: CommandStep[] = plan.steps.map((s, index) => ({ ...pendingSteps(command.id, [s.memberId])[0]!, index, state: s.state, message: s.message, artifact: s.artifact, finishedAt: s.state === 'SKIPPED' ? T0 : null }));
  return { command, steps: rsteps, plan };
}

const W5 = ['w1', 'w2', 'w3', 'w4', 'w5'];

describe('rollback and auto-revert', () => {
  it('auto-revert after a failed deploy restores exactly the changed workers, each to its old version', () => {
    const cluster = new Cluster({ w1: '1.0.0', w2: '1.0.0', w3: '1.0.0', w4: '1.0.0', w5: '1.0.0' });
    cluster.failing.add('w3@2.0.0');
    const d = deploy('2.0.0', W5, { batchSize: 2, autoRevert: true });
    const failed = cluster.run(d.command, d.steps);
    expect(failed.command.state).toBe('FAILED');
    expect(failed.steps.map((s) => `${s.memberId}:${s.state}`)).toEqual(['w1:SUCCEEDED', 'w2:SUCCEEDED', 'w3:FAILED', 'w4:SUCCEEDED', 'w5:SKIPPED']);
    // Each step that began recorded what its worker ran before.
    expect(failed.steps.map((s) => s.baseline?.previousVersion)).toEqual(['1.0.0', '1.0.0', '1.0.0', '1.0.0', undefined]);

    expect(autoRevertDue(d.command, 'FAILED')).toBe(true);
    const r = rollbackOf(failed.command, failed.steps);
    expect(r.command.strategy).toMatchObject({ batchSize: 2, autoRevert: false, canary: null });
    expect(r.command.artifact).toEqual(art('1.0.0'));
    expect(r.steps.map((s) => `${s.memberId}:${s.state}`)).toEqual(['w1:PENDING', 'w2:PENDING', 'w3:PENDING', 'w4:PENDING']);

    const back = cluster.run(r.command, r.steps);
    expect(back.command.state).toBe('SUCCEEDED');
    expect(back.handedOut).toEqual([
      { memberIds: ['w1', 'w2'], version: '1.0.0' },
      { memberIds: ['w3', 'w4'], version: '1.0.0' },
    ]);
    // The four it changed are back; w5, never touched by the deploy, is not touched by its rollback.
    expect(cluster.versions()).toEqual({ w1: 'RUNNING:1.0.0', w2: 'RUNNING:1.0.0', w3: 'RUNNING:1.0.0', w4: 'RUNNING:1.0.0', w5: 'RUNNING:1.0.0' });
    expect(cluster.workers.find((w) => w.memberId === 'w5')!.stateChanges).toBe(0);
  });

  it('groups the batches by target version: each manager task carries one artifact, batchSize within a group', () => {
    const cluster = new Cluster({ w1: '1.0.0', w2: '1.0.0', w3: '1.1.0', w4: '1.0.0', w5: '1.1.0' });
    const d = deploy('2.0.0', W5, { batchSize: 2 });
    const done = cluster.run(d.command, d.steps);
    expect(done.command.state).toBe('SUCCEEDED');

    const r = rollbackOf(done.command, done.steps);
    // Mixed targets: the command carries none, each step its own.
    expect(r.command.artifact).toBeNull();
    expect(r.steps.map((s) => `${s.memberId}:${s.artifact?.version}`)).toEqual(['w1:1.0.0', 'w2:1.0.0', 'w4:1.0.0', 'w3:1.1.0', 'w5:1.1.0']);
    expect(r.plan.summary).toBe('restoring 5 workers: app 1.0.0 to w1, w2, w4; app 1.1.0 to w3, w5');
    const back = cluster.run(r.command, r.steps);
    expect(back.command.state).toBe('SUCCEEDED');
    expect(back.handedOut).toEqual([
      { memberIds: ['w1', 'w2'], version: '1.0.0' },
      { memberIds: ['w4'], version: '1.0.0' },
      { memberIds: ['w3', 'w5'], version: '1.1.0' },
    ]);
    expect(cluster.versions()).toEqual({ w1: 'RUNNING:1.0.0', w2: 'RUNNING:1.0.0', w3: 'RUNNING:1.1.0', w4: 'RUNNING:1.0.0', w5: 'RUNNING:1.1.0' });
  });

  it('never mixes two targets in one batch, even when the steps alternate', () => {
    const cluster = new Cluster({ w1: '2.0.0', w2: '2.0.0', w3: '2.0.0' });
    const command = makeCommand({ id: 'mixed', kind: 'DEPLOY', artifact: null, strategy: { ...DEFAULT_TEST_STRATEGY, batchSize: 3 } });
    const steps = pendingSteps(command.id, ['w1', 'w2', 'w3']).map((s, i) => ({ ...s, artifact: art(i === 1 ? '1.1.0' : '1.0.0') }));
    const run = cluster.run(command, steps);
    expect(run.command.state).toBe('SUCCEEDED');
    expect(run.handedOut).toEqual([
      { memberIds: ['w1'], version: '1.0.0' },
      { memberIds: ['w2'], version: '1.1.0' },
      { memberIds: ['w3'], version: '1.0.0' },
    ]);
  });

  it('a rollback of a rollback restores again', () => {
    const cluster = new Cluster({ w1: '1.0.0', w2: '1.1.0', w3: '1.0.0' });
    const d = deploy('2.0.0', ['w1', 'w2', 'w3']);
    const done = cluster.run(d.command, d.steps);
    const r1 = rollbackOf(done.command, done.steps);
    const back = cluster.run(r1.command, r1.steps);
    expect(back.command.state).toBe('SUCCEEDED');
    expect(cluster.versions()).toEqual({ w1: 'RUNNING:1.0.0', w2: 'RUNNING:1.1.0', w3: 'RUNNING:1.0.0' });
    // The rollback's own steps recorded 2.0.0 as what each ran before it.
    expect(back.steps.map((s) => s.baseline?.previousVersion)).toEqual(['2.0.0', '2.0.0', '2.0.0']);

    const r2 = rollbackOf(back.command, back.steps);
    expect(r2.command.rollbackOf).toBe(r1.command.id);
    expect(r2.command.artifact).toEqual(art('2.0.0'));
    const again = cluster.run(r2.command, r2.steps);
    expect(again.command.state).toBe('SUCCEEDED');
    expect(cluster.versions()).toEqual({ w1: 'RUNNING:2.0.0', w2: 'RUNNING:2.0.0', w3: 'RUNNING:2.0.0' });
  });

  it('skips, saying why, a worker whose previous artifact the OC never deployed, that had none, or that ran the same version', () => {
    const cluster = new Cluster({ w1: '0.9.0', w2: '1.0.0', w3: '2.0.0', w4: '1.0.0' });
    cluster.workers.find((w) => w.memberId === 'w4')!.artifacts = [];
    const d = deploy('2.0.0', ['w1', 'w2', 'w3', 'w4']);
    const done = cluster.run(d.command, d.steps);
    const r = rollbackOf(done.command, done.steps);
    expect(r.steps.map((s) => [s.memberId, s.state, s.message])).toEqual([
      ['w2', 'PENDING', null],
      ['w1', 'SKIPPED', 'cannot be restored: the OC never deployed app 0.9.0, so its url and sha256 are unknown (deploy it by hand)'],
      ['w3', 'SKIPPED', 'cannot be restored: it already ran app 2.0.0 before'],
      ['w4', 'SKIPPED', 'cannot be restored: it had no app before: there is nothing to go back to'],
    ]);
    expect(r.plan.restored).toBe(1);
    expect(r.plan.summary).toMatch(/^restoring 1 workers: app 1.0.0 to w2; 3 cannot be restored: w1 \(the OC never deployed app 0.9.0/);
    const back = cluster.run(r.command, r.steps);
    expect(back.command.state).toBe('SUCCEEDED');
    expect(back.handedOut).toEqual([{ memberIds: ['w2'], version: '1.0.0' }]);
  });

  it('restores nothing, and says why for each, when no changed worker can be restored', () => {
    const plan = planRollbackSteps(
      [
        { memberId: 'w1', deployed: art('2.0.0'), previous: '0.1.0' },
        { memberId: 'w2', deployed: art('2.0.0'), previous: undefined },
      ],
      resolveKnown,
    );
    expect(plan.restored).toBe(0);
    expect(plan.summary).toBe(
      'none of the 2 workers it changed can be restored: w1 (the OC never deployed app 0.1.0, so its url and sha256 are unknown (deploy it by hand)); w2 (what it ran before was not recorded)',
    );
  });

  it('counts as changed only steps whose task was handed over and that ended SUCCEEDED or FAILED', () => {
    const steps = pendingSteps('c', ['a', 'b', 'c', 'd', 'e']);
    const began = { taskId: 't', startedAt: T0, baseline: { workerId: 'x', state: 'RUNNING' as const, startedAt: null, stateChanges: 0, previousVersion: '1.0.0' } };
    Object.assign(steps[0]!, began, { state: 'SUCCEEDED' });
    Object.assign(steps[1]!, began, { state: 'FAILED' });
    Object.assign(steps[2]!, began, { state: 'SKIPPED' }); // given up (cancelled while unreachable, or left)
    Object.assign(steps[3]!, { state: 'SKIPPED' }); // never started
    const c = makeCommand({ kind: 'DEPLOY', artifact: art('2.0.0') });
    expect(changedWorkers(c, steps).map((w) => w.memberId)).toEqual(['a', 'b']);
  });

  it('refuses a RESTART, a command still active, and a child of a PATCH still active', () => {
    expect(() => checkRollbackable(makeCommand({ kind: 'RESTART', state: 'SUCCEEDED' }), null)).toThrow(ValidationError);
    expect(() => checkRollbackable(makeCommand({ kind: 'OPERATION', state: 'SUCCEEDED' }), null)).toThrow(/only a DEPLOY or a PATCH/);
    expect(() => checkRollbackable(makeCommand({ kind: 'DEPLOY', state: 'RUNNING' }), null)).toThrow(ConflictError);
    const parent = makeCommand({ id: 'p', kind: 'PATCH', state: 'RUNNING' });
    expect(() => checkRollbackable(makeCommand({ kind: 'DEPLOY', state: 'FAILED', parentId: 'p' }), parent)).toThrow(/part of patch p, still RUNNING/);
    for (const state of ['SUCCEEDED', 'FAILED', 'CANCELLED'] as const) expect(() => checkRollbackable(makeCommand({ kind: 'DEPLOY', state }), null)).not.toThrow();
  });

  it('auto-reverts only a failed DEPLOY or PATCH asking for it, and not a PATCH child (its PATCH does)', () => {
    const s = { ...DEFAULT_TEST_STRATEGY, autoRevert: true };
    expect(autoRevertDue(makeCommand({ kind: 'DEPLOY', strategy: s }), 'FAILED')).toBe(true);
    expect(autoRevertDue(makeCommand({ kind: 'PATCH', strategy: s, clusterId: null }), 'FAILED')).toBe(true);
    expect(autoRevertDue(makeCommand({ kind: 'DEPLOY', strategy: s }), 'CANCELLED')).toBe(false);
    expect(autoRevertDue(makeCommand({ kind: 'DEPLOY', strategy: s }), undefined)).toBe(false);
    expect(autoRevertDue(makeCommand({ kind: 'DEPLOY', strategy: DEFAULT_TEST_STRATEGY }), 'FAILED')).toBe(false);
    expect(autoRevertDue(makeCommand({ kind: 'DEPLOY', strategy: s, parentId: 'patch-1' }), 'FAILED')).toBe(false);
  });

  it('runs in the strategy of what it rolls back, without canary or auto-revert', () => {
    const s: RolloutStrategy = { ...DEFAULT_TEST_STRATEGY, batchSize: 3, healthTimeoutMs: 5_000, maxFailures: 1, onFailure: 'PAUSE', canary: 1, autoPromoteAfterMs: 1_000, minHealthyMs: 200, autoRevert: true };
    expect(rollbackStrategy(s)).toEqual({ ...s, canary: null, autoPromoteAfterMs: null, autoRevert: false });
  });
});
