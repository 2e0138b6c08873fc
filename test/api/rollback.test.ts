/**
 * rollbackCommand and strategy.autoRevert over the real API, with scripted managers: each
 * worker goes back to the version it ran before, batches grouped by target artifact, and
 * rollbackOf / rolledBackBy link the commands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlOk } from '../support/client.js';
import { commandFinished } from '../support/command-wait.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { ScriptedManager } from '../support/scripted-manager.js';

let oc: TestOc;
let enroll: string;
let operator: string;
const managers: ScriptedManager[] = [];

const COMMAND = `query($id: ID!) { command(id: $id) { id kind state message requestedBy artifact { version }
  rollbackOf { id } rolledBackBy { id } strategy { batchSize autoRevert }
  steps { memberId state message artifact { version url } } tasks { memberIds artifact { version } } history { message }
  children { id state rollbackOf { id } cluster { name } steps { memberId state artifact { version } } } } }`;

const RESULT = `__typename ... on CommandPayload { command { id state } } ... on Error { code message } ... on ValidationError { field } ... on ConflictError { conflictingId }`;

async function cluster(name: string, size: number, kind = 'AS') {
  const m = new ScriptedManager(oc.url, enroll, name, kind, Array.from({ length: size }, (_, i) => `w${i + 1}`));
  managers.push(m);
  await m.register();
  m.connect();
  return m;
}

const artifact = (version: string) => ({ name: 'app', version, url: `https://repo.example/app-${version}.war`, sha256: version.replace(/\./g, '').padEnd(64, 'b') });

async function deploy(clusterId: string, version: string, strategy: Record<string, unknown> = {}) {
  const d = await gqlOk(oc.url, operator, `mutation($i: DeployArtifactInput!) { deployArtifact(input: $i) { ${RESULT} } }`, { i: { clusterId, artifact: artifact(version), strategy } });
  expect(d.deployArtifact.__typename).toBe('CommandPayload');
  return d.deployArtifact.command.id as string;
}

async function rollback(id: string) {
  return (await gqlOk(oc.url, operator, `mutation($id: ID!) { rollbackCommand(id: $id) { ${RESULT} } }`, { id })).rollbackCommand;
}

const finished = (id: string) => commandFinished(oc.url, ADMIN_TOKEN, COMMAND, id, { timeoutMs: 20_000 });
/** The database id in a global id (history lines and conflictingId name commands by it). */
const raw = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').split(':')[1];
const versions = (m: ScriptedManager) => Object.fromEntries([...m.workers.values()].map((w) => [w.memberId, `${w.state}:${w.artifacts[0]?.version}`]));

beforeAll(async () => {
  oc = await startTestOc({ managerLeaseMs: 600 });
  enroll = (await createToken(oc.url, 'MANAGER')).token;
  operator = (await createToken(oc.url, 'OPERATOR', 'ops-alice')).token;
});

afterAll(async () => {
  for (const m of managers) await m.stop();
  await oc?.stop();
});

