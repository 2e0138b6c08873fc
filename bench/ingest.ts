/**
 * Ingest benchmark (`npm run bench:ingest`; never part of `npm test`): the most manager reports
 * per second the OC sustains at p99 <= 100 ms, against plain `pg` doing the same writes in the
 * same run.
 *
 * Two kinds of call, measured apart: `reportStats` with 50 samples (one per worker of a cluster)
 * and `reportMembership` with 10 events (state changes of 10 workers). For each, three systems:
 * - plain pg: this process runs each call's transaction itself with node-postgres (a pool of 5,
 *   as the OC's), the same statements the OC sends (lock the session, write the workers, recompute
 *   the cluster's aggregates, record the stats history, renew the lease): what PostgreSQL alone
 *   allows;
 * - the OC: the manager's GraphQL mutation over HTTP to one OC (a child process);
 * - two OC instances on the same PostgreSQL, the calls alternating between them.
 * Each is driven open-loop (calls sent at a fixed rate whatever the answers, latency measured
 * from when a call was due, so a server that falls behind shows it), the rate raised by half
 * while p99 <= 100 ms and every call succeeds, then narrowed between the last pass and the first
 * failure. The figure is the highest rate that passed.
 *
 * Seeding: BENCH_CLUSTERS (200) clusters of 50 workers through the API. A cluster has at most one
 * membership call in flight (its seq numbers must arrive in order, as from a real manager).
 *
 * Environment: DATABASE_URL (required for the target; without it PGlite, informational and
 * without the plain pg baseline), BENCH_CLUSTERS, BENCH_INGEST_KINDS, BENCH_STEP_SECONDS (5; --quick 2),
 * BENCH_QUIET_WAIT (s, 30). Flags: --json, --quick.
 */
import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { documentText, ReportMembershipMutation, ReportStatsMutation } from '../simulator/documents.js';
import { PROFILES } from '../simulator/profiles.js';
import { createToken } from '../test/support/oc.js';
import { type ChildServer, type ProcessUsage, startChild } from './lib/child.js';
import { cleanup, onCleanup } from './lib/cleanup.js';
import { requestHeaders } from './lib/load.js';
import { pgBackendCpu, pgCpuDelta, waitForQuiet } from './lib/machine.js';
import type { OcReady } from './lib/oc-server.js';
import { emitFigures, envInt, quickMode } from './lib/report.js';
import { clusterName, memberId, seedTopology } from './lib/seed.js';

const TARGET_RATIO = 0.5;
const P99_LIMIT_MS = 100;
const WORKERS = 50;
const EVENTS = 10;

const clusters = envInt('BENCH_CLUSTERS', 200);
const stepSeconds = envInt('BENCH_STEP_SECONDS', quickMode ? 2 : 5);
const quietWaitSeconds = envInt('BENCH_QUIET_WAIT', quickMode ? 5 : 30);
const refinements = quickMode ? 1 : 3;
/** BENCH_INGEST_KINDS: which calls to measure, comma-separated (stats, membership; default both). */
const kinds = (process.env.BENCH_INGEST_KINDS ?? 'stats,membership').split(',').map((k) => k.trim()) as Kind[];
for (const k of kinds) if (k !== 'stats' && k !== 'membership') throw new Error(`BENCH_INGEST_KINDS: unknown kind ${k} (stats, membership)`);
/** BENCH_PROFILE: a directory where a CPU profile of the OC (one instance) over each kind's steps is written. */
const profileDir = process.env.BENCH_PROFILE ? resolve(process.env.BENCH_PROFILE) : null;
if (profileDir) mkdirSync(profileDir, { recursive: true });

const REPORT_STATS = documentText(ReportStatsMutation);
const REPORT_MEMBERSHIP = documentText(ReportMembershipMutation);

type Kind = 'stats' | 'membership';

/** What every system is given: the clusters with their session, and each cluster's next membership seq. */
interface Fleet {
  names: string[];
  tokens: string[];
  sessionIds: string[];
  clusterIds: string[];
  nextSeq: number[];
  /** Per cluster, how many membership calls it has had: which workers the next one changes, and to what. */
  flips: number[];
  busy: boolean[];
  /** After failed membership calls: each cluster's next seq as the database has it (a failed call may or may not have been applied). */
  resync?: () => Promise<void>;
}

