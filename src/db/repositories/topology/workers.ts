/**
 * The workers table: what managers report (membership, states, artifacts, stats samples) written
 * in bulk, and workers read by id, by cluster and by member id.
 */
import { and, eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { DeployedArtifact, ObservedWorker, Stats, Worker, WorkerState } from '../../../domain/types.js';
import type { Db } from '../../client.js';
import { affectedRows, queryRows } from '../../query.js';
import { workers } from '../../schema/index.js';
import { rawJson } from '../../raw.js';

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

export async function listWorkersByCluster(db: Db, clusterId: string): Promise<ObservedWorker[]> {
  // Raw: drizzle's select builder cost more than the statement for a registration's diff.
  return (await queryRows<WorkerRecord>(db, sql`select * from workers where cluster_id = ${clusterId}::uuid order by member_id`)).map(fromRecord);
}

export async function findWorkersByIds(db: Db, ids: readonly string[]): Promise<Worker[]> {
  if (ids.length === 0) return [];
  return (await db.select().from(workers).where(inArray(workers.id, [...ids]))).map(toWorker);
}

/** A worker row of a raw `select w.*` (snake_case; timestamps are text or Date, artifacts text or parsed, by driver). */
export interface WorkerRecord {
  id: string;
  cluster_id: string;
  member_id: string;
  host: string;
  port: number | null;
  state: WorkerState;
  started_at: string | Date | null;
  joined_at: string | Date;
  state_changed_at: string | Date;
  state_changes: number | string;
  artifacts: DeployedArtifact[] | string;
  stats_at: string | Date | null;
  cpu_percent: number;
  memory_mb: number;
  requests_per_sec: number;
  errors_per_sec: number;
}

export async function findWorkersByMembers(db: Db, keys: readonly { clusterId: string; memberId: string }[]): Promise<ObservedWorker[]> {
  if (keys.length === 0) return [];
  const rows = await queryRows<WorkerRecord>(
    db,
    sql`select w.* from workers w
    join unnest(${sql.param(keys.map((k) => k.clusterId))}::uuid[], ${sql.param(keys.map((k) => k.memberId))}::text[]) as k(cluster_id, member_id)
      on w.cluster_id = k.cluster_id and w.member_id = k.member_id`,
  );
  return rows.map(fromRecord);
}

const dateOrNull = (v: string | Date | null) => (v == null ? null : new Date(v));

export function fromRecord(r: WorkerRecord): ObservedWorker {
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
    artifacts: rawJson<DeployedArtifact[]>(r.artifacts),
    stats:
      r.stats_at == null
        ? null
        : { sampledAt: new Date(r.stats_at), cpuPercent: r.cpu_percent, memoryMb: r.memory_mb, requestsPerSec: r.requests_per_sec, errorsPerSec: r.errors_per_sec },
  };
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

/**
 * Inserts or updates workers of a cluster in one statement per 500 (the rows as arrays: a few
 * parameters however many workers); returns the rows as stored.
 */
export async function upsertWorkers(db: Db, clusterId: string, rows: readonly WorkerWrite[], now: Date): Promise<ObservedWorker[]> {
  const out: ObservedWorker[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const stored = await queryRows<WorkerRecord>(db, sql`${upsertStatement(clusterId, rows.slice(i, i + 500), now)} returning w.*`);
    out.push(...stored.map(fromRecord));
  }
  return out;
}

/** The insert-or-update of workers (the rows as arrays: a few parameters however many workers), without its returning clause. */
function upsertStatement(clusterId: string, chunk: readonly WorkerWrite[], now: Date) {
  const col = <T>(f: (w: WorkerWrite) => T) => sql.param(chunk.map(f));
  return sql`insert into workers as w (cluster_id, member_id, host, port, state, started_at, joined_at, state_changed_at, state_changes, artifacts)
      select ${clusterId}::uuid, x.m, x.h, x.p, x.s, x.sa, ${now.toISOString()}::timestamptz, x.sc, x.n, x.a::jsonb
      from unnest(${col((w) => w.memberId)}::text[], ${col((w) => w.host)}::text[], ${col((w) => w.port)}::int[], ${col((w) => w.state)}::text[],
                  ${col((w) => w.startedAt?.toISOString() ?? null)}::timestamptz[], ${col((w) => w.stateChangedAt.toISOString())}::timestamptz[],
                  ${col((w) => w.stateChanges)}::int[], ${col((w) => JSON.stringify(w.artifacts))}::text[]) as x(m, h, p, s, sa, sc, n, a)
      on conflict (cluster_id, member_id) do update set host = excluded.host, port = excluded.port, state = excluded.state,
        started_at = excluded.started_at, state_changed_at = excluded.state_changed_at, state_changes = w.state_changes + excluded.state_changes,
        artifacts = excluded.artifacts`;
}

/**
 * A registration's membership in one statement: the cluster's workers whose member id is not in
 * `keep` deleted (none when `keep` is null: a cluster just created), and `rows` inserted or
 * updated. The two touch different rows, so they run as two parts of one statement. Returns
 * the rows deleted and the rows as stored.
 */
export async function replaceWorkers(
  db: Db,
  clusterId: string,
  keep: readonly string[] | null,
  rows: readonly WorkerWrite[],
  now: Date,
): Promise<{ deleted: ObservedWorker[]; stored: ObservedWorker[] }> {
  if (rows.length > 500) {
    // Past one chunk of the upsert: as separate statements.
    const deleted = keep === null ? [] : await deleteWorkersNotIn(db, clusterId, keep);
    return { deleted, stored: await upsertWorkers(db, clusterId, rows, now) };
  }
  if (keep === null && rows.length === 0) return { deleted: [], stored: [] };
  const del =
    keep === null
      ? sql`select null::text as op, w.* from workers w where false`
      : sql`delete from workers w where w.cluster_id = ${clusterId}::uuid and not (w.member_id = any(${sql.param([...keep])}::text[])) returning 'd'::text as op, w.*`;
  const up = rows.length === 0 ? sql`select null::text as op, w.* from workers w where false` : sql`${upsertStatement(clusterId, rows, now)} returning 'u'::text as op, w.*`;
  const found = await queryRows<WorkerRecord & { op: 'd' | 'u' }>(db, sql`with d as (${del}), u as (${up}) select * from d union all select * from u`);
  const deleted: ObservedWorker[] = [];
  const stored: ObservedWorker[] = [];
  for (const r of found) (r.op === 'd' ? deleted : stored).push(fromRecord(r));
  return { deleted, stored };
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
  return affectedRows(
    db,
    sql`update workers w set stats_at = s.at, cpu_percent = s.cpu, memory_mb = s.mem, requests_per_sec = s.rps, errors_per_sec = s.eps
    from unnest(${sql.param(samples.map((s) => s.memberId))}::text[], ${sql.param(samples.map((s) => s.at.toISOString()))}::timestamptz[],
                ${sql.param(samples.map((s) => s.cpuPercent))}::float8[], ${sql.param(samples.map((s) => s.memoryMb))}::float8[],
                ${sql.param(samples.map((s) => s.requestsPerSec))}::float8[], ${sql.param(samples.map((s) => s.errorsPerSec))}::float8[])
      as s(member_id, at, cpu, mem, rps, eps)
    where w.cluster_id = ${clusterId} and w.member_id = s.member_id and (w.stats_at is null or w.stats_at <= s.at)`,
  );
}

/** Artifact versions across clusters' workers, with how many workers run each (skew is visible). */
export async function countArtifactVersions(db: Db, clusterIds: readonly string[]): Promise<{ clusterId: string; name: string; version: string; workerCount: number }[]> {
  if (clusterIds.length === 0) return [];
  const rows = await queryRows<{ cluster_id: string; name: string; version: string; n: number }>(
    db,
    sql`select w.cluster_id, a->>'name' as name, a->>'version' as version, count(*)::int as n
    from workers w cross join lateral jsonb_array_elements(w.artifacts) a
    where w.cluster_id = any(${sql.param([...clusterIds])}::uuid[])
    group by 1, 2, 3 order by 2, 3`,
  );
  return rows.map((r) => ({ clusterId: r.cluster_id, name: r.name, version: r.version, workerCount: r.n }));
}
