import { describe, expect, it } from 'vitest';
import { patchChildStrategy } from '../../src/domain/rollout/canary.js';
import { childChange, type PatchDecision, planPatch } from '../../src/domain/rollout/patch.js';
import type { Command, CommandState } from '../../src/domain/types.js';
import { isTerminalCommand } from '../../src/domain/types.js';
import { at, makeCommand as baseCommand, DEFAULT_TEST_STRATEGY, T0 } from '../support/commands.js';

// A PATCH parent and its DEPLOY children, in memory. The test plays the children (they
// succeed, fail, pause...) and applies the parent's decisions as the controller would.

const makeCommand = (over: Partial<Command>): Command =>
  baseCommand({
    kind: 'DEPLOY',
    clusterId: null,
    artifact: { name: 'app', version: '2.0.0', url: 'https://repo.example.com/app.tgz', sha256: 'b'.repeat(64) },
    ...over,
  });

class PatchSim {
  parent: Command;
  children: Command[];
  now = T0;
  history: string[] = [];
  /** Most children ever active (RUNNING or PAUSED) at once. */
  maxActive = 0;
  /** Children in the order they were started. */
  started: string[] = [];

  constructor(clusters: number, maxParallelClusters: number | null = null) {
    this.parent = makeCommand({ id: 'patch', kind: 'PATCH', maxParallelClusters, kinds: ['AS'] });
    this.children = Array.from({ length: clusters }, (_, i) =>
      makeCommand({ id: `c${i + 1}`, clusterId: `cluster-${i + 1}`, parentId: 'patch', createdAt: at(i) }),
    );
  }

  plan(): PatchDecision {
    return planPatch(structuredClone({ parent: this.parent, children: this.children, now: this.now }));
  }

  /** Plans, applies, and checks that planning again right away changes nothing. */
  tick(): PatchDecision {
    const d = this.plan();
    this.apply(d);
    expect(this.plan(), 'planning again after applying must change nothing').toEqual(nothing());
    return d;
  }

  apply(d: PatchDecision): void {
    for (const id of d.startChildIds) {
      this.update(id, { state: 'RUNNING', startedAt: this.now });
      this.started.push(id);
    }
    for (const id of d.cancelChildIds) this.update(id, { state: 'CANCELLED', finishedAt: this.now });
    for (const id of d.pauseChildIds) this.update(id, { pauseRequested: true });
    for (const id of d.cancelRequestChildIds) this.update(id, { cancelRequested: true });
    this.parent = { ...this.parent, ...d.command, ...(d.hold !== undefined ? { hold: d.hold } : {}) };
    this.history.push(...d.events.map((e) => e.message));
    this.maxActive = Math.max(this.maxActive, this.children.filter((c) => ['RUNNING', 'PAUSED'].includes(c.state)).length);
  }

  update(id: string, patch: Partial<Command>): void {
    this.children = this.children.map((c) => (c.id === id ? { ...c, ...patch } : c));
  }

  /** A child's own rollout moves on (what planRollout would have done). */
  child(id: string, state: CommandState, extra: Partial<Command> = {}): void {
    this.update(id, { state, ...(isTerminalCommand(state) ? { finishedAt: this.now } : {}), ...extra });
  }

  state(): string[] {
    return this.children.map((c) => `${c.id}:${c.state}`);
  }
}

function nothing(): PatchDecision {
  return { command: {}, startChildIds: [], cancelChildIds: [], pauseChildIds: [], cancelRequestChildIds: [], events: [] };
}

