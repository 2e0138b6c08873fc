/**
 * Simulated behaviour as data. A profile says how long each worker transition takes (with
 * jitter), how often things go wrong, and how often a manager reports. `fast` is for tests
 * (milliseconds, nothing random goes wrong), `realistic` for the lab (seconds, jitter), `chaos`
 * for soak runs (realistic, plus failed starts, crashes and slow boots).
 */
import type { Rng } from './random.js';

/** A duration in ms, spread uniformly by ±jitter (a fraction of ms, 0 ≤ jitter < 1). */
export interface Duration {
  ms: number;
  jitter: number;
}

export interface Profile {
  name: string;
  /** STOPPING → STOPPED: the process shutting down. */
  stopping: Duration;
  /** STOPPED → STARTING: the supervisor launching the process again (a deploy copies the artifact here). */
  stoppedToStarting: Duration;
  /** STARTING → RUNNING: the boot. */
  starting: Duration;
  /** Odds that a start ends FAILED instead of RUNNING. */
  failStartOdds: number;
  /** Odds that a RUNNING worker crashes (→ FAILED) within a given minute. */
  crashOddsPerMinute: number;
  /** A crashed worker is brought back by its supervisor after this long; null: it stays FAILED until a task restarts it. */
  crashRecoveryMs: number | null;
  /** Odds that a boot is slow, and by how much it is then multiplied. */
  slowBootOdds: number;
  slowBootFactor: number;
  /** After a start, a worker takes this long to warm up (full throughput, errors back to baseline). */
  warmupMs: number;
  /** One reportStats per manager this often. */
  statsIntervalMs: number;
  /** Queued membership events go out as one reportMembership per manager this often. */
  membershipFlushMs: number;
  /** A manager reports a task FAILED when its workers are not back within this. */
  taskTimeoutMs: number;
  /** How long a cluster-specific operation takes to answer. */
  operation: Duration;
  /** Reconnect backoff: base doubling per attempt up to max, with jitter. */
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** Workers in a fresh fleet have been up for a random time in this range (ms). */
  initialUptimeMs: { min: number; max: number };
}

export const PROFILE_NAMES = ['fast', 'realistic', 'chaos'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

const HOUR = 3600_000;
const DAY = 24 * HOUR;

const realistic: Profile = {
  name: 'realistic',
  stopping: { ms: 2_000, jitter: 0.3 },
  stoppedToStarting: { ms: 600, jitter: 0.5 },
  starting: { ms: 8_000, jitter: 0.3 },
  failStartOdds: 0,
  crashOddsPerMinute: 0,
  crashRecoveryMs: null,
  slowBootOdds: 0,
  slowBootFactor: 1,
  warmupMs: 60_000,
  statsIntervalMs: 5_000,
  membershipFlushMs: 500,
  taskTimeoutMs: 180_000,
  operation: { ms: 300, jitter: 0.5 },
  reconnectBaseMs: 500,
  reconnectMaxMs: 15_000,
  initialUptimeMs: { min: HOUR, max: 30 * DAY },
};

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  fast: {
    name: 'fast',
    stopping: { ms: 10, jitter: 0.5 },
    stoppedToStarting: { ms: 4, jitter: 0.5 },
    starting: { ms: 20, jitter: 0.5 },
    failStartOdds: 0,
    crashOddsPerMinute: 0,
    crashRecoveryMs: null,
    slowBootOdds: 0,
    slowBootFactor: 1,
    warmupMs: 200,
    statsIntervalMs: 250,
    membershipFlushMs: 20,
    taskTimeoutMs: 5_000,
    operation: { ms: 5, jitter: 0.5 },
    reconnectBaseMs: 25,
    reconnectMaxMs: 400,
    initialUptimeMs: { min: HOUR, max: DAY },
  },
  realistic,
  chaos: {
    ...realistic,
    name: 'chaos',
    failStartOdds: 0.08,
    crashOddsPerMinute: 0.01,
    crashRecoveryMs: 30_000,
    slowBootOdds: 0.15,
    slowBootFactor: 4,
  },
};

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

/** The named profile, with `overrides` applied; a clear error for an unknown name or a bad value. */
export function getProfile(name: string, overrides: Partial<Profile> = {}): Profile {
  if (!isProfileName(name)) {
    throw new Error(`unknown profile "${name}" (known: ${PROFILE_NAMES.join(', ')})`);
  }
  const profile: Profile = { ...PROFILES[name], ...overrides };
  const problems = validateProfile(profile);
  if (problems.length > 0) throw new Error(`profile "${name}": ${problems.join('; ')}`);
  return profile;
}

