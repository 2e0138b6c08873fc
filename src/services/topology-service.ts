import * as stats from '../db/repositories/stats.js';
import * as topo from '../db/repositories/topology.js';
import { ValidationError } from '../domain/errors.js';
import type { Stats } from '../domain/types.js';
import { naturalKey } from '../domain/natural-order.js';
import type { ServiceDeps } from './deps.js';

/** A clusters page's cursor holds the name of the last cluster; its place in the order follows from it. */
export const clusterCursor = (afterName: string | null): topo.ClusterCursor | null => (afterName == null ? null : { sortKey: naturalKey(afterName), name: afterName });

export const MAX_HISTORY_POINTS = 10_000;

/** Read-side use cases that are more than one lookup. */
export class TopologyService {
  constructor(private deps: ServiceDeps) {}

  findClusterByName(name: string) {
    return topo.findClusterByName(this.deps.db, name);
  }

  /** Clusters, workers and the current stats over all of them, from the clusters' aggregates: one statement. */
  systemCounts(): Promise<{ clusterCount: number; workerCount: number; stats?: Stats | null }> {
    return topo.systemAggregates(this.deps.db, this.deps.clock.now());
  }

  /** Over every cluster's current stats (cpu averaged over every worker sampled), from their aggregates. */
  async systemStats(): Promise<Stats | null> {
    return (await topo.systemAggregates(this.deps.db, this.deps.clock.now())).stats;
  }

  /** History of a cluster: defaults to the last hour, one point per minute; bounded number of points. */
  statsHistory(clusterId: string, args: { since?: Date | null; until?: Date | null; stepSeconds?: number | null }): Promise<Stats[]> {
    const now = this.deps.clock.now();
    const until = args.until ?? now;
    const since = args.since ?? new Date(until.getTime() - 3600_000);
    if (since.getTime() > until.getTime()) throw new ValidationError('since must be before until', 'since');
    const minStep = this.deps.config.statsBucketSeconds;
    const step = args.stepSeconds ?? Math.max(minStep, 60);
    if (!Number.isInteger(step) || step < minStep || step > 86_400 * 31) {
      throw new ValidationError(`stepSeconds must be a whole number between ${minStep} (the stored resolution) and ${86_400 * 31}`, 'stepSeconds');
    }
    if ((until.getTime() - since.getTime()) / 1000 / step > MAX_HISTORY_POINTS) {
      throw new ValidationError(`the window holds more than ${MAX_HISTORY_POINTS} steps; widen stepSeconds or narrow the window`, 'stepSeconds');
    }
    return stats.clusterStatsHistory(this.deps.db, clusterId, since, until, step);
  }

  async pruneStats(): Promise<number> {
    const before = new Date(this.deps.clock.now().getTime() - this.deps.config.statsRetentionHours * 3600_000);
    return stats.pruneClusterStats(this.deps.db, before);
  }
}
