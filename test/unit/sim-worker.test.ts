import { describe, expect, it } from 'vitest';
import { getProfile, KIND_TRAITS, type Profile } from '../../simulator/profiles.js';
import { Rng } from '../../simulator/random.js';
import { VirtualScheduler } from '../../simulator/scheduler.js';
import {
  type ChangeCause,
  type RestartOutcome,
  sampleWorkerStats,
  VirtualWorker,
  type WorkerHost,
  type WorkerState,
} from '../../simulator/worker.js';

interface Change {
  at: number;
  member: string;
  from: WorkerState;
  to: WorkerState;
  cause: ChangeCause;
}

function setup(opts: { seed?: number; profile?: Profile; workers?: number; state?: WorkerState } = {}) {
  const scheduler = new VirtualScheduler();
  const t0 = scheduler.now();
  const changes: Change[] = [];
  const host: WorkerHost = {
    scheduler,
    profile: opts.profile ?? getProfile('fast'),
    workerChanged(worker, from, cause) {
      changes.push({ at: scheduler.now() - t0, member: worker.memberId, from, to: worker.state, cause });
    },
  };
  const artifacts = [{ name: 'storefront.war', version: '1.0.0', deployedAt: t0 - 86_400_000 }];
  const workers = Array.from({ length: opts.workers ?? 1 }, (_, i) => {
    const memberId = `as-1-w0${i + 1}`;
    return new VirtualWorker(host, {
      memberId,
      host: `${memberId}.sim.local`,
      port: 8080,
      state: opts.state ?? 'RUNNING',
      startedAt: t0 - 3_600_000,
      artifacts,
      rng: Rng.derive(opts.seed ?? 7, 'worker', 'as-1', memberId),
    });
  });
  return { scheduler, t0, changes, host, workers, worker: workers[0]! };
}

/** Tracks a promise without awaiting it, so tests can ask whether it has settled in virtual time. */
function track<T>(promise: Promise<T>) {
  const box: { settled: boolean; value?: T } = { settled: false };
  void promise.then((value) => {
    box.settled = true;
    box.value = value;
  });
  return box;
}