describe('planPatch', () => {
  it('starts a PENDING parent: RUNNING, startedAt now, and its first child', () => {
    const sim = new PatchSim(3);
    const d = sim.tick();
    expect(d.command).toEqual({ state: 'RUNNING', startedAt: T0 });
    expect(d.startChildIds).toEqual(['c1']);
    expect(d.events.map((e) => e.message)).toEqual(['started', 'child c1 (cluster cluster-1) started']);
  });

  it('succeeds at once with no children (no matching cluster)', () => {
    const sim = new PatchSim(0);
    sim.tick();
    expect(sim.parent).toMatchObject({ state: 'SUCCEEDED', finishedAt: T0 });
  });

  it('does nothing once it is over', () => {
    const sim = new PatchSim(2);
    sim.parent.state = 'FAILED';
    sim.parent.cancelRequested = true;
    expect(sim.plan()).toEqual(nothing());
  });

  it('with maxParallelClusters null runs one child at a time, in order, and succeeds when all did', () => {
    const sim = new PatchSim(3);
    for (const id of ['c1', 'c2', 'c3']) {
      sim.tick();
      expect(sim.children.find((c) => c.id === id)!.state).toBe('RUNNING');
      sim.now = at(sim.now.getTime() - T0.getTime() + 1_000);
      sim.child(id, 'SUCCEEDED');
    }
    sim.tick();
    expect(sim.started).toEqual(['c1', 'c2', 'c3']);
    expect(sim.maxActive).toBe(1);
    expect(sim.parent).toMatchObject({ state: 'SUCCEEDED', message: '3 succeeded, 0 failed, 0 cancelled' });
  });

  it('with maxParallelClusters 2 keeps two children active and starts the next as one finishes', () => {
    const sim = new PatchSim(5, 2);
    expect(sim.tick().startChildIds).toEqual(['c1', 'c2']);
    sim.child('c2', 'SUCCEEDED');
    expect(sim.tick().startChildIds).toEqual(['c3']);
    expect(sim.tick().startChildIds).toEqual([]);
    sim.child('c1', 'SUCCEEDED');
    sim.child('c3', 'SUCCEEDED');
    expect(sim.tick().startChildIds).toEqual(['c4', 'c5']);
    sim.child('c4', 'SUCCEEDED');
    sim.child('c5', 'SUCCEEDED');
    sim.tick();
    expect(sim.maxActive).toBe(2);
    expect(sim.parent.state).toBe('SUCCEEDED');
  });

  it('counts a PAUSED child as active: it holds its slot', () => {
    const sim = new PatchSim(3, 1);
    sim.tick();
    sim.child('c1', 'PAUSED', { message: 'paused: 1 failed workers exceed maxFailures 0' });
    expect(sim.tick().startChildIds).toEqual([]);
    expect(sim.parent.state).toBe('RUNNING');
  });

  it('a failed child cancels the children not started and fails the parent once the active ones finish', () => {
    const sim = new PatchSim(5, 2);
    sim.tick(); // c1, c2 running
    sim.child('c1', 'FAILED');
    const d = sim.tick();
    expect(d.startChildIds).toEqual([]);
    expect(d.cancelChildIds).toEqual(['c3', 'c4', 'c5']);
    expect(sim.state()).toEqual(['c1:FAILED', 'c2:RUNNING', 'c3:CANCELLED', 'c4:CANCELLED', 'c5:CANCELLED']);
    expect(sim.parent.state).toBe('RUNNING'); // c2 is still in flight

    sim.child('c2', 'SUCCEEDED');
    sim.tick();
    expect(sim.parent).toMatchObject({ state: 'FAILED', message: 'failed: 1 succeeded, 1 failed, 3 cancelled' });
    expect(sim.started).toEqual(['c1', 'c2']);
  });

  it('a pause requested while a child has failed still reaches the children in flight', () => {
    const sim = new PatchSim(4, 2);
    sim.tick();
    sim.child('c1', 'FAILED');
    sim.parent.pauseRequested = true;
    const d = sim.tick();
    expect(d.cancelChildIds).toEqual(['c3', 'c4']);
    expect(d.pauseChildIds).toEqual(['c2']);
    sim.child('c2', 'SUCCEEDED');
    sim.tick();
    expect(sim.parent).toMatchObject({ state: 'FAILED', pauseRequested: false });
  });

  it('pause is passed to RUNNING children, no child starts, and the parent is PAUSED once none runs', () => {
    const sim = new PatchSim(4, 2);
    sim.tick(); // c1, c2 running
    sim.parent.pauseRequested = true;
    sim.child('c1', 'SUCCEEDED'); // a slot frees up, but no child may start now
    let d = sim.tick();
    expect(d.pauseChildIds).toEqual(['c2']);
    expect(d.startChildIds).toEqual([]);
    expect(sim.parent.state).toBe('RUNNING');

    sim.child('c2', 'PAUSED', { pauseRequested: false, message: 'paused' }); // its batch in flight finished
    d = sim.tick();
    expect(d.command).toEqual({ state: 'PAUSED', message: 'paused', pauseRequested: false });

    // Held: nothing starts however long it waits.
    sim.now = at(3_600_000);
    expect(sim.plan()).toEqual(nothing());

    // Resume: the service sets the parent RUNNING and resumes its paused children.
    sim.parent.state = 'RUNNING';
    sim.child('c2', 'RUNNING');
    d = sim.tick();
    expect(d.command).toEqual({ message: null });
    expect(d.startChildIds).toEqual(['c3']);
  });

  it('cancel: PENDING children CANCELLED, active ones asked to cancel, the parent CANCELLED when all are through', () => {
    const sim = new PatchSim(4, 2);
    sim.tick(); // c1, c2 running
    sim.child('c2', 'PAUSED');
    sim.parent.cancelRequested = true;
    const d = sim.tick();
    expect(d.cancelChildIds).toEqual(['c3', 'c4']);
    expect(d.cancelRequestChildIds).toEqual(['c1', 'c2']);
    expect(sim.parent.state).toBe('RUNNING');

    sim.child('c1', 'CANCELLED');
    sim.child('c2', 'CANCELLED');
    sim.tick();
    expect(sim.parent).toMatchObject({ state: 'CANCELLED', cancelRequested: false, finishedAt: T0 });
  });

  it('cancel of a PAUSED parent passes the cancel to its paused children and ends CANCELLED', () => {
    const sim = new PatchSim(3, 1);
    sim.tick();
    sim.parent.pauseRequested = true;
    sim.tick();
    sim.child('c1', 'PAUSED');
    sim.tick();
    expect(sim.parent.state).toBe('PAUSED');

    sim.parent.cancelRequested = true;
    const d = sim.tick();
    expect(d.cancelRequestChildIds).toEqual(['c1']);
    expect(d.cancelChildIds).toEqual(['c2', 'c3']);
    sim.child('c1', 'CANCELLED'); // a paused rollout cancels at once
    sim.tick();
    expect(sim.parent).toMatchObject({ state: 'CANCELLED', pauseRequested: false, cancelRequested: false });
  });

  it('cancel of a parent that never started cancels every child', () => {
    const sim = new PatchSim(2);
    sim.parent.cancelRequested = true;
    const d = sim.tick();
    expect(d.startChildIds).toEqual([]);
    expect(d.cancelChildIds).toEqual(['c1', 'c2']);
    expect(sim.parent.state).toBe('CANCELLED');
  });

  it('a child cancelled on its own does not stop the others, but the patch ends FAILED as incomplete', () => {
    const sim = new PatchSim(3);
    sim.tick();
    sim.child('c1', 'CANCELLED');
    expect(sim.tick().startChildIds).toEqual(['c2']);
    sim.child('c2', 'SUCCEEDED');
    sim.tick();
    sim.child('c3', 'SUCCEEDED');
    sim.tick();
    expect(sim.parent).toMatchObject({ state: 'FAILED', message: 'incomplete: 2 succeeded, 0 failed, 1 cancelled' });
  });
});

