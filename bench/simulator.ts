/**
 * Simulator scale benchmark (`npm run bench:simulator`; never part of `npm test`).
 *
 * One simulator process (this one) holds 20,000 workers across 500 managers, each manager with
 * its own WebSocket, against an OC in a separate process: the real one (`node --import tsx
 * src/main.ts`, PORT=0, a fresh PGlite folder, or a fresh PostgreSQL database next to
 * DATABASE_URL), or with --fake the simulator's stand-in (simulator/fake-oc.ts: the manager
 * API only, no database). It prints workers held, managers registered, sockets open, time to
 * register them all, RSS and heap per worker, and this process's event-loop delay
 * (perf_hooks.monitorEventLoopDelay) separately during the registration burst and in steady
 * state, against a baseline measured in the same run (the same process idle, OC up, before the
 * fleet starts), and the target: p99 < 50 ms in steady state.
 *
 *   npm run bench:simulator [-- --clusters 500 --workers 40 --steady 20 --baseline 5
 *                              --profile realistic --seed 1 --register-concurrency 32 --fake --strict]
 *
 * It ends by itself and cleans up (fleet stopped, OC process stopped, its data removed), on
 * Ctrl-C too.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type Fleet, startFleet } from '../simulator/fleet.js';
import { OcClient, type OcTransport } from '../simulator/oc-client.js';
import { getProfile, isProfileName, PROFILE_NAMES } from '../simulator/profiles.js';
import { metricValue } from '../test/support/client.js';
import { createTestDatabase } from '../test/support/db.js';
import { type OcProcess, onLines, spawnOc } from '../test/support/oc-process.js';
import { SERVER_NODE_FLAGS } from './lib/child.js';
import { backgroundLoad } from './lib/machine.js';
import { cleanup, onCleanup } from './lib/cleanup.js';
import { CLUSTERS_PAGE_QUERY, cpuWindow, type ProbeResult, probeReads, SYSTEM_QUERY } from './lib/read-probe.js';
import { benchArgs, emitFigures, quickMode } from './lib/report.js';

const TARGET_P99_MS = 50;
/** Issue 12, target 4 (the `huge` shape, on PostgreSQL). */
const TARGET_REGISTER_MS = 60_000;
const TARGET_OC_CORES = 0.5;
const TARGET_PAGE_P99_MS = 150;
const TARGET_SYSTEM_P99_MS = 50;
/** The `huge` scenario (simulator/scenarios/huge.json): 2,000 managers x 50 workers, stats every 30 s (its statsIntervalMs). */
const HUGE = { clusters: 2000, workers: 50 };
const hugeStatsIntervalMs = (): number =>
  (JSON.parse(readFileSync(join(import.meta.dirname, '../simulator/scenarios/huge.json'), 'utf8')) as { statsIntervalMs: number }).statsIntervalMs;
const ADMIN_TOKEN = 'bench-simulator-admin-token-0123456789';
const FAKE_ENROLLMENT = 'bench-enroll';

const USAGE = `Usage: npm run bench:simulator [-- options]

  --clusters N              managers (one cluster each, each its own WebSocket); default 500
  --workers N               workers per cluster; default 40 (500 x 40 = 20,000)
  --huge                    the huge scenario's shape: 2,000 managers x 50 workers = 100,000, stats every 30 s (issue 12, target 4)
  --steady S                seconds of steady state measured after registration; default 20
  --baseline S              seconds of the idle baseline before the fleet starts; default 5
  --json                    end with one line of JSON: the figures (bench/lib/report.ts)
  --quick                   a short profile: 100 x 20, 5 s steady, 2 s baseline (unless given)
  --profile P               ${PROFILE_NAMES.join(', ')}; default realistic (stats every 5 s, membership every 0.5 s)
  --stats-interval MS       override the profile's reportStats interval per manager (e.g. 3600000: registration alone;
                            with --huge the scenario's, 30000)
  --seed N                  default 1
  --register-concurrency N  managers registering at once; default 32
  --fake                    run against simulator/fake-oc.ts (manager API only) instead of the real OC
  --strict                  exit 1 when the steady-state target is missed`;