describe('virtual worker', () => {
  it('restarts RUNNING → STOPPING → STOPPED → STARTING → RUNNING with a new startedAt', async () => {
    const { scheduler, worker, changes } = setup();
    const before = worker.startedAt!;
    const restart = track(worker.restart());
    expect(worker.state).toBe('STOPPING');
    await scheduler.runUntilIdle();
    expect(restart.value).toMatchObject({ ok: true, state: 'RUNNING' });
    expect(changes.map((c) => c.to)).toEqual(['STOPPING', 'STOPPED', 'STARTING', 'RUNNING']);
    expect(worker.startedAt).toBeGreaterThan(before);
    expect(worker.startedAt).toBe(scheduler.now() - (changes[3]!.at - changes[2]!.at));
    expect(worker.restarts).toBe(1);
  });

  it('installs the deployed artifact version while stopped, before it starts again', async () => {
    const { scheduler, worker, changes } = setup();
    const versions: string[] = [];
    const original = changes.push.bind(changes);
    changes.push = (...items: Change[]) => {
      versions.push(worker.artifacts[0]!.version);
      return original(...items);
    };
    const deploy = track(worker.restart({ artifact: { name: 'storefront.war', version: '1.1.0' } }));
    await scheduler.runUntilIdle();
    expect(deploy.value?.ok).toBe(true);
    // STOPPING and STOPPED still carry 1.0.0; STARTING already carries 1.1.0.
    expect(versions).toEqual(['1.0.0', '1.0.0', '1.1.0', '1.1.0']);
    expect(worker.artifacts).toHaveLength(1);
    expect(worker.artifacts[0]).toMatchObject({ name: 'storefront.war', version: '1.1.0', deployedAt: worker.startedAt });
    expect(changes.every((c) => c.cause === 'deploy')).toBe(true);
  });

  it('starts a STOPPED or FAILED worker straight away, without stopping it first', async () => {
    for (const state of ['STOPPED', 'FAILED'] as const) {
      const { scheduler, worker, changes } = setup({ state });
      const restart = track(worker.restart());
      await scheduler.runUntilIdle();
      expect(restart.value?.ok).toBe(true);
      expect(changes.map((c) => c.to)).toEqual(['STARTING', 'RUNNING']);
    }
  });

  it('replays the identical timeline for the same seed, and a different one for another seed', async () => {
    async function timeline(seed: number) {
      const { scheduler, workers, changes } = setup({ seed, workers: 5 });
      for (const w of workers) void w.restart();
      await scheduler.runUntilIdle();
      return changes.map((c) => `${c.at} ${c.member} ${c.to}`);
    }
    const first = await timeline(42);
    expect(first).toHaveLength(20);
    expect(await timeline(42)).toEqual(first);
    expect(await timeline(43)).not.toEqual(first);
  });

  it('stays STOPPED when armed to never come back, until the next restart takes over', async () => {
    const { scheduler, worker } = setup();
    worker.arm({ kind: 'never-come-back' });
    const stuck = track(worker.restart());
    await scheduler.runUntilIdle();
    expect(worker.state).toBe('STOPPED');
    expect(stuck.settled).toBe(false);
    expect(scheduler.pending).toBe(0);

    const next = track(worker.restart());
    await scheduler.runUntilIdle();
    expect(stuck.value).toMatchObject({ ok: false, reason: 'did not come back before the next restart' });
    expect(next.value?.ok).toBe(true);
    expect(worker.state).toBe('RUNNING');
  });

  it('can be armed to never come back and end FAILED instead', async () => {
    const { scheduler, worker, changes } = setup();
    worker.arm({ kind: 'never-come-back', state: 'FAILED' });
    void worker.restart();
    await scheduler.runUntilIdle();
    expect(changes.map((c) => c.to)).toEqual(['STOPPING', 'STOPPED', 'FAILED']);
  });

  it('boots for exactly the slow-boot duration when armed, then normally again', async () => {
    const { scheduler, worker, changes } = setup();
    worker.arm({ kind: 'slow-boot', durationMs: 5_000 });
    void worker.restart();
    await scheduler.runUntilIdle();
    const boot = (i: number) => changes[i + 1]!.at - changes[i]!.at;
    expect(changes[2]!.to).toBe('STARTING');
    expect(boot(2)).toBe(5_000);
    changes.length = 0;
    void worker.restart();
    await scheduler.runUntilIdle();
    expect(boot(2)).toBeLessThanOrEqual(30);
  });

  it('ends FAILED when armed to fail to start, and says why', async () => {
    const { scheduler, worker, changes } = setup();
    worker.arm({ kind: 'fail-start' });
    const restart = track(worker.restart());
    await scheduler.runUntilIdle();
    expect(changes.map((c) => c.to)).toEqual(['STOPPING', 'STOPPED', 'STARTING', 'FAILED']);
    expect(restart.value).toEqual({ ok: false, state: 'FAILED', reason: 'failed to start' });
  });

  it('crashes a RUNNING worker at once, and a restarting one as soon as it is RUNNING', async () => {
    const { scheduler, workers, changes } = setup({ workers: 2 });
    const [idle, restarting] = workers as [VirtualWorker, VirtualWorker];
    idle.arm({ kind: 'crash' });
    expect(idle.state).toBe('FAILED');
    expect(idle.crashes).toBe(1);

    const restart = track(restarting.restart());
    restarting.arm({ kind: 'crash' });
    expect(restarting.state).toBe('STOPPING');
    await scheduler.runUntilIdle();
    const seen = changes.filter((c) => c.member === restarting.memberId).map((c) => c.to);
    expect(seen).toEqual(['STOPPING', 'STOPPED', 'STARTING', 'RUNNING', 'FAILED']);
    expect(restart.value?.ok).toBe(true);
    expect(restarting.state).toBe('FAILED');
  });

  it('runs a restart asked during a restart after it, each with its own new startedAt', async () => {
    const { scheduler, worker, changes } = setup();
    const first = track(worker.restart());
    await scheduler.advanceAsync(1);
    const second = track(worker.restart({ artifact: { name: 'storefront.war', version: '2.0.0' } }));
    await scheduler.runUntilIdle();
    expect(first.value?.ok).toBe(true);
    expect(second.value?.ok).toBe(true);
    const starts = (first.value as Extract<RestartOutcome, { ok: true }>).startedAt;
    expect((second.value as Extract<RestartOutcome, { ok: true }>).startedAt).toBeGreaterThan(starts);
    expect(changes.map((c) => c.to)).toEqual([
      'STOPPING', 'STOPPED', 'STARTING', 'RUNNING',
      'STOPPING', 'STOPPED', 'STARTING', 'RUNNING',
    ]);
    expect(worker.artifacts[0]!.version).toBe('2.0.0');
    expect(worker.restarts).toBe(2);
  });

  it('is brought back by its supervisor after a crash when the profile says so', async () => {
    const { scheduler, worker, changes } = setup({ profile: getProfile('fast', { crashRecoveryMs: 1_000 }) });
    worker.crash();
    await scheduler.runUntilIdle();
    expect(changes.map((c) => `${c.to}:${c.cause}`)).toEqual(['FAILED:crash', 'STARTING:recovery', 'RUNNING:recovery']);
    expect(changes[1]!.at).toBe(1_000);
    expect(worker.restarts).toBe(0);
  });

  it('lets a task restart take over from a pending crash recovery', async () => {
    const { scheduler, worker, changes } = setup({ profile: getProfile('fast', { crashRecoveryMs: 60_000 }) });
    worker.crash();
    const restart = track(worker.restart());
    const elapsed = await scheduler.runUntilIdle();
    expect(restart.value?.ok).toBe(true);
    expect(elapsed).toBeLessThan(1_000);
    expect(changes.map((c) => c.to)).toEqual(['FAILED', 'STARTING', 'RUNNING']);
  });

  it('boots a joining worker from STOPPED without counting a restart', async () => {
    const { scheduler, worker, changes } = setup({ state: 'STOPPED' });
    worker.boot();
    await scheduler.runUntilIdle();
    expect(changes.map((c) => `${c.to}:${c.cause}`)).toEqual(['STARTING:join', 'RUNNING:join']);
    expect(worker.restarts).toBe(0);
  });

  it('holds no timer unless it is between states', async () => {
    const { scheduler, workers } = setup({ workers: 50 });
    expect(scheduler.pending).toBe(0);
    void workers[3]!.restart();
    expect(scheduler.pending).toBe(1);
    await scheduler.runUntilIdle();
    expect(scheduler.pending).toBe(0);
  });

  it('answers pending restarts when it leaves, and refuses new ones', async () => {
    const { scheduler, worker } = setup();
    const pending = track(worker.restart());
    worker.dispose();
    await scheduler.runUntilIdle();
    expect(pending.value).toMatchObject({ ok: false, reason: 'worker has left the cluster' });
    expect(await worker.restart()).toMatchObject({ ok: false });
    expect(scheduler.pending).toBe(0);
  });

  it('reports its API WorkerInput with ISO timestamps', () => {
    const { worker, t0 } = setup();
    expect(worker.toInput()).toEqual({
      memberId: 'as-1-w01',
      host: 'as-1-w01.sim.local',
      port: 8080,
      state: 'RUNNING',
      startedAt: new Date(t0 - 3_600_000).toISOString(),
      artifacts: [{ name: 'storefront.war', version: '1.0.0', deployedAt: new Date(t0 - 86_400_000).toISOString() }],
    });
  });
});