describe('rollbackCommand', () => {
  it('restores each worker changed by a DEPLOY to its own previous version, one artifact per batch; a rollback of it restores again', async () => {
    const m = await cluster('rb-mixed', 4);
    expect((await finished(await deploy(m.clusterId, '1.0.0', { batchSize: 2 }))).state).toBe('SUCCEEDED');
    // 1.1.0 reaches w1 and w2, then fails on w3: w3 and w4 stay on 1.0.0.
    m.failingDeploys.add('w3@1.1.0');
    expect((await finished(await deploy(m.clusterId, '1.1.0'))).state).toBe('FAILED');
    const d2 = await deploy(m.clusterId, '2.0.0', { batchSize: 2 });
    expect((await finished(d2)).state).toBe('SUCCEEDED');
    expect(versions(m)).toEqual({ w1: 'RUNNING:2.0.0', w2: 'RUNNING:2.0.0', w3: 'RUNNING:2.0.0', w4: 'RUNNING:2.0.0' });

    const r = await rollback(d2);
    expect(r.__typename).toBe('CommandPayload');
    const rb = await finished(r.command.id);
    expect(rb).toMatchObject({ kind: 'DEPLOY', state: 'SUCCEEDED', requestedBy: 'ops-alice', artifact: null, rollbackOf: { id: d2 }, strategy: { batchSize: 2, autoRevert: false } });
    expect(rb.steps.map((s: any) => `${s.memberId}:${s.artifact.version}:${s.state}`)).toEqual(['w1:1.1.0:SUCCEEDED', 'w2:1.1.0:SUCCEEDED', 'w3:1.0.0:SUCCEEDED', 'w4:1.0.0:SUCCEEDED']);
    // The url and sha256 are those the OC deployed each version with.
    expect(rb.steps[0].artifact.url).toBe(artifact('1.1.0').url);
    expect(rb.tasks.map((t: any) => [t.memberIds, t.artifact.version])).toEqual([
      [['w1', 'w2'], '1.1.0'],
      [['w3', 'w4'], '1.0.0'],
    ]);
    expect(rb.history[0].message).toMatch(/^rollback of .* requested by ops-alice: restoring 4 workers: app 1.1.0 to w1, w2; app 1.0.0 to w3, w4$/);
    expect(versions(m)).toEqual({ w1: 'RUNNING:1.1.0', w2: 'RUNNING:1.1.0', w3: 'RUNNING:1.0.0', w4: 'RUNNING:1.0.0' });

    const original = await finished(d2);
    expect(original.rolledBackBy).toEqual({ id: rb.id });
    expect(original.history.at(-1).message).toBe(`rollback ${raw(rb.id)} requested by ops-alice`);

    // A rollback of the rollback: everyone back on 2.0.0.
    const r2 = await rollback(rb.id);
    expect(r2.__typename).toBe('CommandPayload');
    const rb2 = await finished(r2.command.id);
    expect(rb2).toMatchObject({ state: 'SUCCEEDED', rollbackOf: { id: rb.id }, artifact: { version: '2.0.0' } });
    expect(versions(m)).toEqual({ w1: 'RUNNING:2.0.0', w2: 'RUNNING:2.0.0', w3: 'RUNNING:2.0.0', w4: 'RUNNING:2.0.0' });
    expect((await finished(rb.id)).rolledBackBy).toEqual({ id: rb2.id });
  });

  it('takes a version the OC never deployed to this cluster from its deploy to another one (same name and version)', async () => {
    // rb-anywhere's workers came with app 1.0.0; the OC deployed 1.0.0 only to rb-mixed (above).
    const m = await cluster('rb-anywhere', 2);
    const d = await deploy(m.clusterId, '2.2.0', { batchSize: 2 });
    await finished(d);
    const r = await rollback(d);
    expect(r.__typename).toBe('CommandPayload');
    const rb = await finished(r.command.id);
    expect(rb.state).toBe('SUCCEEDED');
    expect(rb.steps.map((s: any) => `${s.memberId}:${s.artifact.version}:${s.artifact.url}`)).toEqual([`w1:1.0.0:${artifact('1.0.0').url}`, `w2:1.0.0:${artifact('1.0.0').url}`]);
    expect(versions(m)).toEqual({ w1: 'RUNNING:1.0.0', w2: 'RUNNING:1.0.0' });
  });

  it('is a ConflictError while the command runs, and while another rollout runs on the cluster', async () => {
    const m = await cluster('rb-conflict', 2);
    m.restartMs = 400;
    const d = await deploy(m.clusterId, '1.5.0');
    const running = await rollback(d);
    expect(running).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
    expect(running.message).toMatch(/is still (PENDING|RUNNING)/);
    await finished(d);
    const restart = await gqlOk(oc.url, operator, `mutation($i: RestartClusterInput!) { restartCluster(input: $i) { ${RESULT} } }`, { i: { clusterId: m.clusterId } });
    const busy = await rollback(d);
    expect(busy).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT', conflictingId: restart.restartCluster.command.id });
    expect(busy.message).toMatch(/already has an active rollout/);
    const restarted = await finished(restart.restartCluster.command.id);
    // Refused rollbacks leave nothing behind.
    expect(restarted.rolledBackBy).toBeNull();
    expect((await finished(d)).rolledBackBy).toBeNull();
  });

  it('refuses a RESTART, and a DEPLOY with nothing the OC can restore, saying why', async () => {
    const m = await cluster('rb-refused', 2);
    const restart = await gqlOk(oc.url, operator, `mutation($i: RestartClusterInput!) { restartCluster(input: $i) { ${RESULT} } }`, { i: { clusterId: m.clusterId } });
    await finished(restart.restartCluster.command.id);
    const r = await rollback(restart.restartCluster.command.id);
    expect(r).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: 'id' });
    expect(r.message).toMatch(/a RESTART changes no version/);

    // A deploy of the version every worker already ran changed no version: nothing to restore.
    const d = await deploy(m.clusterId, '1.0.0');
    await finished(d);
    const same = await rollback(d);
    expect(same).toMatchObject({ __typename: 'ValidationError', field: 'id' });
    expect(same.message).toMatch(/nothing to roll back: .*w1 \(it already ran app 1.0.0 before\)/);
  });
});

