/**
 * The writes of a manager's reports (reportStats, reportMembership), each report's whole write in
 * as few named statements as its rules allow: after the session row is locked (tokens.lockSession,
 * which serializes the cluster's writers, see ./aggregates.ts), one statement writes the workers,
 * brings the cluster's aggregates up to date, renews the manager's lease, and as asked sets the
 * session's seq, adds to the stats history, and returns what the report's events carry.
 *
 * Why: `npm run bench:ingest` measured a report's statements sent one by one, unnamed (parsed and
 * planned on every call), as most of both the OC's and PostgreSQL's CPU per report; plain `pg`
 * doing the same writes did them in fewer round trips. Statements are named (../../named.ts) and
 * take arrays, so their text is the same whatever the report's size.
 *
 * One statement sees one snapshot: a CTE cannot read what another CTE of it wrote. So the stats
 * report recounts its cluster over the workers as updated (the update's RETURNING joined over the
 * rows as they were), and the membership report adds the counts' deltas the service computed (a
 * recount, needed when a worker left with a sample, runs after the workers were written instead).
 */
import type { ClusterHealth, ClusterSnapshot, DeployedArtifact, ObservedWorker, Stats, WorkerState } from '../../../domain/types.js';
import type { Db, NamedStatement } from '../../client.js';
import { runNamed } from '../../named.js';
import { commitWith } from '../../transaction.js';
import { rawBoolean, rawDate, rawJson, rawNumber, rawString } from '../../raw.js';
import { AGGREGATE_COLUMNS, AGGREGATE_SELECT, type Figure, freshCutoff, SET_ALL, toStats, type WorkerCountDeltas } from './aggregates.js';
import { HEALTH } from './health.js';
import type { WorkerWrite } from './workers.js';

/** The manager's lease renewed (as touchManager); `touched` says whether it was connected before (no row: the cluster has no manager). */
const TOUCH = (cluster: string, now: string) => `prev as (select id, connected from managers where cluster_id = ${cluster} for update),
    touched as (update managers m set last_seen_at = ${now}, connected = true, connected_at = case when prev.connected then m.connected_at else ${now} end
      from prev where m.id = prev.id returning m.id, prev.connected as was_connected)`;

const AGG_RETURNING = 'total, running, sampled, cpu_percent_sum as cpu, memory_mb as mem, requests_per_sec as rps, errors_per_sec as eps, stats_max_at as at';

/** Columns of a worker row as returned here (workerFromRaw reads them in this order). */
const WORKER_COLUMNS =
  'w.id, w.cluster_id, w.member_id, w.host, w.port, w.state, w.started_at, w.joined_at, w.state_changed_at, w.state_changes, w.artifacts, w.stats_at, w.cpu_percent, w.memory_mb, w.requests_per_sec, w.errors_per_sec';

function workerFromRaw(r: readonly unknown[], at: number): ObservedWorker {
  const artifacts = r[at + 10];
  const statsAt = r[at + 11];
  return {
    id: rawString(r[at]),
    clusterId: rawString(r[at + 1]),
    memberId: rawString(r[at + 2]),
    host: rawString(r[at + 3]),
    port: r[at + 4] == null ? null : rawNumber(r[at + 4]),
    state: rawString(r[at + 5]) as WorkerState,
    startedAt: r[at + 6] == null ? null : rawDate(r[at + 6]),
    joinedAt: rawDate(r[at + 7]),
    stateChangedAt: rawDate(r[at + 8]),
    stateChanges: rawNumber(r[at + 9]),
    artifacts: rawJson<DeployedArtifact[]>(artifacts),
    stats:
      statsAt == null
        ? null
        : {
            sampledAt: rawDate(statsAt),
            cpuPercent: rawNumber(r[at + 12] ?? 0),
            memoryMb: rawNumber(r[at + 13] ?? 0),
            requestsPerSec: rawNumber(r[at + 14] ?? 0),
            errorsPerSec: rawNumber(r[at + 15] ?? 0),
          },
  };
}

const FIND_WORKERS: NamedStatement = {
  name: 'oc_report_workers',
  text: `select ${WORKER_COLUMNS} from workers w where w.cluster_id = $1::uuid and w.member_id = any($2::text[])`,
};

/** A cluster's workers of these member ids (those it has), as a report finds them before applying its events. */
export async function findClusterWorkers(db: Db, clusterId: string, memberIds: readonly string[]): Promise<ObservedWorker[]> {
  if (memberIds.length === 0) return [];
  return (await runNamed(db, FIND_WORKERS, [clusterId, memberIds])).map((r) => workerFromRaw(r, 0));
}

