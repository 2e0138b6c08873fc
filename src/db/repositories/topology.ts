import { and, asc, eq, inArray, notInArray, sql, type SQL } from 'drizzle-orm';
import type { Cluster, ClusterHealth, DeployedArtifact, Manager, ManagerOperationSpec, Stats, Worker, WorkerState } from '../../domain/types.js';
import type { Db } from '../client.js';
import { clusters, managers, workers } from '../schema/index.js';

export const toCluster = (r: typeof clusters.$inferSelect): Cluster => ({ id: r.id, name: r.name, kind: r.kind, createdAt: r.createdAt });

export const toManager = (r: typeof managers.$inferSelect): Manager => ({
  id: r.id,
  clusterId: r.clusterId,
  host: r.host,
  url: r.url,
  version: r.version,
  operations: r.operations,
  connected: r.connected,
  lastSeenAt: r.lastSeenAt,
  connectedAt: r.connectedAt,
  registeredAt: r.registeredAt,
});

export const toWorker = (r: typeof workers.$inferSelect): Worker => ({
  id: r.id,
  clusterId: r.clusterId,
  memberId: r.memberId,
  host: r.host,
  port: r.port,
  state: r.state as WorkerState,
  startedAt: r.startedAt,
  joinedAt: r.joinedAt,
  stateChangedAt: r.stateChangedAt,
  artifacts: r.artifacts,
  stats:
    r.statsAt == null
      ? null
      : { sampledAt: r.statsAt, cpuPercent: r.cpuPercent ?? 0, memoryMb: r.memoryMb ?? 0, requestsPerSec: r.requestsPerSec ?? 0, errorsPerSec: r.errorsPerSec ?? 0 },
});

// ---------- clusters ----------

export async function findClusterByName(db: Db, name: string): Promise<Cluster | null> {
  const [r] = await db.select().from(clusters).where(eq(clusters.name, name)).limit(1);
  return r ? toCluster(r) : null;
}

export async function findClustersByIds(db: Db, ids: readonly string[]): Promise<Cluster[]> {
  if (ids.length === 0) return [];
  return (await db.select().from(clusters).where(inArray(clusters.id, [...ids]))).map(toCluster);
}

export async function insertCluster(db: Db, v: { name: string; kind: string }): Promise<Cluster> {
  const [r] = await db.insert(clusters).values(v).returning();
  return toCluster(r!);
}

export async function deleteCluster(db: Db, id: string): Promise<Cluster | null> {
  const [r] = await db.delete(clusters).where(eq(clusters.id, id)).returning();
  return r ? toCluster(r) : null;
}

/** The SQL expression of a cluster's health (API.md's rules), over `clusters` c. */
const healthSql = sql<ClusterHealth>`(case
  when m.id is null or not m.connected then 'UNREACHABLE'
  when coalesce(wc.running, 0) = 0 then 'UNAVAILABLE'
  when wc.running = wc.total then 'HEALTHY'
  else 'DEGRADED' end)`;

export interface ClusterFilter {
  kind?: string | null;
  health?: ClusterHealth | null;
}

export interface ClusterPage {
  clusters: Cluster[];
  totalCount: number;
  hasNextPage: boolean;
}

/** A page of clusters ordered by name, after a name cursor; one statement. */
export async function listClusters(db: Db, f: ClusterFilter, page: { first: number; afterName: string | null }): Promise<ClusterPage> {
  const conds: SQL[] = [];
  if (f.kind) conds.push(sql`c.kind = ${f.kind}`);
  if (f.health) conds.push(sql`${healthSql} = ${f.health}`);
  const where = conds.length ? sql`where ${sql.join(conds, sql` and `)}` : sql``;
  const after = page.afterName != null ? sql`and name > ${page.afterName}` : sql``;
  const needHealth = Boolean(f.health);
  const from = needHealth
    ? sql`from clusters c
        left join managers m on m.cluster_id = c.id
        left join (select cluster_id, count(*)::int total, (count(*) filter (where state = 'RUNNING'))::int running from workers group by cluster_id) wc on wc.cluster_id = c.id`
    : sql`from clusters c`;
  const q = sql`with f as (select c.id, c.name, c.kind, c.created_at ${from} ${where})
    select p.*, (select count(*)::int from f) as total
    from (select * from f where true ${after} order by name limit ${page.first + 1}) p
    order by p.name`;
  const res = await db.execute(q);
  const rows = (res as any).rows as { id: string; name: string; kind: string; created_at: string | Date; total: number }[];
  let totalCount = rows[0]?.total;
  if (totalCount === undefined) {
    const c = await db.execute(sql`with f as (select c.id ${from} ${where}) select count(*)::int as total from f`);
    totalCount = ((c as any).rows[0]?.total as number) ?? 0;
  }
  const hasNextPage = rows.length > page.first;
  return {
    clusters: rows.slice(0, page.first).map((r) => ({ id: r.id, name: r.name, kind: r.kind, createdAt: new Date(r.created_at) })),
    totalCount,
    hasNextPage,
  };
}

