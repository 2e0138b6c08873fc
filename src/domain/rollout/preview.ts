/**
 * Previews of a rollout (previewRestart, previewDeploy, previewPatch): what the same input would
 * run, how long it should take by the clusters' own history, and what an operator should know
 * before pressing the button. Pure: the service loads the clusters (with the same validation as
 * the mutation) and calls `previewRollout`; nothing here reads a clock or a database.
 */
import type { ArtifactSpec, CommandKind, RolloutStrategy, WorkerState } from '../types.js';
import { patchChildStrategy } from './canary.js';
import { plannedBatches } from './strategy.js';

/** How many of a cluster's latest restarts its timings are computed from. */
export const RESTART_SAMPLE_LIMIT = 50;

/** A cluster as the preview sees it: its workers in step order, its manager, its observed restart times. */
export interface PreviewClusterInput {
  clusterId: string;
  name: string;
  /** The workers in step order (the order the mutation would write its steps in). */
  workers: readonly { memberId: string; state: WorkerState; artifacts: readonly { name: string; version: string }[] }[];
  managerConnected: boolean;
  /** Observed restart times of the cluster, in ms (task handed over → worker RUNNING again), any order. */
  restartSamplesMs: readonly number[];
}

export interface PreviewInput {
  kind: CommandKind;
  strategy: RolloutStrategy;
  artifact: Pick<ArtifactSpec, 'name' | 'version'> | null;
  /** In the order the rollout goes through them (one for RESTART/DEPLOY; a PATCH's children's order). */
  clusters: readonly PreviewClusterInput[];
  /** A PATCH's maxParallelClusters (1 for a single cluster). */
  maxParallelClusters: number;
}

export interface ClusterPreviewResult {
  clusterId: string;
  /** 1-based: the PATCH wave the cluster starts in (1 for a single cluster). */
  wave: number;
  /** memberIds per batch, in order (the canary batch first). */
  batches: string[][];
  /** This cluster's own estimate; null without restart history (or with no worker: 0). */
  estimatedMs: number | null;
}

export interface RolloutPreviewResult {
  clusters: ClusterPreviewResult[];
  waves: number;
  estimatedDurationMs: number | null;
  warnings: string[];
}

