/**
 * Subscriptions benchmark (`npm run bench:subscriptions`; never part of `npm test`).
 *
 * Many graphql-ws subscribers of `membershipChanged` with the README's selection (half of them
 * watching every cluster, half filtered to the reporting manager's cluster), each on its own
 * socket, while one manager reports membership events at a steady rate through the public API.
 * Measured: every event delivered to every subscriber, in order; report→receipt latency (from the
 * moment the manager sends the report to the moment a subscriber has the event); the manager's
 * report latency with and without the subscribers; memory per idle subscriber.
 *
 * Baseline, in the same run: a plain `ws` server (bench/lib/raw-ws-server.ts) broadcasting the
 * very messages the OC sends, at the same rate, to as many plain `ws` clients, the "report" being
 * an HTTP POST to it. Its clients are the same code as the OC's (bench/lib/ws-subscribers.ts).
 *
 * Layout: the OC, the raw server and the subscribers (BENCH_CLIENT_PROCS processes) are child
 * processes; the manager is this one. Everything shares the machine's cores: the latency includes
 * the subscribers' own processing, on both sides alike. At full size (2,000 subscribers x 100
 * events/s = 200,000 messages/s) the subscriber processes alone want more than a core: on a
 * 2-core machine the run is bound by them on both sides, and its latencies say so (compare the
 * raw baseline's); the quick profile is the one that measures the servers.
 *
 * Environment: BENCH_SUBSCRIBERS (per group; default 1000, --quick 200), BENCH_SECONDS (30, --quick
 * 10), BENCH_RATE (events/s, 100), BENCH_EVENTS_PER_REPORT (1: each event reported as it happens),
 * (events due while a report is in flight go in the next one), BENCH_CLIENT_PROCS (2), BENCH_CLUSTERS (20 clusters of 50 workers). DATABASE_URL: the OC on a
 * fresh PostgreSQL database; else PGlite. Targets (issue 12): p99 ≤ 25 ms and ≤ 3× the raw
 * baseline; the manager's report latency within ±20% of its latency alone; idle subscriber memory
 * ≤ 2× a raw connection's.
 */
import { cpus } from 'node:os';
import { documentText, ReportMembershipMutation } from '../simulator/documents.js';
import { metricValue } from '../test/support/client.js';
import { createToken } from '../test/support/oc.js';
import { type ChildServer, type ProcessUsage, startChild } from './lib/child.js';
import { cleanup, onCleanup } from './lib/cleanup.js';
import { post } from './lib/load.js';
import { backgroundLoad, machineBusySeconds } from './lib/machine.js';
import type { OcReady } from './lib/oc-server.js';
import { emitFigures, envInt, quickMode } from './lib/report.js';
import { clusterName, memberId, seedTopology } from './lib/seed.js';


const perGroup = envInt('BENCH_SUBSCRIBERS', quickMode ? 200 : 1000, 1);
const seconds = envInt('BENCH_SECONDS', quickMode ? 10 : 30, 1);
const rate = envInt('BENCH_RATE', 100, 1);
const perReport = envInt('BENCH_EVENTS_PER_REPORT', 1, 1);
const clientProcs = envInt('BENCH_CLIENT_PROCS', 2, 1);
const clusters = envInt('BENCH_CLUSTERS', 20, 2);
const WORKERS = 50;
const REPORTING = 1; // a cluster whose workers are all RUNNING after seeding

const README_QUERY = 'subscription { membershipChanged { change at cluster { name health } worker { memberId state } } }';
const FILTERED_QUERY = 'subscription OneCluster($c: ID) { membershipChanged(clusterId: $c) { change at cluster { name health } worker { memberId state } } }';
const REPORT = documentText(ReportMembershipMutation);

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The k-th event of a run: worker k mod 50 goes down, then (next round) up again. */
const eventOf = (k: number) => ({ memberId: memberId(k % WORKERS), state: Math.floor(k / WORKERS) % 2 === 0 ? 'STOPPED' : 'RUNNING' });

/** The upper bound (ms) of a bucket of ws-subscribers.ts's latency histogram. */
const bucketMs = (b: number) => (b < 2000 ? (b + 1) / 20 : 100 + (b - 2000) + 1);

type Collected = { subscribers: number; received: number; extra: number; missing: number; outOfOrder: number; errors: number; hist: [number, number][] };

