/**
 * What a virtual manager measures of the rollouts it serves: workers down now, the most down at
 * once while a RESTART/DEPLOY task was in hand, the most task-driven restarts in flight at once.
 */
import type { RolloutFigures } from './manager-types.js';
import type { WorkerState } from './worker.js';

export class FigureKeeper {
  readonly figures: RolloutFigures = { downNow: 0, maxDownDuringTasks: 0, maxRestartsInFlight: 0 };
  /** RESTART_WORKERS / DEPLOY_ARTIFACT tasks being executed. */
  activeRolloutTasks = 0;
  /** Worker restarts asked for by tasks and not ended. */
  restartsInFlight = 0;

  /** A worker moved from one state to another. */
  workerMoved(from: WorkerState, to: WorkerState): void {
    if (from === 'RUNNING' && to !== 'RUNNING') this.figures.downNow++;
    else if (from !== 'RUNNING' && to === 'RUNNING') this.figures.downNow--;
  }

  /** Raise the maxima to what is true now. */
  note(): void {
    const f = this.figures;
    if (this.activeRolloutTasks > 0 && f.downNow > f.maxDownDuringTasks) f.maxDownDuringTasks = f.downNow;
    if (this.restartsInFlight > f.maxRestartsInFlight) f.maxRestartsInFlight = this.restartsInFlight;
  }

  /** Clears the maxima (e.g. between two rollouts in one test). */
  reset(): void {
    this.figures.maxDownDuringTasks = this.activeRolloutTasks > 0 ? this.figures.downNow : 0;
    this.figures.maxRestartsInFlight = this.restartsInFlight;
  }
}
