/**
 * What a rollout request (restartCluster, deployArtifact, deployPatch) is checked against before
 * anything is written, in one place: the mutations (command-service.ts) and their previews
 * (preview-service.ts) run this same code, so a preview answers with exactly the mutation's
 * errors and plans exactly its steps.
 */
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js';
import { isRolloutKind } from '../domain/rollout/kinds.js';
import { resolveStrategy, validateArtifact } from '../domain/rollout/strategy.js';
import type { ArtifactSpec, Cluster, CommandKind, ObservedWorker, RolloutStrategy } from '../domain/types.js';
import * as cmds from '../db/repositories/commands.js';
import * as topo from '../db/repositories/topology.js';
import type { Db } from '../db/client.js';
import { clusterCursor } from './topology-service.js';
import { int, list, text } from './validate.js';

export type StrategyInput = Partial<{ [K in keyof RolloutStrategy]: RolloutStrategy[K] | null }> | null | undefined;

export interface PatchRequestInput {
  artifact: ArtifactSpec;
  kinds?: string[] | null;
  maxParallelClusters?: number | null;
  strategy?: StrategyInput;
}

/** A validation error of a domain rule, its field put under `input.`. */
function underInput<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ValidationError && e.field) throw new ValidationError(e.message, `input.${e.field}`);
    throw e;
  }
}

export const checkedArtifact = (a: ArtifactSpec): ArtifactSpec => underInput(() => validateArtifact(a));

export const checkedStrategy = (s: StrategyInput, workerCount: number | null, kind: CommandKind): RolloutStrategy => underInput(() => resolveStrategy(s, { workerCount, kind }));

/**
 * A rollout of one cluster, as the mutation would start it: the cluster (NotFoundError), no
 * other active rollout on it (ConflictError), its workers in step order (memberId), at least
 * one (ValidationError), and the strategy checked against them.
 */
export async function rolloutRequest(
  tx: Db,
  kind: CommandKind,
  clusterId: string,
  strategyInput: StrategyInput,
): Promise<{ cluster: Cluster; workers: ObservedWorker[]; strategy: RolloutStrategy }> {
  if (!isRolloutKind(kind)) throw new Error(`${kind} is not a rollout kind`);
  const [cluster] = await topo.findClustersByIds(tx, [clusterId]);
  if (!cluster) throw new NotFoundError(`no cluster with id ${clusterId}`, clusterId);
  const busy = await cmds.findActiveRollout(tx, clusterId);
  if (busy) throw new ConflictError(`cluster ${cluster.name} already has an active rollout (${busy.kind} ${busy.state})`, busy.id);
  const workers = await topo.listWorkersByCluster(tx, clusterId); // by memberId: the rollout order
  if (workers.length === 0) throw new ValidationError(`cluster ${cluster.name} has no workers to roll`, 'input.clusterId');
  const strategy = checkedStrategy(strategyInput, workers.length, kind);
  return { cluster, workers, strategy };
}

/** A PATCH's own fields, checked (nothing read yet). */
export function patchRequest(input: PatchRequestInput): { artifact: ArtifactSpec; kinds: string[] | null; maxParallelClusters: number; strategy: RolloutStrategy } {
  const artifact = checkedArtifact(input.artifact);
  // Omitted (or null) means every cluster; an empty list names no kind, and is refused rather
  // than read as "all" (an operator's empty value must never patch the whole fleet).
  if (input.kinds && input.kinds.length === 0) throw new ValidationError('input.kinds names no cluster kind; omit it to patch every cluster', 'input.kinds');
  const kinds = input.kinds ? [...new Set(list(input.kinds, 'input.kinds', 50).map((k, i) => text(k, `input.kinds[${i}]`, { max: 50 }).toUpperCase()))] : null;
  const maxParallelClusters = input.maxParallelClusters == null ? 1 : int(input.maxParallelClusters, 'input.maxParallelClusters', 1, 1000);
  const strategy = checkedStrategy(input.strategy, null, 'PATCH');
  return { artifact, kinds, maxParallelClusters, strategy };
}

/**
 * The clusters a PATCH of `kinds` goes through, in its order (natural order of name), none of
 * them with an active rollout (ConflictError), at least one (ValidationError).
 */
export async function patchTargets(tx: Db, kinds: string[] | null): Promise<Cluster[]> {
  const all = await clustersOfKinds(tx, kinds);
  if (all.length === 0) throw new ValidationError(kinds ? `no cluster of kind ${kinds.join(', ')}` : 'there is no cluster to patch', 'input.kinds');
  const rolling = new Set(await cmds.findActiveRolloutClusterIds(tx, all.map((c) => c.id)));
  const busy = all.filter((c) => rolling.has(c.id)).map((c) => c.name);
  if (busy.length) throw new ConflictError(`these clusters already have an active rollout: ${busy.join(', ')}`);
  return all;
}

async function clustersOfKinds(tx: Db, kinds: string[] | null): Promise<Cluster[]> {
  const out: Cluster[] = [];
  let after: string | null = null;
  for (;;) {
    // In natural order: a patch goes through its clusters as every list shows them.
    const page = await topo.listClusters(tx, {}, { first: 500, after: clusterCursor(after) });
    out.push(...page.clusters.filter((c) => !kinds || kinds.includes(c.kind)));
    if (!page.hasNextPage) return out;
    after = page.clusters.at(-1)!.name;
  }
}