export async function countClusters(db: Db): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(clusters);
  return r?.n ?? 0;
}

export interface ClusterSummary {
  clusterId: string;
  health: ClusterHealth;
  workerCount: number;
  runningCount: number;
}

/**
 * Clusters by name, each with its summary (health and worker counts), in one statement:
 * `cluster(name)` nearly always asks for both.
 */
export async function findClustersWithSummaryByNames(db: Db, names: readonly string[]): Promise<{ cluster: Cluster; summary: ClusterSummary }[]> {
  if (names.length === 0) return [];
  const res = await db.execute(sql`select c.id, c.name, c.kind, c.created_at, ${healthSql} as health, wc.total as worker_count, wc.running as running_count
    from clusters c
    left join managers m on m.cluster_id = c.id
    cross join lateral (select count(*)::int total, (count(*) filter (where state = 'RUNNING'))::int running from workers w where w.cluster_id = c.id) wc
    where c.name = any(${sql.param([...names])}::text[])`);
  return ((res as any).rows as any[]).map((r) => ({
    cluster: { id: r.id, name: r.name, kind: r.kind, createdAt: new Date(r.created_at) },
    summary: { clusterId: r.id, health: r.health, workerCount: r.worker_count, runningCount: r.running_count },
  }));
}

export interface ClusterPageByName {
  name: string;
  state: WorkerState | null;
  afterMemberId: string | null;
  first: number;
}

/**
 * Clusters by name with their summaries and one page of workers each, in one statement: what
 * `cluster(name) { ... workers(...) { ... } }` needs, in a single round trip. Same page rules
 * as listWorkerPages. Results carry the index of their key; unknown names are left out.
 */
export async function findClustersWithWorkerPage(
  db: Db,
  keys: readonly ClusterPageByName[],
): Promise<{ index: number; cluster: Cluster; summary: ClusterSummary; page: { workers: Worker[]; totalCount: number; hasNextPage: boolean } }[]> {
  if (keys.length === 0) return [];
  const res = await db.execute(sql`select k.ord, c.id, c.name, c.kind, c.created_at, ${healthSql} as health, wc.total as worker_count, wc.running as running_count,
        case when k.state is null then wc.total
             else (select count(*)::int from workers x where x.cluster_id = c.id and x.state = k.state) end as page_total,
        w.page
      from unnest(${sql.param(keys.map((k) => k.name))}::text[], ${sql.param(keys.map((k) => k.state))}::text[],
                  ${sql.param(keys.map((k) => k.afterMemberId))}::text[], ${sql.param(keys.map((k) => k.first + 1))}::int[])
        with ordinality as k(name, state, after_member, lim, ord)
      join clusters c on c.name = k.name
      left join managers m on m.cluster_id = c.id
      cross join lateral (select count(*)::int total, (count(*) filter (where state = 'RUNNING'))::int running from workers w where w.cluster_id = c.id) wc
      cross join lateral (select coalesce(json_agg(p order by p.member_id), '[]') as page from (
          select * from workers x where x.cluster_id = c.id and (k.state is null or x.state = k.state)
            and (k.after_member is null or x.member_id > k.after_member) order by x.member_id limit k.lim) p) w`);
  return ((res as any).rows as any[]).map((r) => {
    const index = Number(r.ord) - 1;
    return {
      index,
      cluster: { id: r.id, name: r.name, kind: r.kind, createdAt: new Date(r.created_at) },
      summary: { clusterId: r.id, health: r.health, workerCount: r.worker_count, runningCount: r.running_count },
      page: jsonPage(r.page, r.page_total, keys[index]!.first),
    };
  });
}

