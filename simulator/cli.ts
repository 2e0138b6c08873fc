/**
 * Runs a simulated fleet against any OC:
 *
 *   npm run sim -- --url http://127.0.0.1:4000 --token <MANAGER token> [--scenario default|large|FILE]
 *                  [--seed N] [--profile fast|realistic|chaos] [--clock-skew 10m] [--verbose|--debug]
 *
 * A live one-line status on stderr (clusters registered, workers by state, tasks in flight), a
 * progress bar while a large fleet registers, manager warnings as they happen. Ctrl-C stops
 * cleanly (a second Ctrl-C exits at once).
 */
import cliProgress from 'cli-progress';
import { clockSkewOption, OptionError, parseOptions, profileOption, readOptions, SHARED_OPTIONS, seedOption, sharedUsage } from './args.js';
import { type Fleet, type FleetStatus, startFleet } from './fleet.js';
import type { LogEntry, LogLevel } from './manager.js';
import { endpoints } from './oc-client.js';
import { PROFILE_NAMES } from './profiles.js';

const shared = sharedUsage(20);

export const USAGE = `Usage: npm run sim -- --url URL --token TOKEN [options]

  --url URL            the OC, e.g. http://127.0.0.1:4000
  --token TOKEN        a MANAGER enrollment token (or set OC_ENROLLMENT_TOKEN)
${shared.scenario}
${shared.seed}
  --profile P          override every cluster's profile: ${PROFILE_NAMES.join(', ')}
  --clock-skew D       every manager's clock this far off the OC's: 10m (fast), --clock-skew=-10m
                       (slow), 90s, 1500ms; overrides the scenarios' clockSkewMs
  --verbose            also print info lines (registrations, tasks); --debug: every state change
  --help`;

/** What parseCli throws when an option is wrong (the shared OptionError). */
export { OptionError as CliError } from './args.js';

export interface CliOptions {
  url: string;
  token: string;
  scenario: string;
  seed: number;
  seedGiven: boolean;
  profile: string | undefined;
  /** Every manager's clock skew in ms, when given. */
  clockSkewMs: number | undefined;
  logLevel: LogLevel;
  help: boolean;
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const values = parseOptions(argv, {
    ...SHARED_OPTIONS,
    url: { type: 'string' },
    token: { type: 'string' },
    profile: { type: 'string' },
    'clock-skew': { type: 'string' },
    debug: { type: 'boolean', default: false },
  });
  const help = values['help'] === true;
  const url = values['url'] as string | undefined;
  const token = (values['token'] as string | undefined) ?? env['OC_ENROLLMENT_TOKEN'];
  if (!help) {
    if (!url) throw new OptionError('--url is required (the OC, e.g. http://127.0.0.1:4000)');
    try {
      endpoints(url);
    } catch (err) {
      throw new OptionError(`--url: ${(err as Error).message}`);
    }
    if (!token) throw new OptionError('--token is required (a MANAGER enrollment token), or set OC_ENROLLMENT_TOKEN');
  }
  const seedText = values['seed'] as string | undefined;
  const seed = seedOption(seedText);
  const profile = values['profile'] as string | undefined;
  if (profile !== undefined) profileOption(profile);
  const skewText = values['clock-skew'] as string | undefined;
  const clockSkewMs = skewText === undefined ? undefined : clockSkewOption(skewText);
  return {
    url: url ?? '',
    token: token ?? '',
    scenario: values['scenario'] as string,
    seed,
    seedGiven: seedText !== undefined,
    profile,
    clockSkewMs,
    logLevel: values['debug'] ? 'debug' : values['verbose'] ? 'info' : 'warn',
    help,
  };
}

const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function statusLine(s: FleetStatus, elapsedMs: number): string {
  const t = new Date(elapsedMs).toISOString().slice(11, 19);
  const states = (Object.entries(s.workers) as [string, number][])
    .filter(([state, n]) => n > 0 || state === 'RUNNING')
    .map(([state, n]) => `${state} ${n}`)
    .join(' ');
  const troubled = s.clusters - s.online;
  return (
    `[${t}] clusters ${s.registered}/${s.clusters} registered, ${s.connected} connected` +
    (troubled > 0 ? ` (${troubled} not online)` : '') +
    ` · workers ${states} · tasks in flight ${s.tasksInFlight}` +
    (s.warnings + s.errors > 0 ? ` · warnings ${s.warnings} errors ${s.errors}` : '')
  );
}

/**
 * The live console of a running fleet, on stderr: one status line redrawn in place (a TTY) or
 * printed every 10 s (a pipe), a progress bar while a large fleet registers, and log lines above
 * it. `npm run sim` and `npm run lab` both show their fleet through it.
 */
export class LiveStatus {
  readonly tty: boolean;
  private readonly stream: NodeJS.WriteStream;
  private readonly logLevel: LogLevel;
  private readonly startedAt: number;
  private fleet: Fleet | null = null;
  private bar: cliProgress.SingleBar | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private shown = false;
  private stopped = false;

