/**
 * Every bench, one after the other, in its quick profile (`npm run bench`; never part of `npm test`).
 *
 * The benches are the package.json scripts named `bench:*` (so a bench added there is picked up
 * here without a change). Each runs as a child process (`npm run bench:NAME -- --quick --json`,
 * BENCH_QUICK=1 in its environment), one at a time; its last stdout line is its figures as one
 * JSON object (bench/lib/report.ts). A bench that fails, times out or prints no figures is
 * reported as such; the others still run. At the end: one table, and every bench's figures
 * written to bench-results/<date>.json (its full output beside it, bench-results/<date>/NAME.log).
 *
 * A bench that does not read --quick itself (bench/lib/report.ts's quickMode) gets short-profile
 * environment defaults instead (BENCH_DURATION, BENCH_WARMUP, BENCH_QUIET_WAIT, …), never
 * overriding what the caller set.
 *
 *   npm run bench [-- --only simulator,memory --skip console --full --timeout 300]
 *
 *   --only A,B     run only these benches (names without "bench:")
 *   --skip A,B     run all but these
 *   --full         their default (long) profiles instead of --quick
 *   --timeout S    seconds before a bench is stopped (default 240 quick, 1800 full)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { backgroundLoad } from './lib/machine.js';

const ROOT = join(import.meta.dirname, '..');
const RESULTS_DIR = join(ROOT, 'bench-results');

/** What a bench that ignores --quick is given instead (only where the caller set nothing). */
const QUICK_ENV: Record<string, string> = {
  BENCH_QUICK: '1',
  BENCH_DURATION: '5',
  BENCH_WARMUP: '1',
  BENCH_QUIET_WAIT: '0',
  BENCH_ROUNDS: '1',
  BENCH_EVENT_SECONDS: '10',
};

export interface BenchScript {
  /** The name without "bench:" (e.g. "topology"). */
  name: string;
  script: string;
  /** The file it runs, when the script is `tsx FILE …`. */
  file: string | null;
}

/** The `bench:*` scripts of package.json, in their order there. */
export function discoverBenches(pkg: { scripts?: Record<string, string> }): BenchScript[] {
  return Object.entries(pkg.scripts ?? {})
    .filter(([key]) => key.startsWith('bench:'))
    .map(([key, script]) => ({ name: key.slice('bench:'.length), script, file: /^tsx\s+(\S+\.ts)\b/.exec(script)?.[1] ?? null }));
}

/** Whether the bench's file reads the --quick flag itself (through bench/lib/report.ts). */
function readsQuick(b: BenchScript): boolean {
  if (!b.file) return false;
  try {
    return /\bquickMode\b/.test(readFileSync(join(ROOT, b.file), 'utf8'));
  } catch {
    return false;
  }
}

/** The last stdout line that is a JSON object, or null. */
export function lastJsonLine(stdout: string): Record<string, unknown> | null {
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines[lines.length - 1];
  if (!last?.startsWith('{')) return null;
  try {
    const v = JSON.parse(last) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

interface Outcome {
  name: string;
  status: 'ok' | 'failed' | 'timeout' | 'no figures';
  exitCode: number | null;
  seconds: number;
  figures: Record<string, unknown> | null;
  /** The last lines of its output, when it did not end well. */
  tail?: string;
}

function runBench(b: BenchScript, opts: { quick: boolean; timeoutS: number; logFile: string }): Promise<Outcome> {
  const env: Record<string, string | undefined> = { ...process.env };
  if (opts.quick && !readsQuick(b)) for (const [k, v] of Object.entries(QUICK_ENV)) if (!env[k]) env[k] = v;
  const args = ['run', '--silent', `bench:${b.name}`, '--', '--json', ...(opts.quick ? ['--quick'] : [])];
  const t0 = performance.now();
  return new Promise<Outcome>((resolve) => {
    // Its own process group, so that a timeout stops the bench and every process it started.
    const child = spawn('npm', args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let all = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      all += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      all += d.toString();
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGINT');
        setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {}
        }, 20_000).unref();
      } catch {}
    }, opts.timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      writeFileSync(opts.logFile, all);
      const seconds = (performance.now() - t0) / 1000;
      const figures = lastJsonLine(out);
      const status: Outcome['status'] = timedOut ? 'timeout' : code !== 0 ? 'failed' : figures ? 'ok' : 'no figures';
      const tail = status === 'ok' ? undefined : all.trim().split('\n').slice(-6).join('\n');
      resolve({ name: b.name, status, exitCode: code, seconds, figures, tail });
    });
  });
}