// --- reportStats ---------------------------------------------------------------------------

/**
 * $1 cluster, $2 now, $3 freshness cutoff, $4 history bucket seconds, $5..$10 the samples as arrays.
 * The recount reads each worker's sample as this statement leaves it (upd: the rows it updated).
 */
const STATS_REPORT: NamedStatement = {
  name: 'oc_report_stats',
  text: `with upd as (
      update workers w set stats_at = s.at, cpu_percent = s.cpu, memory_mb = s.mem, requests_per_sec = s.rps, errors_per_sec = s.eps
      from unnest($5::text[], $6::timestamptz[], $7::float8[], $8::float8[], $9::float8[], $10::float8[]) as s(member_id, at, cpu, mem, rps, eps)
      where w.cluster_id = $1::uuid and w.member_id = s.member_id and (w.stats_at is null or w.stats_at <= s.at)
      returning w.id, w.stats_at, w.cpu_percent, w.memory_mb, w.requests_per_sec, w.errors_per_sec),
    agg as (insert into cluster_aggregates as a (cluster_id, ${AGGREGATE_COLUMNS})
      select $1::uuid, ${AGGREGATE_SELECT}
      from (select x.state, x.stats_at, x.cpu_percent, x.memory_mb, x.requests_per_sec, x.errors_per_sec, x.stats_at >= $3::timestamptz as fresh
            from (select w.state, case when u.id is null then w.stats_at else u.stats_at end as stats_at,
                    case when u.id is null then w.cpu_percent else u.cpu_percent end as cpu_percent,
                    case when u.id is null then w.memory_mb else u.memory_mb end as memory_mb,
                    case when u.id is null then w.requests_per_sec else u.requests_per_sec end as requests_per_sec,
                    case when u.id is null then w.errors_per_sec else u.errors_per_sec end as errors_per_sec
                  from workers w left join upd u on u.id = w.id where w.cluster_id = $1::uuid) x) w
      on conflict (cluster_id) do update set ${SET_ALL}
      returning ${AGG_RETURNING}),
    ${TOUCH('$1::uuid', '$2::timestamptz')},
    hist as (insert into cluster_stats as cs (cluster_id, bucket, snapshots, cpu_percent, memory_mb, requests_per_sec, errors_per_sec, last_at)
      select $1::uuid, to_timestamp(floor(extract(epoch from agg.at) / $4::int) * $4::int), 1, agg.cpu / agg.sampled, agg.mem, agg.rps, agg.eps, agg.at
      from agg where agg.sampled > 0 and exists (select 1 from upd)
      on conflict (cluster_id, bucket) do update set snapshots = cs.snapshots + 1,
        cpu_percent = cs.cpu_percent + excluded.cpu_percent, memory_mb = cs.memory_mb + excluded.memory_mb,
        requests_per_sec = cs.requests_per_sec + excluded.requests_per_sec, errors_per_sec = cs.errors_per_sec + excluded.errors_per_sec,
        last_at = greatest(cs.last_at, excluded.last_at))
    select agg.sampled, agg.cpu, agg.mem, agg.rps, agg.eps, agg.at, (select was_connected from touched), (select count(*)::int from upd)
    from (select 1) one left join agg on true`,
};

export interface StatsSampleWrite {
  memberId: string;
  at: Date;
  cpuPercent: number;
  memoryMb: number;
  requestsPerSec: number;
  errorsPerSec: number;
}

/**
 * A stats report's write, in one statement: the latest sample per worker (a sample older than the
 * stored one is ignored), the cluster's aggregates recounted, the lease renewed, and when a sample
 * was accepted the current stats added to the cluster's history bucket. Returns how many workers
 * took a sample, the cluster's current stats, and whether its manager was disconnected before.
 * `commit`: the statement is the transaction's last write, and COMMIT is sent with it (../../transaction.ts).
 */
