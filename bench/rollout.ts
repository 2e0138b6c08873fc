/**
 * bench/rollout.ts: how fast the OC drives a rolling restart, and what it adds per batch.
 *
 * A 1,000-worker cluster whose workers restart in a fixed 1 s (the simulator, no jitter),
 * restarted by the OC with batchSize 100: 10 batches, so the floor is 10 s; the target is
 * under 12 s. Baseline, measured in the same run: the simulator restarting 100 of the same
 * workers by itself (no OC deciding anything), i.e. the floor as this machine realises it.
 *
 *   npm run bench:rollout                  # PGlite (a temporary data folder)
 *   DATABASE_URL=postgres://... npm run bench:rollout   # a fresh database next to that one
 *
 * The OC runs as its own process (as in production); the simulator runs here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet } from '../simulator/fleet.js';
import { memberName } from '../simulator/manager.js';
import { gqlOk } from '../test/support/client.js';
import { createTestDatabase } from '../test/support/db.js';
import { spawnOc } from '../test/support/oc-process.js';
import { cleanup, onCleanup } from './lib/cleanup.js';

const WORKERS = 1000;
const BATCH = 100;
const RESTART_MS = 1000;
const TARGET_MS = 12_000;
const ADMIN = 'bench-admin-token-0123456789';

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function main() {
  try {
    let env: Record<string, string>;
    let dbLabel: string;
    if (process.env.DATABASE_URL) {
      const db = await createTestDatabase();
      onCleanup(() => db.drop());
      env = { DATABASE_URL: db.url! };
      dbLabel = 'PostgreSQL';
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'oc-bench-rollout-'));
      onCleanup(() => rmSync(dir, { recursive: true, force: true }));
      env = { OC_DATA_DIR: dir };
      dbLabel = 'PGlite';
    }
    const oc = await spawnOc({ ...env, OC_ADMIN_TOKEN: ADMIN, LOG_LEVEL: process.env.BENCH_OC_LOG_LEVEL ?? 'info', OC_MANAGER_LEASE_MS: '30000' });
    onCleanup(() => oc.kill('SIGTERM').then(() => {}));
    const enroll = (await gqlOk(oc.url, ADMIN, `mutation { createApiToken(input: { name: "bench", role: MANAGER }) { ... on ApiTokenPayload { token } } }`)).createApiToken.token;

    // Restarts take exactly 1 s: 300 ms stopping, 700 ms booting, no jitter, nothing fails.
    const fixed = (ms: number) => ({ ms, jitter: 0 });
    const simLog: unknown[] = [];
    const fleet = startFleet({
      url: oc.url,
      enrollmentToken: enroll,
      scenario: { name: 'bench', clusters: [{ name: 'bench-1000', kind: 'AS', size: WORKERS }], faults: [] },
      profile: 'fast',
      profileOverrides: { stopping: fixed(300), stoppedToStarting: fixed(0), starting: fixed(700), membershipFlushMs: 20, statsIntervalMs: 10_000, taskTimeoutMs: 60_000 },
      seed: 7,
      log: process.env.BENCH_SIM_LOG ? (e) => simLog.push(e) : undefined,
    });
    onCleanup(() => fleet.stop());
    await fleet.ready({ timeoutMs: 60_000 });
    const cluster = (await gqlOk(oc.url, ADMIN, `{ cluster(name: "bench-1000") { id workerCount } }`)).cluster;
    console.log(`OC on ${dbLabel} (separate process), ${cluster.workerCount} workers registered`);

    // Baseline: the simulator restarts 100 workers on its own, the OC only watching.
    const members = [...Array(BATCH).keys()].map((i) => memberName('bench-1000', i + 1, WORKERS));
    const t0 = performance.now();
    await Promise.all(members.map((m) => fleet.worker('bench-1000', m).restart()));
    const baselineMs = performance.now() - t0;
    await fleet.waitFor((f) => f.status().workers.RUNNING === WORKERS, { timeoutMs: 10_000, what: 'baseline restarts settled' });
    fleet.resetInvariants();

    // The rollout.
    const start = performance.now();
    const r = await gqlOk(oc.url, ADMIN, `mutation($i: RestartClusterInput!) { restartCluster(input: $i) { ... on CommandPayload { command { id } } ... on Error { message } } }`, {
      i: { clusterId: cluster.id, strategy: { batchSize: BATCH, healthTimeoutMs: 30_000 } },
    });
    const id = r.restartCluster.command?.id;
    if (!id) throw new Error(r.restartCluster.message);
    let c: any;
    for (;;) {
      c = (await gqlOk(oc.url, ADMIN, `query($id: ID!) { command(id: $id) { state startedAt finishedAt steps { index state startedAt finishedAt } } }`, { id })).command;
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(c.state)) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    const wallMs = performance.now() - start;
    const commandMs = Date.parse(c.finishedAt) - Date.parse(c.startedAt);
    const inv = fleet.invariants();

    // Per batch, from the OC's own records: when its task was made, when its last worker was seen back.
    const batches: { startMs: number; endMs: number }[] = [];
    for (let b = 0; b < WORKERS / BATCH; b++) {
      const steps = c.steps.slice(b * BATCH, (b + 1) * BATCH);
      batches.push({ startMs: Math.min(...steps.map((s: any) => Date.parse(s.startedAt))), endMs: Math.max(...steps.map((s: any) => Date.parse(s.finishedAt))) });
    }
    const rows = batches.map((b, i) => {
      const dur = b.endMs - b.startMs;
      const gap = i > 0 ? b.startMs - batches[i - 1]!.endMs : 0;
      return { batch: i + 1, durationMs: dur, addedMs: Math.round(dur - baselineMs), gapBeforeMs: gap };
    });

    console.log(`\nrolling restart of ${WORKERS} workers, batchSize ${BATCH}, restarts of a fixed ${RESTART_MS} ms`);
    console.table(rows);
    const avgAdded = rows.reduce((a, r) => a + r.addedMs + r.gapBeforeMs, 0) / rows.length;
    const maxRestarts = Math.max(...Object.values(inv.restarts));
    console.log(`baseline (simulator alone, 100 workers):   ${fmt(baselineMs)}`);
    console.log(`floor (10 batches x ${RESTART_MS} ms):              ${fmt((WORKERS / BATCH) * RESTART_MS)}`);
    console.log(`rollout, command startedAt -> finishedAt:  ${fmt(commandMs)}   (request to observed end: ${fmt(wallMs)})`);
    console.log(`OC added per batch (incl. gap), average:   ${avgAdded.toFixed(0)} ms`);
    console.log(`ratio to the same-run floor (10 x baseline): ${(commandMs / ((WORKERS / BATCH) * baselineMs)).toFixed(3)}`);
    console.log(`state ${c.state}; most workers down at once ${inv.maxDownDuringTasks['bench-1000'] ?? '?'}; most restarts of one worker ${maxRestarts}`);
    console.log(`target: under ${fmt(TARGET_MS)} -> ${commandMs < TARGET_MS && c.state === 'SUCCEEDED' ? 'MET' : 'NOT MET'}`);
    if (process.env.BENCH_SIM_LOG) (await import('node:fs')).writeFileSync(process.env.BENCH_SIM_LOG, JSON.stringify({ simLog, steps: c.steps }));
    if (process.env.BENCH_OC_LOG) (await import('node:fs')).writeFileSync(process.env.BENCH_OC_LOG, oc.log.join('\n'));
  } finally {
    await cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
