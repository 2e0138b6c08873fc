/**
 * `npm run rehearse`: a rollout rehearsed on a private copy of a live cluster (rehearsal.ts)
 * before it touches the cluster itself.
 *
 *   npm run rehearse -- --url URL --token VIEWER_TOKEN --cluster NAME
 *                       [--restart | --deploy NAME@VERSION] [--strategy JSON] [--faults FILE] [--seed N]
 *                       [--timeout 10m] [--json]
 *
 * Exit codes: 0 the rollout succeeded in the lab, 3 it did not (the report says why), 1 the
 * rehearsal could not run, 2 a mistake in the options.
 */
import { readFileSync } from 'node:fs';
import { OptionError, parseOptions, seedOption } from './args.js';
import { type RehearsalOptions, type RehearsalReport, rehearse } from './rehearsal.js';

export const REHEARSE_USAGE = `Usage: npm run rehearse -- --url URL --token TOKEN --cluster NAME [options]

  --url URL              the live OC (read only)
  --token TOKEN          a VIEWER token of it: the rehearsal only reads (OC_TOKEN by default)
  --cluster NAME         the cluster to copy
  --restart              rehearse a rolling restart (the default)
  --deploy NAME@VERSION  rehearse a deploy of this artifact instead
  --strategy JSON        a RolloutStrategyInput, e.g. '{"batchSize":2,"canary":1,"autoPromoteAfterMs":0}'
  --faults FILE          scenario faults to inject (a JSON array, or {"faults": [...]}); "cluster" may be left out
  --seed N               replay a rehearsal: same seed, same worker timelines (default: random, printed)
  --timeout DURATION     give up on the lab's rollout after this (default 10m; e.g. 90s, 20m)
  --json                 print the report as one JSON object
  --help`;