const samples = (now: Date) =>
  Array.from({ length: WORKERS }, (_, w) => ({
    memberId: memberId(w),
    at: now,
    cpuPercent: 5 + Math.random() * 90,
    memoryMb: 512 + Math.random() * 512,
    requestsPerSec: Math.random() * 200,
    errorsPerSec: Math.random() * 2,
  }));

/** The next membership call of cluster i: 10 workers (a different ten each time) flip between RUNNING and STOPPED. */
function membershipEvents(f: Fleet, i: number) {
  const n = f.flips[i]!++;
  const base = (n * EVENTS) % WORKERS;
  const state = Math.floor((n * EVENTS) / WORKERS) % 2 === 0 ? 'STOPPED' : 'RUNNING';
  const seq = f.nextSeq[i]!;
  f.nextSeq[i] = seq + EVENTS;
  return Array.from({ length: EVENTS }, (_, e) => ({
    seq: seq + e,
    change: 'STATE_CHANGED' as const,
    worker: { memberId: memberId(base + e), host: `${f.names[i]}-${memberId(base + e)}.local`, state },
  }));
}

/** One call of a kind to cluster i; resolves when it is through (throws on any failure). */
type Caller = (kind: Kind, i: number, n: number) => Promise<void>;

function ocCaller(urls: string[], f: Fleet): Caller {
  return async (kind, i, n) => {
    const url = urls[n % urls.length]!;
    const body =
      kind === 'stats'
        ? { query: REPORT_STATS, variables: { input: { samples: samples(new Date()) } } }
        : { query: REPORT_MEMBERSHIP, variables: { input: { events: membershipEvents(f, i) } } };
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers: requestHeaders({ url, token: f.tokens[i]!, query: '' }), body: JSON.stringify(body) });
    const json = (await res.json()) as { data?: Record<string, { __typename: string; message?: string }>; errors?: unknown };
    const r = json.data?.[kind === 'stats' ? 'reportStats' : 'reportMembership'];
    if (res.status !== 200 || !r || r.__typename.endsWith('Error')) throw new Error(`${kind}: ${JSON.stringify(json).slice(0, 300)}`);
  };
}

/**
 * The same writes with plain node-postgres: the statements the OC's ManagerService sends for the
 * call, in one transaction, parameterized as any hand-written pg code would be.
 */
