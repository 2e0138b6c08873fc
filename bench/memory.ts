/**
 * PGlite at rest (`npm run bench:memory`; never part of `npm test`): the resident memory of the
 * lab (`npm run lab`: an OC on PGlite in a fresh folder with the default scenario's fleet, in one
 * process) once it has settled, against baselines measured in the same run, each in a fresh
 * process of its own.
 *
 * The lab is started as `npm run lab` starts it (package.json's lab script: tsx's command line
 * with node's flags and simulator/lab.ts; simulator/lab-command.ts reads it), in a fresh folder,
 * and the RSS of its node process (tsx's child) is read from outside (/proc/PID) once a second for
 * the settle time after its banner, with no GC forced: what a user's `top` shows. The figure is
 * the highest of those samples (tsx's own process, which only relays signals, is printed apart).
 * Same run, same method:
 *
 *   lab, no V8 flags      the same lab without the script's node flags (how it ran before them)
 *   lab without FLAG      each flag of the script left out in turn (full run only): what each buys
 *
 * and, in-process after a settle and two full GCs (the method of the first pass at this target):
 *
 *   bare node             node with tsx and the database module imported, nothing started
 *   PGlite, defaults      PGlite opened in-process on a fresh folder with PostgreSQL's defaults
 *                         (shared_buffers 128 MB; initdb in this process): how the OC opened it before (full run)
 *   PGlite, OC            the OC's openDatabase on a fresh folder (initdb in a throw-away child,
 *                         PGLITE_SHARED_BUFFERS_MB), migrated (full run)
 *   lab, before           the lab as it was before issue 12: initdb in-process, shared_buffers 128 MB (full run)
 *
 * Each is split, from /proc/PID/smaps, into the WebAssembly heap (PGlite's PostgreSQL: the
 * resident part of the WebAssembly memory reservation), executable anonymous memory (V8's code
 * space and PGlite's compiled WebAssembly), node's own binary and libraries (file-backed), and the
 * rest of the anonymous memory (the JavaScript heaps, malloc: compilers' zones, buffers).
 * Target: the lab ≤ 300 MB RSS (issue 12, target 7).
 *
 *   npm run bench:memory [-- --settle 20 --json --quick]   (--quick: 5 s settle; bare node, the lab with and without its flags)
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { labCommand } from '../simulator/lab-command.js';
import { benchArgs, emitFigures, quickMode } from './lib/report.js';
import { backgroundLoad } from './lib/machine.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET_MB = 300;
const IN_PROCESS = ['bare', 'pglite-defaults', 'pglite', 'lab-before'] as const;
type InProcess = (typeof IN_PROCESS)[number];
const LABEL: Record<InProcess, string> = {
  bare: 'bare node (tsx), in-process',
  'pglite-defaults': 'PGlite, PostgreSQL defaults, in-process',
  pglite: 'PGlite, as the OC opens it, in-process',
  'lab-before': 'lab before issue 12, in-process',
};

interface Usage {
  rss: number;
  /** The WebAssembly memory's resident part. */
  wasm: number;
  /** Executable anonymous memory: V8's code space, compiled WebAssembly. */
  code: number;
  /** File-backed: node's binary and libraries. */
  file: number;
  /** The rest: JavaScript heaps, malloc. */
  anon: number;
  /** The JavaScript heap (in-process runs only). */
  heapTotal?: number;
  /** The RSS of tsx's command-line process that started the lab (lab runs only). */
  tsxRss?: number;
}

/**
 * The process's resident memory by kind, from /proc/PID/smaps. V8 reserves each WebAssembly
 * memory's address space (8 GB and more, inaccessible) and opens its current size read-write at
 * the start, so a WebAssembly memory is a read-write mapping followed at once by a huge
 * inaccessible one.
 */
