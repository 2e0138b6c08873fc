/**
 * Each cluster's aggregates (cluster_aggregates): workers by state and the summed stats of its
 * fresh samples, recomputed from its workers by every transaction that changes them, so that the
 * topology reads (health, counts, stats of a page of clusters) read one row per cluster instead
 * of summing every worker.
 *
 * Why recompute rather than add deltas: one statement either way, the same cost for the clusters
 * of a fleet (tens to a few hundred workers: the rows were just written, they are in the buffer
 * cache), and a recount is right by construction (a stats sample that arrives out of order, a
 * re-registration with another worker list, a worker that leaves with a fresh sample). It must
 * run after the change, in its transaction, and transactions that change one cluster's workers
 * must not overlap: every writer holds the lock of the cluster's session row (reports) or of the
 * cluster row and then every session row (registration), so they are serialized per cluster, on
 * one OC instance or many.
 *
 * Freshness: a cluster's stats are over the workers whose latest sample is at most
 * STATS_FRESH_MS old. The row holds the aggregate over the samples fresh when it was computed,
 * with the oldest and newest sample time. A read at a later instant uses the row while its
 * oldest sample is still fresh, answers no stats once the newest is stale, and recounts that
 * one cluster in between (a cluster whose manager stopped reporting for some workers).
 */
import { type SQL, sql } from 'drizzle-orm';
import { type ClusterHealth, type ClusterSnapshot, type Stats, WORKER_STATES, type WorkerState } from '../../../domain/types.js';
import type { Db, ReadRows } from '../../client.js';
import { queryRows } from '../../query.js';
import { keyedStatement, rawDate, rawNumber } from '../../raw.js';
import { HEALTH } from './health.js';

/** How old a worker's latest sample may be and still count in its cluster's current stats. */
export const STATS_FRESH_MS = 5 * 60_000;

export const freshCutoff = (now: Date) => new Date(now.getTime() - STATS_FRESH_MS);

/** The aggregate columns over workers w (of one cluster), each with `fresh`: whether its latest sample counts. */
export const AGGREGATE_SELECT = `count(*)::int, (count(*) filter (where w.state = 'STARTING'))::int,
  (count(*) filter (where w.state = 'RUNNING'))::int, (count(*) filter (where w.state = 'STOPPING'))::int,
  (count(*) filter (where w.state = 'STOPPED'))::int, (count(*) filter (where w.state = 'FAILED'))::int,
  (count(*) filter (where w.fresh))::int, coalesce(sum(w.cpu_percent) filter (where w.fresh), 0),
  coalesce(sum(w.memory_mb) filter (where w.fresh), 0), coalesce(sum(w.requests_per_sec) filter (where w.fresh), 0),
  coalesce(sum(w.errors_per_sec) filter (where w.fresh), 0), min(w.stats_at) filter (where w.fresh), max(w.stats_at) filter (where w.fresh)`;

export const AGGREGATE_COLUMNS =
  'total, starting, running, stopping, stopped, failed, sampled, cpu_percent_sum, memory_mb, requests_per_sec, errors_per_sec, stats_min_at, stats_max_at';

export const SET_ALL = AGGREGATE_COLUMNS.split(', ')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');

export type Figure = number | string | null;

const RECOUNT_RETURNING = 'sampled, cpu_percent_sum as cpu, memory_mb as mem, requests_per_sec as rps, errors_per_sec as eps, stats_max_at as at';

const RECOUNT = (clusterId: SQL, now: Date, returning = RECOUNT_RETURNING) => sql`insert into cluster_aggregates as a (cluster_id, ${sql.raw(AGGREGATE_COLUMNS)})
    select ${clusterId}, ${sql.raw(AGGREGATE_SELECT)}
    from (select state, stats_at, cpu_percent, memory_mb, requests_per_sec, errors_per_sec, stats_at >= ${freshCutoff(now).toISOString()}::timestamptz as fresh
          from workers where cluster_id = ${clusterId}) w
    on conflict (cluster_id) do update set ${sql.raw(SET_ALL)}
    returning ${sql.raw(returning)}`;

/**
 * A registration's end, in one statement: the cluster's aggregates recomputed from its
 * workers and the cluster as it now is, with its health and worker counts read
 * off the recount, for the events the registration publishes.
 */
export async function refreshAndSnapshotCluster(db: Db, clusterId: string, now: Date): Promise<ClusterSnapshot | null> {
  const [r] = await queryRows<{ id: string; name: string; kind: string; created_at: Date | string; health: ClusterHealth; worker_count: number; running_count: number }>(
    db,
    sql`with wc as (${RECOUNT(sql`${clusterId}::uuid`, now, 'total, running')})
    select c.id, c.name, c.kind, c.created_at, ${sql.raw(HEALTH)} as health, coalesce(wc.total, 0)::int as worker_count, coalesce(wc.running, 0)::int as running_count
    from clusters c left join managers m on m.cluster_id = c.id left join wc on true
    where c.id = ${clusterId}::uuid`,
  );
  return r
    ? { id: r.id, name: r.name, kind: r.kind, createdAt: new Date(r.created_at), health: r.health, workerCount: r.worker_count, runningCount: r.running_count }
    : null;
}

/**
 * Changes of a cluster's worker counts (by state, and the total) that a membership report made:
 * added to its row instead of a recount (the cost of a recount grows with the cluster, that of
 * this does not). Only when no worker with a sample left: the stats are then as they were.
 */
export type WorkerCountDeltas = { total: number } & Record<WorkerState, number>;

