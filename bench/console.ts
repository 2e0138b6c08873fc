/**
 * Console benchmark (`npm run bench:console`; never part of `npm test`).
 *
 * Seeds BENCH_CLUSTERS (200) clusters x BENCH_WORKERS (50) workers through the public API (on
 * DATABASE_URL's PostgreSQL when set, else PGlite), builds the console if it is stale, serves it
 * (test/support/console.ts) and opens it in Chromium, then prints:
 *   - JS shipped: the gzip size of every script in console/dist (target <= 300 KB);
 *   - fleet view ready: from navigation to the fleet view listing every cluster with its
 *     workers (target <= 1.5 s at 200 clusters, <= 3 s at 2,000);
 *   - the longest main-thread task (PerformanceObserver 'longtask') while managers report
 *     BENCH_EVENT_RATE (100) membership events a second for BENCH_EVENT_SECONDS (30), and how
 *     many of those events the page had applied at the end (target: no task over 100 ms).
 * Run it again with BENCH_CLUSTERS=2000 for the second figure of the issue.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { documentText, ReportMembershipMutation } from '../simulator/documents.js';
import { launchBrowser } from '../test/support/browser.js';
import { CONSOLE_DIST } from '../src/server/static.js';
import { ensureConsoleBuilt, serveConsole } from '../test/support/console.js';
import { createToken } from '../test/support/oc.js';
import { type ChildServer, startChild } from './lib/child.js';
import { cleanup, onCleanup } from './lib/cleanup.js';
import { post } from './lib/load.js';
import type { OcReady } from './lib/oc-server.js';
import { emitFigures, envInt, quickMode } from './lib/report.js';
import { clusterName, memberId, seedTopology } from './lib/seed.js';

// --quick (npm run bench): 50 clusters and 10 s of events, unless the environment says otherwise.
const shape = { clusters: envInt('BENCH_CLUSTERS', quickMode ? 50 : 200), workersPerCluster: envInt('BENCH_WORKERS', 50), concurrency: 8 };
const eventRate = envInt('BENCH_EVENT_RATE', 100);
const eventSeconds = envInt('BENCH_EVENT_SECONDS', quickMode ? 10 : 30);

/** The manager protocol's own document (simulator/documents.ts). */
const REPORT = documentText(ReportMembershipMutation);

