/**
 * Event log benchmark (`npm run bench:events`; never part of `npm test`). Issue 11, "Measured".
 *
 * 1. The log's cost on the hot path: `reportMembership` calls (10 events each) per second, from
 *    BENCH_MANAGERS managers at once (one in flight each, as real managers do), against two OCs
 *    in the same run: one with the event log (the default), one with OC_EVENT_LOG=off (the
 *    bench-only switch: the same code without the append). Runs alternate (with, without, with,
 *    ...) BENCH_ROUNDS times; the medians and their ratio are printed. Target: at most 15% slower.
 * 2. Replay: the log is filled through the API (reports of 100 events) until it holds
 *    BENCH_REPLAY events past a position; then the events per second of
 *    `events(after:, first: 1000)` paged over HTTP, and of `membershipChanged(after:)` over
 *    graphql-ws replaying them all (then going live).
 *
 * CPU per call (the OC process, plus its database's PostgreSQL backends on PostgreSQL) is printed
 * too: on a machine shared with other work it moves far less than throughput does.
 *
 * Each OC runs in its own child process (bench/lib/child.ts) on a fresh database (DATABASE_URL's
 * PostgreSQL, else in-memory PGlite); the load generator in this one.
 *
 * Environment: BENCH_DURATION (s per run, default 10; quick 4), BENCH_ROUNDS (3; quick 1),
 * BENCH_MANAGERS (16), BENCH_WORKERS (workers per manager, 50), BENCH_REPLAY (100000; quick 20000),
 * BENCH_QUIET_WAIT (s, default 30).
 */
import { cpus, loadavg } from 'node:os';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { documentText, ReportMembershipMutation } from '../simulator/documents.js';
import { ADMIN_TOKEN, createToken } from '../test/support/oc.js';
import pg from 'pg';
import { type ChildServer, type ProcessUsage, startChild } from './lib/child.js';
import { cleanup, onCleanup } from './lib/cleanup.js';
import { post } from './lib/load.js';
import { backgroundLoad, pgBackendCpu, pgCpuDelta, waitForQuiet } from './lib/machine.js';
import type { OcReady } from './lib/oc-server.js';
import { emitFigures, envInt, quickMode } from './lib/report.js';
import { memberId, seedTopology } from './lib/seed.js';


const DURATION = envInt('BENCH_DURATION', quickMode ? 4 : 10, 1);
const ROUNDS = envInt('BENCH_ROUNDS', quickMode ? 1 : 3, 1);
const MANAGERS = envInt('BENCH_MANAGERS', 16, 1);
const WORKERS = envInt('BENCH_WORKERS', 50, 10);
const REPLAY = envInt('BENCH_REPLAY', quickMode ? 20_000 : 100_000, 1000);
const QUIET = envInt('BENCH_QUIET_WAIT', 30, 0);
const EVENTS_PER_REPORT = 10;
const TARGET = 1.15;

const REPORT = documentText(ReportMembershipMutation);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : Number.NaN);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Oc {
  label: string;
  url: string;
  child: ChildServer<OcReady>;
  /** CPU seconds of its database's PostgreSQL backends so far (null on PGlite). */
  pgCpu: () => Promise<Map<number, number> | null>;
  sessions: string[];
  /** Next seq and each worker's state, per manager. */
  seq: number[];
  running: boolean[][];
}

async function startOc(label: string, eventLog: boolean): Promise<Oc> {
  const child = await startChild<OcReady>(new URL('./lib/oc-server.ts', import.meta.url).href, { BENCH_OC_CONFIG: JSON.stringify({ eventLog }) });
  onCleanup(() => child.stop());
  const { url, databaseUrl } = child.ready;
  let pgCpu: Oc['pgCpu'] = async () => null;
  if (databaseUrl) {
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    onCleanup(() => admin.end());
    const name = new URL(databaseUrl).pathname.slice(1);
    pgCpu = () => pgBackendCpu((q, p) => admin.query(q, p), name);
  }
  const enrollment = (await createToken(url, 'MANAGER', 'bench-events')).token;
  const { sessions } = await seedTopology(url, enrollment, { clusters: MANAGERS, workersPerCluster: WORKERS, concurrency: 8 });
  return { label, url, child, pgCpu, sessions, seq: sessions.map(() => 1), running: sessions.map(() => Array(WORKERS).fill(true)) };
}

