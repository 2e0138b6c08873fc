/**
 * Topology read benchmark (`npm run bench:topology`; never part of `npm test`).
 *
 * Seeds 200 clusters x 50 workers through the public API, then measures with autocannon the
 * page-of-clusters query and a single-cluster query, and a bare graphql-yoga `{ hello }` server
 * as the baseline, all in the same run with the same settings. On PostgreSQL both queries again
 * against two OC instances on the same database, the connections shared between them (server
 * CPU is then both processes'). Targets (issue 12): the page >= 0.3 x bare yoga, the single
 * cluster >= 0.4 x. Flags: --json (the figures as one JSON object, last line), --quick (1 s
 * warm-up + 4 s per row, 5 s quiet wait).
 *
 * Layout: each server runs in a child process (bench/lib/child.ts), the load generator
 * (autocannon) in this one. On a 2-core machine that lets the server's event loop have a core
 * while autocannon uses the other (in one process they would share one thread and the figures
 * would measure autocannon as much as the server), and it makes the OC's RSS and CPU time its
 * own. Both servers are up for the whole run; only one is under load at a time.
 *
 * Database: with DATABASE_URL a fresh PostgreSQL database is created next to it and dropped at
 * the end (test/support's startTestOc, pool of 5); without it, an in-memory PGlite. After seeding
 * the bench runs VACUUM ANALYZE, as autovacuum would have by the time a real fleet is queried
 * (without statistics the planner picks other plans for the first minute or so).
 *
 * Environment: BENCH_DURATION (s, default 10), BENCH_WARMUP (s, default 3), BENCH_CONNECTIONS
 * (10), BENCH_CLUSTERS (200), BENCH_WORKERS (50), BENCH_NODE_ENV (of the servers, default
 * production), BENCH_NODE_FLAGS (extra node flags for the server processes, e.g.
 * "--cpu-prof --cpu-prof-dir=.prof"), BENCH_QUIET_WAIT (s, default 60: how long each row waits for
 * the machine to be idle before it starts), BENCH_ROUNDS (default 1: repeat the three runs and
 * show each one's median round), BENCH_STRICT=1 (exit 1 when the target is missed), BENCH_PROFILE
 * (a directory: a CPU profile of the server over each measured window is written there, one
 * .cpuprofile per row, to open in Chrome's DevTools or speedscope).
 */
import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { createToken } from '../test/support/oc.js';
import { type ChildServer, type ProcessUsage, serverNodeEnv, startChild } from './lib/child.js';
import { type GraphQLTarget, type LoadResult, type LoadSettings, measure, post } from './lib/load.js';
import type { OcReady } from './lib/oc-server.js';
import { machineBusySeconds, pgBackendCpu, pgCpuDelta, waitForQuiet } from './lib/machine.js';
import { clusterName, seedTopology } from './lib/seed.js';
import { cleanup, onCleanup } from './lib/cleanup.js';
import { emitFigures, envInt, quickMode } from './lib/report.js';

/** Issue 12: the clusters page at >= 0.3 x bare yoga, the single cluster at >= 0.4 x (on PostgreSQL). */
const PAGE_TARGET = 0.3;
const SINGLE_TARGET = 0.4;


const settings: LoadSettings = {
  connections: envInt('BENCH_CONNECTIONS', 10, 1),
  warmupSeconds: envInt('BENCH_WARMUP', quickMode ? 1 : 3, 0),
  durationSeconds: envInt('BENCH_DURATION', quickMode ? 4 : 10, 1),
};
const quietWaitSeconds = envInt('BENCH_QUIET_WAIT', quickMode ? 5 : 60, 0);
const rounds = envInt('BENCH_ROUNDS', 1, 1);
const profileDir = process.env.BENCH_PROFILE ? resolve(process.env.BENCH_PROFILE) : null;
if (profileDir) mkdirSync(profileDir, { recursive: true });
const shape = { clusters: envInt('BENCH_CLUSTERS', 200, 1), workersPerCluster: envInt('BENCH_WORKERS', 50, 1), concurrency: 8 };

const PAGE_QUERY = `query ClusterPage { clusters(first: 50) { totalCount edges { node { id name kind health workerCount manager { url connected } stats { cpuPercent } } } } }`;
const singleQuery = (name: string) =>
  `query OneCluster { cluster(name: ${JSON.stringify(name)}) { id name health workerCount workers(first: 50) { edges { node { memberId state startedAt stats { cpuPercent } } } } } }`;

interface Row {
  label: string;
  load: LoadResult;
  sqlPerRequest: number | null;
  cpuMsPerRequest: number;
  cpuPercent: number;
  /** CPU of the PostgreSQL backends of the bench database, per request (PostgreSQL on this machine only). */
  pgCpuMsPerRequest: number | null;
  /**
   * Other processes' share of the machine (all cores) during the measured window: machine CPU busy
   * minus the server's, the PostgreSQL backends' and this process's (autocannon's).
   */
  otherLoad: number | null;
}