export function validateProfile(p: Profile): string[] {
  const problems: string[] = [];
  const duration = (key: string, d: Duration) => {
    if (!(d.ms >= 0)) problems.push(`${key}.ms must be ≥ 0`);
    if (!(d.jitter >= 0 && d.jitter < 1)) problems.push(`${key}.jitter must be in [0, 1)`);
  };
  const odds = (key: string, v: number) => {
    if (!(v >= 0 && v <= 1)) problems.push(`${key} must be in [0, 1]`);
  };
  const positive = (key: string, v: number) => {
    if (!(v > 0)) problems.push(`${key} must be > 0`);
  };
  duration('stopping', p.stopping);
  duration('stoppedToStarting', p.stoppedToStarting);
  duration('starting', p.starting);
  duration('operation', p.operation);
  odds('failStartOdds', p.failStartOdds);
  odds('crashOddsPerMinute', p.crashOddsPerMinute);
  odds('slowBootOdds', p.slowBootOdds);
  if (!(p.slowBootFactor >= 1)) problems.push('slowBootFactor must be ≥ 1');
  if (p.crashRecoveryMs !== null && !(p.crashRecoveryMs >= 0)) problems.push('crashRecoveryMs must be ≥ 0 or null');
  positive('warmupMs', p.warmupMs);
  positive('statsIntervalMs', p.statsIntervalMs);
  positive('membershipFlushMs', p.membershipFlushMs);
  positive('taskTimeoutMs', p.taskTimeoutMs);
  positive('reconnectBaseMs', p.reconnectBaseMs);
  if (!(p.reconnectMaxMs >= p.reconnectBaseMs)) problems.push('reconnectMaxMs must be ≥ reconnectBaseMs');
  if (!(p.initialUptimeMs.min >= 0 && p.initialUptimeMs.max >= p.initialUptimeMs.min)) {
    problems.push('initialUptimeMs must have 0 ≤ min ≤ max');
  }
  return problems;
}

/** One draw of a duration: whole milliseconds, never negative. */
export function sampleDuration(d: Duration, rng: Rng): number {
  return Math.max(0, Math.round(rng.jitter(d.ms, d.jitter)));
}

export interface BootPlan {
  /** STARTING → RUNNING (or → FAILED) after this many ms. */
  ms: number;
  slow: boolean;
  fails: boolean;
}

/**
 * How the next boot goes. Draws exactly three numbers in a fixed order (duration, slow, fails)
 * whatever the odds, so a profile's odds never shift a worker's later draws.
 */
export function planBoot(p: Profile, rng: Rng): BootPlan {
  const base = sampleDuration(p.starting, rng);
  const slow = rng.chance(p.slowBootOdds);
  const fails = rng.chance(p.failStartOdds);
  return { ms: slow ? Math.round(base * p.slowBootFactor) : base, slow, fails };
}

/** Probability that a RUNNING worker crashes within `dtMs`, given the per-minute odds. */
export function crashProbability(p: Profile, dtMs: number): number {
  if (p.crashOddsPerMinute <= 0 || dtMs <= 0) return 0;
  return 1 - (1 - p.crashOddsPerMinute) ** (dtMs / 60_000);
}

/** Reconnect delay before attempt `attempt` (1-based): exponential, capped, with "equal jitter". */
export function backoffMs(p: Profile, attempt: number, rng: Rng): number {
  const exp = Math.min(p.reconnectMaxMs, p.reconnectBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + rng.float(0, exp / 2));
}

/** What a worker of a product kind looks like under load: per-kind data for plausible stats. */
export interface KindTraits {
  /** Requests/s one warm worker serves at the cluster's base load. */
  baseRps: number;
  /** Resident memory once warm, MB, and right after start. */
  memoryMb: number;
  coldMemoryMb: number;
  /** CPU % when idle, and CPU % per request/s. */
  idleCpu: number;
  cpuPerRps: number;
  /** Fraction of requests that fail at steady state, and during warm-up. */
  errorRate: number;
  warmupErrorRate: number;
  /** Default port, and the artifact a fresh worker runs. */
  port: number;
  artifact: { name: string; version: string };
}

export const KIND_TRAITS: Readonly<Record<string, KindTraits>> = {
  AS: {
    baseRps: 120,
    memoryMb: 1800,
    coldMemoryMb: 600,
    idleCpu: 3,
    cpuPerRps: 0.35,
    errorRate: 0.002,
    warmupErrorRate: 0.03,
    port: 8080,
    artifact: { name: 'storefront.war', version: '1.0.0' },
  },
  ESB: {
    baseRps: 300,
    memoryMb: 900,
    coldMemoryMb: 350,
    idleCpu: 2,
    cpuPerRps: 0.15,
    errorRate: 0.001,
    warmupErrorRate: 0.02,
    port: 8280,
    artifact: { name: 'integration-flows.car', version: '1.0.0' },
  },
};

export const DEFAULT_KIND_TRAITS: KindTraits = {
  baseRps: 100,
  memoryMb: 1024,
  coldMemoryMb: 300,
  idleCpu: 2,
  cpuPerRps: 0.3,
  errorRate: 0.002,
  warmupErrorRate: 0.02,
  port: 9000,
  artifact: { name: 'app', version: '1.0.0' },
};

export function kindTraits(kind: string): KindTraits {
  return KIND_TRAITS[kind] ?? DEFAULT_KIND_TRAITS;
}
