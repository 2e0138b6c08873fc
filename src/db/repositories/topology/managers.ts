/**
 * The managers table: one manager per cluster, its registration and its lease (renewed on every
 * call, expired by the lease controller).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Manager, ManagerOperationSpec } from '../../../domain/types.js';
import type { Db } from '../../client.js';
import { queryRows } from '../../query.js';
import { managers } from '../../schema/index.js';

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
  const [row] = await queryRows<{ was_connected: boolean }>(
    db,
    sql`with prev as (select id, connected from managers where cluster_id = ${clusterId} for update)
    update managers m set last_seen_at = ${now.toISOString()}::timestamptz, connected = true,
      connected_at = case when prev.connected then m.connected_at else ${now.toISOString()}::timestamptz end
    from prev where m.id = prev.id returning prev.connected as was_connected`,
  );
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