export async function writeStatsReport(
  db: Db,
  v: { clusterId: string; now: Date; samples: readonly StatsSampleWrite[]; historyBucketSeconds: number; commit: boolean },
): Promise<{ accepted: number; stats: Stats | null; cameBack: boolean }> {
  const s = v.samples;
  const [r] = await (v.commit ? commitWith : runNamed)(db, STATS_REPORT, [
    v.clusterId,
    v.now.toISOString(),
    freshCutoff(v.now).toISOString(),
    v.historyBucketSeconds,
    s.map((x) => x.memberId),
    s.map((x) => x.at.toISOString()),
    s.map((x) => x.cpuPercent),
    s.map((x) => x.memoryMb),
    s.map((x) => x.requestsPerSec),
    s.map((x) => x.errorsPerSec),
  ]);
  if (!r) throw new Error('stats report: no row returned');
  return { stats: statsAt(r, 0), cameBack: isFalse(r[6]), accepted: rawNumber(r[7]) };
}

/** Stats from sampled, cpu, mem, rps, eps, at at `i` (null: no fresh sample). */
function statsAt(r: readonly unknown[], i: number): Stats | null {
  const n = r[i] == null ? 0 : rawNumber(r[i]);
  return n > 0 ? toStats(n, r[i + 1] as Figure, r[i + 2] as Figure, r[i + 3] as Figure, r[i + 4] as Figure, r[i + 5]) : null;
}

/** A boolean column (pg sends 'f', PGlite false). */
const isFalse = (v: unknown) => v != null && !rawBoolean(v);

// --- reportMembership ----------------------------------------------------------------------

/**
 * The final select of a membership report: the aggregates (agg as wc), the lease (touched as m),
 * the cluster, the session's seq ($3 session, $4 seq), and the cluster's snapshot with its health
 * as this statement leaves it (the same HEALTH as every topology read).
 */
const MEMBERSHIP_TAIL = `${TOUCH('$1::uuid', '$2::timestamptz')},
    seq as (update manager_sessions set last_seq = $4::int where id = $3::uuid)
    select wc.sampled, wc.cpu, wc.mem, wc.rps, wc.eps, wc.at, m.was_connected, c.id, c.name, c.kind, c.created_at, ${HEALTH} as health,
      coalesce(wc.total, 0)::int, coalesce(wc.running, 0)::int`;
const MEMBERSHIP_FROM = `from (select 1) one left join agg wc on true left join (select id, true as connected, was_connected from touched) m on true
    left join clusters c on c.id = $1::uuid`;
/** Columns of the tail's select; the written workers' columns follow them. */
const TAIL_COLUMNS = 14;

/**
 * The usual membership report, in one statement: $5..$10 the deltas of total and of each state's
 * count, $11..$18 the workers to write as arrays (as upsertWorkers). Its rows: one per written
 * worker (the tail's columns repeated on each), or one without a worker when none was written.
 */
const MEMBERSHIP_REPORT: NamedStatement = {
  name: 'oc_report_membership',
  text: `with up as (
      insert into workers as w (cluster_id, member_id, host, port, state, started_at, joined_at, state_changed_at, state_changes, artifacts)
      select $1::uuid, x.m, x.h, x.p, x.s, x.sa, $2::timestamptz, x.sc, x.n, x.a::jsonb
      from unnest($11::text[], $12::text[], $13::int[], $14::text[], $15::timestamptz[], $16::timestamptz[], $17::int[], $18::text[]) as x(m, h, p, s, sa, sc, n, a)
      on conflict (cluster_id, member_id) do update set host = excluded.host, port = excluded.port, state = excluded.state,
        started_at = excluded.started_at, state_changed_at = excluded.state_changed_at, state_changes = w.state_changes + excluded.state_changes,
        artifacts = excluded.artifacts
      returning ${WORKER_COLUMNS}),
    agg as (update cluster_aggregates set total = total + $5::int, starting = starting + $6::int, running = running + $7::int,
        stopping = stopping + $8::int, stopped = stopped + $9::int, failed = failed + $10::int where cluster_id = $1::uuid
      returning ${AGG_RETURNING}),
    ${MEMBERSHIP_TAIL}, up.* ${MEMBERSHIP_FROM} left join up on true`,
};

/** After the workers were written by their own statements: the cluster recounted ($5 the freshness cutoff), and the tail. */
const MEMBERSHIP_RECOUNT: NamedStatement = {
  name: 'oc_report_membership_recount',
  text: `with agg as (insert into cluster_aggregates as a (cluster_id, ${AGGREGATE_COLUMNS})
      select $1::uuid, ${AGGREGATE_SELECT}
      from (select state, stats_at, cpu_percent, memory_mb, requests_per_sec, errors_per_sec, stats_at >= $5::timestamptz as fresh
            from workers where cluster_id = $1::uuid) w
      on conflict (cluster_id) do update set ${SET_ALL}
      returning ${AGG_RETURNING}),
    ${MEMBERSHIP_TAIL} ${MEMBERSHIP_FROM}`,
};