  constructor(opts: { logLevel: LogLevel; stream?: NodeJS.WriteStream; startedAt?: number }) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = this.stream.isTTY === true;
    this.logLevel = opts.logLevel;
    this.startedAt = opts.startedAt ?? Date.now();
  }

  /** For startFleet's `log`: prints the entries at or above the chosen level. */
  readonly onLog = (e: LogEntry): void => {
    if (LEVELS[e.level] < LEVELS[this.logLevel]) return;
    this.print(`${new Date(e.at).toISOString().slice(11, 23)} ${e.level.padEnd(5)} [${e.cluster}] ${e.message}`);
  };

  /** A line above the status line (dropped while the progress bar owns the terminal: see fleet.recentLog()). */
  print(line: string): void {
    if (this.bar) return;
    this.clear();
    this.stream.write(`${line}\n`);
  }

  /** Wipes the status line, e.g. before writing to stdout on the same terminal (it comes back on the next tick). */
  clear(): void {
    if (this.tty && this.shown) this.stream.write('\r\x1b[2K');
    this.shown = false;
  }

  /** Starts showing `fleet`: a progress bar while a large fleet registers (TTY only), then the status line. */
  attach(fleet: Fleet): void {
    this.fleet = fleet;
    if (this.tty && fleet.managers.size >= 20) {
      this.bar = new cliProgress.SingleBar(
        {
          format: 'registering |{bar}| {value}/{total} clusters · {connected} connected · {duration_formatted}',
          stream: this.stream,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(fleet.managers.size, 0, { connected: 0 });
    }
    this.timer = setInterval(() => this.tick(), this.tty ? 250 : 10_000);
  }

  /** Every manager registered: the progress bar gives way to the status line. */
  registered(): void {
    if (!this.bar || !this.fleet) return;
    this.bar.update(this.fleet.managers.size, { connected: this.fleet.status().connected });
    this.bar.stop();
    this.bar = null;
  }

  /** Stops drawing (the terminal is left clean). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.bar?.stop();
    this.bar = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clear();
  }

  private tick(): void {
    if (this.stopped || !this.fleet) return;
    const s = this.fleet.status();
    if (this.bar) {
      this.bar.update(s.registered, { connected: s.connected });
      return;
    }
    const line = statusLine(s, Date.now() - this.startedAt);
    if (this.tty) {
      const width = this.stream.columns || 160;
      this.stream.write(`\r\x1b[2K${line.slice(0, width - 1)}`);
      this.shown = true;
    } else {
      this.stream.write(`${line}\n`);
    }
  }
}

async function main(): Promise<number> {
  const read = await readOptions('ocsim', parseCli, USAGE);
  if (typeof read === 'number') return read;
  const { opts, scenario } = read;

  const startedAt = Date.now();
  const live = new LiveStatus({ logLevel: opts.logLevel, startedAt });

  const profileNote = opts.profile ? `profile ${opts.profile} (overriding the scenario's)` : `profile ${scenario.profile}`;
  process.stderr.write(
    `ocsim: scenario ${scenario.name}: ${scenario.clusters.length} clusters, ${scenario.totalWorkers} workers, ${profileNote}, ` +
      `seed ${opts.seed}${opts.seedGiven ? '' : ` (replay with --seed ${opts.seed})`}` +
      (opts.clockSkewMs ? `, manager clocks ${opts.clockSkewMs > 0 ? '+' : ''}${opts.clockSkewMs} ms off` : '') +
      '\n' +
      `ocsim: OC ${endpoints(opts.url).http}` +
      (scenario.faults.length > 0 ? `, ${scenario.faults.length} scheduled faults` : '') +
      '\n',
  );

  let fleet: Fleet;
  try {
    fleet = startFleet({
      url: opts.url,
      enrollmentToken: opts.token,
      scenario,
      seed: opts.seed,
      profile: opts.profile,
      clockSkewMs: opts.clockSkewMs,
      log: live.onLog,
    });
  } catch (err) {
    process.stderr.write(`ocsim: ${(err as Error).message}\n`);
    return 2;
  }

  let stopping = false;
  const done = new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) {
        process.stderr.write('\nocsim: second interrupt, exiting now\n');
        process.exit(130);
      }
      stopping = true;
      live.stop();
      process.stderr.write(`ocsim: ${signal}: stopping ${fleet.managers.size} managers…\n`);
      const s = fleet.status();
      void fleet.stop().then(() => {
        const inv = fleet.invariants();
        const restarts = Object.values(inv.restarts).reduce((a, b) => a + b, 0);
        process.stderr.write(
          `ocsim: stopped. ${s.registered}/${s.clusters} clusters had registered; ${inv.tasks.length} tasks received ` +
            `(${Object.keys(inv.redeliveries).length} re-delivered), ${restarts} worker restarts. Seed ${fleet.seed}.\n`,
        );
        resolve(0);
      });
    };
    process.on('SIGINT', () => stop('interrupted'));
    process.on('SIGTERM', () => stop('terminated'));
  });

  live.attach(fleet);
  fleet.ready({ timeoutMs: 24 * 3600_000 }).then(
    () => {
      live.registered();
      live.print(`ocsim: all ${fleet.managers.size} managers registered in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    },
    (err: unknown) => {
      if (stopping) return;
      live.stop();
      process.stderr.write(`ocsim: ${(err as Error).message}\n`);
      process.kill(process.pid, 'SIGTERM');
      process.exitCode = 1;
    },
  );

  const code = await done;
  return process.exitCode && process.exitCode !== 0 ? Number(process.exitCode) : code;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`ocsim: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