describe('planPatch: holds and what becomes of its children', () => {
  it('holds OPERATOR once paused, naming who asked; a resumed parent holds nothing', () => {
    const sim = new PatchSim(2, 2);
    sim.tick();
    Object.assign(sim.parent, { pauseRequested: true, pauseRequestedBy: 'ops-alice' });
    sim.child('c1', 'PAUSED');
    sim.child('c2', 'PAUSED');
    sim.now = at(5_000);
    expect(sim.tick().hold).toEqual({ reason: 'OPERATOR', since: at(5_000), by: 'ops-alice' });
    sim.parent.state = 'RUNNING';
    expect(sim.tick().hold).toBeNull();
  });

  it('passes who paused the patch on to the children it pauses', () => {
    expect(childChange('pause', { id: 'patch', pauseRequestedBy: 'ops-alice' }, { state: 'RUNNING' }, T0).command).toEqual({ pauseRequested: true, pauseRequestedBy: 'ops-alice' });
  });

  it('a child cancelled before it started ends CANCELLED with only its PENDING steps SKIPPED', () => {
    const steps = [
      { index: 0, state: 'PENDING' as const },
      { index: 1, state: 'SKIPPED' as const },
      { index: 2, state: 'PENDING' as const },
    ];
    const change = childChange('cancel', { id: 'patch', pauseRequestedBy: null }, { state: 'PENDING' }, T0, steps);
    expect(change.command).toMatchObject({ state: 'CANCELLED', finishedAt: T0, message: 'cancelled: the patch stopped before this cluster started' });
    expect(change.steps).toEqual([
      { index: 0, state: 'SKIPPED', message: 'patch stopped', finishedAt: T0 },
      { index: 2, state: 'SKIPPED', message: 'patch stopped', finishedAt: T0 },
    ]);
  });

  it('holds CANARY (RUNNING) while a child waits for its canary to be promoted, and lifts it once none waits', () => {
    const sim = new PatchSim(3, 1);
    sim.tick();
    sim.now = at(5_000);
    sim.child('c1', 'PAUSED', { hold: { reason: 'CANARY', since: at(5_000), by: null } });
    const d = sim.tick();
    expect(d.hold).toEqual({ reason: 'CANARY', since: at(5_000), by: null });
    expect(d.startChildIds).toEqual([]); // the held child keeps its slot: nothing else starts
    expect(sim.parent.state).toBe('RUNNING');
    expect(sim.history).toContain('waiting: canary of child c1 (cluster cluster-1) to be promoted');
    sim.now = at(9_000);
    sim.child('c1', 'RUNNING', { hold: null, promotedAt: at(9_000) }); // promoted
    expect(sim.tick().hold).toBeNull();
    expect(sim.history.at(-1)).toBe('no canary waits any more: continuing');
    sim.child('c1', 'SUCCEEDED');
    expect(sim.tick().startChildIds).toEqual(['c2']);
  });

  it('a failed child cancels the children still waiting for their canary', () => {
    const sim = new PatchSim(3, 2);
    sim.tick();
    sim.child('c1', 'PAUSED', { hold: { reason: 'CANARY', since: T0, by: null } });
    sim.tick();
    sim.child('c2', 'FAILED');
    const d = sim.tick();
    expect(d.cancelRequestChildIds).toEqual(['c1']);
    expect(d.cancelChildIds).toEqual(['c3']);
    expect(sim.parent.hold).toBeNull();
  });

  it('gives the canary to the children of the first wave only', () => {
    const strategy = { ...DEFAULT_TEST_STRATEGY, canary: 2, autoPromoteAfterMs: 1_000 };
    expect([0, 1, 2, 3].map((i) => patchChildStrategy(strategy, i, 2).canary)).toEqual([2, 2, null, null]);
    expect(patchChildStrategy(strategy, 2, 2).autoPromoteAfterMs).toBeNull();
    expect(patchChildStrategy(DEFAULT_TEST_STRATEGY, 0, 1)).toBe(DEFAULT_TEST_STRATEGY);
  });
});