function options() {
  const { values } = parseArgs({
    args: benchArgs(),
    strict: true,
    options: {
      clusters: { type: 'string' },
      workers: { type: 'string' },
      huge: { type: 'boolean', default: false },
      steady: { type: 'string' },
      baseline: { type: 'string' },
      profile: { type: 'string', default: 'realistic' },
      seed: { type: 'string', default: '1' },
      'stats-interval': { type: 'string' },
      'register-concurrency': { type: 'string', default: '32' },
      fake: { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const defaults: Record<string, string> = values.huge
    ? { clusters: String(HUGE.clusters), workers: String(HUGE.workers), steady: quickMode ? '10' : '30', baseline: quickMode ? '2' : '5' }
    : quickMode
      ? { clusters: '100', workers: '20', steady: '5', baseline: '2' }
      : { clusters: '500', workers: '40', steady: '20', baseline: '5' };
  const int = (name: string, min: number) => {
    const raw = (values[name as keyof typeof values] as string | undefined) ?? defaults[name]!;
    if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`--${name} must be a whole number >= ${min}, got "${raw}"`);
    return Number(raw);
  };
  if (!isProfileName(values.profile)) throw new Error(`--profile must be one of ${PROFILE_NAMES.join(', ')}, got "${values.profile}"`);
  return {
    clusters: int('clusters', 1),
    workers: int('workers', 1),
    steadySeconds: int('steady', 1),
    baselineSeconds: int('baseline', 1),
    profile: values.profile,
    seed: int('seed', 0),
    statsIntervalMs:
      values['stats-interval'] !== undefined ? int('stats-interval', 1) : values.huge ? hugeStatsIntervalMs() : getProfile(values.profile).statsIntervalMs,
    registerConcurrency: int('register-concurrency', 1),
    fake: values.fake,
    huge: values.huge,
    strict: values.strict,
    help: values.help,
  };
}

// ── cleanup: fleet, OC process, its data, whatever happens ───────────────────────────────────


// ── the OC under the fleet ────────────────────────────────────────────────────────────────────

interface Target {
  label: string;
  url: string;
  pid: number;
  /** The OC's own database (PostgreSQL only), for its backends' CPU. */
  databaseUrl: string | null;
  /** A token that may read the fleet (null: the fake OC answers no operator query). */
  readToken: string | null;
  enrollmentToken: string;
  /** The OC's own view: managers connected, WebSockets open, workers known (null when it cannot say). */
  view(): Promise<{ managers: number | null; sockets: number | null; workers: number | null }>;
}

async function realOc(): Promise<Target> {
  let env: Record<string, string>;
  let where: string;
  if (process.env.DATABASE_URL) {
    const db = await createTestDatabase();
    onCleanup(() => db.drop());
    env = { DATABASE_URL: db.url! };
    where = `PostgreSQL, fresh database ${new URL(db.url!).pathname.slice(1)}`;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'oc-bench-simulator-'));
    onCleanup(() => rmSync(dir, { recursive: true, force: true }));
    env = { OC_DATA_DIR: dir };
    where = `PGlite, fresh folder ${dir}`;
  }
  // BENCH_OC_NODE_FLAGS: node flags for the OC only (e.g. "--cpu-prof --cpu-prof-dir=.prof").
  const flags = (process.env.BENCH_OC_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  // As `npm start` runs it (its node flags: bench/lib/child.ts).
  const command = [process.execPath, ...SERVER_NODE_FLAGS, ...flags, '--import', 'tsx', 'src/main.ts'];
  const oc: OcProcess = await spawnOc({ ...env, OC_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'info', NODE_ENV: 'production' }, 120_000, command);
  onCleanup(async () => {
    const t = setTimeout(() => void oc.kill('SIGKILL'), 20_000);
    await oc.kill('SIGTERM');
    clearTimeout(t);
  });
  const res = await fetch(`${oc.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_TOKEN}` },
    body: JSON.stringify({
      query: `mutation { createApiToken(input: { name: "bench enrollment", role: MANAGER }) { ... on ApiTokenPayload { token } ... on Error { message } } }`,
    }),
  });
  const body = (await res.json()) as { data?: { createApiToken: { token?: string; message?: string } } };
  const token = body.data?.createApiToken.token;
  if (!token) throw new Error(`could not create an enrollment token: ${JSON.stringify(body)}`);
  return {
    label: `the real OC (src/main.ts, pid ${oc.proc.pid}, ${where})`,
    url: oc.url,
    pid: oc.proc.pid!,
    databaseUrl: env.DATABASE_URL ?? null,
    readToken: ADMIN_TOKEN,
    enrollmentToken: token,
    async view() {
      try {
        const [managers, sockets, workers] = await Promise.all([
          metricValue(oc.url, 'oc_managers_connected'),
          metricValue(oc.url, 'oc_websockets_open'),
          metricValue(oc.url, 'oc_workers'),
        ]);
        return { managers, sockets, workers };
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        console.log(`    (the OC's /metrics failed: ${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''})`);
        return { managers: null, sockets: null, workers: null };
      }
    },
  };
}

