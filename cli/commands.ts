/** The `oc` subcommands: each reads its flags, calls the public API, and prints a table or JSON. */
import { createInterface } from 'node:readline';
import {
  CancelMutation,
  ClusterQuery,
  ClustersQuery,
  CommandQuery,
  CommandsQuery,
  DeployMutation,
  PatchMutation,
  PauseMutation,
  PromoteMutation,
  RestartMutation,
  ResumeMutation,
  RollbackMutation,
  ViewerQuery,
} from './documents.js';
import type { ClusterHealth, CommandKind, CommandState, FailureAction, RolloutStrategyInput } from './gql/graphql.js';
import { type Api, api, ok, resolveCluster, resolveCommandId, shortId } from './lib/api.js';
import { normalizeUrl, saveTarget } from './lib/config.js';
import { CliError, EXIT, usage } from './lib/errors.js';
import { age, duration, fields, json, paint, parseDuration, parseInteger, state, table } from './lib/format.js';
import { type Command, counts, describeCommand, watchCommand } from './lib/watch.js';
import { connect, type Globals, oneOf, print } from './lib/command-kit.js';

export type { Globals } from './lib/command-kit.js';
export { events, op, tokensCreate, tokensList, tokensRevoke } from './admin-commands.js';

// ---- login ----

async function readToken(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdin.isTTY ? process.stderr : undefined, terminal: Boolean(process.stdin.isTTY) });
  if (process.stdin.isTTY) {
    process.stderr.write('Token: ');
    // Do not echo the secret.
    (rl as any)._writeToOutput = () => {};
  }
  try {
    for await (const line of rl) return line.trim();
    return '';
  } finally {
    if (process.stdin.isTTY) process.stderr.write('\n');
    rl.close();
  }
}

export async function login(url: string, opts: { token?: string }, g: Globals) {
  const target = { url: normalizeUrl(url), token: opts.token?.trim() || (await readToken()) };
  if (!target.token) throw usage('no token given: pass --token, or type it on stdin');
  const me = await api(target).request(ViewerQuery, {});
  const path = await saveTarget(target);
  if (g.output === 'json') print(json({ url: target.url, tokenName: me.viewer.tokenName, role: me.viewer.role, config: path }));
  else print(`Logged in to ${target.url} as ${me.viewer.tokenName} (${me.viewer.role}); saved in ${path}`);
}

// ---- clusters ----

const HEALTHS = ['HEALTHY', 'DEGRADED', 'UNAVAILABLE', 'UNREACHABLE'] as const satisfies readonly ClusterHealth[];

export async function clusters(opts: { kind?: string; health?: string }, g: Globals) {
  const a = await connect();
  const health = opts.health ? oneOf(opts.health, HEALTHS, '--health') : undefined;
  const nodes = [];
  let after: string | null | undefined;
  do {
    const d = await a.request(ClustersQuery, { first: 500, after, kind: opts.kind, health });
    nodes.push(...d.clusters.edges.map((e) => e.node));
    after = d.clusters.pageInfo.hasNextPage ? d.clusters.pageInfo.endCursor : null;
  } while (after);
  if (g.output === 'json') return print(json(nodes));
  if (nodes.length === 0) return print(opts.kind || opts.health ? 'No cluster matches.' : 'No cluster yet: a manager registers its cluster (see the README, First steps).');
  print(
    table(
      ['NAME', 'KIND', 'HEALTH', 'WORKERS', 'MANAGER', 'VERSIONS', 'CPU', 'REQ/S'],
      nodes.map((c) => [
        c.name,
        c.kind,
        state(c.health),
        String(c.workerCount),
        c.manager ? (c.manager.connected ? paint('connected', 'green') : paint('disconnected', 'red')) : paint('none', 'gray'),
        versions(c.artifacts),
        c.stats ? `${c.stats.cpuPercent.toFixed(0)}%` : '-',
        c.stats ? c.stats.requestsPerSec.toFixed(1) : '-',
      ]),
      { right: [3, 6, 7] },
    ),
  );
}