function smapsUsage(pid: number | 'self'): Usage {
  const maps: { start: number; end: number; perms: string; path: string; rss: number }[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (range) maps.push({ start: Number.parseInt(range[1]!, 16), end: Number.parseInt(range[2]!, 16), perms: range[3]!, path: range[4]!.trim(), rss: 0 });
    else if (line.startsWith('Rss:') && maps.length > 0) maps[maps.length - 1]!.rss = Number(/(\d+)/.exec(line)![1]) * 1024;
  }
  const u: Usage = { rss: 0, wasm: 0, code: 0, file: 0, anon: 0 };
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i]!;
    const next = maps[i + 1];
    u.rss += m.rss;
    if (m.path.startsWith('/')) u.file += m.rss;
    else if (m.perms.startsWith('rw') && next?.perms.startsWith('---') && next.start === m.end && next.end - next.start >= 2 ** 32) u.wasm += m.rss;
    else if (m.perms.includes('x')) u.code += m.rss;
    else u.anon += m.rss;
  }
  return u;
}

async function usage(): Promise<Usage> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((r) => setTimeout(r, 200));
  gc?.();
  return { ...smapsUsage('self'), heapTotal: process.memoryUsage().heapTotal };
}

// ── in-process: one mode, one fresh process ───────────────────────────────────────────────────

