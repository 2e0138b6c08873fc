/**
 * previewRestart, previewDeploy and previewPatch over real GraphQL, against scripted managers:
 * each preview is exactly what its mutation then runs (the tasks handed to the managers), with
 * the mutation's own errors, and nothing written; its warnings and its estimate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, gqlOk } from '../support/client.js';
import { commandFinished } from '../support/command-wait.js';
import { sqlRows } from '../support/db.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { ScriptedManager } from '../support/scripted-manager.js';
import { waitFor } from '../support/wait.js';

let oc: TestOc;
let enroll: string;
let operator: string;
let viewer: string;
const managers: ScriptedManager[] = [];

const ARTIFACT = (version: string) => ({ name: 'app', version, url: `https://repo.example/app-${version}.war`, sha256: 'b'.repeat(64) });

const RESULT = `__typename
  ... on Error { code message }
  ... on ValidationError { field }
  ... on NotFoundError { resourceId }
  ... on ConflictError { conflictingId }`;
const PREVIEW = `${RESULT}
  ... on RolloutPreview { waves estimatedDurationMs warnings clusters { cluster { id name } wave batches } }`;
const MUTATION = `${RESULT}
  ... on CommandPayload { command { id } }`;

const OPS = {
  restart: { input: 'RestartClusterInput', preview: 'previewRestart', mutation: 'restartCluster' },
  deploy: { input: 'DeployArtifactInput', preview: 'previewDeploy', mutation: 'deployArtifact' },
  patch: { input: 'DeployPatchInput', preview: 'previewPatch', mutation: 'deployPatch' },
} as const;
type Op = keyof typeof OPS;

async function preview(op: Op, input: Record<string, unknown>, token = viewer) {
  const o = OPS[op];
  return (await gqlOk(oc.url, token, `query($i: ${o.input}!) { r: ${o.preview}(input: $i) { ${PREVIEW} } }`, { i: input })).r;
}

async function mutate(op: Op, input: Record<string, unknown>) {
  const o = OPS[op];
  return (await gqlOk(oc.url, operator, `mutation($i: ${o.input}!) { r: ${o.mutation}(input: $i) { ${MUTATION} } }`, { i: input })).r;
}

const COMMAND = `query($id: ID!) { command(id: $id) { id state tasks { memberIds } children { cluster { id name } tasks { memberIds } } } }`;
const finished = (id: string) => commandFinished(oc.url, ADMIN_TOKEN, COMMAND, id, { timeoutMs: 30_000 });

async function cluster(name: string, size: number, kind = 'AS') {
  const m = new ScriptedManager(oc.url, enroll, name, kind, Array.from({ length: size }, (_, i) => `w${i + 1}`));
  managers.push(m);
  await m.register();
  m.connect();
  return m;
}

/** What a preview's errors and its mutation's errors must share. */
const errorOf = (r: Record<string, unknown>) => ({ __typename: r.__typename, code: r.code, message: r.message, field: r.field, resourceId: r.resourceId, conflictingId: r.conflictingId });

beforeAll(async () => {
  oc = await startTestOc({ managerLeaseMs: 600 });
  enroll = (await createToken(oc.url, 'MANAGER')).token;
  operator = (await createToken(oc.url, 'OPERATOR', 'ops-preview')).token;
  viewer = (await createToken(oc.url, 'VIEWER', 'viewer-preview')).token;
});

afterAll(async () => {
  for (const m of managers) await m.stop();
  await oc?.stop();
});

describe('a preview is what the mutation then runs', () => {
  it('restart with batchSize and canary: the canary batch first, then batchSize at a time', async () => {
    const m = await cluster('pv-restart', 7);
    const input = { clusterId: m.clusterId, strategy: { batchSize: 2, canary: 1, autoPromoteAfterMs: 0 } };
    const p = await preview('restart', input);
    expect(p.__typename).toBe('RolloutPreview');
    expect(p.clusters).toHaveLength(1);
    expect(p.clusters[0]).toMatchObject({ cluster: { id: m.clusterId, name: 'pv-restart' }, wave: 1 });
    expect(p.clusters[0].batches).toEqual([['w1'], ['w2', 'w3'], ['w4', 'w5'], ['w6', 'w7']]);
    expect(p.waves).toBe(1);
    const r = await mutate('restart', input);
    const c = await finished(r.command.id);
    expect(c.state).toBe('SUCCEEDED');
    expect(c.tasks.map((t: any) => t.memberIds)).toEqual(p.clusters[0].batches);
  });

  it('deploy: the batches of the deploy that follows', async () => {
    const m = await cluster('pv-deploy', 5);
    const input = { clusterId: m.clusterId, artifact: ARTIFACT('2.0.0'), strategy: { batchSize: 2 } };
    const p = await preview('deploy', input);
    expect(p.clusters[0].batches).toEqual([['w1', 'w2'], ['w3', 'w4'], ['w5']]);
    const c = await finished((await mutate('deploy', input)).command.id);
    expect(c.state).toBe('SUCCEEDED');
    expect(c.tasks.map((t: any) => t.memberIds)).toEqual(p.clusters[0].batches);
  });

  it('patch: the clusters in the patch’s order, in waves of maxParallelClusters, each with its batches', async () => {
    await cluster('pv-patch-10', 3, 'PVP');
    await cluster('pv-patch-2', 1, 'PVP');
    await cluster('pv-patch-3', 4, 'PVP');
    const input = { artifact: ARTIFACT('3.0.0'), kinds: ['pvp'], maxParallelClusters: 2, strategy: { batchSize: 2 } };
    const p = await preview('patch', input);
    expect(p.__typename).toBe('RolloutPreview');
    expect(p.clusters.map((c: any) => [c.cluster.name, c.wave])).toEqual([
      ['pv-patch-2', 1],
      ['pv-patch-3', 1],
      ['pv-patch-10', 2],
    ]);
    expect(p.waves).toBe(2);
    const c = await finished((await mutate('patch', input)).command.id);
    expect(c.state).toBe('SUCCEEDED');
    expect(c.children.map((ch: any) => ch.cluster.name)).toEqual(p.clusters.map((x: any) => x.cluster.name));
    expect(c.children.map((ch: any) => ch.tasks.map((t: any) => t.memberIds))).toEqual(p.clusters.map((x: any) => x.batches));
    expect(p.clusters.map((x: any) => x.batches)).toEqual([[['w1']], [['w1', 'w2'], ['w3', 'w4']], [['w1', 'w2'], ['w3']]]);
  });
});