export interface MembershipReportEnd {
  /** The workers written, as stored (only by writeMembershipReport). */
  stored: ObservedWorker[];
  stats: Stats | null;
  cameBack: boolean;
  /** The cluster as this report leaves it (null: it is gone). */
  cluster: ClusterSnapshot | null;
}

function membershipEnd(rows: unknown[][], withWorkers: boolean): MembershipReportEnd {
  const r = rows[0];
  if (!r) throw new Error('membership report: no row returned');
  const cluster: ClusterSnapshot | null =
    r[7] == null
      ? null
      : {
          id: rawString(r[7]),
          name: rawString(r[8]),
          kind: rawString(r[9]),
          createdAt: rawDate(r[10]),
          health: rawString(r[11]) as ClusterHealth,
          workerCount: rawNumber(r[12]),
          runningCount: rawNumber(r[13]),
        };
  const stored = withWorkers ? rows.filter((row) => row[TAIL_COLUMNS] != null).map((row) => workerFromRaw(row, TAIL_COLUMNS)) : [];
  return { stored, stats: statsAt(r, 0), cameBack: isFalse(r[6]), cluster };
}

/** The parameters MEMBERSHIP_REPORT and MEMBERSHIP_REPORT_LOGGED begin with, in their order ($1 to $18). */
function membershipParams(v: { clusterId: string; now: Date; session: { id: string; lastSeq: number }; writes: readonly WorkerWrite[]; countDeltas: WorkerCountDeltas }): unknown[] {
  const d = v.countDeltas;
  const w = v.writes;
  return [
    v.clusterId,
    v.now.toISOString(),
    v.session.id,
    v.session.lastSeq,
    d.total,
    d.STARTING,
    d.RUNNING,
    d.STOPPING,
    d.STOPPED,
    d.FAILED,
    w.map((x) => x.memberId),
    w.map((x) => x.host),
    w.map((x) => x.port),
    w.map((x) => x.state),
    w.map((x) => x.startedAt?.toISOString() ?? null),
    w.map((x) => x.stateChangedAt.toISOString()),
    w.map((x) => x.stateChanges),
    w.map((x) => JSON.stringify(x.artifacts)),
  ];
}

/**
 * A membership report's write in one statement: the workers written (as upsertWorkers), the
 * cluster's counts moved by `countDeltas`, the lease renewed, the session's seq set. Returns the
 * workers as stored, the cluster's stats and snapshot, and whether its manager came back.
 */
export async function writeMembershipReport(
  db: Db,
  v: { clusterId: string; now: Date; session: { id: string; lastSeq: number }; writes: readonly WorkerWrite[]; countDeltas: WorkerCountDeltas },
): Promise<MembershipReportEnd> {
  const rows = await runNamed(db, MEMBERSHIP_REPORT, membershipParams(v));
  return membershipEnd(rows, true);
}

/** Ends a membership report whose workers were written already: the cluster recounted, the lease renewed, the seq set (see writeMembershipReport). */
export async function endMembershipReport(db: Db, v: { clusterId: string; now: Date; session: { id: string; lastSeq: number } }): Promise<MembershipReportEnd> {
  const rows = await runNamed(db, MEMBERSHIP_RECOUNT, [v.clusterId, v.now.toISOString(), v.session.id, v.session.lastSeq, freshCutoff(v.now).toISOString()]);
  return membershipEnd(rows, false);
}

/**
 * The cluster snapshot as JSON text, with the keys and date format of the ClusterSnapshot an event
 * carries in memory (JSON.stringify of it), over the tail's aliases (c, wc, m).
 */
const SNAPSHOT_JSON = `json_build_object('id', c.id, 'name', c.name, 'kind', c.kind,
      'createdAt', to_char(c.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'health', ${HEALTH},
      'workerCount', coalesce(wc.total, 0)::int, 'runningCount', coalesce(wc.running, 0)::int)::text`;