function percentiles(hist: Map<number, number>) {
  const total = [...hist.values()].reduce((a, b) => a + b, 0);
  const sorted = [...hist].sort((a, b) => a[0] - b[0]);
  const at = (q: number) => {
    let seen = 0;
    for (const [b, n] of sorted) {
      seen += n;
      if (seen >= q * total) return bucketMs(b);
    }
    return Number.NaN;
  };
  return { p50: at(0.5), p99: at(0.99), max: sorted.length ? bucketMs(sorted[sorted.length - 1]![0]) : Number.NaN };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};

/**
 * Sends the run's events at `rate` per second, `perReport` per call, one call after the other (a
 * manager's reports carry seq: they are sequential). Events that fell due while a call was in
 * flight go in the next call, as a manager sends what it has: the rate holds whatever the
 * latency. Returns when each event was sent and each call's latency.
 */
async function drive(events: number, send: (first: number, count: number) => Promise<void>): Promise<{ sentAt: number[]; latencies: number[]; calls: number }> {
  const sentAt: number[] = new Array(events);
  const latencies: number[] = [];
  const interval = 1000 / rate;
  const start = now();
  let k = 0;
  while (k < events) {
    const wait = start + (k + perReport - 1) * interval - now();
    if (wait > 0) await sleep(wait);
    const due = Math.floor((now() - start) / interval) + 1 - k;
    const count = Math.min(Math.max(perReport, due), 500, events - k);
    const t = now();
    for (let i = 0; i < count; i++) sentAt[k + i] = t;
    await send(k, count);
    latencies.push(now() - t);
    k += count;
  }
  return { sentAt, latencies, calls: latencies.length };
}

/** Waits until every subscriber has every event (or `maxMs` passed). */
async function delivered(children: ChildServer<unknown>[], maxMs: number) {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const p = await Promise.all(children.map((c) => c.call<{ subscribers: number; complete: number }>('progress')));
    if (p.every((x) => x.complete === x.subscribers) || Date.now() > deadline) return;
    await sleep(200);
  }
}

async function collect(children: ChildServer<unknown>[], sentAt: number[]) {
  const parts = await Promise.all(children.map((c) => c.call<Collected>('collect', sentAt)));
  const hist = new Map<number, number>();
  for (const p of parts) for (const [b, n] of p.hist) hist.set(b, (hist.get(b) ?? 0) + n);
  const sum = (k: 'subscribers' | 'received' | 'extra' | 'missing' | 'outOfOrder' | 'errors') => parts.reduce((n, p) => n + p[k], 0);
  return { subscribers: sum('subscribers'), received: sum('received'), extra: sum('extra'), missing: sum('missing'), outOfOrder: sum('outOfOrder'), errors: sum('errors'), ...percentiles(hist) };
}

/** Opens `perGroup` subscribers of each group, spread over the children. */
async function openAll(children: ChildServer<unknown>[], groups: Record<string, unknown>[]) {
  await Promise.all(
    children.map(async (c, i) => {
      for (const g of groups) {
        const count = Math.floor(perGroup / children.length) + (i < perGroup % children.length ? 1 : 0);
        if (count > 0) await c.call('open', { ...g, count });
      }
    }),
  );
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : '-');
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