function versions(artifacts: { name: string; version: string; workerCount: number }[]): string {
  if (artifacts.length === 0) return '-';
  const skew = new Set(artifacts.map((x) => x.name)).size < artifacts.length;
  const text = artifacts.map((x) => `${x.name}@${x.version}${skew ? ` ×${x.workerCount}` : ''}`).join(', ');
  return skew ? paint(text, 'yellow') : text;
}

export async function cluster(name: string, _opts: unknown, g: Globals) {
  const a = await connect();
  const ref = await resolveCluster(a, name);
  const c = (await a.request(ClusterQuery, { id: ref.id })).cluster;
  if (!c) throw new CliError('NOT_FOUND', `no cluster named "${name}"`);
  const workers = c.workers.edges.map((e) => e.node);
  const commands = c.commands.edges.map((e) => e.node);
  const running = commands.find((x) => ['PENDING', 'RUNNING', 'PAUSED'].includes(x.state)) ?? null;
  if (g.output === 'json') {
    const { workers: _w, commands: _c, ...rest } = c;
    return print(json({ ...rest, workers, runningCommand: running, recentCommands: commands }));
  }
  const m = c.manager;
  const pairs: [string, string][] = [
    ['Name', paint(c.name, 'bold')],
    ['Kind', c.kind],
    ['Health', state(c.health)],
    [
      'Manager',
      m
        ? `${m.host}  ${m.connected ? paint('connected', 'green') : paint('disconnected', 'red')}, last seen ${age(m.lastSeenAt)} ago${m.version ? `, version ${m.version}` : ''}`
        : paint('none registered', 'gray'),
    ],
  ];
  if (m) pairs.push(['Manager URL', m.url]);
  pairs.push(['Workers', `${c.workerCount}${countStates(workers.map((w) => w.state))}`]);
  pairs.push(['Versions', c.artifacts.length ? c.artifacts.map((x) => `${x.name}@${x.version} on ${x.workerCount}`).join(', ') : '-']);
  if (c.stats) pairs.push(['Stats', `cpu ${c.stats.cpuPercent.toFixed(0)}%, memory ${Math.round(c.stats.memoryMb)} MB, ${c.stats.requestsPerSec.toFixed(1)} req/s, ${c.stats.errorsPerSec.toFixed(2)} err/s (${age(c.stats.sampledAt)} ago)`]);
  pairs.push(['Running', running ? commandLine(running) : paint('no command', 'gray')]);
  if (m?.operations.length) pairs.push(['Operations', m.operations.map((o) => o.name).join(', ')]);
  print(fields(pairs));
  print('');
  print(
    table(
      ['WORKER', 'STATE', 'HOST', 'PORT', 'VERSIONS', 'UP', 'CHANGED'],
      workers.map((w) => [
        w.memberId,
        state(w.state),
        w.host,
        w.port == null ? '-' : String(w.port),
        w.artifacts.map((x) => `${x.name}@${x.version}`).join(', ') || '-',
        w.state === 'RUNNING' ? age(w.startedAt) : '-',
        age(w.stateChangedAt),
      ]),
      { right: [3] },
    ),
  );
  const past = commands.filter((x) => x !== running).slice(0, 3);
  if (past.length) {
    print('');
    print(paint('Recent commands:', 'bold'));
    for (const x of past) print(`  ${commandLine(x)}  ${paint(age(x.finishedAt ?? x.createdAt) + ' ago', 'gray')}`);
  }
}

function countStates(states: string[]): string {
  const n = new Map<string, number>();
  for (const s of states) n.set(s, (n.get(s) ?? 0) + 1);
  if (n.size === 0) return '';
  return ` (${[...n].map(([s, k]) => `${k} ${state(s)}`).join(', ')})`;
}

function commandLine(c: Command): string {
  const p = counts(c);
  const inFlight = c.steps.filter((s) => s.state === 'RUNNING').map((s) => s.memberId);
  return `${describeCommand(c)} ${state(c.state, { command: true })} ${p.succeeded + p.failed + p.skipped}/${p.total}${inFlight.length ? ` (in flight: ${inFlight.join(', ')})` : ''}${c.message ? `: ${c.message}` : ''}  ${paint(shortId(c.id), 'gray')}`;
}