/** simulator/fake-oc.ts as its own process; its status line every 5 s is its view. */
async function fakeOc(): Promise<Target> {
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'simulator/fake-oc.ts', '--port', '0', '--token', FAKE_ENROLLMENT], {
    cwd: join(import.meta.dirname, '..'),
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  onCleanup(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT');
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  });
  let last = { managers: null as number | null, sockets: null as number | null, workers: null as number | null };
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the fake OC did not start within 30 s')), 30_000);
    onLines(proc.stderr!, (line) => {
      const started = /on (http:\/\/\S+)\/graphql/.exec(line);
      if (started) {
        clearTimeout(t);
        resolve(started[1]!);
      }
      const status = /^clusters (\d+) workers (\d+) subscribed (\d+)/.exec(line);
      if (status) last = { managers: Number(status[1]), workers: Number(status[2]), sockets: Number(status[3]) };
    });
    void exited.then(() => reject(new Error('the fake OC exited before it started')));
  });
  return {
    label: `simulator/fake-oc.ts (NOT the OC: manager API only, no database; pid ${proc.pid})`,
    url,
    pid: proc.pid!,
    databaseUrl: null,
    readToken: null,
    enrollmentToken: FAKE_ENROLLMENT,
    view: async () => last,
  };
}

// ── the OC's answer times, as the managers see them ─────────────────────────────────────────

type Phase = 'burst' | 'steady' | 'other';
let phase: Phase = 'burst';
const latencies = new Map<string, number[]>();
const failures = new Map<string, number>();
function note(op: string, ms: number, ok: boolean, why?: string) {
  const key = `${phase} ${op}${ok ? '' : ' (failed)'}`;
  let list = latencies.get(key);
  if (!list) latencies.set(key, (list = []));
  list.push(ms);
  if (why) {
    const reason = `${phase} ${op}: ${why.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>')}`;
    failures.set(reason, (failures.get(reason) ?? 0) + 1);
  }
}

/** The real transport, with every call's answer time noted (by phase and operation). */
function timed(client: OcClient): OcTransport {
  const wrap =
    <A extends unknown[], R>(op: string, fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const t = performance.now();
      try {
        const r = await fn(...a);
        const res = r as { ok?: boolean; error?: { typename: string; message: string } };
        note(op, performance.now() - t, res.ok !== false, res.ok === false ? `${res.error?.typename}: ${res.error?.message}` : undefined);
        return r;
      } catch (err) {
        note(op, performance.now() - t, false, (err as Error).message);
        throw err;
      }
    };
  return {
    registerManager: wrap('registerManager', client.registerManager.bind(client)),
    reportMembership: wrap('reportMembership', client.reportMembership.bind(client)),
    reportStats: wrap('reportStats', client.reportStats.bind(client)),
    reportTask: wrap('reportTask', client.reportTask.bind(client)),
    subscribeTasks(token, handlers) {
      const t = performance.now();
      return client.subscribeTasks(token, {
        ...handlers,
        connected: () => {
          note('managerTasks socket acknowledged', performance.now() - t, true);
          handlers.connected?.();
        },
      });
    },
  };
}

function latencyLines(): string[] {
  const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  return [...latencies.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, list]) => {
      const sorted = [...list].sort((a, b) => a - b);
      return `    ${key.padEnd(48)} n ${String(sorted.length).padStart(5)}   p50 ${fmtMs(q(sorted, 50)).padStart(7)} ms   p99 ${fmtMs(q(sorted, 99)).padStart(7)} ms   max ${fmtMs(sorted[sorted.length - 1]!).padStart(7)} ms`;
    });
}

// ── measuring ─────────────────────────────────────────────────────────────────────────────────

interface Delay {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

const RESOLUTION_MS = 10;

/** monitorEventLoopDelay records the whole interval between its samples: the delay is what exceeds the resolution. */
function delayOf(h: IntervalHistogram): Delay {
  const ms = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  return { p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) };
}