export const toStats = (n: number, cpu: Figure, mem: Figure, rps: Figure, eps: Figure, at: unknown): Stats => ({
  sampledAt: rawDate(at),
  cpuPercent: rawNumber(cpu) / n,
  memoryMb: rawNumber(mem),
  requestsPerSec: rawNumber(rps),
  errorsPerSec: rawNumber(eps),
});

/** The aggregates of cluster c as wc, for HEALTH (wc.total, wc.running; null when the cluster has no row yet). */
export const AGGREGATES_JOIN = 'left join cluster_aggregates wc on wc.cluster_id = c.id';

/**
 * The current stats of cluster c (joined with AGGREGATES_JOIN) in a named statement, the freshness
 * cutoff being the timestamptz parameter `cutoff` (e.g. `$5`): `join` recounts the cluster's
 * fresh samples only when its row cannot answer (a one-time filter: no scan otherwise), and
 * `columns` are the six STATS_COLUMN values that `statsFromRaw` reads.
 */
export function statsOfCluster(cutoff: string): { columns: string; join: string } {
  const stored = `wc.stats_min_at >= ${cutoff}`;
  const pick = (own: string, recount: string) => `case when ${stored} then wc.${own} else rc.${recount} end`;
  return {
    columns: [
      `${pick('sampled', 'n')} as s_n`,
      `${pick('cpu_percent_sum', 'cpu')} as s_cpu`,
      `${pick('memory_mb', 'mem')} as s_mem`,
      `${pick('requests_per_sec', 'rps')} as s_rps`,
      `${pick('errors_per_sec', 'eps')} as s_eps`,
      `${pick('stats_max_at', 'at')} as s_at`,
    ].join(', '),
    join: `left join lateral (select count(*)::int n, sum(w.cpu_percent) cpu, sum(w.memory_mb) mem, sum(w.requests_per_sec) rps, sum(w.errors_per_sec) eps, max(w.stats_at) at
      from workers w where w.cluster_id = c.id and w.stats_at >= ${cutoff} and wc.stats_min_at < ${cutoff} and wc.stats_max_at >= ${cutoff}) rc on true`,
  };
}

/** Stats from the six columns of statsOfCluster (raw values of readRows), starting at `at`; null: no fresh sample. */
export function statsFromRaw(r: readonly unknown[], at: number): Stats | null {
  const n = r[at] == null ? 0 : rawNumber(r[at]);
  return n > 0 ? toStats(n, r[at + 1] as Figure, r[at + 2] as Figure, r[at + 3] as Figure, r[at + 4] as Figure, r[at + 5]) : null;
}

const STATS_BY_CLUSTER = (() => {
  const s = statsOfCluster('$2::timestamptz');
  return keyedStatement(
    'oc_cluster_stats',
    [['cluster_id', 'uuid']],
    (keys) => `select k.ord::int, ${s.columns} from ${keys} join clusters c on c.id = k.cluster_id ${AGGREGATES_JOIN} ${s.join}`,
  );
})();

/** Current stats of clusters by id (null: no fresh sample, or no such cluster), in one statement. */
export async function readClusterStats(readRows: ReadRows, ids: readonly string[], now: Date): Promise<(Stats | null)[]> {
  const out: (Stats | null)[] = ids.map(() => null);
  if (ids.length === 0) return out;
  const cutoff = freshCutoff(now).toISOString();
  const rows = ids.length === 1 ? await readRows(STATS_BY_CLUSTER.one, [ids[0], cutoff]) : await readRows(STATS_BY_CLUSTER.many, [ids, cutoff]);
  for (const r of rows) out[rawNumber(r[0]) - 1] = statsFromRaw(r, 1);
  return out;
}

/**
 * The whole system's worker count and stats, from every cluster's aggregates (cpu averaged over
 * every worker sampled), recounting only the clusters whose row cannot answer.
 */
export async function systemAggregates(db: Db, now: Date): Promise<{ clusterCount: number; workerCount: number; stats: Stats | null }> {
  const s = statsOfCluster('p.cutoff');
  const [r] = await queryRows<{ clusters: Figure; total: Figure; n: Figure; cpu: Figure; mem: Figure; rps: Figure; eps: Figure; at: string | Date | null }>(
    db,
    sql`with p as (select ${freshCutoff(now).toISOString()}::timestamptz as cutoff)
    select count(*)::int as clusters, sum(x.total) as total, sum(x.s_n) as n, sum(x.s_cpu) as cpu, sum(x.s_mem) as mem, sum(x.s_rps) as rps, sum(x.s_eps) as eps, max(x.s_at) as at
    from (select wc.total, ${sql.raw(s.columns)} from p cross join clusters c ${sql.raw(AGGREGATES_JOIN)} ${sql.raw(s.join)}) x`,
  );
  const n = r?.n == null ? 0 : rawNumber(r.n);
  return {
    clusterCount: r?.clusters == null ? 0 : rawNumber(r.clusters),
    workerCount: r?.total == null ? 0 : rawNumber(r.total),
    stats: n > 0 ? toStats(n, r!.cpu, r!.mem, r!.rps, r!.eps, r!.at) : null };
}

/** Workers by state across the fleet (states with none left out), from the clusters' aggregates. */
export async function countWorkersByState(db: Db): Promise<{ state: string; n: number }[]> {
  const [r] = await queryRows<Record<string, Figure>>(
    db,
    sql`select sum(starting) as "STARTING", sum(running) as "RUNNING", sum(stopping) as "STOPPING", sum(stopped) as "STOPPED", sum(failed) as "FAILED" from cluster_aggregates`,
  );
  return WORKER_STATES.map((state) => ({ state, n: r?.[state] == null ? 0 : rawNumber(r[state]) })).filter((x) => x.n > 0);
}