async function main() {
  ensureConsoleBuilt();
  const scripts = readdirSync(join(CONSOLE_DIST, 'assets')).filter((f) => f.endsWith('.js'));
  const jsGzip = scripts.reduce((n, f) => n + gzipSync(readFileSync(join(CONSOLE_DIST, 'assets', f)), { level: 9 }).length, 0);

  const oc: ChildServer<OcReady> = await startChild<OcReady>(new URL('./lib/oc-server.ts', import.meta.url).href);
  onCleanup(() => oc.stop());
  console.log(`OC on ${oc.ready.driver === 'pg' ? 'PostgreSQL' : 'PGlite'}; seeding ${shape.clusters} clusters x ${shape.workersPerCluster} workers…`);
  const enrollment = await createToken(oc.ready.url, 'MANAGER', 'bench-enrollment');
  const viewer = await createToken(oc.ready.url, 'VIEWER', 'bench-viewer');
  const { sessions } = await seedTopology(oc.ready.url, enrollment.token, shape);
  await oc.call('vacuumAnalyze');

  const web = await serveConsole(oc.ready.url);
  onCleanup(() => web.close());
  const browser = await launchBrowser();
  onCleanup(() => browser.close());
  const { page } = await browser.newPage({ width: 1440, height: 900 });
  await page.addInitScript(() => {
    const w = window as unknown as { __long: number[] };
    w.__long = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__long.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });

  // 1. Navigation to every cluster listed (the footer counts them once every page is in).
  const expected = `${shape.clusters} clusters`;
  const t0 = performance.now();
  await page.goto(`${web.url}/#token=${encodeURIComponent(viewer.token)}`);
  await page
    .waitForFunction((text) => document.querySelector('.list-foot')?.textContent === text && document.querySelector('.vrow .cell') !== null, expected, {
      timeout: 120_000,
      polling: 10,
    })
    .catch(async (e: unknown) => {
      // Say what the page shows instead of a bare timeout.
      const shown = await page.evaluate(() => `${document.querySelector('.list-foot')?.textContent ?? '(no footer)'} | ${document.body.innerText.slice(0, 300)}`);
      throw new Error(`the fleet view never listed "${expected}": it shows ${JSON.stringify(shown)}`, { cause: e });
    });
  const readyMs = performance.now() - t0;
  const loadLong = await page.evaluate(() => Math.max(0, ...(window as unknown as { __long: number[] }).__long));
  await page.waitForSelector('[data-testid=link][data-state=live]');

  // 2. Membership events at eventRate/s for eventSeconds, spread over the clusters, each a worker flipping state.
  await page.evaluate(() => {
    (window as unknown as { __long: number[] }).__long = [];
  });
  const seq = new Array<number>(shape.clusters).fill(0);
  let sent = 0;
  const flips = new Map<number, string>();
  const tick = 100;
  const perTick = Math.max(1, Math.round((eventRate * tick) / 1000));
  const until = Date.now() + eventSeconds * 1000;
  let inFlight: Promise<unknown>[] = [];
  while (Date.now() < until) {
    const started = Date.now();
    for (let k = 0; k < perTick; k++) {
      const c = sent % shape.clusters;
      const w = Math.floor(sent / shape.clusters) % shape.workersPerCluster;
      const key = c * 100_000 + w;
      const state = flips.get(key) === 'STARTING' ? 'RUNNING' : 'STARTING';
      flips.set(key, state);
      seq[c] = seq[c]! + 1;
      const name = clusterName(c);
      inFlight.push(
        post({
          url: oc.ready.url,
          token: sessions[c]!,
          query: REPORT,
          variables: { input: { events: [{ seq: seq[c], change: 'STATE_CHANGED', worker: { memberId: memberId(w), host: `${name}-${memberId(w)}.local`, port: 8080, state } }] } },
        }),
      );
      sent++;
    }
    if (inFlight.length > 200) {
      await Promise.all(inFlight);
      inFlight = [];
    }
    await new Promise((r) => setTimeout(r, Math.max(0, tick - (Date.now() - started))));
  }
  await Promise.all(inFlight);
  const long = await page.evaluate(() => (window as unknown as { __long: number[] }).__long);
  const starting = [...flips.values()].filter((s) => s === 'STARTING').length;
  // The page shows what the managers said last: as many STARTING cells as left so (on the rows in view, and in the figure).
  await page.waitForFunction((n) => document.querySelector('.figures')?.textContent?.includes(`${n} starting`), starting, { timeout: 30_000 }).catch(() => undefined);
  const figure = await page.locator('.figures').textContent();

  console.log('');
  console.log(`| clusters x workers | database | JS shipped (gzip) | fleet view ready | longest task while loading | events sent | longest task under ${eventRate} events/s | tasks > 50 ms |`);
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(
    `| ${shape.clusters} x ${shape.workersPerCluster} | ${oc.ready.driver === 'pg' ? 'PostgreSQL' : 'PGlite'} | ${(jsGzip / 1024).toFixed(1)} KB | ${(readyMs / 1000).toFixed(2)} s | ${loadLong.toFixed(0)} ms | ${sent} in ${eventSeconds} s | ${Math.max(0, ...long).toFixed(0)} ms | ${long.length} |`,
  );
  const agrees = figure?.includes(`${starting} starting`) ?? false;
  console.log(`\npage agrees with the managers at the end: ${agrees ? 'yes' : `no (expected ${starting} starting)`}`);
  return {
    database: oc.ready.driver,
    clusters: shape.clusters,
    workersPerCluster: shape.workersPerCluster,
    jsGzipKb: Number((jsGzip / 1024).toFixed(1)),
    readySeconds: Number((readyMs / 1000).toFixed(2)),
    longestTaskLoadingMs: Math.round(loadLong),
    eventsSent: sent,
    eventSeconds,
    longestTaskUnderEventsMs: Math.round(Math.max(0, ...long)),
    tasksOver50Ms: long.length,
    pageAgrees: agrees,
  };
}

let figures: Awaited<ReturnType<typeof main>> | null = null;
try {
  figures = await main();
} finally {
  await cleanup();
}
if (figures) emitFigures('console', figures);
