/**
 * Previews of the rollout mutations (previewRestart, previewDeploy, previewPatch): the same
 * checks as the mutation (rollout-request.ts: the same code), then the plan it would run
 * (domain/rollout/preview.ts) from the clusters as they are now. Nothing is written.
 */
import { type PreviewClusterInput, previewRollout, RESTART_SAMPLE_LIMIT, type RolloutPreviewResult } from '../domain/rollout/preview.js';
import type { ArtifactSpec, Cluster, CommandKind, ObservedWorker, RolloutStrategy } from '../domain/types.js';
import { listRecentRestartDurations } from '../db/repositories/restart-timings.js';
import * as topo from '../db/repositories/topology.js';
import type { ServiceDeps } from './deps.js';
import { checkedArtifact, type PatchRequestInput, patchRequest, patchTargets, rolloutRequest, type StrategyInput } from './rollout-request.js';

export interface RolloutPreview extends Omit<RolloutPreviewResult, 'clusters'> {
  clusters: { cluster: Cluster; wave: number; batches: string[][] }[];
}

export class PreviewService {
  constructor(private deps: ServiceDeps) {}

  previewRestart(input: { clusterId: string; strategy?: StrategyInput }): Promise<RolloutPreview> {
    return this.single('RESTART', input.clusterId, input.strategy, null);
  }

  previewDeploy(input: { clusterId: string; artifact: ArtifactSpec; strategy?: StrategyInput }): Promise<RolloutPreview> {
    const artifact = checkedArtifact(input.artifact);
    return this.single('DEPLOY', input.clusterId, input.strategy, artifact);
  }

  async previewPatch(input: PatchRequestInput): Promise<RolloutPreview> {
    const { artifact, kinds, maxParallelClusters, strategy } = patchRequest(input);
    const db = this.deps.db;
    const clusters = await patchTargets(db, kinds);
    const targets: { cluster: Cluster; workers: ObservedWorker[] }[] = [];
    for (const cluster of clusters) targets.push({ cluster, workers: await topo.listWorkersByCluster(db, cluster.id) });
    return this.preview('PATCH', strategy, artifact, targets, maxParallelClusters);
  }

  private async single(kind: CommandKind, clusterId: string, strategyInput: StrategyInput, artifact: ArtifactSpec | null): Promise<RolloutPreview> {
    const { cluster, workers, strategy } = await rolloutRequest(this.deps.db, kind, clusterId, strategyInput);
    return this.preview(kind, strategy, artifact, [{ cluster, workers }], 1);
  }

  private async preview(
    kind: CommandKind,
    strategy: RolloutStrategy,
    artifact: ArtifactSpec | null,
    targets: { cluster: Cluster; workers: ObservedWorker[] }[],
    maxParallelClusters: number,
  ): Promise<RolloutPreview> {
    const ids = targets.map((t) => t.cluster.id);
    const [managers, samples] = await Promise.all([topo.findManagersByClusterIds(this.deps.db, ids), listRecentRestartDurations(this.deps.db, ids, RESTART_SAMPLE_LIMIT)]);
    const connected = new Set(managers.filter((m) => m.connected).map((m) => m.clusterId));
    const inputs: PreviewClusterInput[] = targets.map(({ cluster, workers }) => ({
      clusterId: cluster.id,
      name: cluster.name,
      workers,
      managerConnected: connected.has(cluster.id),
      restartSamplesMs: samples.get(cluster.id) ?? [],
    }));
    const result = previewRollout({ kind, strategy, artifact, clusters: inputs, maxParallelClusters });
    return { ...result, clusters: result.clusters.map((c, i) => ({ cluster: targets[i]!.cluster, wave: c.wave, batches: c.batches })) };
  }
}
