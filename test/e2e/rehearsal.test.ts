/**
 * `npm run rehearse` against a live OC with the lab's fleet (the default scenario: as-1, 4 AS
 * workers, and esb-1): the rehearsal reads as-1 with a VIEWER token, runs the same rollout on a
 * private OC and a simulated copy, reports the batches the preview showed, and finishes; with a
 * faults file it reports the failed step. The live cluster is never touched.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../../simulator/fleet.js';
import { rehearse } from '../../simulator/rehearsal.js';
import { loadScenario } from '../../simulator/scenario.js';
import { gqlOk } from '../support/client.js';
import { commandFinished } from '../support/command-wait.js';
import { createToken, startTestOc, type TestOc } from '../support/oc.js';
import { settledFleet } from '../support/wait.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const STRATEGY = { batchSize: 2, canary: 1, autoPromoteAfterMs: 0 };

let oc: TestOc;
let fleet: Fleet;
let viewer: string;
let operator: string;
let asId: string;
let dir: string;

const LIVE_COMMANDS = `query($id: ID!) { node(id: $id) { ... on Cluster { commands { totalCount } } } }`;
const liveCommandCount = async () => (await gqlOk(oc.url, viewer, LIVE_COMMANDS, { id: asId })).node.commands.totalCount as number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oc-rehearse-test-'));
  oc = await startTestOc({ managerLeaseMs: 1000 });
  const enrollment = await createToken(oc.url, 'MANAGER', 'live-enrollment');
  operator = (await createToken(oc.url, 'OPERATOR', 'live-operator')).token;
  viewer = (await createToken(oc.url, 'VIEWER', 'live-viewer')).token;
  fleet = startFleet({ url: oc.url, enrollmentToken: enrollment.token, scenario: await loadScenario('default'), profile: 'fast', seed: 11 });
  await fleet.ready({ timeoutMs: 20_000 });
  asId = (await gqlOk(oc.url, viewer, `{ cluster(name: "as-1") { id } }`)).cluster.id;
  // One rollout on the live cluster, so that it has observed restart times.
  const r = await gqlOk(oc.url, operator, `mutation($i: RestartClusterInput!) { restartCluster(input: $i) { ... on CommandPayload { command { id } } } }`, { i: { clusterId: asId } });
  const c = await commandFinished(oc.url, viewer, `query($id: ID!) { command(id: $id) { state } }`, r.restartCluster.command.id);
  expect(c.state).toBe('SUCCEEDED');
  await settledFleet(fleet);
  fleet.resetInvariants();
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
  await oc?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm run rehearse', () => {
  it('rehearses a restart of the AS cluster: the same batches as the preview, and it finishes, never touching the live cluster', async () => {
    const before = await liveCommandCount();
    const report = await rehearse({ url: oc.url, token: viewer, cluster: 'as-1', strategy: STRATEGY, seed: 5, timeoutMs: 60_000 });
    expect(report.state).toBe('SUCCEEDED');
    expect(report.timings.samples).toBe(4);
    expect(report.livePreview).toMatchObject({ batches: [['as-1-w01'], ['as-1-w02', 'as-1-w03'], ['as-1-w04']] });
    expect('batches' in report.livePreview && report.batches).toEqual([['as-1-w01'], ['as-1-w02', 'as-1-w03'], ['as-1-w04']]);
    expect(report.sameBatchesAsPreview).toBe(true);
    expect(report.labPreview).toEqual(expect.objectContaining({ batches: report.batches }));
    expect(report.durationMs).toBeGreaterThan(0);
    expect(report.maxDown).toBeGreaterThanOrEqual(1);
    expect(report.maxDown).toBeLessThanOrEqual(2);
    expect(report.failedSteps).toEqual([]);
    expect(report.seed).toBe(5);
    expect(report.managerRegistrations).toBe(1);
    // Nothing happened to the live cluster: no command, no task, no restart.
    expect(await liveCommandCount()).toBe(before);
    expect(fleet.invariants().tasks).toEqual([]);
    expect(fleet.invariants().restarts).toEqual({});
  }, 180_000);

  it('refuses a token that could do more than read', async () => {
    await expect(rehearse({ url: oc.url, token: operator, cluster: 'as-1', seed: 1, timeoutMs: 10_000 })).rejects.toThrow(/VIEWER token only/);
  });

  it('with a faults file (a worker that never comes back), as a process: reports the failed step and why, and exits 3', async () => {
    const faults = join(dir, 'faults.json');
    writeFileSync(faults, JSON.stringify({ faults: [{ type: 'never-come-back', member: 'as-1-w02' }] }));
    const args = ['--url', oc.url, '--token', viewer, '--cluster', 'as-1', '--strategy', JSON.stringify({ ...STRATEGY, healthTimeoutMs: 8000 }), '--faults', faults, '--seed', '9', '--json'];
    const child = spawn(process.execPath, ['--import', 'tsx', 'simulator/rehearse.ts', ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const io = { out: '', err: '' };
    child.stdout.on('data', (c: Buffer) => (io.out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (io.err += c.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code, io.err).toBe(3);
    const report = JSON.parse(io.out.trim().split('\n').at(-1)!);
    expect(report.state).toBe('FAILED');
    expect(report.seed).toBe(9);
    expect(report.failedSteps).toEqual([{ memberId: 'as-1-w02', message: 'not RUNNING within 8000 ms' }]);
    expect(report.batches).toEqual([['as-1-w01'], ['as-1-w02', 'as-1-w03']]);
    expect(report.sameBatchesAsPreview).toBe(false);
    expect(report.skippedSteps).toBe(1);
    expect(fleet.invariants().tasks).toEqual([]);
  }, 300_000);

  it('a deploy with the manager lost mid-rollout: the rollout holds, then finishes once the manager is back', async () => {
    const report = await rehearse({
      url: oc.url,
      token: viewer,
      cluster: 'as-1',
      deploy: { name: 'storefront.war', version: '2.0.0' },
      faults: [{ type: 'manager-crash', onTask: 2, durationMs: 1500 }],
      seed: 3,
      timeoutMs: 60_000,
      managerLeaseMs: 500,
    });
    expect(report.state).toBe('SUCCEEDED');
    expect(report.kind).toBe('DEPLOY');
    expect(report.batches).toEqual([['as-1-w01'], ['as-1-w02'], ['as-1-w03'], ['as-1-w04']]);
    expect(report.sameBatchesAsPreview).toBe(true);
    expect(report.faults).toEqual([{ cluster: 'as-1', type: 'manager-crash', onTask: 2, durationMs: 1500 }]);
    expect(report.managerRegistrations).toBe(2); // lost once, back once
    expect(report.failedSteps).toEqual([]);
  }, 180_000);
});

describe('oc preview', () => {
  /** `oc ARGS…` as a process, reading the live OC with the VIEWER token. */
  async function oc_(args: string[]) {
    const env = { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), OC_URL: oc.url, OC_TOKEN: viewer, NO_COLOR: '1' };
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/oc.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const io = { out: '', err: '' };
    child.stdout.on('data', (c: Buffer) => (io.out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (io.err += c.toString()));
    const code = await new Promise<number | null>((r) => child.once('close', r));
    return { code, ...io };
  }

  it('prints the batches, the estimate and the warnings of a restart, and starts nothing', async () => {
    const before = await liveCommandCount();
    const r = await oc_(['preview', 'restart', 'as-1', '--batch', '3']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^restart of as-1: 2 batches, about \S+/);
    expect(r.out).toContain('batch 1   as-1-w01, as-1-w02, as-1-w03');
    expect(r.out).toContain('batch 2   as-1-w04');
    expect(r.out).toContain('! cluster as-1: batch 1 would have 3 of 4 workers down at once (more than half the cluster)');
    expect(r.out).toContain('Nothing was started');
    expect(await liveCommandCount()).toBe(before);
  }, 60_000);

  it('prints a patch’s waves as JSON, and the mutation’s error for a bad strategy', async () => {
    const r = await oc_(['preview', 'patch', '--artifact', 'storefront.war@1.0.0', '--url', 'https://a.example/sf.war', '--sha256', 'ab'.repeat(32), '--max-parallel', '2', '-o', 'json']);
    expect(r.code, r.err).toBe(0);
    const p = JSON.parse(r.out);
    expect(p.clusters.map((c: any) => [c.cluster.name, c.wave, c.batches.length])).toEqual([
      ['as-1', 1, 4],
      ['esb-1', 1, 3],
    ]);
    expect(p.warnings).toContain('cluster as-1: every worker already runs storefront.war 1.0.0');
    const bad = await oc_(['preview', 'restart', 'as-1', '--batch', '5']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^oc: VALIDATION: strategy\.batchSize must not exceed the cluster's 4 workers/);
  }, 60_000);
});