/** Health and worker counts of several clusters in one statement. */
export async function summarizeClusters(db: Db, ids: readonly string[]): Promise<ClusterSummary[]> {
  if (ids.length === 0) return [];
  const res = await db.execute(sql`select c.id as cluster_id, ${healthSql} as health, coalesce(wc.total, 0)::int as worker_count, coalesce(wc.running, 0)::int as running_count
    from clusters c
    left join managers m on m.cluster_id = c.id
    left join (select cluster_id, count(*)::int total, (count(*) filter (where state = 'RUNNING'))::int running
               from workers where cluster_id = any(${sql.param([...ids])}::uuid[]) group by cluster_id) wc on wc.cluster_id = c.id
    where c.id = any(${sql.param([...ids])}::uuid[])`);
  return ((res as any).rows as any[]).map((r) => ({ clusterId: r.cluster_id, health: r.health, workerCount: r.worker_count, runningCount: r.running_count }));
}

// ---------- managers ----------

export async function findManagersByClusterIds(db: Db, clusterIds: readonly string[]): Promise<Manager[]> {
  if (clusterIds.length === 0) return [];
  return (await db.select().from(managers).where(inArray(managers.clusterId, [...clusterIds]))).map(toManager);
}

export async function findManagersByIds(db: Db, ids: readonly string[]): Promise<Manager[]> {
  if (ids.length === 0) return [];
  return (await db.select().from(managers).where(inArray(managers.id, [...ids]))).map(toManager);
}

/** Creates or replaces the cluster's manager; returns it and whether it was connected before. */
export async function upsertManager(
  db: Db,
  v: { clusterId: string; host: string; url: string; version: string | null; operations: ManagerOperationSpec[]; now: Date },
): Promise<{ manager: Manager; wasConnected: boolean }> {
  const [prev] = await db.select().from(managers).where(eq(managers.clusterId, v.clusterId)).for('update').limit(1);
  const values = {
    host: v.host,
    url: v.url,
    version: v.version,
    operations: v.operations,
    connected: true,
    lastSeenAt: v.now,
    connectedAt: v.now,
    registeredAt: v.now,
  };
  if (prev) {
    const [r] = await db.update(managers).set(values).where(eq(managers.id, prev.id)).returning();
    return { manager: toManager(r!), wasConnected: prev.connected };
  }
  const [r] = await db
    .insert(managers)
    .values({ clusterId: v.clusterId, ...values })
    .returning();
  return { manager: toManager(r!), wasConnected: false };
}

/** Renews a manager's lease; returns true when it was disconnected before (it just came back). */
export async function touchManager(db: Db, clusterId: string, now: Date): Promise<boolean> {
  const res = await db.execute(sql`with prev as (select id, connected from managers where cluster_id = ${clusterId} for update)
    update managers m set last_seen_at = ${now.toISOString()}::timestamptz, connected = true,
      connected_at = case when prev.connected then m.connected_at else ${now.toISOString()}::timestamptz end
    from prev where m.id = prev.id returning prev.connected as was_connected`);
  const row = (res as any).rows[0] as { was_connected: boolean } | undefined;
  return row ? !row.was_connected : false;
}

/** Marks managers whose lease ran out as disconnected; returns their cluster ids. */
export async function expireManagerLeases(db: Db, cutoff: Date): Promise<string[]> {
  const rows = await db
    .update(managers)
    .set({ connected: false })
    .where(and(eq(managers.connected, true), sql`${managers.lastSeenAt} < ${cutoff.toISOString()}::timestamptz`))
    .returning({ clusterId: managers.clusterId });
  return rows.map((r) => r.clusterId);
}

export async function countConnectedManagers(db: Db): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(managers).where(eq(managers.connected, true));
  return r?.n ?? 0;
}

// ---------- workers ----------

export async function listWorkersByCluster(db: Db, clusterId: string): Promise<Worker[]> {
  return (await db.select().from(workers).where(eq(workers.clusterId, clusterId)).orderBy(asc(workers.memberId))).map(toWorker);
}

export async function findWorkersByIds(db: Db, ids: readonly string[]): Promise<Worker[]> {
  if (ids.length === 0) return [];
  return (await db.select().from(workers).where(inArray(workers.id, [...ids]))).map(toWorker);
}

