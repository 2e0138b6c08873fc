/**
 * A virtual manager's chaos: RUNNING, idle workers crash at the profile's per-minute odds,
 * checked once per stats interval (it keeps going while the manager is cut off or between sessions).
 */
import type { ManagerCore } from './manager-types.js';
import { crashProbability } from './profiles.js';
import type { Rng } from './random.js';
import type { TimerHandle } from './scheduler.js';

export class Chaos {
  /** True while a chaos crash is being applied (so the worker's change is logged as such). */
  crashing = false;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly m: ManagerCore,
    private readonly rng: Rng,
  ) {}

  /** Start the checks (no-op with zero odds or when already started). */
  start(): void {
    const { profile, scheduler, workers } = this.m;
    if (profile.crashOddsPerMinute <= 0 || this.timer !== null) return;
    const interval = profile.statsIntervalMs;
    const p = crashProbability(profile, interval);
    const tick = () => {
      this.timer = scheduler.setTimeout(tick, interval);
      for (const w of workers.values()) {
        if (w.state === 'RUNNING' && !w.busy && this.rng.chance(p)) {
          this.crashing = true;
          try {
            w.crash();
          } finally {
            this.crashing = false;
          }
        }
      }
    };
    this.timer = scheduler.setTimeout(tick, interval);
  }

  stop(): void {
    if (this.timer !== null) this.m.scheduler.clearTimeout(this.timer);
    this.timer = null;
  }
}