describe('a preview answers with the mutation’s own errors', () => {
  it('a bad strategy field, a batchSize or canary too large for the cluster, a bad artifact', async () => {
    const m = await cluster('pv-errors', 3);
    const cases: [Op, Record<string, unknown>][] = [
      ['restart', { clusterId: m.clusterId, strategy: { batchSize: 0 } }],
      ['restart', { clusterId: m.clusterId, strategy: { batchSize: 4 } }],
      ['restart', { clusterId: m.clusterId, strategy: { canary: 3 } }],
      ['restart', { clusterId: m.clusterId, strategy: { autoRevert: true } }],
      ['deploy', { clusterId: m.clusterId, artifact: { ...ARTIFACT('2.0.0'), sha256: 'nope' } }],
      ['restart', { clusterId: 'not-an-id' }],
      ['patch', { artifact: ARTIFACT('2.0.0'), kinds: ['NO-SUCH-KIND'] }],
      ['patch', { artifact: ARTIFACT('2.0.0'), maxParallelClusters: 0 }],
    ];
    for (const [op, input] of cases) {
      const p = await preview(op, input);
      expect(p.__typename, JSON.stringify(input)).toBe('ValidationError');
      expect(errorOf(p)).toEqual(errorOf(await mutate(op, input)));
    }
  });

  it('an empty kinds list: a ValidationError naming input.kinds, never "every cluster", and no command started', async () => {
    await cluster('pv-nokinds', 1);
    const commands = async () => Number((await sqlRows<{ n: number }>(oc.database, 'select count(*) as n from commands'))[0]!.n);
    const before = await commands();
    const input = { artifact: ARTIFACT('2.0.0'), kinds: [] };
    const p = await preview('patch', input);
    expect(p).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: 'input.kinds' });
    expect(errorOf(await mutate('patch', input))).toEqual(errorOf(p));
    expect(await commands()).toBe(before);
  });

  it('an unknown cluster: NotFoundError', async () => {
    const m = await cluster('pv-gone', 1);
    const id = Buffer.from(`Cluster:${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`).toString('base64');
    expect(Buffer.from(m.clusterId, 'base64').toString()).toMatch(/^Cluster:/); // the same kind of id
    const input = { clusterId: id };
    const p = await preview('restart', input);
    expect(p).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    expect(errorOf(p)).toEqual(errorOf(await mutate('restart', input)));
  });

  it('a cluster with a rollout running: ConflictError, for a restart, a deploy and a patch', async () => {
    const m = await cluster('pv-busy', 2, 'PVB');
    // Long enough that the rollout stays RUNNING (its state is in the message) while it is compared.
    m.restartMs = 5_000;
    const first = await mutate('restart', { clusterId: m.clusterId });
    try {
      await waitFor(async () => (await gqlOk(oc.url, viewer, `query($id: ID!) { command(id: $id) { state } }`, { id: first.command.id })).command.state === 'RUNNING', 'the rollout to run');
      for (const [op, input] of [
        ['restart', { clusterId: m.clusterId }],
        ['deploy', { clusterId: m.clusterId, artifact: ARTIFACT('2.0.0') }],
        ['patch', { artifact: ARTIFACT('2.0.0'), kinds: ['PVB'] }],
      ] as [Op, Record<string, unknown>][]) {
        const p = await preview(op, input);
        expect(p).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
        expect(errorOf(p)).toEqual(errorOf(await mutate(op, input)));
      }
    } finally {
      // The next tests preview patches over every cluster: none may still be rolling.
      await finished(first.command.id);
    }
  });
});

