import { and, asc, eq, inArray, notInArray, sql, type SQL } from 'drizzle-orm';
import type { Cluster, ClusterHealth, DeployedArtifact, Manager, ManagerOperationSpec, ObservedWorker, Stats, Worker, WorkerState } from '../../domain/types.js';
import type { Db, ReadRows } from '../client.js';
import { keyedStatement, parseTimestamptz, rawDate, rawNumber, rawString, readKeyed } from '../raw.js';
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

export const toWorker = (r: typeof workers.$inferSelect): ObservedWorker => ({
  id: r.id,
  clusterId: r.clusterId,
  memberId: r.memberId,
  host: r.host,
  port: r.port,
  state: r.state as WorkerState,
  startedAt: r.startedAt,
  joinedAt: r.joinedAt,
  stateChangedAt: r.stateChangedAt,
  stateChanges: r.stateChanges,
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

/** `sortKey`: the name's natural-order key (domain/natural-order.ts). */
export async function insertCluster(db: Db, v: { name: string; kind: string; sortKey: string; enrolledByTokenId?: string | null }): Promise<Cluster> {
  const [r] = await db.insert(clusters).values(v).returning();
  return toCluster(r!);
}

/** A cluster by name with the enrollment token it is bound to, locked for the rest of the transaction. */
export async function lockClusterByName(db: Db, name: string): Promise<(Cluster & { enrolledByTokenId: string | null }) | null> {
  const [r] = await db.select().from(clusters).where(eq(clusters.name, name)).for('update').limit(1);
  return r ? { ...toCluster(r), enrolledByTokenId: r.enrolledByTokenId } : null;
}

/** Binds a cluster to an enrollment token (null: released, the next registration binds it). */
export async function setClusterEnrollment(db: Db, id: string, tokenId: string | null): Promise<Cluster | null> {
  const [r] = await db.update(clusters).set({ enrolledByTokenId: tokenId }).where(eq(clusters.id, id)).returning();
  return r ? toCluster(r) : null;
}

export async function deleteCluster(db: Db, id: string): Promise<Cluster | null> {
  const [r] = await db.delete(clusters).where(eq(clusters.id, id)).returning();
  return r ? toCluster(r) : null;
}

/**
 * The SQL of a cluster's health (API.md's rules), over its manager m and its worker counts wc
 * (total, running; null when a left join found no workers).
 */
const HEALTH = `(case when m.id is null or not m.connected then 'UNREACHABLE' when coalesce(wc.running, 0) = 0 then 'UNAVAILABLE'
  when wc.running = wc.total then 'HEALTHY' else 'DEGRADED' end)`;
const healthSql = sql.raw(HEALTH);

export interface ClusterFilter {
  kind?: string | null;
  health?: ClusterHealth | null;
}

export interface ClusterPage {
  clusters: Cluster[];
  totalCount: number;
  hasNextPage: boolean;
}

/** Where a page of clusters starts: after this cluster (its natural-order key and name). */
export interface ClusterCursor {
  sortKey: string;
  name: string;
}

/**
 * A page of clusters in natural order (by sort key, then name, byte by byte: the same in every
 * database collation), after a cursor; one statement.
 */
export async function listClusters(db: Db, f: ClusterFilter, page: { first: number; after: ClusterCursor | null }): Promise<ClusterPage> {
  const conds: SQL[] = [];
  if (f.kind) conds.push(sql`c.kind = ${f.kind}`);
  if (f.health) conds.push(sql`${healthSql} = ${f.health}`);
  const where = conds.length ? sql`where ${sql.join(conds, sql` and `)}` : sql``;
  const after =
    page.after != null
      ? sql`and (sort_key collate "C" > ${page.after.sortKey} or (sort_key collate "C" = ${page.after.sortKey} and name collate "C" > ${page.after.name}))`
      : sql``;
  const needHealth = Boolean(f.health);
  const from = needHealth
    ? sql`from clusters c
        left join managers m on m.cluster_id = c.id
        left join (select cluster_id, count(*)::int total, (count(*) filter (where state = 'RUNNING'))::int running from workers group by cluster_id) wc on wc.cluster_id = c.id`
    : sql`from clusters c`;
  const q = sql`with f as (select c.id, c.name, c.kind, c.created_at, c.sort_key ${from} ${where})
    select p.*, (select count(*)::int from f) as total
    from (select * from f where true ${after} order by sort_key collate "C", name collate "C" limit ${page.first + 1}) p
    order by p.sort_key collate "C", p.name collate "C"`;
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

/** Worker counts of cluster c as wc (total, running). */
const WORKER_COUNTS = `cross join lateral (select count(*)::int total, (count(*) filter (where state = 'RUNNING'))::int running
  from workers w where w.cluster_id = c.id) wc`;

const CLUSTERS_WITH_SUMMARY = keyedStatement(
  'oc_clusters_with_summary',
  [['name', 'text']],
  (keys) => `select c.id, c.name, c.kind, c.created_at, ${HEALTH} as health, wc.total, wc.running
    from ${keys}
    join clusters c on c.name = k.name
    left join managers m on m.cluster_id = c.id
    ${WORKER_COUNTS}`,
);

/**
 * Clusters by name, each with its summary (health and worker counts), in one statement:
 * `cluster(name)` nearly always asks for both.
 */
export async function findClustersWithSummaryByNames(readRows: ReadRows, names: readonly string[]): Promise<{ cluster: Cluster; summary: ClusterSummary }[]> {
  if (names.length === 0) return [];
  const rows = await readKeyed(readRows, CLUSTERS_WITH_SUMMARY, [names]);
  return rows.map((r) => {
    const id = rawString(r[0]);
    return {
      cluster: { id, name: rawString(r[1]), kind: rawString(r[2]), createdAt: rawDate(r[3]) },
      summary: { clusterId: id, health: rawString(r[4]) as ClusterHealth, workerCount: rawNumber(r[5]), runningCount: rawNumber(r[6]) },
    };
  });
}

export interface ClusterPageByName {
  name: string;
  state: WorkerState | null;
  afterMemberId: string | null;
  first: number;
}

type WorkerPage = { workers: Worker[]; totalCount: number; hasNextPage: boolean };

const FIELD = '\x1f';
const RECORD = '\x1e';

/**
 * Up to `k.lim` workers of cluster `c` for key `k`, in memberId order, as ONE text value: a
 * worker's fields separated by U+001F, workers by U+001E (read back by pageFromText).
 *
 * Why one value: the driver decodes every column of every row on its own, and for a page of 50
 * workers that decoding was the biggest part of the read; PostgreSQL also writes this text for
 * less than it takes to build JSON. The separators cannot occur inside a value: ids, states,
 * numbers and timestamps have fixed formats, artifacts are JSON (which escapes control
 * characters), and memberId and host are refused with control characters (services/validate.ts;
 * the workers table checks it too). NULL is written as an empty field (never a valid value of
 * a nullable field).
 */
const WORKER_PAGE_TEXT = `(select string_agg(concat(x.id, e'\\x1f', x.member_id, e'\\x1f', x.host, e'\\x1f', x.port, e'\\x1f', x.state, e'\\x1f',
      x.started_at, e'\\x1f', x.joined_at, e'\\x1f', x.state_changed_at, e'\\x1f', x.artifacts, e'\\x1f', x.stats_at, e'\\x1f',
      x.cpu_percent, e'\\x1f', x.memory_mb, e'\\x1f', x.requests_per_sec, e'\\x1f', x.errors_per_sec), e'\\x1e' order by x.member_id)
    from (select * from workers x where x.cluster_id = c.id and (k.state is null or x.state = k.state)
          and (k.after_member is null or x.member_id > k.after_member) order by x.member_id limit k.lim) x)`;

const emptyOrNumber = (f: string | undefined) => (f ? Number(f) : null);

/** A worker's latest sample, from the same fields; its time decoded when first asked for (most reads ask for a figure or two). */
class PagedStats implements Stats {
  readonly cpuPercent: number;
  readonly memoryMb: number;
  readonly requestsPerSec: number;
  readonly errorsPerSec: number;
  readonly #at: string;
  #sampledAt: Date | undefined;
  constructor(f: string[]) {
    this.#at = f[9]!;
    this.cpuPercent = emptyOrNumber(f[10]) ?? 0;
    this.memoryMb = emptyOrNumber(f[11]) ?? 0;
    this.requestsPerSec = emptyOrNumber(f[12]) ?? 0;
    this.errorsPerSec = emptyOrNumber(f[13]) ?? 0;
  }
  get sampledAt(): Date {
    this.#sampledAt ??= parseTimestamptz(this.#at);
    return this.#sampledAt;
  }
  toJSON(): Stats {
    const { sampledAt, cpuPercent, memoryMb, requestsPerSec, errorsPerSec } = this;
    return { sampledAt, cpuPercent, memoryMb, requestsPerSec, errorsPerSec };
  }
}

/**
 * A worker of a page, decoded as it is read: its fields are kept as PostgreSQL wrote them, the
 * plain ones are set at once, and the dearer ones (timestamps, artifacts, stats) are made when
 * first asked for. A page query usually asks for a few fields of many workers (the bench's asks
 * for startedAt and one stat of 50): decoding everything up front was a tenth of its CPU time.
 * Those fields are getters: a copy made by spreading lacks them (`toJSON` gives a whole one).
 */
class PagedWorker implements Worker {
  readonly id: string;
  readonly clusterId: string;
  readonly memberId: string;
  readonly host: string;
  readonly port: number | null;
  readonly state: WorkerState;
  readonly #f: string[];
  #startedAt: Date | null | undefined;
  #joinedAt: Date | undefined;
  #stateChangedAt: Date | undefined;
  #artifacts: DeployedArtifact[] | undefined;
  #stats: Stats | null | undefined;

  constructor(f: string[], clusterId: string) {
    this.#f = f;
    this.id = f[0]!;
    this.clusterId = clusterId;
    this.memberId = f[1]!;
    this.host = f[2]!;
    this.port = emptyOrNumber(f[3]);
    this.state = f[4] as WorkerState;
  }
  get startedAt(): Date | null {
    if (this.#startedAt === undefined) this.#startedAt = this.#f[5] ? parseTimestamptz(this.#f[5]) : null;
    return this.#startedAt;
  }
  get joinedAt(): Date {
    this.#joinedAt ??= parseTimestamptz(this.#f[6]!);
    return this.#joinedAt;
  }
  get stateChangedAt(): Date {
    this.#stateChangedAt ??= parseTimestamptz(this.#f[7]!);
    return this.#stateChangedAt;
  }
  get artifacts(): DeployedArtifact[] {
    this.#artifacts ??= JSON.parse(this.#f[8]!) as DeployedArtifact[];
    return this.#artifacts;
  }
  get stats(): Stats | null {
    if (this.#stats === undefined) {
      const f = this.#f;
      this.#stats = f[9] ? new PagedStats(f) : null;
    }
    return this.#stats;
  }
  toJSON(): Worker {
    const { id, clusterId, memberId, host, port, state, startedAt, joinedAt, stateChangedAt, artifacts, stats } = this;
    return { id, clusterId, memberId, host, port, state, startedAt, joinedAt, stateChangedAt, artifacts, stats }; // stats: JSON calls its own toJSON
  }
}

/** A page from WORKER_PAGE_TEXT (read with `first + 1` as the limit): its first `first` workers, and whether there are more. */
function pageFromText(text: unknown, clusterId: string, totalCount: number, first: number): WorkerPage {
  const records = text ? (text as string).split(RECORD) : [];
  const n = Math.min(first, records.length);
  const workers: Worker[] = new Array(n);
  for (let i = 0; i < n; i++) workers[i] = new PagedWorker(records[i]!.split(FIELD), clusterId);
  return { workers, totalCount, hasNextPage: records.length > first };
}

const CLUSTERS_WITH_WORKER_PAGE = keyedStatement(
  'oc_clusters_with_worker_page',
  [
    ['name', 'text'],
    ['state', 'text'],
    ['after_member', 'text'],
    ['lim', 'int'],
  ],
  (keys) => `select k.ord::int, c.id, c.name, c.kind, c.created_at, ${HEALTH} as health, wc.total, wc.running,
      case when k.state is null then wc.total
           else (select count(*)::int from workers y where y.cluster_id = c.id and y.state = k.state) end as page_total,
      ${WORKER_PAGE_TEXT} as page
    from ${keys}
    join clusters c on c.name = k.name
    left join managers m on m.cluster_id = c.id
    ${WORKER_COUNTS}`,
);

/**
 * Clusters by name with their summaries and one page of workers each, in one statement: what
 * `cluster(name) { ... workers(...) { ... } }` needs, in a single round trip. Same page rules
 * as listWorkerPages. Results carry the index of their key; unknown names are left out.
 */
export async function findClustersWithWorkerPage(
  readRows: ReadRows,
  keys: readonly ClusterPageByName[],
): Promise<{ index: number; cluster: Cluster; summary: ClusterSummary; page: WorkerPage }[]> {
  if (keys.length === 0) return [];
  const rows = await readKeyed(readRows, CLUSTERS_WITH_WORKER_PAGE, [
    keys.map((k) => k.name),
    keys.map((k) => k.state),
    keys.map((k) => k.afterMemberId),
    keys.map((k) => k.first + 1),
  ]);
  return rows.map((r) => {
    const index = rawNumber(r[0]) - 1;
    const id = rawString(r[1]);
    return {
      index,
      cluster: { id, name: rawString(r[2]), kind: rawString(r[3]), createdAt: rawDate(r[4]) },
      summary: { clusterId: id, health: rawString(r[5]) as ClusterHealth, workerCount: rawNumber(r[6]), runningCount: rawNumber(r[7]) },
      page: pageFromText(r[9], id, rawNumber(r[8]), keys[index]!.first),
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

export async function listWorkersByCluster(db: Db, clusterId: string): Promise<ObservedWorker[]> {
  return (await db.select().from(workers).where(eq(workers.clusterId, clusterId)).orderBy(asc(workers.memberId))).map(toWorker);
}

export async function findWorkersByIds(db: Db, ids: readonly string[]): Promise<Worker[]> {
  if (ids.length === 0) return [];
  return (await db.select().from(workers).where(inArray(workers.id, [...ids]))).map(toWorker);
}

export async function findWorkersByMembers(db: Db, keys: readonly { clusterId: string; memberId: string }[]): Promise<ObservedWorker[]> {
  if (keys.length === 0) return [];
  const res = await db.execute(sql`select w.* from workers w
    join unnest(${sql.param(keys.map((k) => k.clusterId))}::uuid[], ${sql.param(keys.map((k) => k.memberId))}::text[]) as k(cluster_id, member_id)
      on w.cluster_id = k.cluster_id and w.member_id = k.member_id`);
  return ((res as any).rows as any[]).map(rawWorker);
}

const dateOrNull = (v: unknown) => (v == null ? null : new Date(v as string));

/** A worker row of a raw (snake_case) select through drizzle (the driver parsed its values). */
function rawWorker(r: any): ObservedWorker {
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
    stateChanges: Number(r.state_changes),
    artifacts: typeof r.artifacts === 'string' ? JSON.parse(r.artifacts) : r.artifacts,
    stats:
      r.stats_at == null
        ? null
        : { sampledAt: new Date(r.stats_at), cpuPercent: r.cpu_percent, memoryMb: r.memory_mb, requestsPerSec: r.requests_per_sec, errorsPerSec: r.errors_per_sec },
  };
}

export interface WorkerPageKey {
  clusterId: string;
  state: WorkerState | null;
  afterMemberId: string | null;
  first: number;
}

const WORKER_PAGES = keyedStatement(
  'oc_worker_pages',
  [
    ['cluster_id', 'uuid'],
    ['state', 'text'],
    ['after_member', 'text'],
    ['lim', 'int'],
  ],
  (keys) => `select k.ord::int,
      (select count(*)::int from workers y where y.cluster_id = c.id and (k.state is null or y.state = k.state)) as total,
      ${WORKER_PAGE_TEXT} as page
    from ${keys}
    join clusters c on c.id = k.cluster_id`,
);

/**
 * Pages of workers of many clusters in one statement (for the clusters page): each key gets
 * up to `first` workers ordered by memberId (one more is read to know whether there are more),
 * and its total count.
 */
export async function listWorkerPages(readRows: ReadRows, keys: readonly WorkerPageKey[]): Promise<WorkerPage[]> {
  if (keys.length === 0) return [];
  const rows = await readKeyed(readRows, WORKER_PAGES, [
    keys.map((k) => k.clusterId),
    keys.map((k) => k.state),
    keys.map((k) => k.afterMemberId),
    keys.map((k) => k.first + 1),
  ]);
  const out: WorkerPage[] = keys.map(() => ({ workers: [], totalCount: 0, hasNextPage: false }));
  for (const r of rows) {
    const i = rawNumber(r[0]) - 1;
    out[i] = pageFromText(r[2], keys[i]!.clusterId, rawNumber(r[1]), keys[i]!.first);
  }
  return out;
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
  /** State changes the OC saw in this report: added to the stored count (a new row starts from it). */
  stateChanges: number;
  artifacts: DeployedArtifact[];
}

/** Inserts or updates workers of a cluster in one statement per 500; returns the rows as stored. */
export async function upsertWorkers(db: Db, clusterId: string, rows: readonly WorkerWrite[], now: Date): Promise<ObservedWorker[]> {
  const out: ObservedWorker[] = [];
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
          stateChanges: sql`${workers.stateChanges} + excluded.state_changes`,
          artifacts: sql`excluded.artifacts`,
        },
      })
      .returning();
    out.push(...res.map(toWorker));
  }
  return out;
}

export async function deleteWorkers(db: Db, clusterId: string, memberIds: readonly string[]): Promise<ObservedWorker[]> {
  if (memberIds.length === 0) return [];
  return (
    await db
      .delete(workers)
      .where(and(eq(workers.clusterId, clusterId), inArray(workers.memberId, [...memberIds])))
      .returning()
  ).map(toWorker);
}

export async function deleteWorkersNotIn(db: Db, clusterId: string, keep: readonly string[]): Promise<ObservedWorker[]> {
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