/** One manager's next report of `n` events: STATE_CHANGED, each worker in turn flipping between RUNNING and STOPPED. */
function nextReport(oc: Oc, m: number, n: number) {
  const events = Array.from({ length: n }, (_, i) => {
    const seq = oc.seq[m]! + i;
    const w = seq % WORKERS;
    const running = !oc.running[m]![w];
    oc.running[m]![w] = running;
    return {
      seq,
      change: 'STATE_CHANGED',
      worker: { memberId: memberId(w), host: `w${w}.local`, port: 8080, state: running ? 'RUNNING' : 'STOPPED', startedAt: new Date(Date.now() - 60_000).toISOString(), artifacts: [{ name: 'app', version: '1.0.0' }] },
    };
  });
  oc.seq[m] = oc.seq[m]! + n;
  return { url: oc.url, token: oc.sessions[m]!, query: REPORT, variables: { input: { events } } };
}

async function report(oc: Oc, m: number, n: number) {
  const d = await post(nextReport(oc, m, n));
  if (d.reportMembership.__typename !== 'ReportMembershipPayload' || d.reportMembership.applied !== n) throw new Error(`reportMembership: ${JSON.stringify(d.reportMembership)}`);
}

/** Every manager reports, one call in flight each, for `seconds`: calls per second, latencies, and CPU per call of the OC and of its PostgreSQL backends. */
async function drive(oc: Oc, seconds: number, n = EVENTS_PER_REPORT) {
  const latencies: number[] = [];
  const cpu0 = await oc.child.call<ProcessUsage>('usage');
  const pg0 = await oc.pgCpu();
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    oc.sessions.map(async (_s, m) => {
      while (performance.now() < end) {
        const t = performance.now();
        await report(oc, m, n);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const cpu1 = await oc.child.call<ProcessUsage>('usage');
  const pgSeconds = pgCpuDelta(pg0, await oc.pgCpu());
  const calls = Math.max(1, latencies.length);
  latencies.sort((a, b) => a - b);
  return {
    callsPerSecond: latencies.length / seconds,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    ocCpuMsPerCall: (cpu1.cpuMicros - cpu0.cpuMicros) / 1000 / calls,
    pgCpuMsPerCall: pgSeconds === null ? null : (pgSeconds * 1000) / calls,
  };
}

/** The newest position: positions are dense from 1 and nothing is pruned here, so it is the number of events. */
async function lastPosition(url: string, token: string): Promise<bigint> {
  const d = await post({ url, token, query: `{ events(first: 0) { totalCount } }` });
  return BigInt(d.events.totalCount);
}

async function main() {
  console.log(`bench:events: ${MANAGERS} managers x ${WORKERS} workers, reports of ${EVENTS_PER_REPORT} events, ${ROUNDS} round(s) of ${DURATION} s each way; ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}; ${cpus().length} cores`);
  const withLog = await startOc('with the event log', true);
  const without = await startOc('without (OC_EVENT_LOG=off)', false);
  const admin = ADMIN_TOKEN;

  // ---- 1. the hot path, alternating ----
  const runs: Record<string, Awaited<ReturnType<typeof drive>>[]> = { on: [], off: [] };
  const loads: number[] = [];
  for (const oc of [withLog, without]) await drive(oc, 2); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const [key, oc] of [['on', withLog], ['off', without]] as const) {
      const quiet = await waitForQuiet(QUIET * 1000);
      if (quiet !== null) loads.push(quiet);
      const res = await drive(oc, DURATION);
      runs[key]!.push(res);
      const pgText = res.pgCpuMsPerCall === null ? '' : `, PostgreSQL CPU ${res.pgCpuMsPerCall.toFixed(2)} ms/call`;
      console.log(
        `  round ${r + 1} ${oc.label.padEnd(28)} ${fmt(res.callsPerSecond)} calls/s (${fmt(res.callsPerSecond * EVENTS_PER_REPORT)} events/s), p50 ${res.p50.toFixed(1)} ms, p99 ${res.p99.toFixed(1)} ms, OC CPU ${res.ocCpuMsPerCall.toFixed(2)} ms/call${pgText}`,
      );
    }
  }
  const on = median(runs.on!.map((x) => x.callsPerSecond));
  const off = median(runs.off!.map((x) => x.callsPerSecond));
  const slowdown = off / on;
  console.log(`  median: with ${fmt(on)} calls/s, without ${fmt(off)} calls/s: the log costs ${((1 - on / off) * 100).toFixed(1)}% (without/with = ${slowdown.toFixed(3)}; target <= ${TARGET})`);
  // CPU per call moves much less than throughput when other work shares the machine.
  const cpuOf = (xs: typeof runs.on) => median(xs!.map((x) => x.ocCpuMsPerCall + (x.pgCpuMsPerCall ?? 0)));
  const cpuOn = cpuOf(runs.on);
  const cpuOff = cpuOf(runs.off);
  console.log(`  CPU per call (OC${process.env.DATABASE_URL ? ' + PostgreSQL' : ''}): with ${cpuOn.toFixed(2)} ms, without ${cpuOff.toFixed(2)} ms: x${(cpuOn / cpuOff).toFixed(3)}`);

  // ---- 2. replay ----
  let head = await lastPosition(withLog.url, admin);
  const fillStart = performance.now();
  const target = head + BigInt(REPLAY);
  const from = head;
  process.stdout.write(`  filling the log with ${fmt(REPLAY)} more events (reports of 100) ... `);
  await Promise.all(
    withLog.sessions.map(async (_s, m) => {
      while (head < target) {
        await report(withLog, m, 100);
        head += 100n;
      }
    }),
  );
  head = await lastPosition(withLog.url, admin);
  console.log(`${((performance.now() - fillStart) / 1000).toFixed(1)} s`);
  const count = Number(head - from);

  // events(after:) pages of 1000, over HTTP.
  let t = performance.now();
  let after = from;
  let paged = 0;
  for (;;) {
    const d = await post({
      url: withLog.url,
      token: admin,
      query: `query($a: String) { events(after: $a, first: 1000, topics: [MEMBERSHIP]) { pageInfo { hasNextPage endCursor } edges { node { position ... on MembershipEvent { change worker { memberId state } } } } } }`,
      variables: { a: after.toString() },
    });
    paged += d.events.edges.length;
    if (!d.events.pageInfo.hasNextPage) break;
    after = BigInt(d.events.pageInfo.endCursor);
  }
  const pagedSeconds = (performance.now() - t) / 1000;
  console.log(`  events(after:) paging ${fmt(paged)} events: ${pagedSeconds.toFixed(2)} s, ${fmt(paged / pagedSeconds)} events/s`);

  // membershipChanged(after:) over graphql-ws: the replay a reconnecting client gets.
  const client = createClient({ url: `${withLog.url.replace(/^http/, 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${admin}` }, retryAttempts: 0 });
  onCleanup(() => client.dispose());
  t = performance.now();
  let received = 0;
  let lastSeen = '';
  await new Promise<void>((resolve, reject) => {
    const stop = client.subscribe<{ membershipChanged: { position: string } }>(
      { query: `subscription($a: String) { membershipChanged(after: $a) { position change worker { memberId state } } }`, variables: { a: from.toString() } },
      {
        next: (v) => {
          if (v.errors) return reject(new Error(JSON.stringify(v.errors)));
          received++;
          lastSeen = v.data!.membershipChanged.position;
          if (BigInt(lastSeen) >= head) {
            stop();
            resolve();
          }
        },
        error: reject,
        complete: () => resolve(),
      },
    );
  });
  const subSeconds = (performance.now() - t) / 1000;
  console.log(`  membershipChanged(after:) replaying ${fmt(received)} events: ${subSeconds.toFixed(2)} s, ${fmt(received / subSeconds)} events/s`);
  const after1 = await backgroundLoad();

  const figures = {
    database: process.env.DATABASE_URL ? 'postgres' : 'pglite',
    managers: MANAGERS,
    eventsPerReport: EVENTS_PER_REPORT,
    reportsPerSecondWithLog: Math.round(on),
    reportsPerSecondWithoutLog: Math.round(off),
    withoutOverWith: Number(slowdown.toFixed(3)),
    logCostPercent: Number(((1 - on / off) * 100).toFixed(1)),
    targetMet: slowdown <= TARGET,
    cpuMsPerCallWithLog: Number(cpuOn.toFixed(2)),
    cpuMsPerCallWithoutLog: Number(cpuOff.toFixed(2)),
    cpuWithOverWithout: Number((cpuOn / cpuOff).toFixed(3)),
    p99WithLogMs: Number(median(runs.on!.map((x) => x.p99)).toFixed(1)),
    p99WithoutLogMs: Number(median(runs.off!.map((x) => x.p99)).toFixed(1)),
    replayEvents: count,
    replayPagedEventsPerSecond: Math.round(paged / pagedSeconds),
    replaySubscriptionEventsPerSecond: Math.round(received / subSeconds),
    machineLoadBefore: loads.length ? Number(median(loads).toFixed(2)) : null,
    machineLoadAfter: after1 === null ? null : Number(after1.toFixed(2)),
    loadavg1: Number(loadavg()[0]!.toFixed(2)),
  };
  console.log(`  machine: ${cpus().length} cores, load average ${figures.loadavg1}, other load before runs (median) ${figures.machineLoadBefore ?? '-'}`);
  emitFigures('events', figures);
}

try {
  await main();
} finally {
  await cleanup();
}
