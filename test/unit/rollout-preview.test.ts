import { describe, expect, it } from 'vitest';
import {
  estimateClusterMs,
  estimateParallelMs,
  type PreviewClusterInput,
  previewRollout,
  quantile,
  restartTimings,
} from '../../src/domain/rollout/preview.js';
import { DEFAULT_STRATEGY } from '../../src/domain/rollout/strategy.js';
import type { RolloutStrategy, WorkerState } from '../../src/domain/types.js';

const strategy = (over: Partial<RolloutStrategy> = {}): RolloutStrategy => ({ ...DEFAULT_STRATEGY, ...over });

function cluster(name: string, n: number, over: Partial<PreviewClusterInput> = {}, states: Record<string, WorkerState> = {}, version = '1.0'): PreviewClusterInput {
  return {
    clusterId: `id-${name}`,
    name,
    workers: Array.from({ length: n }, (_, i) => {
      const memberId = `${name}-w${i + 1}`;
      return { memberId, state: states[memberId] ?? 'RUNNING', artifacts: [{ name: 'app', version }] };
    }),
    managerConnected: true,
    restartSamplesMs: [1000],
    ...over,
  };
}

describe('restart timings', () => {
  it('interpolates quantiles and rounds the median and p90', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([5], 0.9)).toBe(5);
    expect(quantile([1, 3, 2, 4], 0.5)).toBe(2.5);
    expect(restartTimings([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000])).toEqual({ samples: 10, medianMs: 550, p90Ms: 910 });
    expect(restartTimings([])).toEqual({ samples: 0, medianMs: null, p90Ms: null });
  });
});

describe('the estimate', () => {
  it('is null without history, and 0 for a cluster with nothing to roll', () => {
    expect(estimateClusterMs([['a']], [], strategy())).toBeNull();
    expect(estimateClusterMs([], [], strategy())).toBe(0);
  });

  it('sums each batch (its slowest worker plus minHealthyMs) and the pauses between batches', () => {
    const samples = [1000, 1000, 1000];
    // 3 batches × (1000 + 200) + 2 pauses × 500
    expect(estimateClusterMs([['a'], ['b'], ['c']], samples, strategy({ minHealthyMs: 200, pauseBetweenBatchesMs: 500 }))).toBe(4600);
  });

  it('takes a larger quantile for a larger batch: a batch waits for its slowest worker', () => {
    const samples = Array.from({ length: 11 }, (_, i) => 1000 + i * 100); // 1000 … 2000
    expect(estimateClusterMs([['a']], samples, strategy())).toBe(1500); // median
    expect(estimateClusterMs([['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']], samples, strategy())).toBe(1900); // 9/10
  });

  it('counts autoPromoteAfterMs after a canary batch', () => {
    expect(estimateClusterMs([['a'], ['b', 'c']], [1000], strategy({ canary: 1, batchSize: 2, autoPromoteAfterMs: 3000 }))).toBe(5000);
  });

  it('runs clusters maxParallelClusters at a time, each next one as soon as a slot frees', () => {
    expect(estimateParallelMs([10, 10, 10], 1)).toBe(30);
    expect(estimateParallelMs([10, 2, 3, 4], 2)).toBe(10); // 2, then 3, then 4 fit beside the 10
    expect(estimateParallelMs([5, null], 2)).toBeNull();
    expect(estimateParallelMs([], 3)).toBe(0);
  });
});