async function main() {
  const started = performance.now();
  const events = rate * seconds;
  const n = perGroup * 2;
  console.log(
    `Subscriptions bench: ${n} subscribers (${perGroup} of every cluster, ${perGroup} of the reporting one), ${rate} events/s for ${seconds} s ` +
      `(${perReport} per report), ${clusters} clusters x ${WORKERS} workers, ${clientProcs} subscriber processes, ${cpus().length} cores`,
  );
  const gcEnv = { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --expose-gc`.trim() };
  const oc = await startChild<OcReady>(new URL('./lib/oc-server.ts', import.meta.url).href, gcEnv);
  onCleanup(() => oc.stop());
  const raw = await startChild<{ url: string }>(new URL('./lib/raw-ws-server.ts', import.meta.url).href, gcEnv);
  onCleanup(() => raw.stop());
  const children: ChildServer<unknown>[] = [];
  for (let i = 0; i < clientProcs; i++) {
    const c = await startChild<unknown>(new URL('./lib/ws-subscribers.ts', import.meta.url).href);
    onCleanup(() => c.stop());
    children.push(c);
  }
  const url = oc.ready.url;
  console.log(`OC on ${oc.ready.driver === 'pg' ? 'PostgreSQL' : 'PGlite'}; the raw ws server and ${clientProcs} subscriber processes up`);

  const enrollment = await createToken(url, 'MANAGER', 'bench-enrollment');
  const viewer = await createToken(url, 'VIEWER', 'bench-viewer');
  const { sessions } = await seedTopology(url, enrollment.token, { clusters, workersPerCluster: WORKERS, concurrency: 4 });
  const session = sessions[REPORTING]!;
  const clusterId = (await post({ url, token: oc.ready.adminToken, query: `{ cluster(name: "${clusterName(REPORTING)}") { id } }` })).cluster.id as string;

  let seq = 0;
  const reportToOc = async (first: number, count: number) => {
    const input = { events: Array.from({ length: count }, (_, i) => ({ seq: ++seq, change: 'STATE_CHANGED', worker: { memberId: eventOf(first + i).memberId, host: 'h', state: eventOf(first + i).state } })) };
    const d = await post({ url, token: session, query: REPORT, variables: { input } });
    if (d.reportMembership.__typename !== 'ReportMembershipPayload') throw new Error(`reportMembership: ${d.reportMembership.message}`);
  };
  // The baseline's messages: what the OC sends for the same event, byte for byte but the time.
  const broadcast = async (first: number, count: number) => {
    const at = new Date().toISOString();
    const messages = Array.from({ length: count }, (_, i) => {
      const e = eventOf(first + i);
      return JSON.stringify({
        id: '1',
        type: 'next',
        payload: { data: { membershipChanged: { change: 'STATE_CHANGED', at, cluster: { name: clusterName(REPORTING), health: 'DEGRADED' }, worker: e } } },
      });
    });
    const res = await fetch(`${raw.ready.url}/broadcast`, { method: 'POST', body: JSON.stringify(messages) });
    await res.text();
  };
  const expected = Array.from({ length: events }, (_, k) => eventOf(k));
  const load = async (label: string) => {
    const l = await backgroundLoad(1000);
    console.log(`  machine load before ${label}: ${l === null ? '-' : `${Math.round(l * 100)}%`} of ${cpus().length} cores`);
    return l;
  };
  const cpuOf = async (c: ChildServer<unknown>) => (await c.call<ProcessUsage>('usage')).cpuMicros / 1e6;

  // 1. The manager alone: its report latency without subscribers.
  const loadAlone = await load('the manager alone');
  const warm = Math.min(events, rate * 2);
  await drive(warm, reportToOc);
  const alone = await drive(events, reportToOc);
  console.log(`  manager alone: ${alone.calls} reports, p50 ${fmt(quantile(alone.latencies, 0.5))} ms, p99 ${fmt(quantile(alone.latencies, 0.99))} ms`);

  // 2. The OC's subscribers: memory when idle, then the run.
  const settledGc = async (c: ChildServer<unknown>) => {
    for (let i = 0; i < 3; i++) await c.call('gc');
    return c.call<ProcessUsage>('gc');
  };
  const ocIdle0 = await settledGc(oc);
  const live0 = (await metricValue(url, 'oc_graphql_requests_total', { type: 'subscription', outcome: 'ok' })) ?? 0;
  for (const c of children) await c.call('expect', expected);
  await openAll(children, [
    { url, protocol: 'graphql-ws', token: viewer.token, query: README_QUERY },
    { url, protocol: 'graphql-ws', token: viewer.token, query: FILTERED_QUERY, variables: { c: clusterId } },
  ]);
  for (const deadline = Date.now() + 60_000; ; await sleep(200)) {
    const live = ((await metricValue(url, 'oc_graphql_requests_total', { type: 'subscription', outcome: 'ok' })) ?? 0) - live0;
    if (live >= n) break;
    if (Date.now() > deadline) throw new Error(`only ${live} of ${n} subscriptions live after 60 s`);
  }
  await sleep(1000);
  const ocIdle1 = await settledGc(oc);
  const ocPerSub = (ocIdle1.heap - ocIdle0.heap) / n;
  console.log(`  ${n} graphql-ws subscribers live; OC heap +${kb(ocIdle1.heap - ocIdle0.heap)} = ${kb(ocPerSub)} per idle subscriber (RSS +${kb(ocIdle1.rss - ocIdle0.rss)})`);

  const loadOc = await load('the OC run');
  const m0 = machineBusySeconds();
  const ocCpu0 = await cpuOf(oc);
  const t0 = now();
  const withSubs = await drive(events, reportToOc);
  await delivered(children, 60_000);
  const ocWall = (now() - t0) / 1000;
  const ocCpu = (await cpuOf(oc)) - ocCpu0;
  const ocMachine = (machineBusySeconds() ?? 0) - (m0 ?? 0);
  const ocRun = await collect(children, withSubs.sentAt);
  console.log(
    `  OC: ${ocRun.received}/${events * n} delivered, ${ocRun.outOfOrder} out of order, p50 ${fmt(ocRun.p50)} ms, p99 ${fmt(ocRun.p99)} ms, max ${fmt(ocRun.max)} ms; ` +
      `${withSubs.calls} reports, p50 ${fmt(quantile(withSubs.latencies, 0.5))} ms, p99 ${fmt(quantile(withSubs.latencies, 0.99))} ms; OC CPU ${Math.round((ocCpu / ocWall) * 100)}% of a core`,
  );
  for (const c of children) await c.call('close');

  // 3. The raw ws baseline: memory per connection, then the same messages at the same rate.
  const rawIdle0 = await settledGc(raw);
  for (const c of children) await c.call('expect', expected);
  await openAll(children, [{ url: raw.ready.url, protocol: 'raw' }, { url: raw.ready.url, protocol: 'raw' }]);
  for (const deadline = Date.now() + 60_000; (await raw.call<number>('clients')) < n; await sleep(100)) {
    if (Date.now() > deadline) throw new Error('raw clients did not connect');
  }
  await sleep(1000);
  const rawIdle1 = await settledGc(raw);
  const rawPerConn = (rawIdle1.heap - rawIdle0.heap) / n;
  console.log(`  ${n} raw ws clients connected; raw server heap +${kb(rawIdle1.heap - rawIdle0.heap)} = ${kb(rawPerConn)} per connection (RSS +${kb(rawIdle1.rss - rawIdle0.rss)})`);
  const loadRaw = await load('the raw run');
  const rawCpu0 = await cpuOf(raw);
  const r0 = now();
  // With BENCH_REPORTS_DURING_RAW=1, the manager reports to the OC (which has no subscribers now)
  // meanwhile: its latency while the machine carries the same messages without the OC, which tells
  // the OC's share of its slowdown from the machine's (the subscriber processes take every core they
  // can get). Off by default: that load slows the raw baseline too.
  const [rawDrive, duringRaw] = await Promise.all([
    drive(events, broadcast),
    process.env.BENCH_REPORTS_DURING_RAW === '1' ? drive(events, reportToOc) : { sentAt: [], latencies: [] as number[], calls: 0 },
  ]);
  await delivered(children, 60_000);
  const rawWall = (now() - r0) / 1000;
  const rawCpu = (await cpuOf(raw)) - rawCpu0;
  const rawRun = await collect(children, rawDrive.sentAt);
  console.log(
    `  raw ws: ${rawRun.received}/${events * n} delivered, ${rawRun.outOfOrder} out of order, p50 ${fmt(rawRun.p50)} ms, p99 ${fmt(rawRun.p99)} ms, max ${fmt(rawRun.max)} ms; server CPU ${Math.round((rawCpu / rawWall) * 100)}% of a core`,
  );
  for (const c of children) await c.call('close');
  await cleanup();

  // 4. The table and the targets.
  const reportAlone = quantile(alone.latencies, 0.5);
  const reportWith = quantile(withSubs.latencies, 0.5);
  const figures = {
    subscribers: n,
    eventsPerSecond: rate,
    seconds,
    eventsPerReport: perReport,
    reportsAlone: alone.calls,
    reportsWithSubscribers: withSubs.calls,
    driver: oc.ready.driver,
    delivered: ocRun.received,
    expected: events * n,
    outOfOrder: ocRun.outOfOrder,
    errors: ocRun.errors,
    p50Ms: ocRun.p50,
    p99Ms: ocRun.p99,
    maxMs: ocRun.max,
    rawDelivered: rawRun.received,
    rawP50Ms: rawRun.p50,
    rawP99Ms: rawRun.p99,
    rawMaxMs: rawRun.max,
    p99VsRaw: ocRun.p99 / rawRun.p99,
    reportAloneP50Ms: reportAlone,
    reportAloneP99Ms: quantile(alone.latencies, 0.99),
    reportWithSubscribersP50Ms: reportWith,
    reportWithSubscribersP99Ms: quantile(withSubs.latencies, 0.99),
    reportLatencyChange: reportWith / reportAlone - 1,
    reportsDuringRawBroadcast: duringRaw.calls,
    reportDuringRawBroadcastP50Ms: quantile(duringRaw.latencies, 0.5),
    reportDuringRawBroadcastP99Ms: quantile(duringRaw.latencies, 0.99),
    ocCpuPercent: (ocCpu / ocWall) * 100,
    rawCpuPercent: (rawCpu / rawWall) * 100,
    // The server's CPU per message delivered: what the run's latencies cannot hide on a busy machine.
    ocCpuMicrosPerMessage: (ocCpu * 1e6) / Math.max(1, ocRun.received),
    rawCpuMicrosPerMessage: (rawCpu * 1e6) / Math.max(1, rawRun.received),
    ocHeapBytesPerIdleSubscriber: Math.round(ocPerSub),
    ocRssBytesPerIdleSubscriber: Math.round((ocIdle1.rss - ocIdle0.rss) / n),
    rawHeapBytesPerConnection: Math.round(rawPerConn),
    rawRssBytesPerConnection: Math.round((rawIdle1.rss - rawIdle0.rss) / n),
    memoryVsRaw: ocPerSub / rawPerConn,
    machineLoadBefore: { alone: loadAlone, oc: loadOc, raw: loadRaw },
    machineBusyDuringOcRun: ocMachine / (ocWall * cpus().length),
  };
  console.log(`\n| | OC (graphql-ws) | raw ws |\n|---|---:|---:|`);
  console.log(`| delivered | ${ocRun.received} / ${events * n} | ${rawRun.received} / ${events * n} |`);
  console.log(`| out of order | ${ocRun.outOfOrder} | ${rawRun.outOfOrder} |`);
  console.log(`| report→receipt p50 / p99 / max ms | ${fmt(ocRun.p50)} / ${fmt(ocRun.p99)} / ${fmt(ocRun.max)} | ${fmt(rawRun.p50)} / ${fmt(rawRun.p99)} / ${fmt(rawRun.max)} |`);
  console.log(`| server CPU (of one core) | ${Math.round(figures.ocCpuPercent)}% | ${Math.round(figures.rawCpuPercent)}% |`);
  console.log(`| server CPU per message delivered | ${fmt(figures.ocCpuMicrosPerMessage)} µs | ${fmt(figures.rawCpuMicrosPerMessage)} µs |`);
  console.log(`| memory per idle subscriber (heap) | ${kb(ocPerSub)} | ${kb(rawPerConn)} |`);
  console.log(
    `\nmanager's report latency p50: ${fmt(reportAlone)} ms alone, ${fmt(reportWith)} ms with the subscribers (${(figures.reportLatencyChange * 100).toFixed(0)}%); p99 ${fmt(figures.reportAloneP99Ms)} → ${fmt(figures.reportWithSubscribersP99Ms)} ms`,
  );
  if (duringRaw.calls > 0) console.log(
    `while the raw ws server broadcast the same messages (the OC without subscribers): ${duringRaw.calls} reports, p50 ${fmt(figures.reportDuringRawBroadcastP50Ms)} ms, p99 ${fmt(figures.reportDuringRawBroadcastP99Ms)} ms`,
  );
  const ok = (b: boolean) => (b ? 'MET' : 'NOT MET');
  console.log(`Targets: every event in order: ${ok(ocRun.received === events * n && ocRun.outOfOrder === 0 && ocRun.errors === 0)}`);
  console.log(`         p99 ≤ 25 ms: ${ok(ocRun.p99 <= 25)} (${fmt(ocRun.p99)} ms); ≤ 3× raw ws: ${ok(figures.p99VsRaw <= 3)} (${figures.p99VsRaw.toFixed(2)}×)`);
  console.log(`         report latency within ±20%: ${ok(Math.abs(figures.reportLatencyChange) <= 0.2)}; memory ≤ 2× raw: ${ok(figures.memoryVsRaw <= 2)} (${figures.memoryVsRaw.toFixed(2)}×)`);
  console.log(`machine busy during the OC run: ${Math.round(figures.machineBusyDuringOcRun * 100)}% of ${cpus().length} cores (the OC, the database, the subscribers and anyone else)`);
  console.log(`(whole run ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  emitFigures('subscriptions', figures);
}

try {
  await main();
} catch (err) {
  console.error('\nbench failed:', err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