/**
 * writeMembershipReport with the report's membership events appended to the event log in the same
 * statement (one round trip less than appending them by their own statement: bench/ingest.ts).
 * $1..$18 as MEMBERSHIP_REPORT but the written workers' ids come first ($19, generated by the
 * caller for new ones, so that the rows as stored are known before this statement), $20 the
 * number of events and $21 each event's payload JSON up to its cluster (the snapshot this
 * statement computes closes it). The log's head row is locked last (the `snap` row is computed
 * first, and it reads every other write of the statement): as every other writer of the log,
 * which takes it by its last statement (event-log.ts), so no two writers wait on each other.
 * Returns the tail's columns, the snapshot's JSON text and the position of the last event.
 */
const MEMBERSHIP_REPORT_LOGGED: NamedStatement = {
  name: 'oc_report_membership_logged',
  text: `with up as (
      insert into workers as w (id, cluster_id, member_id, host, port, state, started_at, joined_at, state_changed_at, state_changes, artifacts)
      select x.id, $1::uuid, x.m, x.h, x.p, x.s, x.sa, $2::timestamptz, x.sc, x.n, x.a::jsonb
      from unnest($19::uuid[], $11::text[], $12::text[], $13::int[], $14::text[], $15::timestamptz[], $16::timestamptz[], $17::int[], $18::text[]) as x(id, m, h, p, s, sa, sc, n, a)
      on conflict (cluster_id, member_id) do update set host = excluded.host, port = excluded.port, state = excluded.state,
        started_at = excluded.started_at, state_changed_at = excluded.state_changed_at, state_changes = w.state_changes + excluded.state_changes,
        artifacts = excluded.artifacts
      returning w.id),
    agg as (update cluster_aggregates set total = total + $5::int, starting = starting + $6::int, running = running + $7::int,
        stopping = stopping + $8::int, stopped = stopped + $9::int, failed = failed + $10::int where cluster_id = $1::uuid
      returning ${AGG_RETURNING}),
    ${TOUCH('$1::uuid', '$2::timestamptz')},
    seq as (update manager_sessions set last_seq = $4::int where id = $3::uuid returning id),
    snap as (select wc.sampled, wc.cpu, wc.mem, wc.rps, wc.eps, wc.at, m.was_connected, c.id, c.name, c.kind, c.created_at, ${HEALTH} as health,
        coalesce(wc.total, 0)::int as total, coalesce(wc.running, 0)::int as running, ${SNAPSHOT_JSON} as cluster
      ${MEMBERSHIP_FROM}
      cross join (select (select count(*) from up) + (select count(*) from seq) as written) f),
    h as (insert into event_log_head (id, position) select 1, $20::bigint from snap
      on conflict (id) do update set position = event_log_head.position + excluded.position
      returning position),
    i as (insert into event_log (position, topic, cluster_id, payload)
      select h.position - $20::bigint + v.ord, 'membership', $1::uuid, (v.pre || snap.cluster || '}')::json
      from h, snap, unnest($21::text[]) with ordinality as v(pre, ord))
    select snap.sampled, snap.cpu, snap.mem, snap.rps, snap.eps, snap.at, snap.was_connected, snap.id, snap.name, snap.kind, snap.created_at, snap.health,
      snap.total, snap.running, snap.cluster, h.position::text
    from snap, h`,
};

/**
 * writeMembershipReport, and the report's membership events appended to the event log (see
 * MEMBERSHIP_REPORT_LOGGED). `ids`: each write's worker id (the stored one, or a new one for a
 * new worker); `payloads`: each event's payload JSON without its `cluster` and closing brace.
 * Returns what writeMembershipReport does (stored: none, the caller knows them), the snapshot's
 * JSON text, and the position of the first event. `commit`: the statement is the transaction's
 * last write, and COMMIT is sent with it (../../transaction.ts: the log's head is then held for
 * the statement and the commit only).
 */
export async function writeLoggedMembershipReport(
  db: Db,
  v: {
    clusterId: string;
    now: Date;
    session: { id: string; lastSeq: number };
    writes: readonly WorkerWrite[];
    ids: readonly string[];
    countDeltas: WorkerCountDeltas;
    payloads: readonly string[];
    commit: boolean;
  },
): Promise<MembershipReportEnd & { firstPosition: bigint }> {
  const n = v.payloads.length;
  const rows = await (v.commit ? commitWith : runNamed)(db, MEMBERSHIP_REPORT_LOGGED, [...membershipParams(v), v.ids, n, v.payloads]);
  const end = membershipEnd(rows, false);
  const last = rows[0]![TAIL_COLUMNS + 1];
  return { ...end, firstPosition: BigInt(rawString(last)) - BigInt(n) + 1n };
}