describe('previewRollout', () => {
  const base = { kind: 'RESTART' as const, artifact: null, maxParallelClusters: 1 };

  it('cuts the workers in step order into the canary batch, then batchSize at a time', () => {
    const p = previewRollout({ ...base, strategy: strategy({ batchSize: 2, canary: 1, autoPromoteAfterMs: 0 }), clusters: [cluster('as', 6)] });
    expect(p.clusters[0]!.batches).toEqual([['as-w1'], ['as-w2', 'as-w3'], ['as-w4', 'as-w5'], ['as-w6']]);
    expect(p.waves).toBe(1);
    expect(p.clusters[0]!.wave).toBe(1);
    expect(p.warnings).toEqual([]);
    expect(p.estimatedDurationMs).toBe(4000);
  });

  it('puts a PATCH’s clusters in waves of maxParallelClusters', () => {
    const p = previewRollout({ ...base, kind: 'PATCH', artifact: { name: 'app', version: '2.0' }, strategy: strategy({ batchSize: 5 }), maxParallelClusters: 2, clusters: [cluster('a', 2), cluster('b', 3), cluster('c', 1)] });
    expect(p.clusters.map((c) => c.wave)).toEqual([1, 1, 2]);
    expect(p.waves).toBe(2);
    expect(p.clusters.map((c) => c.batches)).toEqual([[['a-w1', 'a-w2']], [['b-w1', 'b-w2', 'b-w3']], [['c-w1']]]);
    expect(p.estimatedDurationMs).toBe(2000);
  });

  it('gives a PATCH’s canary to the clusters of its first wave only, as deployPatch does', () => {
    const p = previewRollout({ ...base, kind: 'PATCH', artifact: { name: 'app', version: '2.0' }, strategy: strategy({ batchSize: 2, canary: 1, autoPromoteAfterMs: 0 }), maxParallelClusters: 1, clusters: [cluster('a', 3), cluster('b', 3)] });
    expect(p.clusters.map((c) => c.batches)).toEqual([[['a-w1'], ['a-w2', 'a-w3']], [['b-w1', 'b-w2'], ['b-w3']]]);
  });

  it('has no estimate when a cluster has no history, and says so', () => {
    const p = previewRollout({ ...base, strategy: strategy(), clusters: [cluster('as', 2, { restartSamplesMs: [] })] });
    expect(p.estimatedDurationMs).toBeNull();
    expect(p.warnings).toEqual(['cluster as: no restart history yet, so no time estimate']);
  });

  it('warns of workers not RUNNING now', () => {
    const p = previewRollout({ ...base, strategy: strategy(), clusters: [cluster('as', 4, {}, { 'as-w2': 'FAILED', 'as-w4': 'STOPPED' })] });
    expect(p.warnings).toContain('cluster as: 2 of 4 workers not RUNNING now: as-w2 (FAILED), as-w4 (STOPPED)');
  });

  it('warns of a batch that takes more than half the cluster down, counting workers already down', () => {
    const big = previewRollout({ ...base, strategy: strategy({ batchSize: 3 }), clusters: [cluster('as', 5)] });
    expect(big.warnings).toEqual(['cluster as: batch 1 would have 3 of 5 workers down at once (more than half the cluster)']);
    const half = previewRollout({ ...base, strategy: strategy({ batchSize: 2 }), clusters: [cluster('as', 4)] });
    expect(half.warnings).toEqual([]);
    const withDown = previewRollout({ ...base, strategy: strategy({ batchSize: 2 }), clusters: [cluster('as', 4, {}, { 'as-w4': 'FAILED' })] });
    expect(withDown.warnings).toContain('cluster as: batch 1 would have 3 of 4 workers down at once (more than half the cluster)');
  });

  it('warns of an unreachable manager', () => {
    const p = previewRollout({ ...base, strategy: strategy(), clusters: [cluster('as', 2, { managerConnected: false })] });
    expect(p.warnings).toEqual(['cluster as: its manager is unreachable; the rollout would hold until it is back']);
  });

  it('warns of a version every worker already runs (per cluster, and for a whole patch)', () => {
    const deploy = previewRollout({ ...base, kind: 'DEPLOY', artifact: { name: 'app', version: '1.0' }, strategy: strategy(), clusters: [cluster('as', 2)] });
    expect(deploy.warnings).toEqual(['cluster as: every worker already runs app 1.0']);
    const other = previewRollout({ ...base, kind: 'DEPLOY', artifact: { name: 'app', version: '2.0' }, strategy: strategy(), clusters: [cluster('as', 2)] });
    expect(other.warnings).toEqual([]);
    const patch = previewRollout({ ...base, kind: 'PATCH', artifact: { name: 'app', version: '1.0' }, strategy: strategy(), clusters: [cluster('a', 1), cluster('b', 1)] });
    expect(patch.warnings[0]).toBe('app 1.0 already runs on every worker of every cluster of this patch');
  });

  it('warns that a canary without autoPromoteAfterMs waits for promoteCommand', () => {
    const p = previewRollout({ ...base, strategy: strategy({ canary: 1 }), clusters: [cluster('as', 3)] });
    expect(p.warnings).toEqual(['the rollout holds after its canary batch until promoteCommand; the estimate does not count that wait']);
  });
});