describe('worker stats', () => {
  const traits = KIND_TRAITS['AS']!;

  it('serve no requests unless RUNNING', async () => {
    const { scheduler, worker, host } = setup();
    const rng = new Rng(1);
    void worker.restart();
    const seen: number[] = [];
    while (worker.state !== 'RUNNING' || seen.length === 0) {
      seen.push(sampleWorkerStats(worker, scheduler.now(), host.profile, traits, 100, rng).requestsPerSec);
      await scheduler.advanceAsync(1);
      if (worker.state === 'RUNNING') break;
    }
    expect(seen.every((rps) => rps === 0)).toBe(true);
  });

  it('show a warm-up after a restart: more cpu and errors, less memory, than once warm', () => {
    const { scheduler, worker, host } = setup();
    worker.startedAt = scheduler.now();
    const rng = new Rng(1);
    const average = (f: () => { cpuPercent: number; memoryMb: number; errorsPerSec: number }) => {
      const samples = Array.from({ length: 200 }, f);
      const mean = (k: 'cpuPercent' | 'memoryMb' | 'errorsPerSec') => samples.reduce((s, x) => s + x[k], 0) / samples.length;
      return { cpu: mean('cpuPercent'), mem: mean('memoryMb'), errors: mean('errorsPerSec') };
    };
    const cold = average(() => sampleWorkerStats(worker, scheduler.now(), host.profile, traits, 100, rng));
    const warm = average(() => sampleWorkerStats(worker, scheduler.now() + host.profile.warmupMs, host.profile, traits, 100, rng));
    expect(cold.cpu).toBeGreaterThan(warm.cpu + 10);
    expect(cold.errors).toBeGreaterThan(warm.errors * 3);
    expect(cold.mem).toBeLessThan(warm.mem - 500);
  });

  it('are all zero for a FAILED worker', () => {
    const { scheduler, worker, host } = setup({ state: 'FAILED' });
    const s = sampleWorkerStats(worker, scheduler.now(), host.profile, traits, 100, new Rng(1));
    expect(s).toMatchObject({ cpuPercent: 0, memoryMb: 0, requestsPerSec: 0, errorsPerSec: 0 });
  });
});