describe('who may preview', () => {
  it('any VIEWER (it only reads); not a manager token', async () => {
    const m = await cluster('pv-auth', 1);
    expect((await preview('restart', { clusterId: m.clusterId }, viewer)).__typename).toBe('RolloutPreview');
    const r = await gql(oc.url, enroll, `query($i: RestartClusterInput!) { previewRestart(input: $i) { __typename } }`, { i: { clusterId: m.clusterId } });
    expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('a preview writes nothing', () => {
  it('leaves commands, steps, tasks, history and the audit log as they were', async () => {
    const m = await cluster('pv-nowrite', 4);
    const count = async () =>
      (
        await sqlRows<{ n: number }>(
          oc.database,
          `select (select count(*) from commands) + (select count(*) from command_steps) + (select count(*) from command_events)
                + (select count(*) from manager_tasks) + (select count(*) from audit_log) as n`,
        )
      )[0]!.n;
    const before = Number(await count());
    expect((await preview('restart', { clusterId: m.clusterId, strategy: { batchSize: 2 } }, operator)).__typename).toBe('RolloutPreview');
    expect((await preview('deploy', { clusterId: m.clusterId, artifact: ARTIFACT('9.0.0') }, operator)).__typename).toBe('RolloutPreview');
    expect((await preview('patch', { artifact: ARTIFACT('9.0.0') }, operator)).__typename).toBe('RolloutPreview');
    expect((await preview('restart', { clusterId: m.clusterId, strategy: { batchSize: 0 } }, operator)).__typename).toBe('ValidationError');
    expect(Number(await count())).toBe(before);
    expect(m.tasksSeen).toEqual([]);
  });
});

describe('warnings and the estimate', () => {
  it('warns of workers not RUNNING now and of a batch taking more than half the cluster down', async () => {
    const m = await cluster('pv-warn', 4);
    const w4 = m.workers.get('w4')!;
    w4.state = 'FAILED';
    await m.report('STATE_CHANGED', w4);
    const p = await preview('restart', { clusterId: m.clusterId, strategy: { batchSize: 2 } });
    expect(p.warnings).toContain('cluster pv-warn: 1 of 4 workers not RUNNING now: w4 (FAILED)');
    expect(p.warnings).toContain('cluster pv-warn: batch 1 would have 3 of 4 workers down at once (more than half the cluster)');
    const one = await preview('restart', { clusterId: m.clusterId });
    expect(one.warnings.some((w: string) => w.includes('more than half'))).toBe(false);
  });

  it('warns of a version every worker already runs', async () => {
    const m = await cluster('pv-same', 2);
    const same = await preview('deploy', { clusterId: m.clusterId, artifact: ARTIFACT('1.0.0') });
    expect(same.warnings).toContain('cluster pv-same: every worker already runs app 1.0.0');
    const other = await preview('deploy', { clusterId: m.clusterId, artifact: ARTIFACT('1.0.1') });
    expect(other.warnings.some((w: string) => w.includes('already runs'))).toBe(false);
  });

  it('warns of a manager that is unreachable', async () => {
    const m = await cluster('pv-lost', 2);
    expect((await preview('restart', { clusterId: m.clusterId })).warnings.some((w: string) => w.includes('unreachable'))).toBe(false);
    await m.crash();
    await waitFor(
      async () => (await gqlOk(oc.url, viewer, `query($id: ID!) { node(id: $id) { ... on Cluster { manager { connected } } } }`, { id: m.clusterId })).node.manager.connected === false,
      'the manager to be unreachable',
    );
    const p = await preview('restart', { clusterId: m.clusterId });
    expect(p.warnings).toContain('cluster pv-lost: its manager is unreachable; the rollout would hold until it is back');
  });

  it('has no estimate before the cluster’s first rollout, and one from its observed restart times after', async () => {
    const m = await cluster('pv-estimate', 3);
    m.restartMs = 120;
    const TIMINGS = `query($id: ID!) { node(id: $id) { ... on Cluster { restartTimings { samples medianMs p90Ms } } } }`;
    const before = await preview('restart', { clusterId: m.clusterId });
    expect(before.estimatedDurationMs).toBeNull();
    expect(before.warnings).toContain('cluster pv-estimate: no restart history yet, so no time estimate');
    expect((await gqlOk(oc.url, viewer, TIMINGS, { id: m.clusterId })).node.restartTimings).toEqual({ samples: 0, medianMs: null, p90Ms: null });

    const c = await finished((await mutate('restart', { clusterId: m.clusterId })).command.id);
    expect(c.state).toBe('SUCCEEDED');
    const t = (await gqlOk(oc.url, viewer, TIMINGS, { id: m.clusterId })).node.restartTimings;
    expect(t.samples).toBe(3);
    expect(t.medianMs).toBeGreaterThanOrEqual(120); // at least the scripted restart
    expect(t.p90Ms).toBeGreaterThanOrEqual(t.medianMs);

    const after = await preview('restart', { clusterId: m.clusterId, strategy: { pauseBetweenBatchesMs: 1000, minHealthyMs: 500 } });
    // 3 batches of one: 3 × (median + 500) + 2 pauses of 1000.
    expect(after.estimatedDurationMs).toBe(3 * (t.medianMs + 500) + 2000);
    expect(after.warnings).toEqual([]);
  });
});
