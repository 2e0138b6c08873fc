/**
 * What every bench shares about its output: `--json` (its figures as one JSON object on the
 * last line of stdout, for `npm run bench` and for scripts) and `--quick` (or BENCH_QUICK=1: a
 * shorter profile that keeps the bench's shape, for `npm run bench`).
 *
 * A bench prints its human table as it goes, then calls `emitFigures` once at the very end.
 */

/** The flags this module owns; a bench with its own parseArgs should accept them too. */
export const REPORT_FLAGS = ['--json', '--quick'] as const;

export const jsonMode = process.argv.includes('--json');
export const quickMode = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';

/** The arguments a bench should parse itself: argv without the flags above. */
export function benchArgs(argv: readonly string[] = process.argv.slice(2)): string[] {
  return argv.filter((a) => !(REPORT_FLAGS as readonly string[]).includes(a));
}

/** A figure as printed: numbers rounded to what a measurement can tell. */
export type Figures = Record<string, unknown>;

/**
 * Ends a bench's output: with `--json`, one line `{"bench": name, "at": ISO date, "quick": …, ...figures}`
 * (nothing may be printed after it). Without `--json`, nothing (the table was printed already).
 */
export function emitFigures(bench: string, figures: Figures): void {
  if (!jsonMode) return;
  process.stdout.write(`${JSON.stringify({ bench, at: new Date().toISOString(), quick: quickMode, ...figures })}\n`);
}

/** A whole number from the environment (BENCH_* settings), `def` when unset; anything else is an error naming it. */
export function envInt(name: string, def: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number >= ${min} (got "${raw}")`);
  return n;
}
