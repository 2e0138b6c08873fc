/**
 * PGlite at rest (`npm run bench:memory`; never part of `npm test`): the resident memory of the
 * lab (`npm run lab`: an OC on PGlite in a fresh folder with the default scenario's fleet, in one
 * process) once it has settled, against baselines measured in the same run, each in a fresh
 * process of its own:
 *
 *   bare node           node with tsx and nothing else (what any process here starts from)
 *   PGlite, defaults    PGlite opened in-process on a fresh folder with PostgreSQL's defaults
 *                       (shared_buffers 128 MB; initdb in this process): how the OC opened it before
 *   PGlite, OC          the OC's openDatabase on a fresh folder (initdb in a throw-away child,
 *                       PGLITE_SHARED_BUFFERS_MB), migrated
 *   lab, before         the lab as it was: initdb in-process, shared_buffers 128 MB
 *   lab                 the lab now
 *
 * For each: RSS after a settle and two full GCs, split into the WebAssembly heap (PGlite's
 * PostgreSQL: the resident part of the WebAssembly memory reservation, from /proc/self/smaps),
 * the JavaScript heap, and the rest (code, compiled WebAssembly, buffers). Target: the lab
 * ≤ 300 MB RSS (issue 12, target 7).
 *
 *   npm run bench:memory [-- --settle 20 --json --quick]   (--quick: 5 s settle; bare node and the two labs only)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchArgs, emitFigures, quickMode } from './lib/report.js';
import { backgroundLoad } from './lib/machine.js';

const TARGET_MB = 300;
const MODES = ['bare', 'pglite-defaults', 'pglite', 'lab-before', 'lab'] as const;
type Mode = (typeof MODES)[number];
const LABEL: Record<Mode, string> = {
  bare: 'bare node (tsx)',
  'pglite-defaults': 'PGlite, PostgreSQL defaults',
  pglite: 'PGlite, as the OC opens it',
  'lab-before': 'lab, as before (issue 12)',
  lab: 'lab (OC + default fleet)',
};

interface Usage {
  rss: number;
  wasm: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/**
 * Resident bytes of the WebAssembly memories: V8 reserves each one's address space (8 GB and
 * more, inaccessible) and opens its current size read-write at the start, so a WebAssembly
 * memory is a read-write mapping followed at once by a huge inaccessible one (/proc/self/smaps).
 */
function wasmResident(): number {
  const maps: { start: number; end: number; perms: string; rss: number }[] = [];
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) (\S+) /.exec(line);
    if (range) maps.push({ start: Number.parseInt(range[1]!, 16), end: Number.parseInt(range[2]!, 16), perms: range[3]!, rss: 0 });
    else if (line.startsWith('Rss:') && maps.length > 0) maps[maps.length - 1]!.rss = Number(/(\d+)/.exec(line)![1]) * 1024;
  }
  let total = 0;
  for (let i = 0; i + 1 < maps.length; i++) {
    const [m, next] = [maps[i]!, maps[i + 1]!];
    if (m.perms.startsWith('rw') && next.perms.startsWith('---') && next.start === m.end && next.end - next.start >= 2 ** 32) total += m.rss;
  }
  return total;
}

async function usage(): Promise<Usage> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((r) => setTimeout(r, 200));
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, wasm: wasmResident(), heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
}

// ── the child: one mode, one fresh process ────────────────────────────────────────────────────

async function child(mode: Mode, dir: string, settleMs: number): Promise<void> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let stop: () => Promise<void> = async () => {};
  const before = mode === 'pglite-defaults' || mode === 'lab-before';
  // Before issue 12: initdb in this process, PostgreSQL's default shared_buffers.
  const dbOptions = { url: null, dataDir: dir, pgliteSharedBuffersMb: before ? 128 : undefined, pgliteInitdb: before ? ('in-process' as const) : undefined };
  const { openDatabase } = await import('../src/db/client.js');
  if (mode === 'pglite' || mode === 'pglite-defaults') {
    const database = await openDatabase(dbOptions);
    stop = () => database.close();
  }
  if (mode === 'lab' || mode === 'lab-before') {
    const { loadConfig } = await import('../src/config.js');
    const { startApp } = await import('../src/server/app.js');
    const { startFleet } = await import('../simulator/fleet.js');
    const { loadScenario } = await import('../simulator/scenario.js');
    const adminToken = 'bench-memory-admin-token-0123456789';
    const database = await openDatabase(dbOptions);
    const config = { ...loadConfig({}), port: 0, host: '127.0.0.1', adminToken, logLevel: 'warn' as const };
    const app = await startApp(config, { database });
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ query: 'mutation { createApiToken(input: { name: "memory bench", role: MANAGER }) { ... on ApiTokenPayload { token } } }' }),
    });
    const token = ((await res.json()) as { data: { createApiToken: { token: string } } }).data.createApiToken.token;
    const fleet = startFleet({ url: app.url, enrollmentToken: token, scenario: await loadScenario('default') });
    const deadline = Date.now() + 120_000;
    while (fleet.status().connected < fleet.status().clusters && Date.now() < deadline) await sleep(100);
    stop = async () => {
      await fleet.stop();
      await app.stop();
      await database.close();
    };
  }
  await sleep(settleMs);
  const u = await usage();
  process.stdout.write(`MEMORY ${JSON.stringify(u)}\n`);
  await stop();
  process.exit(0);
}

