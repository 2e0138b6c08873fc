/**
 * What a worker's stats look like: a sample of CPU, memory, requests and errors for one worker at
 * one moment, from its state, how warmed up it is since it started, and its share of the traffic.
 */
import type { KindTraits, Profile } from './profiles.js';
import type { Rng } from './random.js';
import type { VirtualWorker } from './worker.js';

export interface StatsSample {
  memberId: string;
  at: string;
  cpuPercent: number;
  memoryMb: number;
  requestsPerSec: number;
  errorsPerSec: number;
}

/** 0 right after a start, 1 once warm (profile.warmupMs later); 0 when not RUNNING. */
export function warmth(worker: VirtualWorker, now: number, profile: Profile): number {
  if (worker.state !== 'RUNNING' || worker.startedAt === null) return 0;
  return Math.min(1, Math.max(0, (now - worker.startedAt) / profile.warmupMs));
}

/**
 * A plausible sample for one worker. `rps` is the share of the cluster's traffic the manager
 * routed to it (0 unless RUNNING); warm-up shows as extra CPU, growing memory and more errors.
 */
export function sampleWorkerStats(
  worker: VirtualWorker,
  now: number,
  profile: Profile,
  traits: KindTraits,
  rps: number,
  rng: Rng,
): StatsSample {
  let cpu = 0;
  let mem = 0;
  let reqs = 0;
  let errs = 0;
  switch (worker.state) {
    case 'RUNNING': {
      const warm = warmth(worker, now, profile);
      reqs = Math.max(0, rps * (1 + rng.noise(0.03)));
      cpu = traits.idleCpu + traits.cpuPerRps * reqs + (1 - warm) * 25 + rng.noise(1.5);
      mem = traits.coldMemoryMb + (traits.memoryMb - traits.coldMemoryMb) * Math.sqrt(warm) + rng.noise(15);
      errs = reqs * (traits.errorRate + (traits.warmupErrorRate - traits.errorRate) * (1 - warm)) * (1 + rng.noise(0.2));
      break;
    }
    case 'STARTING': {
      const progress = worker.startedAt === null ? 0 : Math.min(1, (now - worker.startedAt) / Math.max(1, profile.starting.ms));
      cpu = 60 + 30 * rng.next();
      mem = traits.coldMemoryMb * (0.3 + 0.7 * progress) + rng.noise(10);
      break;
    }
    case 'STOPPING':
      cpu = 8 + 10 * rng.next();
      mem = traits.memoryMb * 0.8 + rng.noise(15);
      break;
    case 'STOPPED':
    case 'FAILED':
      break;
  }
  return {
    memberId: worker.memberId,
    at: new Date(now).toISOString(),
    cpuPercent: round1(Math.min(100, Math.max(0, cpu))),
    memoryMb: round1(Math.max(0, mem)),
    requestsPerSec: round1(reqs),
    errorsPerSec: round2(Math.max(0, errs)),
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
