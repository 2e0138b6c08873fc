/**
 * The command-line options that the simulator (`npm run sim`, cli.ts) and the lab (`npm run lab`,
 * lab.ts) share: how they are declared, read, checked and described in the usage text, and how a
 * mistake in them ends the process.
 */
import { randomInt } from 'node:crypto';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { isProfileName, PROFILE_NAMES } from './profiles.js';
import { listScenarios, loadScenario, MAX_CLOCK_SKEW_MS, type Scenario } from './scenario.js';

/** An option the user got wrong; the message says which and why (printed above the usage). */
export class OptionError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** The options both commands take (each adds its own, and may give --profile a default). */
export const SHARED_OPTIONS = {
  scenario: { type: 'string', default: 'default' },
  seed: { type: 'string' },
  verbose: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Options;

/** The usage lines of the shared options, padded to `width` columns. */
export function sharedUsage(width: number): { scenario: string; seed: string } {
  return {
    scenario: `  ${'--scenario NAME|FILE'.padEnd(width)} a bundled scenario (${listScenarios().join(', ') || 'default'}) or a JSON file; default: default`,
    seed: `  ${'--seed N'.padEnd(width)} replay a run: same seed, same worker timelines (default: random, printed)`,
  };
}

/** parseArgs (strict, no positionals), its complaints as OptionError. */
export function parseOptions(argv: string[], options: Options): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new OptionError(err instanceof Error ? err.message : String(err));
  }
}

/** `--seed`: a whole number that replays a run; a random one when not given. */
export function seedOption(text: string | undefined): number {
  if (text === undefined) return randomInt(0, 2 ** 31);
  if (!/^\d+$/.test(text) || Number(text) > 2 ** 32 - 1) throw new OptionError(`--seed must be a whole number from 0 to ${2 ** 32 - 1}, got "${text}"`);
  return Number(text);
}

/** `--profile`: one of the profiles' names. */
export function profileOption(text: string): string {
  if (!isProfileName(text)) throw new OptionError(`--profile must be one of ${PROFILE_NAMES.join(', ')}, got "${text}"`);
  return text;
}

/** `--clock-skew`: a signed duration (`10m`, `-10m`, `90s`, `1500ms`, `1h`; a bare number is ms), in ms. */
export function clockSkewOption(text: string): number {
  const m = /^([+-]?\d+)(ms|s|m|h)?$/.exec(text.trim());
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(m?.[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  const ms = m ? Number(m[1]) * unit : Number.NaN;
  if (!Number.isSafeInteger(ms) || Math.abs(ms) > MAX_CLOCK_SKEW_MS) {
    throw new OptionError(`--clock-skew must be a signed duration of at most a day such as 10m, -10m, 90s or 1500ms, got "${text}"`);
  }
  return ms;
}

/**
 * The options of this process, read with `parse`, and its `--scenario` loaded; or the exit code:
 * 2 after printing a mistake (with the usage when it is in the options), 0 after printing the usage for --help.
 */
export async function readOptions<T extends { help: boolean; scenario: string }>(
  program: string,
  parse: (argv: string[]) => T,
  usage: string,
): Promise<{ opts: T; scenario: Scenario } | number> {
  let opts: T;
  try {
    opts = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${program}: ${(err as Error).message}\n\n${usage}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  try {
    return { opts, scenario: await loadScenario(opts.scenario) };
  } catch (err) {
    process.stderr.write(`${program}: ${(err as Error).message}\n`);
    return 2;
  }
}
