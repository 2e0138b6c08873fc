import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlOk } from '../support/client.js';
import { commandFinished } from '../support/command-wait.js';
import { ADMIN_TOKEN, createToken, memoryLogger, startTestOc, type TestOc } from '../support/oc.js';
import { ScriptedManager } from '../support/scripted-manager.js';
import { waitFor } from '../support/wait.js';

// Canary and promote, soak (minHealthyMs) and the progress deadline, through the real API with
// a scripted manager on the other side.

let oc: TestOc;
const log = memoryLogger();
/** The JSON log's lines `msg` about a command (the log names it by its database id). */
const logged = (msg: string, globalId: string) => {
  const id = Buffer.from(globalId, 'base64').toString('utf8').split(':')[1];
  return log.lines.filter((l) => l.msg === msg && l.fields.commandId === id).map((l) => l.fields);
};
let enroll: string;
let operator: string;
const managers: ScriptedManager[] = [];

const COMMAND = `query($id: ID!) { command(id: $id) { id state message hold { reason by message } strategy { canary }
  steps { memberId state message } tasks { memberIds } history { state message } children { id state strategy { canary } hold { reason } cluster { name } } } }`;
const RESULT = `__typename ... on CommandPayload { command { id state hold { reason } } } ... on Error { code message }`;
const PROMOTE = `mutation($id: ID!) { promoteCommand(id: $id) { ${RESULT} } }`;

async function cluster(name: string, size: number, kind = 'AS') {
  const m = new ScriptedManager(oc.url, enroll, name, kind, Array.from({ length: size }, (_, i) => `w${i + 1}`));
  managers.push(m);
  await m.register();
  m.connect();
  return m;
}

const command = async (id: string) => (await gqlOk(oc.url, ADMIN_TOKEN, COMMAND, { id })).command;
const finished = (id: string, timeoutMs = 20_000) => commandFinished(oc.url, ADMIN_TOKEN, COMMAND, id, { timeoutMs });
const held = (id: string, reason: string) =>
  waitFor(async () => {
    const c = await command(id);
    return c.hold?.reason === reason ? c : null;
  }, `command ${id} held for ${reason}`);

async function restart(clusterId: string, strategy: Record<string, unknown>) {
  const d = await gqlOk(oc.url, operator, `mutation($i: RestartClusterInput!) { restartCluster(input: $i) { ${RESULT} } }`, { i: { clusterId, strategy } });
  expect(d.restartCluster.__typename).toBe('CommandPayload');
  return d.restartCluster.command.id as string;
}

const promote = async (id: string, token = operator) => (await gqlOk(oc.url, token, PROMOTE, { id })).promoteCommand;

beforeAll(async () => {
  oc = await startTestOc({ managerLeaseMs: 600 }, { logger: log });
  enroll = (await createToken(oc.url, 'MANAGER')).token;
  operator = (await createToken(oc.url, 'OPERATOR', 'ops-carol')).token;
});

afterAll(async () => {
  for (const m of managers) await m.stop();
  await oc?.stop();
});