/** The q-quantile (0 ≤ q ≤ 1) of samples, linearly interpolated; null when there are none. */
export function quantile(samples: readonly number[], q: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const pos = Math.min(1, Math.max(0, q)) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** What `Cluster.restartTimings` shows: how many samples, their median and 90th percentile (whole ms). */
export function restartTimings(samples: readonly number[]): { samples: number; medianMs: number | null; p90Ms: number | null } {
  const round = (v: number | null) => (v === null ? null : Math.round(v));
  return { samples: samples.length, medianMs: round(quantile(samples, 0.5)), p90Ms: round(quantile(samples, 0.9)) };
}

/**
 * How long one cluster's batches should take: each batch as long as its slowest worker (the
 * samples' k/(k+1) quantile for a batch of k: the median for one worker, about p90 for nine),
 * plus `minHealthyMs`; `pauseBetweenBatchesMs` between batches; after a canary batch its
 * `autoPromoteAfterMs` (an operator's promotion is not counted). Null without samples.
 */
export function estimateClusterMs(batches: readonly (readonly string[])[], samples: readonly number[], strategy: RolloutStrategy): number | null {
  if (batches.length === 0) return 0;
  if (samples.length === 0) return null;
  let total = 0;
  for (const [i, batch] of batches.entries()) {
    const k = Math.max(1, batch.length);
    total += (quantile(samples, k / (k + 1)) ?? 0) + strategy.minHealthyMs;
    if (i > 0) total += strategy.pauseBetweenBatchesMs;
  }
  if (strategy.canary !== null && batches.length > 1) total += strategy.autoPromoteAfterMs ?? 0;
  return Math.round(total);
}

/**
 * How long clusters that take `durations` (in order) take when at most `parallel` run at once,
 * each next one starting as soon as one ends (what the PATCH planner does). Null if any is null.
 */
export function estimateParallelMs(durations: readonly (number | null)[], parallel: number): number | null {
  if (durations.some((d) => d === null)) return null;
  const slots: number[] = Array.from({ length: Math.max(1, Math.min(parallel, durations.length || 1)) }, () => 0);
  for (const d of durations as number[]) {
    let first = 0;
    for (let i = 1; i < slots.length; i++) if (slots[i]! < slots[first]!) first = i;
    slots[first] = slots[first]! + d;
  }
  return Math.max(0, ...slots);
}

/** Every warning of one cluster's plan. */
function clusterWarnings(input: PreviewInput, c: PreviewClusterInput, batches: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  const total = c.workers.length;
  if (!c.managerConnected) out.push(`cluster ${c.name}: its manager is unreachable; the rollout would hold until it is back`);
  const down = c.workers.filter((w) => w.state !== 'RUNNING');
  if (down.length > 0) {
    const listed = down.slice(0, 10).map((w) => `${w.memberId} (${w.state})`);
    const more = down.length - listed.length;
    out.push(`cluster ${c.name}: ${down.length} of ${total} workers not RUNNING now: ${listed.join(', ')}${more > 0 ? `, and ${more} more` : ''}`);
  }
  // Workers down at once during a batch: the batch, and any other worker not RUNNING already.
  const notRunning = new Set(down.map((w) => w.memberId));
  let worst: { index: number; down: number } | null = null;
  for (const [i, batch] of batches.entries()) {
    const others = [...notRunning].filter((m) => !batch.includes(m)).length;
    const n = batch.length + others;
    if (n * 2 > total && (worst === null || n > worst.down)) worst = { index: i, down: n };
  }
  if (worst && total > 0) {
    out.push(`cluster ${c.name}: batch ${worst.index + 1} would have ${worst.down} of ${total} workers down at once (more than half the cluster)`);
  }
  const a = input.artifact;
  if (a && total > 0 && c.workers.every((w) => w.artifacts.some((x) => x.name === a.name && x.version === a.version))) {
    out.push(`cluster ${c.name}: every worker already runs ${a.name} ${a.version}`);
  }
  if (c.restartSamplesMs.length === 0 && total > 0) out.push(`cluster ${c.name}: no restart history yet, so no time estimate`);
  return out;
}

/** The preview of a rollout: the batches (and a PATCH's waves) it would run, its estimate, its warnings. */
export function previewRollout(input: PreviewInput): RolloutPreviewResult {
  const parallel = Math.max(1, input.maxParallelClusters);
  const warnings: string[] = [];
  const clusters = input.clusters.map((c, i): ClusterPreviewResult => {
    // A PATCH's children carry the canary in its first wave only (as deployPatch makes them).
    const strategy = input.kind === 'PATCH' ? patchChildStrategy(input.strategy, i, parallel) : input.strategy;
    const batches = plannedBatches(
      c.workers.map((w) => w.memberId),
      strategy,
    );
    warnings.push(...clusterWarnings(input, c, batches));
    return { clusterId: c.clusterId, wave: Math.floor(i / parallel) + 1, batches, estimatedMs: estimateClusterMs(batches, c.restartSamplesMs, strategy) };
  });
  const a = input.artifact;
  if (a && input.clusters.length > 1 && input.clusters.every((c) => c.workers.every((w) => w.artifacts.some((x) => x.name === a.name && x.version === a.version)))) {
    warnings.unshift(`${a.name} ${a.version} already runs on every worker of every cluster of this patch`);
  }
  if (input.strategy.canary !== null && input.strategy.autoPromoteAfterMs === null && clusters.some((c) => c.batches.length > 1)) {
    warnings.push('the rollout holds after its canary batch until promoteCommand; the estimate does not count that wait');
  }
  return {
    clusters,
    waves: Math.ceil(clusters.length / parallel),
    estimatedDurationMs: estimateParallelMs(
      clusters.map((c) => c.estimatedMs),
      parallel,
    ),
    warnings,
  };
}
