/**
 * Each cluster's stats history in time buckets (read by step, pruned; recorded by writeStatsReport of
 * ./topology/reports.ts). Clusters' and
 * the system's current stats are kept in cluster_aggregates (./topology/aggregates.ts).
 */
import { sql } from 'drizzle-orm';
import type { Stats } from '../../domain/types.js';
import type { Db } from '../client.js';
import { affectedRows, queryRows } from '../query.js';

const num = (v: unknown) => (v == null ? 0 : Number(v));

/** Aggregates as the drivers give them: sums and averages of float8 are numbers or text. */
type Figure = number | string | null;
interface AggregateRow {
  cpu: Figure;
  mem: Figure;
  rps: Figure;
  eps: Figure;
}

/**
 * A cluster's history between two instants, one point per `stepSeconds` (the mean of the
 * bucket snapshots in that step); steps without data are left out.
 */
export async function clusterStatsHistory(db: Db, clusterId: string, since: Date, until: Date, stepSeconds: number): Promise<Stats[]> {
  const rows = await queryRows<AggregateRow & { step: string | Date }>(
    db,
    sql`select to_timestamp(floor(extract(epoch from bucket) / ${stepSeconds}) * ${stepSeconds}) as step,
      sum(cpu_percent) / sum(snapshots) as cpu, sum(memory_mb) / sum(snapshots) as mem,
      sum(requests_per_sec) / sum(snapshots) as rps, sum(errors_per_sec) / sum(snapshots) as eps
    from cluster_stats where cluster_id = ${clusterId} and bucket >= ${since.toISOString()}::timestamptz and bucket <= ${until.toISOString()}::timestamptz
    group by step order by step`,
  );
  return rows.map((r) => ({
    sampledAt: new Date(r.step),
    cpuPercent: num(r.cpu),
    memoryMb: num(r.mem),
    requestsPerSec: num(r.rps),
    errorsPerSec: num(r.eps),
  }));
}

export async function pruneClusterStats(db: Db, before: Date): Promise<number> {
  return affectedRows(db, sql`delete from cluster_stats where bucket < ${before.toISOString()}::timestamptz`);
}
