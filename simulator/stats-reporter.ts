/**
 * A virtual manager's stats: one reportStats per stats interval, one sample per worker, the
 * cluster's traffic (swinging around its base over a quarter hour) shared among RUNNING workers by warmth.
 */
import { OcError } from './oc-client.js';
import type { ManagerCore, Session } from './manager-types.js';
import type { KindTraits } from './profiles.js';
import type { Rng } from './random.js';
import { type StatsSample, sampleWorkerStats, warmth } from './worker-stats.js';

/** Cluster traffic swings ±LOAD_SWING around its base over LOAD_PERIOD_MS. */
const LOAD_SWING = 0.25;
const LOAD_PERIOD_MS = 15 * 60_000;

export class StatsReporter {
  sent = 0;
  errors = 0;
  /** No report before this time (the scheduler's ms): the OC may still be working on one that timed out. */
  private quietUntil = 0;

  constructor(
    private readonly m: ManagerCore,
    private readonly traits: KindTraits,
    private readonly rng: Rng,
    /** Where in the traffic swing this cluster starts (0..1). */
    private readonly loadPhase: number,
    /** The cluster's size at start: its base traffic. */
    private readonly nominalSize: number,
  ) {}

  /** Report now and every stats interval while session `s` lasts. */
  tick(s: Session): void {
    const m = this.m;
    if (m.currentSession !== s) return;
    s.statsTimer = m.scheduler.setTimeout(() => this.tick(s), m.profile.statsIntervalMs);
    if (s.statsInflight || m.scheduler.now() < this.quietUntil) return;
    const samples = this.sample(m.scheduler.now());
    if (samples.length === 0) return;
    s.statsInflight = true;
    const sentAt = m.scheduler.now();
    m.call(s, (token) => m.transport.reportStats(token, samples)).then(
      (res) => {
        s.statsInflight = false;
        if (res.ok) {
          this.sent++;
        } else {
          this.errors++;
          if (this.errors === 1 || this.errors % 100 === 0) {
            m.log('warn', `reportStats refused: ${res.error.code} ${res.error.message} (${this.errors} so far)`);
          }
        }
      },
      (err: unknown) => {
        s.statsInflight = false;
        this.errors++;
        // A report that timed out is one the OC may still be working on (behind, it answers late, not
        // never): sending the next on top of it only deepens its queue. Skip the ticks of as long again.
        if (err instanceof OcError && err.timedOut) this.quietUntil = m.scheduler.now() + (m.scheduler.now() - sentAt);
        // A refused report (OVERLOADED) did nothing: this sample is dropped, and none is sent before the OC said to come back.
        if (err instanceof OcError && err.kind === 'overloaded') this.quietUntil = m.scheduler.now() + err.retryAfterMs;
        if (m.currentSession === s && err instanceof OcError && err.kind === 'auth') m.sessionLost(`reportStats: ${err.message}`);
      },
    );
  }

  /** One sample per worker: the cluster's traffic shared among RUNNING workers, by warmth. */
  sample(now: number): StatsSample[] {
    const { profile, workers } = this.m;
    const load = 1 + LOAD_SWING * Math.sin(2 * Math.PI * (now / LOAD_PERIOD_MS + this.loadPhase));
    const demand = this.traits.baseRps * this.nominalSize * load;
    let totalWeight = 0;
    for (const w of workers.values()) if (w.state === 'RUNNING') totalWeight += 0.3 + 0.7 * warmth(w, now, profile);
    const samples: StatsSample[] = [];
    for (const w of workers.values()) {
      const weight = w.state === 'RUNNING' ? 0.3 + 0.7 * warmth(w, now, profile) : 0;
      const rps = totalWeight > 0 ? (demand * weight) / totalWeight : 0;
      samples.push(sampleWorkerStats(w, now, profile, this.traits, rps, this.rng));
    }
    return samples;
  }
}
