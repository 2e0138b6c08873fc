/**
 * `oc`, the operator command line, through its real entry point (`node --import tsx cli/oc.ts`,
 * and once through the `bin` shim) against a real OC and the simulator's `default` fleet on the
 * `fast` profile. Every invocation gets a fresh HOME and XDG_CONFIG_HOME, and OC_URL/OC_TOKEN.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../../simulator/fleet.js';
import { loadScenario } from '../../simulator/scenario.js';
import { gqlOk } from '../support/client.js';
import { TERMINAL_COMMAND_STATES } from '../support/command-wait.js';
import { createToken, startTestOc, type TestOc } from '../support/oc.js';
import { waitFor } from '../support/wait.js';

const ROOT = join(import.meta.dirname, '..', '..');
const AS = 'as-1';
const SHA = 'ab'.repeat(32);

let oc: TestOc;
let restarted: TestOc | null = null;
let fleet: Fleet;
let operator: string;
let admin: string;
let home: string;
let url: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `oc ARGS…`; `done` resolves with its exit code and output. */
function start(args: string[], opts: { env?: Record<string, string | undefined>; stdin?: string; entry?: string[] } = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), OC_URL: url, OC_TOKEN: operator, NO_COLOR: '1', ...opts.env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  const child: ChildProcess = spawn(process.execPath, [...(opts.entry ?? ['--import', 'tsx', 'cli/oc.ts']), ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const run: Run = { code: null, stdout: '', stderr: '' };
  child.stdout!.on('data', (d) => (run.stdout += d));
  child.stderr!.on('data', (d) => (run.stderr += d));
  child.stdin!.end(opts.stdin ?? '');
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ ...run, code })));
  return { child, run, done };
}

const oc_ = (args: string[], opts?: Parameters<typeof start>[1]) => start(args, opts).done;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The command's short id (the first 8 hex digits of its uuid) a watcher printed; oc takes it for the whole id. */
const commandId = (out: string) => /command (\S+)/.exec(out)?.[1];

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'oc-cli-'));
  oc = await startTestOc({ port: await freePort(), managerLeaseMs: 1000 });
  url = oc.url;
  const enrollment = await createToken(url, 'MANAGER', 'sim-enrollment');
  operator = (await createToken(url, 'OPERATOR', 'alice')).token;
  admin = (await createToken(url, 'ADMIN', 'root')).token;
  fleet = startFleet({ url, enrollmentToken: enrollment.token, scenario: await loadScenario('default'), profile: 'fast', seed: 7 });
  await fleet.ready({ timeoutMs: 20_000 });
});