async function child(mode: InProcess, dir: string, settleMs: number): Promise<void> {
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
  if (mode === 'lab-before') {
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

function runChild(mode: InProcess, settleMs: number): Promise<Usage> {
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

// ── the lab's own process, read from outside ─────────────────────────────────────────────────

/** The pid of `pid`'s child process (tsx's command line starts the lab's node as its only child). */
function childPid(pid: number): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

/**
 * Starts the lab as `npm run lab -- --port 0 --data-dir DIR` would (tsx's command line with these
 * arguments, in a fresh folder), waits for its banner, then reads the RSS of the lab's node
 * process (tsx's child) once a second for `settleMs`, no GC forced. Returns the breakdown at the
 * highest sample, and the RSS of tsx's own process (it only relays signals).
 */
async function runLab(tsxArgs: string[], settleMs: number): Promise<Usage & { tsxRss: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'oc-bench-memory-lab-'));
  // The environment of `npm run lab` in a shell: no NODE_ENV of the bench's, the lab's own log level.
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: '', DATABASE_URL: '' };
  delete env['NODE_ENV'];
  const tsxCli = fileURLToPath(import.meta.resolve('tsx/cli'));
  const lab = spawn(process.execPath, [tsxCli, ...tsxArgs, '--port', '0', '--data-dir', dir], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => lab.once('exit', () => r()));
  let out = '';
  let err = '';
  lab.stdout.on('data', (c: Buffer) => (out += c.toString()));
  lab.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  try {
    const deadline = Date.now() + 180_000;
    while (!out.includes('Ctrl-C stops the fleet')) {
      if (lab.exitCode !== null || Date.now() > deadline) throw new Error(`the lab did not come up (tsx ${tsxArgs.join(' ')}):\n${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const node = childPid(lab.pid!);
    if (node === null) throw new Error("the lab's node process (tsx's child) was not found");
    let top: Usage | null = null;
    for (let t = 0; t < settleMs; t += 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      const u = smapsUsage(node);
      if (!top || u.rss > top.rss) top = u;
    }
    return { ...top!, tsxRss: smapsUsage(lab.pid!).rss };
  } finally {
    lab.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (lab.exitCode === null && lab.signalCode === null) lab.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
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
    await child(values.child as InProcess, values.dir!, settleMs);
    return;
  }
  const command = labCommand(ROOT);
  const noFlags = command.tsxArgs.filter((a) => !command.flags.includes(a));
  const load = await backgroundLoad();
  console.log(`PGlite at rest, each in a fresh process; the lab: \`tsx ${command.tsxArgs.join(' ')}\` (package.json's lab script)`);
  console.log(`  lab: its node process (tsx's child), highest RSS of ${settleMs / 1000} samples 1 s apart after the banner, no GC forced; in-process: after ${settleMs / 1000} s and two GCs`);
  if (load !== null) console.log(`  machine busy before the run (other processes): ${(load * 100).toFixed(0)}% of all cores`);

  const rows: { label: string; key: string; u: Usage }[] = [];
  const measure = async (key: string, label: string, run: () => Promise<Usage>) => {
    try {
      rows.push({ key, label, u: await run() });
    } catch (err) {
      console.log(`  ${label}: FAILED: ${(err as Error).message}`);
    }
  };
  for (const mode of IN_PROCESS) {
    if (quickMode && mode !== 'bare') continue;
    await measure(mode, LABEL[mode], () => runChild(mode, settleMs));
  }
  await measure('labNoFlags', 'lab, no V8 flags', () => runLab(noFlags, settleMs));
  if (!quickMode) {
    for (const flag of command.flags) await measure(`without ${flag}`, `lab without ${flag}`, () => runLab(command.tsxArgs.filter((a) => a !== flag), settleMs));
  }
  await measure('lab', `lab (${command.flags.join(' ')})`, () => runLab(command.tsxArgs, settleMs));

  const width = Math.max(32, ...rows.map((r) => r.label.length));
  console.log(`  ${'process'.padEnd(width)} ${'RSS'.padStart(6)} ${'WASM'.padStart(6)} ${'code'.padStart(6)} ${'files'.padStart(6)} ${'anon'.padStart(6)} ${'JS heap'.padStart(8)}   (MB)`);
  for (const { label, u } of rows) {
    const cells = [u.rss, u.wasm, u.code, u.file, u.anon].map((v) => String(mb(v)).padStart(6));
    console.log(`  ${label.padEnd(width)} ${cells.join(' ')} ${(u.heapTotal === undefined ? '' : String(mb(u.heapTotal))).padStart(8)}`);
  }
  console.log('  (WASM: PGlite\'s heap, resident; code: V8 and WebAssembly code; files: node\'s binary and libraries; anon: JS heaps, malloc)');
  const get = (key: string) => rows.find((r) => r.key === key)?.u;
  const lab = get('lab');
  if (lab?.tsxRss) console.log(`  (and tsx's command-line process that started the lab, relaying signals: ${mb(lab.tsxRss)} MB)`);
  const noFlagsUsage = get('labNoFlags');
  const bare = get('bare');
  if (lab) {
    console.log(`  lab RSS ${mb(lab.rss)} MB: target ≤ ${TARGET_MB} MB ${lab.rss <= TARGET_MB * 1048576 ? 'MET' : 'MISSED'}`);
    if (noFlagsUsage) console.log(`  lab / lab without its V8 flags: ${(lab.rss / noFlagsUsage.rss).toFixed(2)}× (${mb(noFlagsUsage.rss - lab.rss)} MB less)`);
    const before = get('lab-before');
    if (before) console.log(`  lab / lab before issue 12: ${(lab.rss / before.rss).toFixed(2)}×`);
    if (bare) console.log(`  lab above a bare node: ${mb(lab.rss - bare.rss)} MB`);
  }
  emitFigures('memory', {
    settleSeconds: settleMs / 1000,
    machineLoad: load,
    labCommand: `tsx ${command.tsxArgs.join(' ')}`,
    processes: Object.fromEntries(
      rows.map(({ key, u }) => [key, { rssMb: mb(u.rss), wasmMb: mb(u.wasm), codeMb: mb(u.code), filesMb: mb(u.file), anonMb: mb(u.anon), heapMb: u.heapTotal === undefined ? null : mb(u.heapTotal) }]),
    ),
    labRssMb: lab ? mb(lab.rss) : null,
    labNoFlagsRssMb: noFlagsUsage ? mb(noFlagsUsage.rss) : null,
    targetMb: TARGET_MB,
    met: lab ? lab.rss <= TARGET_MB * 1048576 : false,
  });
}

await main();