// ---- rollouts ----

export interface StrategyFlags {
  batch?: string;
  maxFailures?: string;
  onFailure?: string;
  healthTimeout?: string;
  pauseBetween?: string;
  canary?: string;
  autoPromote?: string;
  minHealthy?: string;
  progressDeadline?: string;
  /** deploy and patch: roll back by itself if it fails. */
  autoRevert?: boolean;
  watch?: boolean;
}

export function strategy(o: StrategyFlags): RolloutStrategyInput | undefined {
  const s: RolloutStrategyInput = {};
  if (o.batch !== undefined) s.batchSize = parseInteger(o.batch, '--batch', 1);
  if (o.maxFailures !== undefined) s.maxFailures = parseInteger(o.maxFailures, '--max-failures');
  if (o.onFailure !== undefined) s.onFailure = oneOf<FailureAction>(o.onFailure, ['ABORT', 'PAUSE'], '--on-failure');
  if (o.healthTimeout !== undefined) s.healthTimeoutMs = parseDuration(o.healthTimeout, '--health-timeout');
  if (o.pauseBetween !== undefined) s.pauseBetweenBatchesMs = parseDuration(o.pauseBetween, '--pause-between');
  if (o.canary !== undefined) s.canary = parseInteger(o.canary, '--canary', 1);
  if (o.autoPromote !== undefined) s.autoPromoteAfterMs = parseDuration(o.autoPromote, '--auto-promote');
  if (o.minHealthy !== undefined) s.minHealthyMs = parseDuration(o.minHealthy, '--min-healthy');
  if (o.progressDeadline !== undefined) s.progressDeadlineMs = parseDuration(o.progressDeadline, '--progress-deadline');
  if (o.autoRevert) s.autoRevert = true;
  return Object.keys(s).length ? s : undefined;
}

export function parseArtifact(o: { artifact?: string; url?: string; sha256?: string }) {
  const m = /^(.+)@([^@]+)$/.exec(o.artifact ?? '');
  if (!m) throw usage(`--artifact must be NAME@VERSION, not "${o.artifact}"`);
  if (!o.url) throw usage('--url is required with --artifact');
  if (!o.sha256 || !/^[0-9a-fA-F]{64}$/.test(o.sha256)) throw usage('--sha256 must be 64 hexadecimal characters');
  return { name: m[1]!, version: m[2]!, url: o.url, sha256: o.sha256.toLowerCase() };
}

/** Prints an accepted command, or follows it with --watch; returns the exit code. */
async function started(a: Api, c: Command, watch: boolean | undefined, g: Globals): Promise<number> {
  if (watch) return watchCommand(a, c.id, { output: g.output, initial: c });
  if (g.output === 'json') print(json(c));
  else {
    print(`${describeCommand(c)} ${state(c.state, { command: true })}: ${shortId(c.id)}`);
    print(paint(`  follow it with: oc status ${shortId(c.id)} --watch`, 'gray'));
  }
  return EXIT.OK;
}

export async function restart(name: string, o: StrategyFlags, g: Globals) {
  const s = strategy(o);
  const a = await connect();
  const ref = await resolveCluster(a, name);
  const r = ok((await a.request(RestartMutation, { input: { clusterId: ref.id, strategy: s } })).restartCluster, 'CommandPayload');
  return started(a, r.command, o.watch, g);
}

export async function deploy(name: string, o: StrategyFlags & { artifact?: string; url?: string; sha256?: string }, g: Globals) {
  const s = strategy(o);
  const artifact = parseArtifact(o);
  const a = await connect();
  const ref = await resolveCluster(a, name);
  const r = ok((await a.request(DeployMutation, { input: { clusterId: ref.id, artifact, strategy: s } })).deployArtifact, 'CommandPayload');
  return started(a, r.command, o.watch, g);
}

export type PatchFlags = StrategyFlags & { kinds?: string; artifact?: string; url?: string; sha256?: string; maxParallel?: string };