// ---------- cleanup: every server stopped, the bench database dropped, whatever happens ----------


async function dropDatabase(databaseUrl: string) {
  const name = new URL(databaseUrl).pathname.slice(1);
  if (!/^oc_test_\w+$/.test(name)) return; // only what startTestOc created
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  try {
    await c.query(`drop database if exists ${name} with (force)`);
  } finally {
    await c.end();
  }
}

// ---------- measuring one target ----------

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmtMs = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : '-');
const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;

type PgSampler = () => Promise<Map<number, number> | null>;

async function measureTarget(
  label: string,
  servers: ChildServer<unknown> | ChildServer<unknown>[],
  target: GraphQLTarget | GraphQLTarget[],
  sqlPerRequest: number | null,
  pgSample?: PgSampler,
): Promise<Row> {
  const all = Array.isArray(servers) ? servers : [servers];
  const server = all[0]!;
  const before = await waitForQuiet(quietWaitSeconds * 1000);
  if (before !== null && before >= 0.1) console.log(`  (the machine is ${Math.round(before * 100)}% busy with other work; measuring anyway)`);
  process.stdout.write(`  measuring ${label} (${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s) ... `);
  const profileFile = profileDir ? join(profileDir, `${label.replace(/[^\w]+/g, '-').replace(/^-|-$/g, '')}.cpuprofile`) : null;
  const snapshot = async () => ({
    usage: { cpuMicros: (await Promise.all(all.map((x) => x.call<ProcessUsage>('usage')))).reduce((n, u) => n + u.cpuMicros, 0) },
    pg: (await pgSample?.()) ?? null,
    self: process.cpuUsage(),
    machine: machineBusySeconds(),
    at: performance.now(),
  });
  let window: { start: Awaited<ReturnType<typeof snapshot>>; end: Awaited<ReturnType<typeof snapshot>> } | null = null;
  const load = await measure(target, settings, {
    before: async () => {
      if (profileFile) await server.call('profileStart');
      return snapshot();
    },
    after: async (start) => {
      window = { start, end: await snapshot() };
      if (profileFile) await server.call('profileStop', profileFile);
    },
  });
  if (load.failures > 0) throw new Error(`${label}: ${load.failures} failed requests (errors, timeouts or non-2xx)`);
  process.stdout.write(`${fmtInt(load.rps)} req/s\n`);
  const { start, end } = window!;
  const n = Math.max(1, load.requests);
  const wallSeconds = (end.at - start.at) / 1000;
  const serverSeconds = (end.usage.cpuMicros - start.usage.cpuMicros) / 1e6;
  const pgSeconds = pgCpuDelta(start.pg, end.pg);
  const selfSeconds = (end.self.user + end.self.system - start.self.user - start.self.system) / 1e6;
  const machineSeconds = start.machine === null || end.machine === null ? null : end.machine - start.machine;
  return {
    label,
    load,
    sqlPerRequest,
    cpuMsPerRequest: (serverSeconds * 1000) / n,
    cpuPercent: (serverSeconds / wallSeconds) * 100,
    pgCpuMsPerRequest: pgSeconds === null ? null : (pgSeconds * 1000) / n,
    otherLoad:
      machineSeconds === null ? null : Math.max(0, machineSeconds - serverSeconds - (pgSeconds ?? 0) - selfSeconds) / (wallSeconds * cpus().length),
  };
}

/** Waits (up to 20 s) until the OC's background loops have worked off what seeding kicked: < 3 statements in 500 ms. */
async function settle(oc: ChildServer<OcReady>) {
  const deadline = Date.now() + 20_000;
  let last = await oc.call<number>('queryCount');
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await oc.call<number>('queryCount');
    if (now - last < 3) return;
    last = now;
  }
}

/** SQL statements one request costs: the smallest delta of a few single requests (a background loop may add to one). */
async function statementsPerRequest(oc: ChildServer<OcReady>, target: GraphQLTarget): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 7; i++) {
    const before = await oc.call<number>('queryCount');
    await post(target);
    const after = await oc.call<number>('queryCount');
    best = Math.min(best, after - before);
  }
  return best;
}

// ---------- the run ----------