function pgCaller(pool: pg.Pool, f: Fleet): Caller {
  const cutoff = () => new Date(Date.now() - 5 * 60_000).toISOString();
  const aggregates = `insert into cluster_aggregates as a (cluster_id, total, starting, running, stopping, stopped, failed, sampled, cpu_percent_sum, memory_mb, requests_per_sec, errors_per_sec, stats_min_at, stats_max_at)
    select $1::uuid, count(*)::int, (count(*) filter (where w.state = 'STARTING'))::int, (count(*) filter (where w.state = 'RUNNING'))::int,
      (count(*) filter (where w.state = 'STOPPING'))::int, (count(*) filter (where w.state = 'STOPPED'))::int, (count(*) filter (where w.state = 'FAILED'))::int,
      (count(*) filter (where w.fresh))::int, coalesce(sum(w.cpu_percent) filter (where w.fresh), 0), coalesce(sum(w.memory_mb) filter (where w.fresh), 0),
      coalesce(sum(w.requests_per_sec) filter (where w.fresh), 0), coalesce(sum(w.errors_per_sec) filter (where w.fresh), 0),
      min(w.stats_at) filter (where w.fresh), max(w.stats_at) filter (where w.fresh)
    from (select state, stats_at, cpu_percent, memory_mb, requests_per_sec, errors_per_sec, stats_at >= $2::timestamptz as fresh from workers where cluster_id = $1::uuid) w
    on conflict (cluster_id) do update set total = excluded.total, starting = excluded.starting, running = excluded.running, stopping = excluded.stopping,
      stopped = excluded.stopped, failed = excluded.failed, sampled = excluded.sampled, cpu_percent_sum = excluded.cpu_percent_sum, memory_mb = excluded.memory_mb,
      requests_per_sec = excluded.requests_per_sec, errors_per_sec = excluded.errors_per_sec, stats_min_at = excluded.stats_min_at, stats_max_at = excluded.stats_max_at
    returning sampled, cpu_percent_sum, memory_mb, requests_per_sec, errors_per_sec, stats_max_at`;
  const touch = `with prev as (select id, connected from managers where cluster_id = $1 for update)
    update managers m set last_seen_at = $2::timestamptz, connected = true, connected_at = case when prev.connected then m.connected_at else $2::timestamptz end
    from prev where m.id = prev.id returning prev.connected`;
  return async (kind, i) => {
    const c = await pool.connect();
    try {
      await c.query('begin');
      const now = new Date().toISOString();
      const clusterId = f.clusterIds[i]!;
      const [s] = (await c.query('select cluster_id, last_seq, revoked_at from manager_sessions where id = $1 for update', [f.sessionIds[i]])).rows;
      if (!s || s.revoked_at) throw new Error('session revoked');
      if (kind === 'stats') {
        const ss = samples(new Date());
        await c.query(
          `update workers w set stats_at = s.at, cpu_percent = s.cpu, memory_mb = s.mem, requests_per_sec = s.rps, errors_per_sec = s.eps
          from unnest($2::text[], $3::timestamptz[], $4::float8[], $5::float8[], $6::float8[], $7::float8[]) as s(member_id, at, cpu, mem, rps, eps)
          where w.cluster_id = $1 and w.member_id = s.member_id and (w.stats_at is null or w.stats_at <= s.at)`,
          [clusterId, ss.map((x) => x.memberId), ss.map((x) => x.at.toISOString()), ss.map((x) => x.cpuPercent), ss.map((x) => x.memoryMb), ss.map((x) => x.requestsPerSec), ss.map((x) => x.errorsPerSec)],
        );
        const [agg] = (await c.query(aggregates, [clusterId, cutoff()])).rows;
        const n = Number(agg.sampled);
        await c.query(
          `insert into cluster_stats as cs (cluster_id, bucket, snapshots, cpu_percent, memory_mb, requests_per_sec, errors_per_sec, last_at)
          values ($1, to_timestamp(floor(extract(epoch from $2::timestamptz) / 10) * 10), 1, $3, $4, $5, $6, $2::timestamptz)
          on conflict (cluster_id, bucket) do update set snapshots = cs.snapshots + 1, cpu_percent = cs.cpu_percent + excluded.cpu_percent,
            memory_mb = cs.memory_mb + excluded.memory_mb, requests_per_sec = cs.requests_per_sec + excluded.requests_per_sec,
            errors_per_sec = cs.errors_per_sec + excluded.errors_per_sec, last_at = greatest(cs.last_at, excluded.last_at)`,
          [clusterId, agg.stats_max_at, Number(agg.cpu_percent_sum) / n, agg.memory_mb, agg.requests_per_sec, agg.errors_per_sec],
        );
      } else {
        const events = membershipEvents(f, i);
        const members = events.map((e) => e.worker.memberId);
        // What the OC reads first: the workers as they were (it folds the events over them).
        await c.query('select * from workers where cluster_id = $1 and member_id = any($2::text[])', [clusterId, members]);
        await c.query(
          `insert into workers (cluster_id, member_id, host, port, state, started_at, joined_at, state_changed_at, state_changes, artifacts)
          select $1, m, h, null, st, null, $2::timestamptz, $2::timestamptz, 1, '[]'::jsonb from unnest($3::text[], $4::text[], $5::text[]) as x(m, h, st)
          on conflict (cluster_id, member_id) do update set host = excluded.host, port = excluded.port, state = excluded.state, started_at = excluded.started_at,
            state_changed_at = excluded.state_changed_at, state_changes = workers.state_changes + excluded.state_changes, artifacts = excluded.artifacts
          returning *`,
          [clusterId, now, members, events.map((e) => e.worker.host), events.map((e) => e.worker.state)],
        );
        await c.query(aggregates, [clusterId, cutoff()]);
        await c.query('update manager_sessions set last_seq = $2 where id = $1', [f.sessionIds[i], events[events.length - 1]!.seq]);
      }
      await c.query(touch, [clusterId, now]);
      await c.query('commit');
    } catch (e) {
      await c.query('rollback').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  };
}

interface Step {
  rate: number;
  /** Calls completed per second over the step. */
  achieved: number;
  p50: number;
  p99: number;
  failures: number;
  calls: number;
  ok: boolean;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : Number.NaN);

/** Calls of `kind` at `rate` a second for `seconds`, open loop; latency from when each call was due. */
async function runStep(call: Caller, f: Fleet, kind: Kind, rate: number, seconds: number): Promise<Step> {
  const latencies: number[] = [];
  let failures = 0;
  let firstError: unknown = null;
  const inflight = new Set<Promise<void>>();
  const start = performance.now();
  const total = Math.round(rate * seconds);
  let next = 0;
  let cursor = 0;
  while (next < total) {
    const due = start + (next * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // Send every call that is due now.
    while (next < total && start + (next * 1000) / rate <= performance.now()) {
      const dueAt = start + (next * 1000) / rate;
      let i = -1;
      for (let k = 0; k < f.names.length; k++) {
        const j = (cursor + k) % f.names.length;
        if (kind === 'stats' || !f.busy[j]) {
          i = j;
          break;
        }
      }
      cursor = (cursor + 1) % f.names.length;
      const n = next++;
      if (i < 0) {
        failures++; // every cluster has a membership call in flight: the system is far behind
        continue;
      }
      if (kind === 'membership') f.busy[i] = true;
      const p = call(kind, i, n).then(
        () => {
          latencies.push(performance.now() - dueAt);
        },
        (e) => {
          failures++;
          firstError ??= e;
        },
      );
      const tracked = p.finally(() => {
        if (kind === 'membership') f.busy[i] = false;
        inflight.delete(tracked);
      });
      inflight.add(tracked);
    }
  }
  await Promise.all(inflight);
  if (kind === 'membership' && failures > 0) await f.resync?.();
  const elapsed = (performance.now() - start) / 1000;
  if (firstError) console.error(`    first failure: ${String((firstError as Error).message ?? firstError).slice(0, 200)}`);
  latencies.sort((a, b) => a - b);
  const p99 = percentile(latencies, 99);
  return {
    rate,
    achieved: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99,
    failures,
    calls: latencies.length,
    ok: failures === 0 && p99 <= P99_LIMIT_MS,
  };
}

interface Usage {
  /** CPU seconds of the OC processes so far (0 for plain pg). */
  server(): Promise<number>;
  pg(): Promise<Map<number, number> | null>;
}

interface Sustained {
  best: Step | null;
  steps: Step[];
  serverCpuMsPerCall: number | null;
  pgCpuMsPerCall: number | null;
}

/** The highest rate that passes: up by half while it passes, then narrowed between the last pass and the first failure. */
async function sustained(label: string, call: Caller, f: Fleet, kind: Kind, usage: Usage, startRate: number): Promise<Sustained> {
  const steps: Step[] = [];
  let best: Step | null = null;
  let cpu = { server: 0, pg: 0, calls: 0 };
  const step = async (rate: number) => {
    const load = await waitForQuiet(quietWaitSeconds * 1000, 0.15);
    const s0 = { server: await usage.server(), pg: await usage.pg() };
    const s = await runStep(call, f, kind, Math.round(rate), stepSeconds);
    const s1 = { server: await usage.server(), pg: await usage.pg() };
    steps.push(s);
    console.log(
      `  ${label.padEnd(18)} ${String(s.rate).padStart(5)}/s offered: ${s.achieved.toFixed(0).padStart(5)}/s done, p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms` +
        `${s.failures ? `, ${s.failures} failed` : ''} ${s.ok ? 'pass' : 'FAIL'}${load !== null && load >= 0.15 ? ` (machine ${Math.round(load * 100)}% busy before)` : ''}`,
    );
    if (s.ok && (!best || s.rate > best.rate)) {
      best = s;
      cpu = { server: s1.server - s0.server, pg: pgCpuDelta(s0.pg, s1.pg) ?? Number.NaN, calls: s.calls };
    }
    return s.ok;
  };
  // Warm-up, not recorded: a fresh system's first calls open the pool's connections, parse its
  // named statements and run unoptimised code, and a first step that failed on them alone capped
  // the search below the start rate however fast the system then ran.
  await runStep(call, f, kind, startRate, Math.min(stepSeconds, 3));
  let rate = startRate;
  let fail: number | null = null;
  for (let i = 0; i < 12; i++) {
    if (!(await step(rate))) {
      fail = rate;
      break;
    }
    rate *= 1.5;
  }
  // Nothing passed: down by halves until something does (or 5 calls a second fails too).
  while (!best && fail !== null && fail > 5) {
    const lower = Math.max(5, Math.round(fail / 2));
    if (await step(lower)) break;
    fail = lower;
    if (lower === 5) break;
  }
  let lo = best ? (best as Step).rate : 0;
  let hi: number | null = fail;
  for (let i = 0; hi !== null && i < refinements && hi - lo > Math.max(5, lo * 0.05); i++) {
    const mid: number = lo === 0 ? hi / 2 : (lo + hi) / 2;
    if (await step(mid)) lo = mid;
    else hi = mid;
  }
  const b = best as Step | null;
  return {
    best: b,
    steps,
    serverCpuMsPerCall: b && cpu.calls ? (cpu.server * 1000) / cpu.calls : null,
    pgCpuMsPerCall: b && cpu.calls && Number.isFinite(cpu.pg) ? (cpu.pg * 1000) / cpu.calls : null,
  };
}

async function main() {
  const databaseUrl = process.env.DATABASE_URL || null;
  const started = performance.now();
  console.log(
    `Ingest bench: ${clusters} clusters x ${WORKERS} workers on ${databaseUrl ? 'PostgreSQL' : 'PGlite (in memory; no plain pg baseline, informational)'}; ` +
      `reportStats of ${WORKERS} samples, reportMembership of ${EVENTS} events; ${stepSeconds} s per step, open loop, p99 <= ${P99_LIMIT_MS} ms (${cpus().length} cores)`,
  );
  const oc = await startChild<OcReady>(new URL('./lib/oc-server.ts', import.meta.url).href);
  onCleanup(() => oc.stop());
  const enrollment = await createToken(oc.ready.url, 'MANAGER', 'bench-enrollment');
  const seeded = await seedTopology(oc.ready.url, enrollment.token, { clusters, workersPerCluster: WORKERS, concurrency: 8 });
  await oc.call('vacuumAnalyze');

  const ocs: ChildServer<OcReady>[] = [oc];
  let pool: pg.Pool | null = null;
  let admin: pg.Client | null = null;
  const fleet: Fleet = {
    names: Array.from({ length: clusters }, (_, i) => clusterName(i)),
    tokens: seeded.sessions,
    sessionIds: [],
    clusterIds: [],
    nextSeq: Array.from({ length: clusters }, () => 1),
    flips: Array.from({ length: clusters }, () => 0),
    busy: Array.from({ length: clusters }, () => false),
  };
  if (oc.ready.databaseUrl) {
    const dbUrl = oc.ready.databaseUrl;
    pool = new pg.Pool({ connectionString: dbUrl, max: 5 });
    onCleanup(() => pool?.end());
    const { rows } = await pool.query(
      `select c.name, c.id as cluster_id, s.id as session_id from clusters c join manager_sessions s on s.cluster_id = c.id and s.revoked_at is null`,
    );
    const byName = new Map(rows.map((r: { name: string; cluster_id: string; session_id: string }) => [r.name, r]));
    fleet.clusterIds = fleet.names.map((n) => byName.get(n)!.cluster_id);
    fleet.sessionIds = fleet.names.map((n) => byName.get(n)!.session_id);
    fleet.resync = async () => {
      const seqs = await pool!.query('select id, last_seq from manager_sessions where id = any($1::uuid[])', [fleet.sessionIds]);
      const byId = new Map(seqs.rows.map((r: { id: string; last_seq: number }) => [r.id, r.last_seq]));
      fleet.nextSeq = fleet.sessionIds.map((id) => (byId.get(id) ?? 0) + 1);
    };
    const second = await startChild<OcReady>(new URL('./lib/oc-server.ts', import.meta.url).href, { BENCH_OC_ATTACH: dbUrl });
    onCleanup(() => second.stop());
    ocs.push(second);
    admin = new pg.Client({ connectionString: databaseUrl! });
    await admin.connect();
    onCleanup(() => admin?.end());
  }
  const dbName = oc.ready.databaseUrl ? new URL(oc.ready.databaseUrl).pathname.slice(1) : null;
  const pgUsage = async () => (admin && dbName ? pgBackendCpu((q, p) => admin!.query(q, p), dbName) : null);
  const ocUsage = (servers: ChildServer<OcReady>[]): Usage => ({
    server: async () => (await Promise.all(servers.map((s) => s.call<ProcessUsage>('usage')))).reduce((a, u) => a + u.cpuMicros / 1e6, 0),
    pg: pgUsage,
  });
  const selfUsage: Usage = {
    server: async () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    },
    pg: pgUsage,
  };

  const systems: { label: string; call: Caller; usage: Usage }[] = [];
  if (pool) systems.push({ label: 'plain pg', call: pgCaller(pool, fleet), usage: selfUsage });
  systems.push({ label: 'OC x1', call: ocCaller([oc.ready.url], fleet), usage: ocUsage([oc]) });
  if (ocs.length > 1) systems.push({ label: 'OC x2 (one PG)', call: ocCaller(ocs.map((o) => o.ready.url), fleet), usage: ocUsage(ocs) });

  const results: Record<Kind, Record<string, Sustained>> = { stats: {}, membership: {} };
  for (const kind of kinds) {
    console.log(`\n${kind === 'stats' ? `reportStats (${WORKERS} samples)` : `reportMembership (${EVENTS} events)`}:`);
    for (const s of systems) {
      const profile = profileDir && s.label === 'OC x1' ? join(profileDir, `ingest-${kind}.cpuprofile`) : null;
      if (profile) await oc.call('profileStart');
      results[kind][s.label] = await sustained(s.label, s.call, fleet, kind, s.usage, 100);
      if (profile) await oc.call('profileStop', profile);
    }
  }
  await cleanup();

  // The table.
  const statsInterval = PROFILES.realistic.statsIntervalMs / 1000;
  const header = ['call', 'system', 'calls/s at p99 <= 100 ms', 'p50 ms', 'p99 ms', 'x plain pg', 'server CPU ms/call', 'PG CPU ms/call'];
  const body: string[][] = [];
  const figures: Record<string, unknown> = { clusters, workersPerCluster: WORKERS, eventsPerCall: EVENTS, stepSeconds };
  for (const kind of kinds) {
    const base = results[kind]['plain pg']?.best?.rate ?? null;
    for (const s of systems) {
      const r = results[kind][s.label]!;
      const rate = r.best?.rate ?? 0;
      body.push([
        kind === 'stats' ? 'reportStats' : 'reportMembership',
        s.label,
        String(rate),
        r.best ? r.best.p50.toFixed(1) : '-',
        r.best ? r.best.p99.toFixed(1) : '-',
        base ? (rate / base).toFixed(2) : '-',
        r.serverCpuMsPerCall === null ? '-' : r.serverCpuMsPerCall.toFixed(2),
        r.pgCpuMsPerCall === null ? '-' : r.pgCpuMsPerCall.toFixed(2),
      ]);
      const key = `${kind}.${s.label.replace(/[^\w]+/g, '_').replace(/_$/, '')}`;
      figures[key] = { callsPerSec: rate, p50Ms: r.best?.p50 ?? null, p99Ms: r.best?.p99 ?? null, xPlainPg: base ? rate / base : null, serverCpuMsPerCall: r.serverCpuMsPerCall, pgCpuMsPerCall: r.pgCpuMsPerCall };
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(`\nResults (${databaseUrl ? 'PostgreSQL' : 'PGlite'}, ${clusters} clusters x ${WORKERS} workers, ${stepSeconds} s per step)\n`);
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i < 2 ? `${'-'.repeat(w + 2)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const b of body) console.log(line(b));
  const ocStats = results.stats['OC x1']?.best?.rate ?? 0;
  const managers = Math.floor(ocStats * statsInterval);
  console.log(
    `\nManagers at the default intervals (realistic profile: one reportStats every ${statsInterval} s; membership calls only as workers change, ` +
      `at most one per ${PROFILES.realistic.membershipFlushMs} ms): one OC's ${ocStats} reportStats/s is ${managers.toLocaleString('en-US')} managers ` +
      `(${(managers * WORKERS).toLocaleString('en-US')} workers at ${WORKERS} a manager) reporting stats, with no membership traffic.`,
  );
  figures.managersAtDefaultIntervals = managers;
  console.log('server CPU: the OC processes (plain pg: this process, which also generates the load). PG CPU: the PostgreSQL backends of the bench database (from /proc).');
  const ratios = (['stats', 'membership'] as const).map((k) => {
    const base = results[k]['plain pg']?.best?.rate;
    return base ? (results[k]['OC x1']?.best?.rate ?? 0) / base : null;
  });
  if (ratios.every((r) => r !== null)) {
    const met = ratios.every((r) => r! >= TARGET_RATIO);
    console.log(`\nTarget: >= ${TARGET_RATIO} x plain pg for both calls on PostgreSQL: ${met ? 'MET' : 'NOT MET'} (reportStats ${ratios[0]!.toFixed(2)} x, reportMembership ${ratios[1]!.toFixed(2)} x)`);
    figures.targetMet = met;
  }
  console.log(`(whole run ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  emitFigures('ingest', figures);
}

try {
  await main();
} catch (err) {
  console.error('\nbench failed:', err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