function loopDelay(): IntervalHistogram {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  return h;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function memory() {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

/** Resident memory of another process (Linux /proc), or null. */
function processRss(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmtMs = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const delayLine = (d: Delay) => `p50 ${fmtMs(d.p50)} ms   p99 ${fmtMs(d.p99)} ms   max ${fmtMs(d.max)} ms   (mean ${fmtMs(d.mean)} ms)`;

/** Waits for `check`, printing `progress()` every 5 s; false after `timeoutMs`. */
async function until(check: () => boolean | Promise<boolean>, progress: () => Promise<string>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let nextPrint = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    if (Date.now() >= nextPrint) {
      console.log(`    … ${await progress()}`);
      nextPrint = Date.now() + 5_000;
    }
    await sleep(100);
  }
  return true;
}

async function main(): Promise<number> {
  let o: ReturnType<typeof options>;
  try {
    o = options();
  } catch (err) {
    console.error(`bench:simulator: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (o.help) {
    console.log(USAGE);
    return 0;
  }
  const totalWorkers = o.clusters * o.workers;
  const esb = Math.floor(o.clusters * 0.4);
  const scenario = {
    name: `bench-${o.clusters}x${o.workers}`,
    profile: o.profile,
    clusters: [
      { name: 'bench-as-{i}', kind: 'AS', size: o.workers, count: o.clusters - esb },
      ...(esb > 0 ? [{ name: 'bench-esb-{i}', kind: 'ESB', size: o.workers, count: esb }] : []),
    ],
  };

  console.log(
    `simulator scale bench: ${o.clusters} managers x ${o.workers} workers = ${totalWorkers.toLocaleString('en-US')} workers, ` +
      `profile ${o.profile} (reportStats every ${o.statsIntervalMs / 1000} s per manager), seed ${o.seed}`,
  );
  console.log(`  machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), node ${process.version}`);
  const background = await backgroundLoad();
  if (background !== null) console.log(`  machine busy before the run (other processes): ${(background * 100).toFixed(0)}% of all cores`);

  console.log(o.fake ? '  starting simulator/fake-oc.ts (--fake) …' : '  starting the OC (src/main.ts) in its own process …');
  const target = o.fake ? await fakeOc() : await realOc();
  console.log(`  against: ${target.label} at ${target.url}`);

  // Baseline: this process idle (the OC up, no fleet yet).
  const mem0 = memory();
  const baselineH = loopDelay();
  await sleep(o.baselineSeconds * 1000);
  baselineH.disable();
  const baseline = delayOf(baselineH);
  console.log(`  baseline (${o.baselineSeconds} s, idle): ${delayLine(baseline)}`);

  // The registration burst: from the first registerManager until every manager's socket is acknowledged.
  console.log(`  starting the fleet (${o.registerConcurrency} managers registering at once) …`);
  const burstH = loopDelay();
  const cpuBurst = cpuWindow(target.pid, target.databaseUrl);
  await cpuBurst.start();
  const t0 = performance.now();
  const fleet: Fleet = startFleet({
    url: target.url,
    transport: () => timed(new OcClient(target.url)),
    enrollmentToken: target.enrollmentToken,
    scenario,
    profile: o.profile,
    profileOverrides: { statsIntervalMs: o.statsIntervalMs },
    seed: o.seed,
    registerConcurrency: o.registerConcurrency,
    log: (e) => {
      if (e.level === 'error') console.log(`    [${e.cluster}] ${e.message}`);
    },
  });
  onCleanup(() => fleet.stop());
  const progress = async () => {
    const asked = performance.now();
    const v = await target.view();
    const s = fleet.status();
    const slow = performance.now() - asked > 1_000 ? `; the OC took ${secs(performance.now() - asked)} to answer /metrics` : '';
    return (
      `${secs(performance.now() - t0)}: ${s.registered}/${s.clusters} registered, ${s.connected} sockets acknowledged` +
      ` (OC: ${v.managers ?? '?'} managers connected, ${v.sockets ?? '?'} sockets${slow})` +
      (s.warnings + s.errors > 0 ? `, ${s.warnings} warnings ${s.errors} errors` : '')
    );
  };
  const timeoutMs = Math.max(120_000, o.clusters * 1_000);
  let registeredMs: number | null = null;
  const allConnected = await until(
    () => {
      const s = fleet.status();
      if (registeredMs === null && s.registered === s.clusters) registeredMs = performance.now() - t0;
      return s.registered === s.clusters && s.connected === s.clusters;
    },
    progress,
    timeoutMs,
  );
  const connectedMs = performance.now() - t0;
  const cpuB = await cpuBurst.stop();
  burstH.disable();
  const burst = delayOf(burstH);
  if (!allConnected) {
    console.log(`\n  FAILED: the fleet did not come up within ${secs(timeoutMs)}: ${await progress()}`);
    return 1;
  }
  // The OC's own count catches up (its gauges are read on scrape).
  let ocView = await target.view();
  if (!o.fake) {
    await until(
      async () => {
        ocView = await target.view();
        return ocView.managers === o.clusters;
      },
      progress,
      30_000,
    );
  }
  const ocConnectedMs = performance.now() - t0;

  // Steady state: every manager reporting stats on its interval, holding its socket.
  console.log(`  all registered; measuring ${o.steadySeconds} s of steady state …`);
  phase = 'steady';
  const statsBefore = [...fleet.managers.values()].reduce((n, m) => n + m.statsSent, 0);
  const statsErrorsBefore = [...fleet.managers.values()].reduce((n, m) => n + m.statsErrors, 0);
  const statusBefore = fleet.status();
  const steadyH = loopDelay();
  const tSteady = performance.now();
  const cpuSteady = cpuWindow(target.pid, target.databaseUrl);
  await cpuSteady.start();
  // An operator's reads at that size, one at a time, as a console polling would.
  const probes = target.readToken
    ? { page: probeReads(target.url, target.readToken, CLUSTERS_PAGE_QUERY, 500), system: probeReads(target.url, target.readToken, SYSTEM_QUERY, 250) }
    : null;
  await sleep(o.steadySeconds * 1000);
  const [page, system] = probes ? await Promise.all([probes.page.stop(), probes.system.stop()]) : [null, null];
  const cpu0 = await cpuSteady.stop();
  steadyH.disable();
  phase = 'other';
  const steadyWallS = (performance.now() - tSteady) / 1000;
  const steady = delayOf(steadyH);
  const statsAfter = [...fleet.managers.values()].reduce((n, m) => n + m.statsSent, 0);
  const statusAfter = fleet.status();
  const statsErrors = [...fleet.managers.values()].reduce((n, m) => n + m.statsErrors, 0);
  ocView = await target.view();
  const mem1 = memory();
  const ocRss = processRss(target.pid);
  const cpu = process.cpuUsage();

  const met = steady.p99 < TARGET_P99_MS;
  const statsIntervalS = o.statsIntervalMs / 1000;
  const w = totalWorkers;
  console.log('');
  console.log(`Simulator at scale, against ${target.label}`);
  console.log(`  workers held            ${statusAfter.totalWorkers.toLocaleString('en-US')} (${statusAfter.workers.RUNNING.toLocaleString('en-US')} RUNNING)`);
  console.log(
    `  managers registered     ${statusAfter.registered}/${statusAfter.clusters} (simulator)` +
      (ocView.managers !== null ? `, ${ocView.managers} connected (OC${o.fake ? ': subscribed clusters' : ': oc_managers_connected'})` : ''),
  );
  console.log(
    `  sockets open            ${statusAfter.connected} acknowledged (simulator)` +
      (ocView.sockets !== null ? `, ${ocView.sockets} open (OC${o.fake ? ': subscriptions' : ': oc_websockets_open'})` : ''),
  );
  console.log(
    `  time to register all    ${registeredMs === null ? '-' : secs(registeredMs)} (registerManager answered); ${secs(connectedMs)} until every socket acknowledged` +
      (o.fake ? '' : `; ${secs(ocConnectedMs)} until the OC counted every manager connected`),
  );
  console.log(`  memory (this process)   RSS ${mb(mem1.rss)} (${mb(mem0.rss)} before the fleet), heap ${mb(mem1.heapUsed)} (${mb(mem0.heapUsed)} before)`);
  console.log(
    `  per worker              heap ${kb((mem1.heapUsed - mem0.heapUsed) / w)}, RSS ${kb((mem1.rss - mem0.rss) / w)} (growth over the baseline / workers, after GC); ` +
      `whole process RSS / workers ${kb(mem1.rss / w)}`,
  );
  if (ocRss !== null) console.log(`  OC process RSS          ${mb(ocRss)}`);
  console.log(
    `  steady-state traffic    ${((statsAfter - statsBefore) / steadyWallS).toFixed(1)} reportStats/s (${o.workers} samples each)` +
      ` (one per manager every ${statsIntervalS} s would be ${(o.clusters / statsIntervalS).toFixed(0)}/s; a manager skips a tick while its last report is unanswered)` +
      `, ${statsErrors - statsErrorsBefore} refused or failed (${statsErrors} since the start); manager warnings ${statusAfter.warnings - statusBefore.warnings}, errors ${statusAfter.errors - statusBefore.errors} during it`,
  );
  console.log(`  simulator CPU           ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s in total`);
  const cores = (n: number | null) => (n === null ? '-' : `${(n * 100).toFixed(0)}% of one core`);
  console.log(
    `  steady-state CPU        the OC ${cores(cpu0.ocCores)}` +
      (cpu0.pgCores !== null ? `, its PostgreSQL backends ${cores(cpu0.pgCores)}` : '') +
      `; the whole machine ${cores(cpu0.machineCores)} (other helpers' load included)`,
  );
  // CPU seconds per registration hold whatever else loads the machine (wall-clock times do not).
  const perRegistration = (cores: number | null) => (cores === null ? null : (cores * cpuB.seconds * 1000) / o.clusters);
  const msPer = (n: number | null) => (n === null ? '-' : `${n.toFixed(1)} ms`);
  console.log(
    `  registration burst CPU  the OC ${cores(cpuB.ocCores)} over ${secs(connectedMs)}: ${msPer(perRegistration(cpuB.ocCores))} of OC CPU per registration` +
      (cpuB.pgCores !== null ? `, ${msPer(perRegistration(cpuB.pgCores))} of PostgreSQL CPU` : '') +
      `; the whole machine ${cores(cpuB.machineCores)}`,
  );
  // The burst's CPU holds the reportStats of the managers already up, too: without them (at the
  // steady state's CPU per report, which counts the leases and the gauges as well), an estimate.
  const perReport = (steadyCores: number | null) =>
    steadyCores === null || statsAfter === statsBefore ? null : (steadyCores * 1000 * steadyWallS) / (statsAfter - statsBefore);
  const netPerRegistration = (burstCores: number | null, steadyCores: number | null) => {
    const all = perRegistration(burstCores);
    const report = perReport(steadyCores);
    return all === null ? null : report === null ? all : Math.max(0, all - (statsBefore * report) / o.clusters);
  };
  if (statsBefore > 0) {
    console.log(
      `    net of the ${statsBefore} reportStats answered meanwhile: about ${msPer(netPerRegistration(cpuB.ocCores, cpu0.ocCores))} of OC CPU` +
        (cpuB.pgCores !== null ? `, ${msPer(netPerRegistration(cpuB.pgCores, cpu0.pgCores))} of PostgreSQL CPU` : '') +
        ' per registration (at the steady state\'s CPU per report)',
    );
  }
  const probeLine = (label: string, r: ProbeResult | null, target: number) =>
    r && console.log(`  ${label.padEnd(24)}n ${r.n} (${r.failures} failed)   p50 ${fmtMs(r.p50)} ms   p99 ${fmtMs(r.p99)} ms   max ${fmtMs(r.max)} ms   (target p99 <= ${target} ms)`);
  if (statsAfter > statsBefore && cpu0.ocCores !== null) {
    const n = (statsAfter - statsBefore) / steadyWallS;
    console.log(
      `  per reportStats         ${msPer((cpu0.ocCores * 1000) / n)} of OC CPU` +
        (cpu0.pgCores !== null ? `, ${msPer((cpu0.pgCores * 1000) / n)} of PostgreSQL CPU` : '') +
        ` (all steady-state CPU over the reports: the leases, the operator's reads and the gauges included)`,
    );
  }
  probeLine('clusters(first: 50)', page, TARGET_PAGE_P99_MS);
  probeLine('system', system, TARGET_SYSTEM_P99_MS);
  console.log(`  event-loop delay of this process (monitorEventLoopDelay, sampled every ${RESOLUTION_MS} ms, the interval subtracted):`);
  console.log(`    baseline, idle          ${delayLine(baseline)}`);
  console.log(`    registration burst      ${delayLine(burst)}   over ${secs(connectedMs)}`);
  console.log(`    steady state            ${delayLine(steady)}   over ${o.steadySeconds} s`);
  console.log('  the OC\'s answer times, as the managers saw them (registration burst / steady state):');
  for (const line of latencyLines()) console.log(line);
  if (failures.size > 0) {
    console.log('  why calls failed (count):');
    for (const [reason, n] of [...failures.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`    ${String(n).padStart(5)}  ${reason}`);
  }
  console.log(`  target: steady-state p99 < ${TARGET_P99_MS} ms: ${met ? 'MET' : 'MISSED'} (${fmtMs(steady.p99)} ms)`);
  if (o.huge && !o.fake) {
    const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
    console.log(`  targets of the huge scenario (issue 12, target 4; on PostgreSQL, on a quiet machine):`);
    console.log(`    registered in <= ${TARGET_REGISTER_MS / 1000} s: ${verdict(registeredMs !== null && registeredMs <= TARGET_REGISTER_MS)} (${registeredMs === null ? '-' : secs(registeredMs)})`);
    console.log(`    the OC in steady state <= ${TARGET_OC_CORES * 100}% of one core: ${verdict(cpu0.ocCores !== null && cpu0.ocCores <= TARGET_OC_CORES)} (${cores(cpu0.ocCores)})`);
    if (page) console.log(`    clusters page p99 <= ${TARGET_PAGE_P99_MS} ms: ${verdict(page.p99 <= TARGET_PAGE_P99_MS)} (${fmtMs(page.p99)} ms)`);
    if (system) console.log(`    system p99 <= ${TARGET_SYSTEM_P99_MS} ms: ${verdict(system.p99 <= TARGET_SYSTEM_P99_MS)} (${fmtMs(system.p99)} ms)`);
  }
  const round = (n: number | null, d = 1) => (n === null || !Number.isFinite(n) ? null : Number(n.toFixed(d)));
  emitFigures('simulator', {
    target: o.fake ? 'fake-oc' : process.env.DATABASE_URL ? 'oc-postgres' : 'oc-pglite',
    clusters: o.clusters,
    workersPerCluster: o.workers,
    workers: statusAfter.totalWorkers,
    registered: statusAfter.registered,
    registerSeconds: registeredMs === null ? null : round(registeredMs / 1000),
    connectedSeconds: round(connectedMs / 1000),
    baselineLoopP99Ms: round(baseline.p99, 2),
    burstLoopP99Ms: round(burst.p99, 2),
    steadyLoopP99Ms: round(steady.p99, 2),
    steadyLoopP99Met: met,
    reportStatsPerSec: round((statsAfter - statsBefore) / steadyWallS),
    ocCpuMsPerRegistration: round(perRegistration(cpuB.ocCores), 2),
    pgCpuMsPerRegistration: round(perRegistration(cpuB.pgCores), 2),
    ocCpuMsPerRegistrationNet: round(netPerRegistration(cpuB.ocCores, cpu0.ocCores), 2),
    pgCpuMsPerRegistrationNet: round(netPerRegistration(cpuB.pgCores, cpu0.pgCores), 2),
    ocSteadyCores: round(cpu0.ocCores, 3),
    ocCpuMsPerManagerSecond: round(cpu0.ocCores === null ? null : (cpu0.ocCores * 1000) / o.clusters, 3),
    ocCpuMsPerStatsReport: round(cpu0.ocCores === null || statsAfter === statsBefore ? null : (cpu0.ocCores * 1000 * steadyWallS) / (statsAfter - statsBefore), 2),
    pgCpuMsPerStatsReport: round(cpu0.pgCores === null || statsAfter === statsBefore ? null : (cpu0.pgCores * 1000 * steadyWallS) / (statsAfter - statsBefore), 2),
    pgSteadyCores: round(cpu0.pgCores, 3),
    machineCores: round(cpu0.machineCores, 2),
    pageP50Ms: page ? round(page.p50, 2) : null,
    pageP99Ms: page ? round(page.p99, 2) : null,
    systemP50Ms: system ? round(system.p50, 2) : null,
    systemP99Ms: system ? round(system.p99, 2) : null,
    simRssMb: Math.round(mem1.rss / 1048576),
    ocRssMb: ocRss === null ? null : Math.round(ocRss / 1048576),
    machineLoadBefore: background,
  });
  return o.strict && !met ? 1 : 0;
}

main().then(
  async (code) => {
    await cleanup();
    process.exit(code);
  },
  async (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    await cleanup();
    process.exit(1);
  },
);