export async function findWorkersByMembers(db: Db, keys: readonly { clusterId: string; memberId: string }[]): Promise<Worker[]> {
  if (keys.length === 0) return [];
  const res = await db.execute(sql`select w.* from workers w
    join unnest(${sql.param(keys.map((k) => k.clusterId))}::uuid[], ${sql.param(keys.map((k) => k.memberId))}::text[]) as k(cluster_id, member_id)
      on w.cluster_id = k.cluster_id and w.member_id = k.member_id`);
  return ((res as any).rows as any[]).map(rawWorker);
}

// Helpers of the row mappers live at module level: a closure made inside a mapper would be made
// again for every row (and under tsx, wrapped by its keep-names helper each time).
const dateOrNull = (v: unknown) => (v == null ? null : new Date(v as string));
const asNumber = (v: unknown) => v as number;
/** PostgreSQL's JSON renders a non-finite float8 as a string ("NaN"). */
const jsonNumber = (v: unknown) => (typeof v === 'string' ? Number(v) : (v as number));

function workerFromRow(r: any, num: (v: unknown) => number): Worker {
  return {
    id: r.id,
    clusterId: r.cluster_id,
    memberId: r.member_id,
    host: r.host,
    port: r.port,
    state: r.state,
    startedAt: dateOrNull(r.started_at),
    joinedAt: new Date(r.joined_at),
    stateChangedAt: new Date(r.state_changed_at),
    artifacts: typeof r.artifacts === 'string' ? JSON.parse(r.artifacts) : r.artifacts,
    stats:
      r.stats_at == null
        ? null
        : { sampledAt: new Date(r.stats_at), cpuPercent: num(r.cpu_percent), memoryMb: num(r.memory_mb), requestsPerSec: num(r.requests_per_sec), errorsPerSec: num(r.errors_per_sec) },
  };
}

/** A worker row of a raw (snake_case) select. */
const rawWorker = (r: any): Worker => workerFromRow(r, asNumber);
/** A worker row as PostgreSQL's JSON renders it (row_to_json, json_agg): timestamps as ISO strings. */
const jsonWorker = (r: any): Worker => workerFromRow(r, jsonNumber);

export interface WorkerPageKey {
  clusterId: string;
  state: WorkerState | null;
  afterMemberId: string | null;
  first: number;
}

/**
 * Pages of workers of many clusters in one statement (for the clusters page): each key gets
 * up to `first + 1` workers ordered by memberId, and its total count.
 *
 * Each page comes back as one JSON array (json_agg) rather than one row per worker: the driver
 * then parses one value per page instead of every column of every worker, which was most of
 * the client-side cost of a page (50 workers: about 900 column values).
 */
export async function listWorkerPages(db: Db, keys: readonly WorkerPageKey[]): Promise<{ workers: Worker[]; totalCount: number; hasNextPage: boolean }[]> {
  if (keys.length === 0) return [];
  const res = await db.execute(sql`select k.ord, t.total, w.page from
      unnest(${sql.param(keys.map((k) => k.clusterId))}::uuid[], ${sql.param(keys.map((k) => k.state))}::text[],
             ${sql.param(keys.map((k) => k.afterMemberId))}::text[], ${sql.param(keys.map((k) => k.first + 1))}::int[])
        with ordinality as k(cluster_id, state, after_member, lim, ord)
      cross join lateral (select count(*)::int total from workers x where x.cluster_id = k.cluster_id and (k.state is null or x.state = k.state)) t
      cross join lateral (select coalesce(json_agg(p order by p.member_id), '[]') as page from (
          select * from workers x where x.cluster_id = k.cluster_id and (k.state is null or x.state = k.state)
            and (k.after_member is null or x.member_id > k.after_member) order by x.member_id limit k.lim) p) w`);
  const out = keys.map(() => ({ workers: [] as Worker[], totalCount: 0, hasNextPage: false }));
  for (const r of (res as any).rows as any[]) {
    const i = Number(r.ord) - 1;
    out[i] = jsonPage(r.page, r.total, keys[i]!.first);
  }
  return out;
}

/** A page fetched with up to `first + 1` workers (as a json_agg array): the first `first`, and whether there are more. */
function jsonPage(page: unknown, totalCount: number, first: number): { workers: Worker[]; totalCount: number; hasNextPage: boolean } {
  const rows = (typeof page === 'string' ? JSON.parse(page) : page) as any[];
  const hasNextPage = rows.length > first;
  if (hasNextPage) rows.length = first;
  return { workers: rows.map(jsonWorker), totalCount, hasNextPage };
}