export function parseRehearseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): RehearsalOptions & { json: boolean; help: boolean } {
  const v = parseOptions(argv, {
    url: { type: 'string' },
    token: { type: 'string' },
    cluster: { type: 'string' },
    restart: { type: 'boolean', default: false },
    deploy: { type: 'string' },
    strategy: { type: 'string' },
    faults: { type: 'string' },
    seed: { type: 'string' },
    timeout: { type: 'string', default: '10m' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  const help = v['help'] === true;
  const json = v['json'] === true;
  if (help) return { url: '', token: '', cluster: '', seed: 0, json, help };
  const need = (k: string, fallback?: string) => {
    const s = (v[k] as string | undefined) ?? fallback;
    if (!s) throw new OptionError(`--${k} is required`);
    return s;
  };
  const url = need('url');
  const token = need('token', env['OC_TOKEN']);
  const cluster = need('cluster');
  if (v['restart'] && v['deploy']) throw new OptionError('give --restart or --deploy, not both');
  let deploy: RehearsalOptions['deploy'] = null;
  if (v['deploy'] !== undefined) {
    const m = /^(.+)@([^@]+)$/.exec(v['deploy'] as string);
    if (!m) throw new OptionError(`--deploy must be NAME@VERSION, not "${v['deploy']}"`);
    deploy = { name: m[1]!, version: m[2]! };
  }
  let strategy: Record<string, unknown> | undefined;
  if (v['strategy'] !== undefined) {
    try {
      strategy = JSON.parse(v['strategy'] as string);
    } catch (err) {
      throw new OptionError(`--strategy is not JSON: ${(err as Error).message}`);
    }
    if (typeof strategy !== 'object' || strategy === null || Array.isArray(strategy)) throw new OptionError('--strategy must be a JSON object');
  }
  let faults: Record<string, unknown>[] | undefined;
  if (v['faults'] !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(v['faults'] as string, 'utf8'));
    } catch (err) {
      throw new OptionError(`--faults: ${(err as Error).message}`);
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { faults?: unknown } | null)?.faults;
    if (!Array.isArray(list) || list.some((f) => typeof f !== 'object' || f === null)) throw new OptionError('--faults must hold a JSON array of faults, or {"faults": [...]}');
    faults = list as Record<string, unknown>[];
  }
  const t = /^(\d+)(ms|s|m|h)?$/.exec((v['timeout'] as string).trim());
  if (!t) throw new OptionError(`--timeout must be a duration such as 90s or 20m, got "${v['timeout']}"`);
  const timeoutMs = Number(t[1]) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(t[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return { url, token, cluster, deploy, strategy, faults, seed: seedOption(v['seed'] as string | undefined), timeoutMs, json, help };
}

const ms = (n: number | null) => (n === null ? '-' : n < 10_000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`);
const batchList = (b: string[][]) => b.map((x, i) => `    ${i + 1}. ${x.join(', ')}`).join('\n');

/** The report for people. */
export function formatReport(r: RehearsalReport, o: Pick<RehearsalOptions, 'url' | 'cluster' | 'strategy' | 'deploy'> & { faultsFile?: string }): string {
  const lines: string[] = [];
  lines.push(`Rehearsal of a ${r.kind === 'DEPLOY' ? 'deploy' : 'rolling restart'} of ${r.cluster} (${r.workers} workers), seed ${r.seed}`);
  lines.push(`  result          ${r.state}${r.message ? `: ${r.message}` : ''}`);
  lines.push(`  duration        ${ms(r.durationMs)}${'estimatedDurationMs' in r.livePreview ? ` (the live preview estimated ${ms(r.livePreview.estimatedDurationMs)})` : ''}`);
  lines.push(`  most down       ${r.maxDown} workers at once`);
  if (r.managerRegistrations > 1) lines.push(`  manager         lost and back ${r.managerRegistrations - 1} times`);
  lines.push(`  failed steps    ${r.failedSteps.length === 0 ? 'none' : r.failedSteps.map((s) => `${s.memberId}: ${s.message ?? 'failed'}`).join('; ')}`);
  if (r.skippedSteps) lines.push(`  skipped steps   ${r.skippedSteps}`);
  lines.push(`  timings used    ${r.timings.medianMs === null ? 'none observed yet: the realistic profile' : `median ${r.timings.medianMs} ms, p90 ${r.timings.p90Ms} ms (${r.timings.samples} restarts)`}`);
  lines.push(`  batches run     ${r.batches.length}${r.sameBatchesAsPreview ? ' (the same as the preview)' : ' (NOT the same as the preview)'}`);
  lines.push(batchList(r.batches));
  if ('error' in r.livePreview) lines.push(`  live preview    refused: ${r.livePreview.error}`);
  else if (!r.sameBatchesAsPreview) lines.push(`  live preview\n${batchList(r.livePreview.batches)}`);
  const warnings = 'warnings' in r.livePreview ? r.livePreview.warnings : [];
  for (const w of warnings) lines.push(`  warning         ${w}`);
  const args = [`--url ${o.url}`, '--token …', `--cluster ${o.cluster}`, o.deploy ? `--deploy ${o.deploy.name}@${o.deploy.version}` : '--restart'];
  if (o.strategy) args.push(`--strategy '${JSON.stringify(o.strategy)}'`);
  if (o.faultsFile) args.push(`--faults ${o.faultsFile}`);
  lines.push(`  replay          npm run rehearse -- ${args.join(' ')} --seed ${r.seed}`);
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<number> {
  let o: ReturnType<typeof parseRehearseArgs>;
  try {
    o = parseRehearseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`rehearse: ${(err as Error).message}\n\n${REHEARSE_USAGE}\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(`${REHEARSE_USAGE}\n`);
    return 0;
  }
  try {
    const report = await rehearse({ ...o, log: o.json ? undefined : (line) => process.stderr.write(`rehearse: ${line}\n`) });
    const faultsFile = process.argv.slice(2).find((_, i, a) => a[i - 1] === '--faults');
    process.stdout.write(o.json ? `${JSON.stringify(report)}\n` : formatReport(report, { ...o, faultsFile }));
    return report.state === 'SUCCEEDED' ? 0 : 3;
  } catch (err) {
    process.stderr.write(`rehearse: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`rehearse: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