describe('strategy.autoRevert', () => {
  it('a DEPLOY that FAILS starts its rollback at once: the changed workers back on their version, both histories saying so', async () => {
    const m = await cluster('rb-auto', 4);
    await finished(await deploy(m.clusterId, '1.0.0', { batchSize: 4 }));
    m.failingDeploys.add('w3@2.5.0');
    const d = await deploy(m.clusterId, '2.5.0', { batchSize: 2, autoRevert: true });
    const failed = await finished(d);
    expect(failed.state).toBe('FAILED');
    expect(failed.steps.map((s: any) => s.state)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'FAILED', 'SUCCEEDED']);
    expect(failed.rolledBackBy).not.toBeNull();
    const rbId = failed.rolledBackBy.id;
    expect(failed.history.at(-1).message).toBe(`auto-revert: rollback ${raw(rbId)} started`);

    const rb = await finished(rbId);
    expect(rb).toMatchObject({ state: 'SUCCEEDED', rollbackOf: { id: d }, requestedBy: 'OC auto-revert (for ops-alice)', artifact: { version: '1.0.0' } });
    expect(rb.history[0].message).toMatch(/requested by OC auto-revert \(for ops-alice\): restoring 4 workers: app 1.0.0 to w1, w2, w3, w4$/);
    expect(versions(m)).toEqual({ w1: 'RUNNING:1.0.0', w2: 'RUNNING:1.0.0', w3: 'RUNNING:1.0.0', w4: 'RUNNING:1.0.0' });
  });

  it('says on the failed command why no rollback started when none of its changed workers can be restored', async () => {
    const m = await cluster('rb-auto-none', 2);
    m.failingDeploys.add('w1@1.0.0');
    // Its workers never had a "plugin" before: there is nothing to go back to.
    const d = await gqlOk(oc.url, operator, `mutation($i: DeployArtifactInput!) { deployArtifact(input: $i) { ${RESULT} } }`, {
      i: { clusterId: m.clusterId, artifact: { ...artifact('1.0.0'), name: 'plugin' }, strategy: { autoRevert: true } },
    });
    const failed = await finished(d.deployArtifact.command.id);
    expect(failed.state).toBe('FAILED');
    expect(failed.rolledBackBy).toBeNull();
    expect(failed.history.at(-1).message).toBe(
      'auto-revert: not started: nothing to roll back: none of the 1 workers it changed can be restored: w1 (it had no plugin before: there is nothing to go back to)',
    );
  });

  it('a PATCH that FAILS is rolled back as a PATCH of per-cluster rollbacks of the clusters it changed', async () => {
    const a = await cluster('rb-patch-a', 2, 'RBP');
    const b = await cluster('rb-patch-b', 2, 'RBP');
    const patch = async (version: string, strategy: Record<string, unknown>) => {
      const d = await gqlOk(oc.url, operator, `mutation($i: DeployPatchInput!) { deployPatch(input: $i) { ${RESULT} } }`, { i: { artifact: artifact(version), kinds: ['RBP'], strategy } });
      expect(d.deployPatch.__typename).toBe('CommandPayload');
      return d.deployPatch.command.id as string;
    };
    expect((await finished(await patch('1.0.0', {}))).state).toBe('SUCCEEDED');
    b.failingDeploys.add('w2@3.0.0');
    const p = await patch('3.0.0', { autoRevert: true });
    const failed = await finished(p);
    expect(failed.state).toBe('FAILED');
    expect(failed.children.map((c: any) => c.state)).toEqual(['SUCCEEDED', 'FAILED']);
    const rbId = failed.rolledBackBy.id;
    expect(failed.history.at(-1).message).toBe(`auto-revert: rollback ${raw(rbId)} started`);

    const rb = await finished(rbId);
    expect(rb).toMatchObject({ kind: 'PATCH', state: 'SUCCEEDED', rollbackOf: { id: p }, artifact: { version: '1.0.0' } });
    expect(rb.children.map((c: any) => [c.cluster.name, c.state, c.rollbackOf.id])).toEqual([
      ['rb-patch-a', 'SUCCEEDED', failed.children[0].id],
      ['rb-patch-b', 'SUCCEEDED', failed.children[1].id],
    ]);
    expect(rb.children[1].steps.map((s: any) => `${s.memberId}:${s.artifact.version}:${s.state}`)).toEqual(['w1:1.0.0:SUCCEEDED', 'w2:1.0.0:SUCCEEDED']);
    expect(versions(a)).toEqual({ w1: 'RUNNING:1.0.0', w2: 'RUNNING:1.0.0' });
    expect(versions(b)).toEqual({ w1: 'RUNNING:1.0.0', w2: 'RUNNING:1.0.0' });
  });
});