export async function countWorkers(db: Db): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(workers);
  return r?.n ?? 0;
}

export async function countWorkersByState(db: Db): Promise<{ state: string; n: number }[]> {
  return db.select({ state: workers.state, n: sql<number>`count(*)::int` }).from(workers).groupBy(workers.state);
}

export interface WorkerWrite {
  memberId: string;
  host: string;
  port: number | null;
  state: WorkerState;
  startedAt: Date | null;
  stateChangedAt: Date;
  artifacts: DeployedArtifact[];
}

/** Inserts or updates workers of a cluster in one statement per 500; returns the rows as stored. */
export async function upsertWorkers(db: Db, clusterId: string, rows: readonly WorkerWrite[], now: Date): Promise<Worker[]> {
  const out: Worker[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const res = await db
      .insert(workers)
      .values(chunk.map((w) => ({ clusterId, ...w, joinedAt: now })))
      .onConflictDoUpdate({
        target: [workers.clusterId, workers.memberId],
        set: {
          host: sql`excluded.host`,
          port: sql`excluded.port`,
          state: sql`excluded.state`,
          startedAt: sql`excluded.started_at`,
          stateChangedAt: sql`excluded.state_changed_at`,
          artifacts: sql`excluded.artifacts`,
        },
      })
      .returning();
    out.push(...res.map(toWorker));
  }
  return out;
}

export async function deleteWorkers(db: Db, clusterId: string, memberIds: readonly string[]): Promise<Worker[]> {
  if (memberIds.length === 0) return [];
  return (
    await db
      .delete(workers)
      .where(and(eq(workers.clusterId, clusterId), inArray(workers.memberId, [...memberIds])))
      .returning()
  ).map(toWorker);
}

export async function deleteWorkersNotIn(db: Db, clusterId: string, keep: readonly string[]): Promise<Worker[]> {
  const where = keep.length ? and(eq(workers.clusterId, clusterId), notInArray(workers.memberId, [...keep])) : eq(workers.clusterId, clusterId);
  return (await db.delete(workers).where(where).returning()).map(toWorker);
}

/** Stores the latest stats sample per worker (one statement); returns how many workers matched. */
export async function updateWorkerStats(db: Db, clusterId: string, samples: readonly ({ memberId: string; at: Date } & Omit<Stats, 'sampledAt'>)[]): Promise<number> {
  if (samples.length === 0) return 0;
  const res = await db.execute(sql`update workers w set stats_at = s.at, cpu_percent = s.cpu, memory_mb = s.mem, requests_per_sec = s.rps, errors_per_sec = s.eps
    from unnest(${sql.param(samples.map((s) => s.memberId))}::text[], ${sql.param(samples.map((s) => s.at.toISOString()))}::timestamptz[],
                ${sql.param(samples.map((s) => s.cpuPercent))}::float8[], ${sql.param(samples.map((s) => s.memoryMb))}::float8[],
                ${sql.param(samples.map((s) => s.requestsPerSec))}::float8[], ${sql.param(samples.map((s) => s.errorsPerSec))}::float8[])
      as s(member_id, at, cpu, mem, rps, eps)
    where w.cluster_id = ${clusterId} and w.member_id = s.member_id and (w.stats_at is null or w.stats_at <= s.at)`);
  return (res as any).rowCount ?? (res as any).affectedRows ?? 0;
}


/** Artifact versions across clusters' workers, with how many workers run each (skew is visible). */
export async function countArtifactVersions(db: Db, clusterIds: readonly string[]): Promise<{ clusterId: string; name: string; version: string; workerCount: number }[]> {
  if (clusterIds.length === 0) return [];
  const res = await db.execute(sql`select w.cluster_id, a->>'name' as name, a->>'version' as version, count(*)::int as n
    from workers w cross join lateral jsonb_array_elements(w.artifacts) a
    where w.cluster_id = any(${sql.param([...clusterIds])}::uuid[])
    group by 1, 2, 3 order by 2, 3`);
  return ((res as any).rows as any[]).map((r) => ({ clusterId: r.cluster_id, name: r.name, version: r.version, workerCount: r.n }));
}