async function main() {
  const onPg = Boolean(process.env.DATABASE_URL);
  const started = performance.now();
  console.log(`Topology bench: ${shape.clusters} clusters x ${shape.workersPerCluster} workers on ${onPg ? 'PostgreSQL' : 'PGlite (in memory)'}`);
  console.log(
    `autocannon: ${settings.connections} connections, ${settings.warmupSeconds} s warm-up + ${settings.durationSeconds} s measured per query; ` +
      `each server in a child process (NODE_ENV=${serverNodeEnv()}), the load generator in this one (${cpus().length} cores)`,
  );

  // 1. The servers: the baseline (bare yoga) and the OC; both up, only one loaded at a time.
  const yoga = await startChild<{ url: string }>(new URL('./lib/bare-yoga.ts', import.meta.url).href);
  onCleanup(() => yoga.stop());
  const helloTarget: GraphQLTarget = { url: yoga.ready.url, token: null, query: '{ hello }' };
  await post(helloTarget);

  const oc = await startChild<OcReady>(new URL('./lib/oc-server.ts', import.meta.url).href);
  const { databaseUrl } = oc.ready;
  if (databaseUrl) onCleanup(() => dropDatabase(databaseUrl)); // normally done by the child; this covers a crash
  onCleanup(() => oc.stop());
  console.log(`\nservers up: bare yoga, and the OC on ${oc.ready.driver === 'pg' ? `PostgreSQL database ${new URL(databaseUrl!).pathname.slice(1)}` : 'PGlite'}`);

  const enrollment = await createToken(oc.ready.url, 'MANAGER', 'bench-enrollment');
  const viewer = await createToken(oc.ready.url, 'VIEWER', 'bench-viewer');
  const seedStart = performance.now();
  await seedTopology(oc.ready.url, enrollment.token, shape);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  console.log(`  seeded through the API in ${seedSeconds.toFixed(1)} s (${shape.clusters} registerManager + ${shape.clusters} reportStats, ${shape.concurrency} in flight)`);
  const afterSeed = await oc.call<ProcessUsage>('usage');
  await oc.call('vacuumAnalyze');

  const pageTarget: GraphQLTarget = { url: oc.ready.url, token: viewer.token, query: PAGE_QUERY };
  const oneName = clusterName(Math.min(shape.clusters - 1, 123));
  const oneTarget: GraphQLTarget = { url: oc.ready.url, token: viewer.token, query: singleQuery(oneName) };

  // What is measured must be the right answer.
  const page = await post(pageTarget);
  const expectEdges = Math.min(50, shape.clusters);
  if (page.clusters.totalCount !== shape.clusters || page.clusters.edges.length !== expectEdges) {
    throw new Error(`clusters page: totalCount ${page.clusters.totalCount}, ${page.clusters.edges.length} edges`);
  }
  const first = page.clusters.edges[0].node;
  if (first.workerCount !== shape.workersPerCluster || !first.manager?.connected || first.stats == null) throw new Error(`clusters page: unexpected node ${JSON.stringify(first)}`);
  const one = await post(oneTarget);
  const expectWorkers = Math.min(50, shape.workersPerCluster);
  if (one.cluster?.name !== oneName || one.cluster.workers.edges.length !== expectWorkers || one.cluster.workers.edges[0].node.stats == null) {
    throw new Error(`cluster(name): unexpected answer ${JSON.stringify(one).slice(0, 300)}`);
  }

  await settle(oc);
  const pageSql = await statementsPerRequest(oc, pageTarget);
  const oneSql = await statementsPerRequest(oc, oneTarget);
  let pgSample: PgSampler | undefined;
  if (databaseUrl) {
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    onCleanup(() => admin.end());
    const dbName = new URL(databaseUrl).pathname.slice(1);
    pgSample = () => pgBackendCpu((q, p) => admin.query(q, p), dbName);
  }
  // 2. The runs: bare yoga, the page, the single cluster; BENCH_ROUNDS times, the median round of each is shown.
  const runs: Row[][] = [[], [], []];
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) console.log(`  round ${round} of ${rounds}`);
    runs[0]!.push(await measureTarget('bare yoga { hello }', yoga, helloTarget, null));
    runs[1]!.push(await measureTarget('clusters(first: 50)', oc, pageTarget, pageSql, pgSample));
    runs[2]!.push(await measureTarget('cluster(name) + 50 workers', oc, oneTarget, oneSql, pgSample));
  }
  const median = (rs: Row[]) => [...rs].sort((a, b) => a.load.rps - b.load.rps)[Math.floor((rs.length - 1) / 2)]!;
  const rows = runs.map(median);
  // 3. Two OC instances on the same PostgreSQL, the load shared between them (PostgreSQL only: PGlite is one process's).
  if (databaseUrl) {
    const second = await startChild<OcReady>(new URL('./lib/oc-server.ts', import.meta.url).href, { BENCH_OC_ATTACH: databaseUrl });
    onCleanup(() => second.stop());
    const both = [oc, second] as ChildServer<unknown>[];
    const on2 = (t: GraphQLTarget): GraphQLTarget[] => [t, { ...t, url: second.ready.url }];
    await post(on2(pageTarget)[1]!);
    rows.push(await measureTarget('clusters(first: 50), 2 OCs', both, on2(pageTarget), pageSql, pgSample));
    rows.push(await measureTarget('cluster(name) + 50 workers, 2 OCs', both, on2(oneTarget), oneSql, pgSample));
  }
  const bare = rows[0]!;
  const peak = await oc.call<ProcessUsage>('usage');
  await cleanup();

  // 3. The table.
  const header = ['query', 'req/s', 'p50 ms', 'p99 ms', 'x bare yoga', 'SQL/req', 'server CPU ms/req', 'server CPU', 'PG CPU ms/req', 'other load'];
  const body = rows.map((r) => [
    r.label,
    fmtInt(r.load.rps),
    fmtMs(r.load.p50),
    fmtMs(r.load.p99),
    (r.load.rps / bare.load.rps).toFixed(2),
    r.sqlPerRequest === null ? '-' : String(r.sqlPerRequest),
    r.cpuMsPerRequest.toFixed(3),
    `${Math.round(r.cpuPercent)}%`,
    r.pgCpuMsPerRequest === null ? '-' : r.pgCpuMsPerRequest.toFixed(3),
    r.otherLoad === null ? '-' : `${Math.round(r.otherLoad * 100)}%`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(`\nResults (${onPg ? 'PostgreSQL' : 'PGlite'}, ${shape.clusters} clusters x ${shape.workersPerCluster} workers, ${settings.connections} connections, ${settings.durationSeconds} s each${rounds > 1 ? `, median of ${rounds} rounds` : ''})\n`);
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const b of body) console.log(line(b));
  console.log(
    `\nOC process RSS: ${mb(afterSeed.rss)} after seeding (peak ${mb(afterSeed.maxRss)} so far), ${mb(peak.rss)} after the runs (peak ${mb(peak.maxRss)})` +
      (onPg ? ' (PostgreSQL backends not included)' : ' (PGlite runs inside it)'),
  );
  console.log('SQL/req: app.database.queryCount delta over one request. server CPU: CPU time of the server process over the measured window (100% = one core).');
  console.log('PG CPU: CPU time of the PostgreSQL backends of the bench database (read from /proc), per request.');
  console.log("other load: other processes' share of the machine (all cores) during the row: the machine's busy time less the server's, PostgreSQL's and autocannon's.");
  const noisy = rows.filter((r) => (r.otherLoad ?? 0) > 0.1);
  if (noisy.length) {
    console.log(`WARNING: other processes used the CPU (${noisy.map((r) => r.label).join(', ')}): these figures are low and the ratios unreliable; run again on a quiet machine.`);
  }

  const pageRatio = rows[1]!.load.rps / bare.load.rps;
  const oneRatio = rows[2]!.load.rps / bare.load.rps;
  const met = pageRatio >= PAGE_TARGET && oneRatio >= SINGLE_TARGET;
  const caveat = noisy.length ? ' (unreliable: other processes loaded the machine during the runs, see the warning above)' : '';
  const figures = `the page ${pageRatio.toFixed(2)} x (>= ${PAGE_TARGET}), the single cluster ${oneRatio.toFixed(2)} x (>= ${SINGLE_TARGET})`;
  if (onPg) console.log(`\nTarget on PostgreSQL: ${met ? 'MET' : 'NOT MET'}: ${figures}${caveat}`);
  else console.log(`\nTarget (on PostgreSQL; this run is on PGlite, informational): ${figures}${caveat}. Set DATABASE_URL to measure the target.`);
  console.log(`(whole run ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  if (process.env.BENCH_STRICT && onPg && !met) process.exitCode = 1;
  emitFigures('topology', {
    database: onPg ? 'postgresql' : 'pglite',
    clusters: shape.clusters,
    workersPerCluster: shape.workersPerCluster,
    connections: settings.connections,
    durationSeconds: settings.durationSeconds,
    rows: rows.map((r) => ({
      query: r.label,
      rps: Math.round(r.load.rps),
      p50Ms: r.load.p50,
      p99Ms: r.load.p99,
      xBareYoga: Number((r.load.rps / bare.load.rps).toFixed(3)),
      sqlPerRequest: r.sqlPerRequest,
      serverCpuMsPerRequest: Number(r.cpuMsPerRequest.toFixed(3)),
      pgCpuMsPerRequest: r.pgCpuMsPerRequest === null ? null : Number(r.pgCpuMsPerRequest.toFixed(3)),
      otherLoad: r.otherLoad,
    })),
    targetMet: onPg ? met : null,
  });
}

try {
  await main();
} catch (err) {
  console.error('\nbench failed:', err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