describe('canary and promote', () => {
  it('restarts the canary, holds PAUSED (CANARY) touching no other worker, and finishes once an operator promotes it', async () => {
    const m = await cluster('can-promote', 4);
    const id = await restart(m.clusterId, { canary: 1, batchSize: 2 });
    const c = await held(id, 'CANARY');
    expect(c).toMatchObject({ state: 'PAUSED', message: 'waiting: canary to be promoted', hold: { reason: 'CANARY', by: null, message: 'waiting: canary to be promoted' } });
    expect(c.steps.map((s: any) => s.state)).toEqual(['SUCCEEDED', 'PENDING', 'PENDING', 'PENDING']);
    expect(m.restartOrder).toEqual(['w1']);

    // Resume is not a promotion; pause changes nothing.
    const resumed = (await gqlOk(oc.url, operator, `mutation($id: ID!) { resumeCommand(id: $id) { ${RESULT} } }`, { id })).resumeCommand;
    expect(resumed).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
    expect(resumed.message).toContain('promoteCommand');

    const p = await promote(id);
    expect(p).toMatchObject({ __typename: 'CommandPayload', command: { id, state: 'RUNNING', hold: null } });
    const done = await finished(id);
    expect(done.state).toBe('SUCCEEDED');
    expect(done.tasks.map((t: any) => t.memberIds)).toEqual([['w1'], ['w2', 'w3'], ['w4']]);
    expect(m.restartOrder).toEqual(['w1', 'w2', 'w3', 'w4']);
    const history = done.history.map((h: any) => h.message);
    expect(history).toContain('canary SUCCEEDED (w1): waiting to be promoted (promoteCommand)');
    expect(history).toContain('canary promoted by ops-carol');
    // The JSON log tells the hold and who promoted it.
    expect(logged('command paused', id)).toEqual([expect.objectContaining({ cluster: 'can-promote', state: 'PAUSED', message: 'waiting: canary to be promoted' })]);
    expect(logged('command promoted', id)).toEqual([expect.objectContaining({ cluster: 'can-promote', by: 'ops-carol', state: 'RUNNING' })]);
    expect(logged('command resumed', id)).toEqual([]);
    // Promoting it again: it is not held for its canary any more.
    expect(await promote(id)).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
  });

  it('promoteCommand on a command not held for its canary is a ConflictError and changes nothing', async () => {
    const m = await cluster('can-conflict', 3);
    m.restartMs = 300;
    const id = await restart(m.clusterId, {});
    const p = await promote(id);
    expect(p).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
    expect(p.message).toContain('not waiting for its canary');
    expect((await command(id)).history.map((h: any) => h.message).join('\n')).not.toContain('promoted');
    expect((await finished(id)).state).toBe('SUCCEEDED');
    expect(await promote(id)).toMatchObject({ __typename: 'ConflictError' });
    expect(await promote('Q29tbWFuZDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA=')).toMatchObject({ __typename: expect.stringMatching(/NotFoundError|ValidationError/) });
    const viewer = (await createToken(oc.url, 'VIEWER')).token;
    const res = await fetch(`${oc.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` },
      body: JSON.stringify({ query: PROMOTE, variables: { id } }),
    }).then((x) => x.json() as any);
    expect(res.errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('promotes itself after autoPromoteAfterMs of a healthy canary', async () => {
    const m = await cluster('can-auto', 3);
    const id = await restart(m.clusterId, { canary: 1, autoPromoteAfterMs: 400 });
    const done = await finished(id);
    expect(done.state).toBe('SUCCEEDED');
    const history = done.history.map((h: any) => h.message);
    expect(history).toContain('canary promoted by the OC: healthy for 400 ms (autoPromoteAfterMs)');
    expect(history.indexOf('canary promoted by the OC: healthy for 400 ms (autoPromoteAfterMs)')).toBeGreaterThan(history.findIndex((h: string) => h.startsWith('canary SUCCEEDED')));
    expect(m.restartOrder).toEqual(['w1', 'w2', 'w3']);
    // Told as a promotion by nobody: the OC did it.
    const promoted = logged('command promoted', id);
    expect(promoted).toEqual([expect.objectContaining({ cluster: 'can-auto', state: 'RUNNING' })]);
    expect(promoted[0]).not.toHaveProperty('by');
  });

  it('a failed canary fails the command and never touches a non-canary worker', async () => {
    const m = await cluster('can-fail', 4);
    m.behaviour.set('w2', 'fail');
    const id = await restart(m.clusterId, { canary: 2, batchSize: 2, maxFailures: 2 });
    const done = await finished(id);
    expect(done.state).toBe('FAILED');
    expect(done.message).toContain('canary failed: 1 of 2 canary workers failed');
    expect(done.steps.map((s: any) => s.state)).toEqual(['SUCCEEDED', 'FAILED', 'SKIPPED', 'SKIPPED']);
    expect(m.restartOrder).toEqual(['w1', 'w2']);
  });

  it('a canary worker that crashes while the command waits to be promoted pauses it (onFailure PAUSE)', async () => {
    const m = await cluster('can-crash', 3);
    const id = await restart(m.clusterId, { canary: 1, onFailure: 'PAUSE' });
    await held(id, 'CANARY');
    const w1 = m.workers.get('w1')!;
    w1.state = 'FAILED';
    await m.report('STATE_CHANGED', w1);
    const c = await held(id, 'FAILURE_BUDGET');
    expect(c.state).toBe('PAUSED');
    expect(c.steps[0]).toMatchObject({ state: 'FAILED', message: 'canary crashed while waiting to be promoted: worker reported FAILED' });
    expect(logged('command paused', id).map((f) => f.message)).toEqual(['waiting: canary to be promoted', 'paused: canary failed: 1 of 1 canary workers crashed']);
    expect(await promote(id)).toMatchObject({ __typename: 'ConflictError' });
    expect(m.restartOrder).toEqual(['w1']);
    await gqlOk(oc.url, operator, `mutation($id: ID!) { cancelCommand(id: $id) { __typename } }`, { id });
    expect((await finished(id)).state).toBe('CANCELLED');
  });

  it('a PATCH holds its first wave for CANARY; promoting the PATCH promotes them, the later clusters roll without a canary', async () => {
    const a = await cluster('can-patch-a', 2, 'CANP');
    const b = await cluster('can-patch-b', 2, 'CANP');
    const d = await gqlOk(oc.url, operator, `mutation($i: DeployPatchInput!) { deployPatch(input: $i) { ${RESULT} } }`, {
      i: { artifact: { name: 'app', version: '4.0.0', url: 'https://repo.example/app-4.0.0.war', sha256: 'd'.repeat(64) }, kinds: ['CANP'], maxParallelClusters: 1, strategy: { canary: 1 } },
    });
    expect(d.deployPatch.__typename).toBe('CommandPayload');
    const id = d.deployPatch.command.id;
    const parent = await held(id, 'CANARY');
    expect(parent.state).toBe('RUNNING');
    expect(parent.children.map((ch: any) => [ch.cluster.name, ch.state, ch.strategy.canary, ch.hold?.reason ?? null])).toEqual([
      ['can-patch-a', 'PAUSED', 1, 'CANARY'],
      ['can-patch-b', 'PENDING', null, null],
    ]);
    expect(a.restartOrder).toEqual(['w1']);
    expect(b.restartOrder).toEqual([]);
    expect(await promote(id)).toMatchObject({ __typename: 'CommandPayload' });
    const done = await finished(id);
    expect(done.state).toBe('SUCCEEDED');
    expect(done.history.map((h: any) => h.message)).toContain('canary promoted by ops-carol: 1 cluster');
    expect(b.restartOrder).toEqual(['w1', 'w2']);
    const child = await command(done.children[0].id);
    expect(child.history.map((h: any) => h.message)).toContain('canary promoted by ops-carol (with its patch)');
  });
});

describe('canary and promote in a PATCH, with pause and resume', () => {
  it('a paused and resumed PATCH leaves its clusters held for their canary; promoting the PATCH promotes both', async () => {
    const a = await cluster('can-pr-a', 2, 'CANR');
    const b = await cluster('can-pr-b', 2, 'CANR');
    const d = await gqlOk(oc.url, operator, `mutation($i: DeployPatchInput!) { deployPatch(input: $i) { ${RESULT} } }`, {
      i: { artifact: { name: 'app', version: '5.0.0', url: 'https://repo.example/app-5.0.0.war', sha256: 'e'.repeat(64) }, kinds: ['CANR'], maxParallelClusters: 2, strategy: { canary: 1 } },
    });
    const id = d.deployPatch.command.id;
    await waitFor(async () => (await command(id)).children.every((ch: any) => ch.hold?.reason === 'CANARY'), 'both clusters held for their canary');
    await gqlOk(oc.url, operator, `mutation($id: ID!) { pauseCommand(id: $id) { __typename } }`, { id });
    await held(id, 'OPERATOR');
    const resumed = (await gqlOk(oc.url, operator, `mutation($id: ID!) { resumeCommand(id: $id) { ${RESULT} } }`, { id })).resumeCommand;
    expect(resumed.__typename).toBe('CommandPayload');
    const parent = await held(id, 'CANARY');
    expect(parent.children.map((ch: any) => [ch.state, ch.hold?.reason])).toEqual([
      ['PAUSED', 'CANARY'],
      ['PAUSED', 'CANARY'],
    ]);
    expect([a.restartOrder, b.restartOrder]).toEqual([['w1'], ['w1']]);
    expect(await promote(id)).toMatchObject({ __typename: 'CommandPayload' });
    expect((await finished(id)).state).toBe('SUCCEEDED');
    expect([a.restartOrder, b.restartOrder]).toEqual([
      ['w1', 'w2'],
      ['w1', 'w2'],
    ]);
  });
});

describe('soak (minHealthyMs)', () => {
  it('fails a step whose worker crashes inside the window, and touches no further worker', async () => {
    const m = await cluster('soak-crash', 3);
    const id = await restart(m.clusterId, { minHealthyMs: 5_000 });
    // w1 soaks, then succeeds; w2 crashes while it soaks.
    const c = await waitFor(async () => {
      const x = await command(id);
      return x.history.some((h: any) => h.message === 'step w2 RUNNING again: must stay RUNNING 5000 ms (minHealthyMs)') ? x : null;
    }, 'w2 soaking', 20_000);
    expect(c.steps.map((s: any) => s.state)).toEqual(['SUCCEEDED', 'RUNNING', 'PENDING']);
    const w2 = m.workers.get('w2')!;
    w2.state = 'STOPPED';
    await m.report('STATE_CHANGED', w2);
    const done = await finished(id);
    expect(done.state).toBe('FAILED');
    expect(done.steps[1]).toMatchObject({ state: 'FAILED', message: 'crashed within minHealthyMs 5000 ms: worker reported STOPPED' });
    expect(m.restartOrder).toEqual(['w1', 'w2']);
  });
});

describe('progress deadline', () => {
  it('fails the command when no step has succeeded for progressDeadlineMs', async () => {
    const m = await cluster('progress', 3);
    m.behaviour.set('w1', 'stale'); // RUNNING again, never as a new process: no proof, no failure either
    const id = await restart(m.clusterId, { healthTimeoutMs: 600_000, progressDeadlineMs: 1_500 });
    const done = await finished(id);
    expect(done.state).toBe('FAILED');
    expect(done.message).toMatch(/^progress deadline exceeded: no step succeeded for 1500 ms/);
    expect(done.steps).toEqual([
      { memberId: 'w1', state: 'FAILED', message: 'stopped: progress deadline exceeded' },
      { memberId: 'w2', state: 'SKIPPED', message: 'not started: progress deadline exceeded' },
      { memberId: 'w3', state: 'SKIPPED', message: 'not started: progress deadline exceeded' },
    ]);
    expect(m.restartOrder).toEqual(['w1']);
  });
});
