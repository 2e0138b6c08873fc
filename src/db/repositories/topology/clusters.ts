/**
 * The clusters table: a cluster by name or id, its enrollment binding, the clusters page (natural
 * order, filtered by kind or health) and clusters' health summaries.
 */
import { eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Cluster, ClusterHealth } from '../../../domain/types.js';
import type { Db } from '../../client.js';
import { queryRows } from '../../query.js';
import { clusters } from '../../schema/index.js';
import { AGGREGATES_JOIN } from './aggregates.js';
import { healthSql } from './health.js';

export const toCluster = (r: typeof clusters.$inferSelect): Cluster => ({ id: r.id, name: r.name, kind: r.kind, createdAt: r.createdAt });

export async function findClusterByName(db: Db, name: string): Promise<Cluster | null> {
  const [r] = await db.select().from(clusters).where(eq(clusters.name, name)).limit(1);
  return r ? toCluster(r) : null;
}

export async function findClustersByIds(db: Db, ids: readonly string[]): Promise<Cluster[]> {
  if (ids.length === 0) return [];
  return (await db.select().from(clusters).where(inArray(clusters.id, [...ids]))).map(toCluster);
}

/**
 * A new cluster, or null when one of that name exists: a concurrent transaction's insert of the
 * same name makes this one wait for it (the unique index), and then insert nothing rather than fail.
 * `sortKey`: the name's natural-order key (domain/natural-order.ts).
 */
export async function insertCluster(db: Db, v: { name: string; kind: string; sortKey: string; enrolledByTokenId?: string | null }): Promise<Cluster | null> {
  const [r] = await db.insert(clusters).values(v).onConflictDoNothing({ target: clusters.name }).returning();
  return r ? toCluster(r) : null;
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
 * database collation), after a cursor; one statement, in the caller's transaction (a PATCH
 * lists its clusters with it). The GraphQL clusters page reads through readClusterPage
 * (./cluster-page.ts), with each cluster's summary, manager and stats.
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
        ${sql.raw(AGGREGATES_JOIN)}`
    : sql`from clusters c`;
  const q = sql`with f as (select c.id, c.name, c.kind, c.created_at, c.sort_key ${from} ${where})
    select p.*, (select count(*)::int from f) as total
    from (select * from f where true ${after} order by sort_key collate "C", name collate "C" limit ${page.first + 1}) p
    order by p.sort_key collate "C", p.name collate "C"`;
  const rows = await queryRows<{ id: string; name: string; kind: string; created_at: string | Date; total: number }>(db, q);
  let totalCount = rows[0]?.total;
  if (totalCount === undefined) {
    const [c] = await queryRows<{ total: number }>(db, sql`with f as (select c.id ${from} ${where}) select count(*)::int as total from f`);
    totalCount = c?.total ?? 0;
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

/** Health and worker counts of several clusters in one statement (from their aggregates). */
export async function summarizeClusters(db: Db, ids: readonly string[]): Promise<ClusterSummary[]> {
  if (ids.length === 0) return [];
  const rows = await queryRows<{ cluster_id: string; health: ClusterHealth; worker_count: number; running_count: number }>(
    db,
    sql`select c.id as cluster_id, ${healthSql} as health, coalesce(wc.total, 0)::int as worker_count, coalesce(wc.running, 0)::int as running_count
    from clusters c
    left join managers m on m.cluster_id = c.id
    ${sql.raw(AGGREGATES_JOIN)}
    where c.id = any(${sql.param([...ids])}::uuid[])`,
  );
  return rows.map((r) => ({ clusterId: r.cluster_id, health: r.health, workerCount: r.worker_count, runningCount: r.running_count }));
}