/** A bench's headline figures in one cell: its top-level numbers, booleans and short strings. */
function headline(f: Record<string, unknown> | null): string {
  if (!f) return '';
  const skip = new Set(['bench', 'at', 'quick']);
  const parts: string[] = [];
  for (const [k, v] of Object.entries(f)) {
    if (skip.has(k)) continue;
    if (typeof v === 'number') parts.push(`${k} ${Number.isInteger(v) ? v : v.toPrecision(3)}`);
    else if (typeof v === 'boolean') parts.push(`${k} ${v ? 'yes' : 'no'}`);
    else if (typeof v === 'string' && v.length <= 24) parts.push(`${k} ${v}`);
  }
  const text = parts.join(', ');
  return text.length > 140 ? `${text.slice(0, 137)}…` : text;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      only: { type: 'string' },
      skip: { type: 'string' },
      full: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const list = (s: string | undefined) => new Set((s ?? '').split(',').map((x) => x.trim()).filter(Boolean));
  const only = list(values.only);
  const skip = list(values.skip);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const benches = discoverBenches(pkg).filter((b) => (only.size === 0 || only.has(b.name)) && !skip.has(b.name));
  for (const name of only) if (!benches.some((b) => b.name === name)) throw new Error(`--only: no script bench:${name} in package.json`);
  const quick = !values.full;
  const timeoutS = values.timeout ? Number(values.timeout) : quick ? 240 : 1800;
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new Error(`--timeout must be a number of seconds, got "${values.timeout}"`);

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const logDir = join(RESULTS_DIR, stamp);
  mkdirSync(logDir, { recursive: true });
  const load = await backgroundLoad();
  const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), node ${process.version}`;
  console.error(`npm run bench: ${benches.length} benches (${benches.map((b) => b.name).join(', ')}), ${quick ? 'quick' : 'full'} profile, ${timeoutS} s each at most`);
  console.error(`  machine: ${machine}${load !== null ? `; busy before the run: ${(load * 100).toFixed(0)}% of all cores` : ''}`);

  const outcomes: Outcome[] = [];
  const t0 = performance.now();
  for (const b of benches) {
    console.error(`  bench:${b.name} …`);
    const o = await runBench(b, { quick, timeoutS, logFile: join(logDir, `${b.name}.log`) });
    outcomes.push(o);
    console.error(`  bench:${b.name}: ${o.status}${o.exitCode ? ` (exit ${o.exitCode})` : ''} in ${o.seconds.toFixed(0)} s`);
    if (o.tail) console.error(o.tail.replace(/^/gm, '      '));
  }
  const totalS = (performance.now() - t0) / 1000;

  const rows = outcomes.map((o) => [o.name, o.status, `${o.seconds.toFixed(0)} s`, headline(o.figures)]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length), ['bench', 'status', 'time'][i]!.length));
  const line = (r: string[]) => `${r.slice(0, 3).map((c, i) => c.padEnd(widths[i]!)).join('  ')}  ${r[3]}`;
  console.log('');
  console.log(line(['bench', 'status', 'time', 'figures']));
  for (const r of rows) console.log(line(r));
  const file = join(RESULTS_DIR, `${stamp}.json`);
  const result = {
    at: new Date().toISOString(),
    quick,
    machine,
    machineLoadBefore: load,
    totalSeconds: Math.round(totalS),
    benches: Object.fromEntries(outcomes.map((o) => [o.name, { status: o.status, exitCode: o.exitCode, seconds: Math.round(o.seconds), figures: o.figures }])),
  };
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${outcomes.filter((o) => o.status === 'ok').length}/${outcomes.length} benches ok in ${(totalS / 60).toFixed(1)} min; figures in ${file}`);
  if (values.json) console.log(JSON.stringify({ bench: 'run', ...result }));
  return outcomes.every((o) => o.status === 'ok') ? 0 : 1;
}

if (import.meta.filename === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`npm run bench: ${(err as Error).message}`);
      process.exit(2);
    },
  );
}
