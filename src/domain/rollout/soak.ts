/**
 * Soak time (`minHealthyMs`, like Kubernetes' minReadySeconds and Nomad's min_healthy_time):
 * once a step's proof is seen (kinds.ts: its worker RUNNING as a new process, with the new
 * version for a DEPLOY) the worker must stay RUNNING as that same process this long before the
 * step SUCCEEDS; a crash in that window FAILS it. The window is the OC's own observation: it
 * starts when the OC saw the worker RUNNING (its receive time, `stateChangedAt`) or, when the
 * manager reported the new process without a change of state, when the OC first saw the proof;
 * it runs only while the manager is connected and starts again when it reconnects (as a
 * health timeout does). A canary waiting to be promoted is watched the same way (canary.ts).
 */
import type { ProvenHealth } from '../types.js';
import type { RolloutWorker } from './types.js';

/** What the step records of its worker when the OC first sees its proof (`StepBaseline.proven`). */
export function provenOf(worker: RolloutWorker, stepStart: Date, now: Date): ProvenHealth {
  // stateChangedAt is the OC's receive time of the worker's last change of state: after the step
  // began, that was its coming back RUNNING. A restart reported without a change of state (a
  // new startedAt only) has no such time: the OC saw it now.
  const sawRunning = worker.stateChangedAt > stepStart && worker.stateChangedAt <= now ? worker.stateChangedAt : now;
  return { at: sawRunning, workerId: worker.id, startedAt: worker.startedAt, stateChanges: worker.stateChanges };
}

/**
 * What broke a proven worker since its proof, or null while it is still the same process,
 * RUNNING: a worker that is no longer RUNNING, that left RUNNING and came back (the OC counted a
 * change of state), that runs a new process (another startedAt), or that left and joined again.
 */
export function crashSince(p: ProvenHealth, w: RolloutWorker): string | null {
  if (w.id !== p.workerId) return 'worker left and joined again';
  if (w.state !== 'RUNNING') return `worker reported ${w.state}`;
  if (w.stateChanges !== p.stateChanges) return 'worker left RUNNING and came back';
  if ((w.startedAt?.getTime() ?? null) !== (p.startedAt?.getTime() ?? null)) return 'worker restarted (a new process)';
  return null;
}

export type SoakVerdict = { state: 'SUCCEEDED' | 'FAILED'; message: string | null } | { state: 'RUNNING'; deadline: Date | null };

/** When a soak that began at `from` ends: counted from the later of `from` and the manager's reconnect. */
export function soakEnd(from: Date, managerConnectedSince: Date, minHealthyMs: number): Date {
  const start = managerConnectedSince > from ? managerConnectedSince : from;
  return new Date(start.getTime() + minHealthyMs);
}

/** Judges a step in its soak: FAILED on a crash, SUCCEEDED once the window is through, else RUNNING until its end. */
export function judgeSoak(p: ProvenHealth, worker: RolloutWorker, minHealthyMs: number, managerConnectedSince: Date | null, now: Date): SoakVerdict {
  const crash = crashSince(p, worker);
  if (crash !== null) return { state: 'FAILED', message: `crashed within minHealthyMs ${minHealthyMs} ms: ${crash}` };
  // Nobody can tell whether it stays up while the manager is away: the window waits for it.
  if (managerConnectedSince === null) return { state: 'RUNNING', deadline: null };
  const end = soakEnd(p.at, managerConnectedSince, minHealthyMs);
  return now >= end ? { state: 'SUCCEEDED', message: null } : { state: 'RUNNING', deadline: end };
}
