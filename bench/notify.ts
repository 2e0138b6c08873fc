/**
 * Where LISTEN/NOTIFY's commit lock bites (`npm run bench:notify`; PostgreSQL only; never part of
 * `npm test`).
 *
 * On PostgreSQL up to 17, a transaction that has queued a NOTIFY takes one lock for the whole
 * database cluster at commit (before its WAL flush) and holds it until the commit is done: such
 * commits run one at a time, and group commit (many commits sharing one WAL flush) stops helping
 * them. This bench measures, on this machine's PostgreSQL (DATABASE_URL; a fresh database next
 * to it, dropped at the end), N connections each committing small transactions as fast as they
 * can for a few seconds, with one connection LISTENing as an OC instance does:
 *
 *   plain         BEGIN; INSERT; COMMIT                                   (the baseline)
 *   notify in tx  BEGIN; INSERT; SELECT pg_notify(...); COMMIT            (what most applications do)
 *   after commit  BEGIN; INSERT; COMMIT; then SELECT pg_notify(...) alone (what the OC's bridge does:
 *                 src/events/pg-bridge.ts, one NOTIFY per publication, after its commit)
 *   coalesced     BEGIN; INSERT; COMMIT; one notifier per process sends what is pending
 *                 as one NOTIFY at a time (ids batched into one payload)
 *
 * For each: commits/s, NOTIFYs/s, and commit latency p50/p99, and each against plain at the same
 * N. The rate where the NOTIFYing modes stop growing with N while plain still grows is where
 * commits start to queue on the lock.
 *
 *   npm run bench:notify [-- --seconds 5 --concurrency 1,4,16,64 --json --quick]
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createTestDatabase } from '../test/support/db.js';
import { cleanup, onCleanup } from './lib/cleanup.js';
import { backgroundLoad } from './lib/machine.js';
import { benchArgs, emitFigures, quickMode } from './lib/report.js';

const MODES = ['plain', 'notify in tx', 'after commit', 'coalesced'] as const;
type Mode = (typeof MODES)[number];
const CHANNEL = 'bench_notify';

interface Run {
  mode: Mode;
  concurrency: number;
  commitsPerSec: number;
  notifiesPerSec: number;
  p50: number;
  p99: number;
  received: number;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : Number.NaN);

async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

async function runOne(url: string, mode: Mode, concurrency: number, seconds: number, listener: { received: number }): Promise<Run> {
  const clients = await Promise.all(Array.from({ length: concurrency }, () => connect(url)));
  const notifier = mode === 'coalesced' ? await connect(url) : null;
  const latencies: number[] = [];
  let commits = 0;
  let notifies = 0;
  const receivedBefore = listener.received;
  let pending: string[] = [];
  let stop = false;
  // The one notifier of 'coalesced': whatever committed since its last NOTIFY, as one payload (ids under 8000 bytes).
  const coalescer = (async () => {
    while (notifier && (!stop || pending.length > 0)) {
      if (pending.length === 0) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      const batch = pending.splice(0, 700);
      await notifier.query('select pg_notify($1, $2)', [CHANNEL, batch.join(',')]);
      notifies++;
    }
  })();
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    clients.map(async (c, i) => {
      let n = 0;
      while (performance.now() < end) {
        const t = performance.now();
        const id = `${i}-${n++}`;
        await c.query('begin');
        await c.query('insert into bench_event (payload) values ($1)', [id]);
        if (mode === 'notify in tx') await c.query('select pg_notify($1, $2)', [CHANNEL, id]);
        await c.query('commit');
        latencies.push(performance.now() - t);
        commits++;
        if (mode === 'notify in tx') notifies++;
        if (mode === 'after commit') {
          await c.query('select pg_notify($1, $2)', [CHANNEL, id]);
          notifies++;
        }
        if (mode === 'coalesced') pending.push(id);
      }
    }),
  );
  const elapsed = seconds;
  stop = true;
  await coalescer;
  await Promise.all([...clients, ...(notifier ? [notifier] : [])].map((c) => c.end()));
  latencies.sort((a, b) => a - b);
  await new Promise((r) => setTimeout(r, 200));
  pending = [];
  return {
    mode,
    concurrency,
    commitsPerSec: commits / elapsed,
    notifiesPerSec: notifies / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    received: listener.received - receivedBefore,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: benchArgs(), options: { seconds: { type: 'string' }, concurrency: { type: 'string' } }, strict: true });
  const seconds = Number(values.seconds ?? (quickMode ? 2 : 5));
  const levels = (values.concurrency ?? (quickMode ? '1,8,32' : '1,4,16,64')).split(',').map(Number);
  if (!process.env.DATABASE_URL) {
    console.log('bench:notify measures PostgreSQL\'s NOTIFY: set DATABASE_URL (PGlite has no cross-process NOTIFY). Skipped.');
    emitFigures('notify', { skipped: 'no DATABASE_URL' });
    return;
  }
  const db = await createTestDatabase();
  onCleanup(() => db.drop());
  const url = db.url!;
  const setup = await connect(url);
  const version = (await setup.query<{ server_version: string }>('show server_version')).rows[0]!.server_version;
  const syncCommit = (await setup.query<{ synchronous_commit: string }>('show synchronous_commit')).rows[0]!.synchronous_commit;
  await setup.query('create table bench_event (id bigserial primary key, payload text not null, at timestamptz not null default now())');
  await setup.end();
  const listenerClient = await connect(url);
  const listener = { received: 0 };
  listenerClient.on('notification', () => listener.received++);
  await listenerClient.query(`listen ${CHANNEL}`);
  onCleanup(() => listenerClient.end());

  const load = await backgroundLoad();
  console.log(`NOTIFY and commits: PostgreSQL ${version} (synchronous_commit ${syncCommit}), ${seconds} s per run, one connection LISTENing`);
  if (load !== null) console.log(`  machine busy before the run (other processes): ${(load * 100).toFixed(0)}% of all cores`);
  const runs: Run[] = [];
  console.log(`  ${'mode'.padEnd(13)} ${'conns'.padStart(5)} ${'commits/s'.padStart(10)} ${'NOTIFY/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}  ${'vs plain'.padStart(9)}`);
  for (const n of levels) {
    for (const mode of MODES) {
      const r = await runOne(url, mode, n, seconds, listener);
      runs.push(r);
      const plain = runs.find((x) => x.mode === 'plain' && x.concurrency === n)!;
      console.log(
        `  ${mode.padEnd(13)} ${String(n).padStart(5)} ${r.commitsPerSec.toFixed(0).padStart(10)} ${r.notifiesPerSec.toFixed(0).padStart(9)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}  ${`${(r.commitsPerSec / plain.commitsPerSec).toFixed(2)}×`.padStart(9)}`,
      );
    }
  }
  const best = (mode: Mode) => runs.filter((r) => r.mode === mode).reduce((a, b) => (b.commitsPerSec > a.commitsPerSec ? b : a));
  const plainBest = best('plain');
  const inTxBest = best('notify in tx');
  const afterBest = best('after commit');
  const coalescedBest = best('coalesced');
  console.log(`  most commits/s: plain ${plainBest.commitsPerSec.toFixed(0)} (at ${plainBest.concurrency} connections), notify in tx ${inTxBest.commitsPerSec.toFixed(0)} (at ${inTxBest.concurrency}), after commit ${afterBest.commitsPerSec.toFixed(0)} (at ${afterBest.concurrency}), coalesced ${coalescedBest.commitsPerSec.toFixed(0)} with ${coalescedBest.notifiesPerSec.toFixed(0)} NOTIFY/s`);
  console.log(`  NOTIFYing commits queue on the lock past about ${inTxBest.notifiesPerSec.toFixed(0)} NOTIFY/s in a transaction (${(inTxBest.commitsPerSec / plainBest.commitsPerSec).toFixed(2)}× of plain's best)`);
  const r1 = (n: number) => Math.round(n);
  emitFigures('notify', {
    postgres: version,
    seconds,
    machineLoad: load,
    plainMaxCommitsPerSec: r1(plainBest.commitsPerSec),
    notifyInTxMaxCommitsPerSec: r1(inTxBest.commitsPerSec),
    afterCommitMaxCommitsPerSec: r1(afterBest.commitsPerSec),
    coalescedMaxCommitsPerSec: r1(coalescedBest.commitsPerSec),
    notifyInTxVsPlain: Number((inTxBest.commitsPerSec / plainBest.commitsPerSec).toFixed(2)),
    runs: runs.map((r) => ({ ...r, commitsPerSec: r1(r.commitsPerSec), notifiesPerSec: r1(r.notifiesPerSec), p50: Number(r.p50.toFixed(2)), p99: Number(r.p99.toFixed(2)) })),
  });
}

try {
  await main();
} finally {
  await cleanup();
}