afterAll(async () => {
  await fleet?.stop();
  await restarted?.stop();
  await oc?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

// Each test starts from a settled fleet, with no rollout left over (a worker a test slowed may still be booting).
beforeEach(async () => {
  await fleet.waitFor(
    (f) => {
      const s = f.status();
      return s.online === s.clusters && s.tasksInFlight === 0 && s.workers.RUNNING === s.totalWorkers;
    },
    { what: 'a settled fleet', timeoutMs: 30_000 },
  );
  await waitFor(async () => {
    const d = await gqlOk(url, operator, `{ clusters { edges { node { health } } } commands(first: 50) { edges { node { state } } } }`);
    return (
      d.clusters.edges.every((e: any) => e.node.health === 'HEALTHY') && d.commands.edges.every((e: any) => TERMINAL_COMMAND_STATES.includes(e.node.state))
    );
  }, 'every cluster HEALTHY and no command active', 30_000);
});

describe('oc, the operator command line', () => {
  it('logs in: keeps the URL and token in $XDG_CONFIG_HOME/oc/config.json (mode 0600), then needs no environment', async () => {
    const login = await oc_(['login', url], { env: { OC_URL: undefined, OC_TOKEN: undefined }, stdin: `${operator}\n` });
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    expect(login.stdout).toContain('as alice (OPERATOR)');
    const path = join(home, 'config', 'oc', 'config.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ url, token: operator });

    // A token the OC refuses is not kept.
    const refused = await oc_(['login', url, '--token', 'not-a-token'], { env: { OC_URL: undefined, OC_TOKEN: undefined } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^oc: UNAUTHENTICATED: .+\n$/);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ url, token: operator });

    // Through the `bin` shim, as after `npm link`, with the file alone.
    const list = await oc_(['clusters'], { env: { OC_URL: undefined, OC_TOKEN: undefined }, entry: ['cli/bin/oc.js'] });
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME\s+KIND\s+HEALTH\s+WORKERS/);
    expect(list.stdout).toMatch(/as-1\s+AS\s+HEALTHY\s+4/);
  });

  it('prints JSON that parses with --output json', async () => {
    const clusters = await oc_(['clusters', '--output', 'json']);
    expect(clusters.code).toBe(0);
    expect(JSON.parse(clusters.stdout).map((c: any) => [c.name, c.health, c.workerCount])).toEqual([
      ['as-1', 'HEALTHY', 4],
      ['esb-1', 'HEALTHY', 3],
    ]);
    const one = await oc_(['-o', 'json', 'cluster', AS]);
    const detail = JSON.parse(one.stdout);
    expect(detail.workers.map((w: any) => w.memberId)).toEqual(['as-1-w01', 'as-1-w02', 'as-1-w03', 'as-1-w04']);
    expect(detail.manager.connected).toBe(true);
    const watched = await oc_(['restart', 'esb-1', '--batch', '3', '--watch', '-o', 'json']);
    expect(watched.code).toBe(0);
    expect(JSON.parse(watched.stdout)).toMatchObject({ kind: 'RESTART', state: 'SUCCEEDED', cluster: { name: 'esb-1' }, progress: { total: 3, succeeded: 3 } });
    const ops = await oc_(['op', 'esb-1', 'listProxyServices', '-o', 'json']);
    expect(ops.code).toBe(0);
    expect(JSON.parse(ops.stdout).result.proxyServices.length).toBeGreaterThan(0);
  });

  it('restarts a cluster by name with --watch: shows each batch and each worker, and exits 0 once it SUCCEEDED', async () => {
    const r = await oc_(['restart', AS, '--batch', '2', '--health-timeout', '10s', '--watch']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('batch 1/2: as-1-w01, as-1-w02');
    expect(r.stdout).toContain('batch 2/2: as-1-w03, as-1-w04');
    for (const m of ['as-1-w01', 'as-1-w02', 'as-1-w03', 'as-1-w04']) expect(r.stdout).toMatch(new RegExp(`✓ ${m}`));
    expect(r.stdout).toMatch(/✓ restart of as-1 SUCCEEDED in .*: 4 succeeded/);
    // Not a terminal: lines only, no redrawn bar.
    expect(r.stdout).not.toContain('\r');
  });

  it('exits 1 when a deploy FAILS because a worker never comes back, naming it as it happens', async () => {
    fleet.inject({ type: 'fail-start', cluster: AS, member: 'as-1-w02' });
    const r = await oc_(['deploy', AS, '--artifact', 'storefront.war@2.0.0', '--url', 'https://artifacts.example/sf-2.war', '--sha256', SHA, '--health-timeout', '5s', '--watch']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ as-1-w02 {2}FAILED/);
    expect(r.stdout).toMatch(/✗ deploy storefront\.war@2\.0\.0 of as-1 FAILED/);
    await fleet.worker(AS, 'as-1-w02').restart();
  });

  it('exits 3 when the failure budget leaves the rollout PAUSED (--on-failure pause), and says how to go on', async () => {
    fleet.inject({ type: 'fail-start', cluster: AS, member: 'as-1-w01' });
    const r = await oc_([
      'deploy', AS, '--artifact', 'storefront.war@3.0.0', '--url', 'https://artifacts.example/sf-3.war', '--sha256', SHA,
      '--max-failures', '0', '--on-failure', 'pause', '--health-timeout', '5s', '--watch',
    ]);
    expect(r.code).toBe(3);
    const id = commandId(r.stdout)!;
    expect(r.stdout).toContain(`oc resume ${id}`);
    const cancel = await oc_(['cancel', id]);
    expect(cancel.code, cancel.stderr).toBe(0);
    await waitFor(async () => (await oc_(['status', id, '-o', 'json'])).stdout.includes('"state": "CANCELLED"'), 'the paused deploy CANCELLED');
    await fleet.worker(AS, 'as-1-w01').restart();
  });

  it('oc promote continues a rollout held for its canary: the watcher says how, waits, and exits 0', async () => {
    const watcher = start(['restart', AS, '--canary', '1', '--batch', '3', '--health-timeout', '10s', '--watch']);
    await waitFor(() => watcher.run.stdout.includes('waiting for its canary to be promoted'), 'the watcher to show the canary hold', 15_000);
    const id = commandId(watcher.run.stdout)!;
    expect(watcher.run.stdout).toContain(`oc promote ${id}`);
    expect(watcher.run.stdout).toContain('batch 1/2: as-1-w01');
    const status = await oc_(['status', id]);
    expect(status.stdout).toMatch(/Held:\s+CANARY: waiting: canary to be promoted/);
    expect(status.stdout).toContain('canary 1');
    const promote = await oc_(['promote', id]);
    expect(promote.stderr).toBe('');
    expect(promote.code).toBe(0);
    expect(promote.stdout).toMatch(/restart of as-1 RUNNING/);
    const r = await watcher.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('batch 2/2: as-1-w02, as-1-w03, as-1-w04');
    expect(r.stdout).toMatch(/✓ restart of as-1 SUCCEEDED/);
    // Promoting it again is refused, in one line, with a non-zero exit.
    const again = await oc_(['promote', id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^oc: CONFLICT: the command is already SUCCEEDED/);
  });

  it('exits 2 when another shell cancels the watched command', async () => {
    // The first batch's worker boots for 10 s: the cancel (another process to start) comes while it does, however busy the machine.
    fleet.inject({ type: 'slow-boot', cluster: AS, member: 'as-1-w01', durationMs: 10_000 });
    const watcher = start(['restart', AS, '--health-timeout', '30s', '--watch']);
    await waitFor(() => watcher.run.stdout.includes('batch 1/4'), 'the watcher to show the first batch', 15_000);
    const id = commandId(watcher.run.stdout)!;
    expect(id).toMatch(/^[0-9a-f]{8}$/);
    const cancel = await oc_(['cancel', id]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stdout).toContain('cancel requested');
    const r = await watcher.done;
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/✗ restart of as-1 CANCELLED/);
  });

  it('says what went wrong in one line, with a non-zero exit: a bad token, an unknown cluster, an OC that is down, a bad flag', async () => {
    const bad = await oc_(['clusters'], { env: { OC_TOKEN: 'not-a-token' } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^oc: UNAUTHENTICATED: .+\n$/);
    expect(bad.stdout).toBe('');

    const unknown = await oc_(['restart', 'no-such-cluster', '--watch']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('oc: NOT_FOUND: no cluster named "no-such-cluster" (oc clusters lists them)\n');

    const downUrl = `http://127.0.0.1:${await freePort()}`;
    const down = await oc_(['cluster', AS], { env: { OC_URL: downUrl } });
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`oc: cannot reach the OC at ${downUrl}: connection refused\n`);

    const usage = await oc_(['restart', AS, '--health-timeout', '60']);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toMatch(/^oc: USAGE: --health-timeout "60" is not a duration .+\n$/);

    const forbidden = await oc_(['tokens', 'list']);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toMatch(/^oc: FORBIDDEN: .+\n$/);
    const tokens = await oc_(['tokens', 'list', '-o', 'json'], { env: { OC_TOKEN: admin } });
    expect(JSON.parse(tokens.stdout).map((t: any) => t.name)).toContain('alice');
  });

  it('refuses an empty --kinds (oc patch and oc preview patch) as a usage error, and starts nothing', async () => {
    const count = async () => (await gqlOk(url, admin, '{ commands(first: 1) { totalCount } }')).commands.totalCount;
    const before = await count();
    const rest = ['--artifact', 'security-fix.jar@1.0.1', '--url', 'https://artifacts.example/fix.jar', '--sha256', SHA];
    for (const args of [['patch', '--kinds', '', ...rest], ['patch', '--kinds', ' , ', ...rest, '--watch'], ['preview', 'patch', '--kinds', '', ...rest]]) {
      const r = await oc_(args);
      expect(r.stderr, args.join(' ')).toMatch(/^oc: USAGE: --kinds names no kind .+\n$/);
      expect(r.code).toBe(64);
      expect(r.stdout).toBe('');
    }
    expect(await count()).toBe(before);
  });

  it('patches every AS and ESB cluster with --watch, one cluster at a time, and exits 0', async () => {
    const r = await oc_([
      'patch', '--kinds', 'AS,ESB', '--artifact', 'security-fix.jar@1.0.1', '--url', 'https://artifacts.example/fix.jar', '--sha256', SHA,
      '--max-parallel', '1', '--batch', '4', '--health-timeout', '10s', '--watch',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ as-1 {2}SUCCEEDED {2}4\/4 succeeded/);
    expect(r.stdout).toMatch(/✓ esb-1 {2}SUCCEEDED {2}3\/3 succeeded/);
    expect(r.stdout).toMatch(/✓ patch security-fix\.jar@1\.0\.1 of 2 clusters SUCCEEDED/);
  });

  it('rolls a deploy back with oc rollback --watch, and says in one line why a restart cannot be', async () => {
    const deploy = (v: string) =>
      oc_(['deploy', AS, '--artifact', `rollback-demo.jar@${v}`, '--url', `https://artifacts.example/demo-${v}.jar`, '--sha256', SHA, '--batch', '4', '--health-timeout', '10s', '--watch']);
    expect((await deploy('1.0.0')).code).toBe(0);
    const d2 = await deploy('2.0.0');
    expect(d2.code).toBe(0);
    const id = commandId(d2.stdout)!;
    const r = await oc_(['rollback', id, '--watch']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`✓ rollback of ${id} on as-1 \\(back to rollback-demo\\.jar@1\\.0\\.0\\) SUCCEEDED`));
    for (const m of ['as-1-w01', 'as-1-w02', 'as-1-w03', 'as-1-w04']) expect(fleet.worker(AS, m).artifacts.find((a) => a.name === 'rollback-demo.jar')?.version).toBe('1.0.0');
    expect((await oc_(['status', id])).stdout).toMatch(/Rolled back by:\s+[0-9a-f]{8}/);

    const restart = await oc_(['restart', AS, '--batch', '4', '--health-timeout', '10s', '--watch']);
    expect(restart.code).toBe(0);
    const refused = await oc_(['rollback', commandId(restart.stdout)!]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/a RESTART changes no version: only a DEPLOY or a PATCH can be rolled back/);
  });

  it('follows a cluster’s events with oc events --follow (one JSON object a line with -o json)', async () => {
    const events = start(['events', '--cluster', AS, '--follow', '-o', 'json']);
    await waitFor(() => events.run.stderr.includes('following events of as-1'), 'oc events to connect', 15_000);
    const r = await oc_(['restart', AS, '--batch', '4', '--watch']);
    expect(r.code).toBe(0);
    const lines = () => events.run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    await waitFor(() => lines().some((e) => e.topic === 'command' && e.state === 'SUCCEEDED'), 'the command event SUCCEEDED');
    expect(lines().some((e) => e.topic === 'membership' && e.cluster.name === AS)).toBe(true);
    expect(lines().every((e) => (e.cluster?.name ?? AS) === AS)).toBe(true);
    events.child.kill('SIGINT');
    await events.done;
  });

  // Last: it replaces the OC instance.
  it('keeps watching while the OC restarts, and still exits 0 when the rollout SUCCEEDS', async () => {
    fleet.inject({ type: 'slow-boot', cluster: AS, member: 'as-1-w02', durationMs: 2_000 });
    const watcher = start(['restart', AS, '--health-timeout', '30s', '--watch']);
    await waitFor(() => watcher.run.stdout.includes('batch 2/4'), 'the watcher to show the second batch', 15_000);
    await oc.app.stop();
    restarted = await oc.restart();
    expect(restarted.url).toBe(url);
    const r = await watcher.done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/reconnecting/);
    expect(r.stdout).toMatch(/✓ restart of as-1 SUCCEEDED/);
  });
});
