/**
 * The managers table: one manager per cluster, its registration and its lease (renewed on every
 * call, expired by the lease controller).
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Manager, ManagerOperationSpec } from '../../../domain/types.js';
import type { Db } from '../../client.js';
import { queryRows } from '../../query.js';
import { managers } from '../../schema/index.js';
import { rawJson } from '../../raw.js';

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

/** A managers row of a raw select (snake_case; timestamps text or Date, by driver). */
interface ManagerRecord {
  id: string;
  cluster_id: string;
  host: string;
  url: string;
  version: string | null;
  operations: ManagerOperationSpec[] | string;
  connected: boolean;
  last_seen_at: string | Date;
  connected_at: string | Date;
  registered_at: string | Date;
}

const fromManagerRecord = (r: ManagerRecord): Manager => ({
  id: r.id,
  clusterId: r.cluster_id,
  host: r.host,
  url: r.url,
  version: r.version,
  operations: rawJson<ManagerOperationSpec[]>(r.operations),
  connected: r.connected,
  lastSeenAt: new Date(r.last_seen_at),
  connectedAt: new Date(r.connected_at),
  registeredAt: new Date(r.registered_at),
});

/**
 * A registration's manager and session, in one statement (a round trip costs about as much as
 * the work of each part): the cluster's manager created or replaced , every
 * live session of the cluster revoked (as revokeClusterSessions) and the new session inserted.
 * The caller holds the cluster row's lock. Returns the manager, whether it was connected
 * before, the new session's id and the revoked sessions' ids.
 */
export async function replaceManagerSession(
  db: Db,
  v: {
    clusterId: string;
    host: string;
    url: string;
    version: string | null;
    operations: ManagerOperationSpec[];
    now: Date;
    session: { enrollmentTokenId: string | null; tokenName: string; tokenHash: string };
  },
): Promise<{ manager: Manager; wasConnected: boolean; sessionId: string; revoked: string[] }> {
  const c = sql`${v.clusterId}::uuid`;
  const now = sql`${v.now.toISOString()}::timestamptz`;
  const ops = sql`${JSON.stringify(v.operations)}::jsonb`;
  const [r] = await queryRows<ManagerRecord & { was_connected: boolean | null; session_id: string; revoked: string[] | string | null }>(
    db,
    // prev is read (and locked) first: the update joins it. (A row locked in a CTE that an upsert of
    // the same statement also writes is skipped by the lock: the manager would look new.)
    sql`with prev as (select id, connected from managers where cluster_id = ${c} for update),
    upd as (update managers m set host = ${v.host}, url = ${v.url}, version = ${v.version}, operations = ${ops}, connected = true,
        last_seen_at = ${now}, connected_at = ${now}, registered_at = ${now}
      from prev where m.id = prev.id returning m.*),
    ins as (insert into managers (cluster_id, host, url, version, operations, connected, last_seen_at, connected_at, registered_at)
      select ${c}, ${v.host}, ${v.url}, ${v.version}, ${ops}, true, ${now}, ${now}, ${now} where not exists (select 1 from prev)
      returning *),
    m as (select * from upd union all select * from ins),
    revoked as (update manager_sessions set revoked_at = ${now} where cluster_id = ${c} and revoked_at is null returning id),
    s as (insert into manager_sessions (manager_id, cluster_id, enrollment_token_id, token_name, token_hash)
      select m.id, ${c}, ${v.session.enrollmentTokenId}::uuid, ${v.session.tokenName}, ${v.session.tokenHash} from m returning id)
    select m.*, (select connected from prev) as was_connected, (select id from s) as session_id,
      (select array_agg(id::text) from revoked) as revoked
    from m`,
  );
  if (!r) throw new Error('replaceManagerSession: no manager row returned');
  const revoked = r.revoked == null ? [] : typeof r.revoked === 'string' ? parseTextArray(r.revoked) : r.revoked;
  return { manager: fromManagerRecord(r), wasConnected: r.was_connected === true, sessionId: r.session_id, revoked };
}

/** A text[] of uuids as PostgreSQL writes it (`{a,b}`), for a driver that leaves arrays as text. */
const parseTextArray = (s: string): string[] => (s === '{}' ? [] : s.slice(1, -1).split(','));