function runChild(mode: Mode, settleMs: number): Promise<Usage> {
  const dir = mkdtempSync(join(tmpdir(), `oc-bench-memory-${mode}-`));
  return new Promise<Usage>((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', import.meta.filename, '--child', mode, '--dir', dir, '--settle', String(settleMs / 1000)],
      { timeout: 300_000, env: { ...process.env, NODE_ENV: 'production' }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        rmSync(dir, { recursive: true, force: true });
        const line = stdout.split('\n').find((l) => l.startsWith('MEMORY '));
        if (!line) reject(new Error(`${mode}: ${err?.message ?? 'no figures'}\n${stderr.slice(-2000)}`));
        else resolve(JSON.parse(line.slice('MEMORY '.length)) as Usage);
      },
    );
  });
}

// ── the parent ────────────────────────────────────────────────────────────────────────────────

const mb = (b: number) => Math.round(b / 1048576);

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: benchArgs(),
    options: { child: { type: 'string' }, dir: { type: 'string' }, settle: { type: 'string' } },
    strict: true,
  });
  const settleMs = Number(values.settle ?? (quickMode ? 5 : 20)) * 1000;
  if (values.child) {
    await child(values.child as Mode, values.dir!, settleMs);
    return;
  }
  const load = await backgroundLoad();
  console.log(`PGlite at rest: RSS after ${settleMs / 1000} s settled and two GCs, each in a fresh process`);
  if (load !== null) console.log(`  machine busy before the run (other processes): ${(load * 100).toFixed(0)}% of all cores`);
  const results = new Map<Mode, Usage>();
  // --quick: the lab against the lab as before and a bare node (PGlite alone only in the full run).
  const modes = quickMode ? MODES.filter((m) => m === 'bare' || m.startsWith('lab')) : MODES;
  for (const mode of modes) {
    try {
      results.set(mode, await runChild(mode, settleMs));
    } catch (err) {
      console.log(`  ${LABEL[mode]}: FAILED: ${(err as Error).message}`);
    }
  }
  console.log(`  ${'process'.padEnd(32)} ${'RSS'.padStart(7)} ${'WASM'.padStart(7)} ${'JS heap'.padStart(8)} ${'other'.padStart(7)}   (MB)`);
  for (const [mode, u] of results) {
    console.log(
      `  ${LABEL[mode].padEnd(32)} ${String(mb(u.rss)).padStart(7)} ${String(mb(u.wasm)).padStart(7)} ${String(mb(u.heapTotal)).padStart(8)} ${String(mb(u.rss - u.wasm - u.heapTotal)).padStart(7)}`,
    );
  }
  const lab = results.get('lab');
  const before = results.get('lab-before');
  const bare = results.get('bare');
  if (lab) {
    console.log(`  lab RSS ${mb(lab.rss)} MB: target ≤ ${TARGET_MB} MB ${lab.rss <= TARGET_MB * 1048576 ? 'MET' : 'MISSED'}`);
    if (before) console.log(`  lab now / lab as before: ${(lab.rss / before.rss).toFixed(2)}×`);
    if (bare) console.log(`  lab above a bare node: ${mb(lab.rss - bare.rss)} MB`);
  }
  const fig = (m: Mode) => {
    const u = results.get(m);
    return u ? { rssMb: mb(u.rss), wasmMb: mb(u.wasm), heapMb: mb(u.heapTotal) } : null;
  };
  emitFigures('memory', {
    settleSeconds: settleMs / 1000,
    machineLoad: load,
    bare: fig('bare'),
    pgliteDefaults: fig('pglite-defaults'),
    pglite: fig('pglite'),
    labBefore: fig('lab-before'),
    lab: fig('lab'),
    labRssMb: lab ? mb(lab.rss) : null,
    targetMb: TARGET_MB,
    met: lab ? lab.rss <= TARGET_MB * 1048576 : false,
  });
}

await main();