/** A patch's input from its flags (`oc patch` and `oc preview patch`). */
export function patchInput(o: PatchFlags) {
  const kinds = o.kinds
    ?.split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  // An empty --kinds (`--kinds ""`, `--kinds ,`) names no kind: refused here, before anything is sent, never read as "all".
  if (kinds && kinds.length === 0) throw usage('--kinds names no kind (leave it out to patch every cluster)');
  const maxParallelClusters = o.maxParallel !== undefined ? parseInteger(o.maxParallel, '--max-parallel', 1) : undefined;
  return { artifact: parseArtifact(o), kinds, maxParallelClusters, strategy: strategy(o) };
}

export async function patch(o: PatchFlags, g: Globals) {
  const input = patchInput(o);
  const a = await connect();
  const r = ok((await a.request(PatchMutation, { input })).deployPatch, 'CommandPayload');
  return started(a, r.command, o.watch, g);
}

// ---- commands ----

const STATES = ['PENDING', 'RUNNING', 'PAUSED', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const satisfies readonly CommandState[];
const KINDS = ['RESTART', 'DEPLOY', 'PATCH', 'OPERATION'] as const satisfies readonly CommandKind[];

export async function commands(o: { state?: string; kind?: string; cluster?: string; limit?: string }, g: Globals) {
  const st = o.state ? oneOf(o.state, STATES, '--state') : undefined;
  const kind = o.kind ? oneOf(o.kind, KINDS, '--kind') : undefined;
  const limit = o.limit ? parseInteger(o.limit, '--limit', 1) : 20;
  const a = await connect();
  const clusterId = o.cluster ? (await resolveCluster(a, o.cluster)).id : undefined;
  const d = await a.request(CommandsQuery, { first: Math.min(limit, 500), clusterId, state: st, kind });
  const nodes = d.commands.edges.map((e) => e.node);
  if (g.output === 'json') return print(json(nodes));
  if (nodes.length === 0) return print('No command matches.');
  print(
    table(
      ['ID', 'KIND', 'CLUSTER', 'STATE', 'PROGRESS', 'WHAT', 'BY', 'AGE'],
      nodes.map((c) => {
        const p = c.progress;
        return [
          shortId(c.id),
          c.kind,
          c.cluster?.name ?? '-',
          state(c.state, { command: true }),
          c.kind === 'OPERATION' ? '-' : `${p.succeeded + p.failed + p.skipped}/${p.total}${p.failed ? paint(` ✗${p.failed}`, 'red') : ''}`,
          c.artifact ? `${c.artifact.name}@${c.artifact.version}` : (c.operation ?? '-'),
          c.requestedBy,
          age(c.createdAt),
        ];
      }),
    ),
  );
  if (d.commands.totalCount > nodes.length) print(paint(`(${nodes.length} of ${d.commands.totalCount}, newest first: --limit N for more)`, 'gray'));
}

export async function status(arg: string, o: { watch?: boolean }, g: Globals) {
  const a = await connect();
  const id = await resolveCommandId(a, arg);
  const c = (await a.request(CommandQuery, { id })).command;
  if (!c) throw new CliError('NOT_FOUND', `no command with id "${arg}" (oc commands lists them)`);
  if (o.watch) return watchCommand(a, id, { output: g.output, initial: c });
  if (g.output === 'json') {
    print(json(c));
    return EXIT.OK;
  }
  const p = counts(c);
  const st = c.strategy;
  const pairs: [string, string][] = [
    ['Command', `${shortId(c.id)}  ${paint(c.id, 'gray')}`],
    ['What', describeCommand(c)],
    ['State', `${state(c.state, { command: true })}${c.message ? `: ${c.message}` : ''}`],
    ['Progress', `${p.succeeded} succeeded, ${p.failed} failed, ${p.skipped} skipped, ${p.running} running, ${p.pending} pending (of ${p.total})`],
  ];
  if (c.kind !== 'OPERATION')
    pairs.push(['Strategy', `batch ${st.batchSize}, health timeout ${duration(st.healthTimeoutMs)}, pause between ${duration(st.pauseBetweenBatchesMs)}, max failures ${st.maxFailures} then ${st.onFailure.toLowerCase()}${strategyExtras(st)}`]);
  if (c.hold) pairs.push(['Held', `${c.hold.reason}${c.hold.by ? ` by ${c.hold.by}` : ''}: ${c.hold.message}${c.hold.reason === 'CANARY' ? ` (oc promote ${shortId(c.id)})` : ''}`]);
  if (c.operation) pairs.push(['Operation', `${c.operation} ${JSON.stringify(c.arguments ?? {})}`]);
  pairs.push(['Requested', `by ${c.requestedBy}, ${age(c.createdAt)} ago`]);
  if (c.rollbackOf) pairs.push(['Rolls back', shortId(c.rollbackOf.id)]);
  if (c.rolledBackBy) pairs.push(['Rolled back by', shortId(c.rolledBackBy.id)]);
  if (c.startedAt) pairs.push(['Took', duration(Date.parse(c.finishedAt ?? new Date().toISOString()) - Date.parse(c.startedAt)) + (c.finishedAt ? '' : ' so far')]);
  print(fields(pairs));
  if (c.steps.length) {
    print('');
    print(
      table(
        ['#', 'WORKER', 'STATE', 'TOOK', 'MESSAGE'],
        c.steps.map((s) => [
          String(s.index + 1),
          s.memberId,
          state(s.state),
          s.startedAt ? duration(Date.parse(s.finishedAt ?? new Date().toISOString()) - Date.parse(s.startedAt)) : '-',
          s.message ?? '',
        ]),
        { right: [0, 3] },
      ),
    );
  }
  if (c.children.length) {
    print('');
    print(
      table(
        ['CLUSTER', 'STATE', 'PROGRESS', 'COMMAND', 'MESSAGE'],
        c.children.map((ch) => [
          ch.cluster?.name ?? '-',
          state(ch.state, { command: true }),
          `${ch.progress.succeeded + ch.progress.failed + ch.progress.skipped}/${ch.progress.total}`,
          shortId(ch.id),
          ch.message ?? '',
        ]),
      ),
    );
  }
  return EXIT.OK;
}

/** The strategy's canary, soak and progress deadline, when set: ", canary 1 (auto-promote 5m), min healthy 30s". */
function strategyExtras(st: Command['strategy']): string {
  const out: string[] = [];
  if (st.canary != null) out.push(`canary ${st.canary}${st.autoPromoteAfterMs != null ? ` (auto-promote ${duration(st.autoPromoteAfterMs)})` : ''}`);
  if (st.minHealthyMs > 0) out.push(`min healthy ${duration(st.minHealthyMs)}`);
  if (st.progressDeadlineMs != null) out.push(`progress deadline ${duration(st.progressDeadlineMs)}`);
  return out.map((x) => `, ${x}`).join('');
}

/** `oc rollback ID`: a finished DEPLOY or PATCH back to what its changed workers ran before. */
export async function rollback(arg: string, o: { watch?: boolean }, g: Globals) {
  const a = await connect();
  const id = await resolveCommandId(a, arg);
  const r = ok((await a.request(RollbackMutation, { id })).rollbackCommand, 'CommandPayload');
  return started(a, r.command, o.watch, g);
}

export async function control(verb: 'pause' | 'resume' | 'promote' | 'cancel', arg: string, g: Globals) {
  const a = await connect();
  const id = await resolveCommandId(a, arg);
  const doc = { pause: PauseMutation, resume: ResumeMutation, promote: PromoteMutation, cancel: CancelMutation }[verb];
  const d: any = await a.request(doc as typeof PauseMutation, { id });
  const r = ok(d[`${verb}Command`] as (typeof d)['pauseCommand'], 'CommandPayload');
  const c = r.command;
  if (g.output === 'json') return print(json(c));
  const pending = verb === 'pause' && c.pauseRequested ? ' (pause requested: the batch in flight finishes first)' : verb === 'cancel' && c.cancelRequested && c.state !== 'CANCELLED' ? ' (cancel requested: the batch in flight finishes first)' : '';
  print(`${describeCommand(c)} ${state(c.state, { command: true })}${pending}: ${shortId(c.id)}`);
}

