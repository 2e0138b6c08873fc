import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlOk, subscribeReady, wsClient } from '../support/client.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { ScriptedManager, type ScriptedManagerOptions } from '../support/scripted-manager.js';
import { waitFor } from '../support/wait.js';
import { commandFinished } from '../support/command-wait.js';

let oc: TestOc;
let enroll: string;
let operator: string;
const managers: ScriptedManager[] = [];

const COMMAND = `query($id: ID!) { command(id: $id) { id kind state message requestedBy progress { total pending running succeeded failed skipped }
  steps { index memberId state message } tasks { id action memberIds state } history { state message } children { id state cluster { name } } } }`;

async function cluster(name: string, size: number, kind = 'AS', options: ScriptedManagerOptions = {}) {
  const m = new ScriptedManager(oc.url, enroll, name, kind, Array.from({ length: size }, (_, i) => `w${i + 1}`), options);
  managers.push(m);
  await m.register();
  m.connect();
  return m;
}

async function command(id: string) {
  return (await gqlOk(oc.url, ADMIN_TOKEN, COMMAND, { id })).command;
}

async function finished(id: string, timeoutMs = 20_000) {
  return commandFinished(oc.url, ADMIN_TOKEN, COMMAND, id, { timeoutMs });
}

async function restart(clusterId: string, strategy: Record<string, unknown> = {}) {
  const d = await gqlOk(
    oc.url,
    operator,
    `mutation($i: RestartClusterInput!) { restartCluster(input: $i) { __typename ... on CommandPayload { command { id state } } ... on Error { code message } ... on ValidationError { field } ... on ConflictError { conflictingId } } }`,
    { i: { clusterId, strategy } },
  );
  return d.restartCluster;
}

async function deploy(clusterId: string, version: string, strategy: Record<string, unknown> = {}) {
  const d = await gqlOk(
    oc.url,
    operator,
    `mutation($i: DeployArtifactInput!) { deployArtifact(input: $i) { __typename ... on CommandPayload { command { id state } } ... on Error { code message } ... on ValidationError { field } } }`,
    { i: { clusterId, artifact: { name: 'app', version, url: `https://repo.example/app-${version}.war`, sha256: 'a'.repeat(64) }, strategy } },
  );
  return d.deployArtifact;
}

beforeAll(async () => {
  oc = await startTestOc({ managerLeaseMs: 600 });
  enroll = (await createToken(oc.url, 'MANAGER')).token;
  operator = (await createToken(oc.url, 'OPERATOR', 'ops-alice')).token;
});

afterAll(async () => {
  for (const m of managers) await m.stop();
  await oc?.stop();
});

describe('rolling restart', () => {
  it('restarts 5 workers one at a time in memberId order when batchSize is 1', async () => {
    const m = await cluster('rr-5', 5);
    const ws = wsClient(oc.url, ADMIN_TOKEN);
    const updates = await subscribeReady(oc.url, ws, `subscription($c: ID) { commandUpdated(clusterId: $c) { id state progress { succeeded } } }`, { c: m.clusterId });
    const r = await restart(m.clusterId);
    expect(r.__typename).toBe('CommandPayload');
    const c = await finished(r.command.id);
    expect(c.state).toBe('SUCCEEDED');
    expect(c.requestedBy).toBe('ops-alice');
    expect(m.restartOrder).toEqual(['w1', 'w2', 'w3', 'w4', 'w5']);
    expect(m.maxDown).toBe(1);
    expect([...m.restarts.values()].every((n) => n === 1)).toBe(true);
    expect(c.steps.map((s: any) => s.state)).toEqual(Array(5).fill('SUCCEEDED'));
    expect(c.tasks).toHaveLength(5);
    expect(c.progress).toMatchObject({ total: 5, succeeded: 5, failed: 0 });
    await updates.waitFor((e: any) => e.commandUpdated.state === 'SUCCEEDED');
    updates.close();
    await ws.dispose();
  });

  it('never has more than batchSize workers down at once with batchSize 2', async () => {
    const m = await cluster('rr-b2', 5);
    const r = await restart(m.clusterId, { batchSize: 2 });
    const c = await finished(r.command.id);
    expect(c.state).toBe('SUCCEEDED');
    expect(m.maxDown).toBe(2);
    expect(c.tasks.map((t: any) => t.memberIds)).toEqual([['w1', 'w2'], ['w3', 'w4'], ['w5']]);
  });

  it("hands each batch's task with its command as the batch's decision wrote it, the same as a read of it then", async () => {
    const m = await cluster('as-carry', 2);
    m.restartMs = 1500; // nothing moves the command between a task's delivery and the read below
    const ws = wsClient(oc.url, m.session);
    const SELECTION = 'id kind state message createdAt startedAt finishedAt pauseRequested cancelRequested requestedBy hold { reason } strategy { batchSize healthTimeoutMs }';
    try {
      const tasks = await subscribeReady<{ managerTasks: { id: string; command: Record<string, unknown> } }>(oc.url, ws, `subscription { managerTasks { id command { ${SELECTION} } } }`);
      const r = await restart(m.clusterId, { batchSize: 1 });
      for (let batch = 1; batch <= 2; batch++) {
        const carried = (await tasks.next(20_000)).managerTasks.command;
        const read = (await gqlOk(oc.url, ADMIN_TOKEN, `query($id: ID!) { command(id: $id) { ${SELECTION} } }`, { id: r.command.id })).command;
        expect(carried).toEqual(read);
        expect(carried).toMatchObject({ id: r.command.id, kind: 'RESTART', state: 'RUNNING', strategy: { batchSize: 1 } });
      }
      expect((await finished(r.command.id)).state).toBe('SUCCEEDED');
    } finally {
      await ws.dispose();
    }
  });

  it('refuses a second rollout of the same cluster while one is active', async () => {
    const m = await cluster('rr-conflict', 2);
    m.restartMs = 300;
    const r1 = await restart(m.clusterId);
    const r2 = await restart(m.clusterId);
    expect(r2).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
    // What is in the way, as a global id a client can look up (node, command).
    expect(r2.conflictingId).toBe(r1.command.id);
    expect((await command(r2.conflictingId)).id).toBe(r1.command.id);
    await finished(r1.command.id);
  });

  it('rejects an invalid strategy naming the field, and creates nothing', async () => {
    const m = await cluster('rr-invalid', 2);
    const r = await restart(m.clusterId, { batchSize: 0 });
    expect(r).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: 'input.strategy.batchSize' });
    const big = await restart(m.clusterId, { batchSize: 3 });
    expect(big.__typename).toBe('ValidationError');
    const list = await gqlOk(oc.url, ADMIN_TOKEN, `query($c: ID!) { commands(clusterId: $c) { totalCount } }`, { c: m.clusterId });
    expect(list.commands.totalCount).toBe(0);
  });

  it('does not count a worker RUNNING again without a new startedAt: it times out and fails', async () => {
    const m = await cluster('rr-stale', 3);
    m.behaviour.set('w2', 'stale');
    const r = await restart(m.clusterId, { healthTimeoutMs: 1500 });
    const c = await finished(r.command.id);
    expect(c.state).toBe('FAILED');
    expect(c.steps.map((s: any) => s.state)).toEqual(['SUCCEEDED', 'FAILED', 'SKIPPED']);
    expect(c.steps[1].message).toMatch(/not RUNNING within 1500 ms/);
    expect(m.restarts.get('w3')).toBeUndefined();
  });
});

describe('clock skew between a manager and the OC', () => {
  const TEN_MINUTES = 600_000;

  it('a manager 10 minutes fast: one worker down at a time, each counted only once it restarted', async () => {
    // Its workers started a minute ago by its clock: 9 minutes ahead of the OC's.
    const m = await cluster('skew-fast', 4, 'AS', { clockSkewMs: TEN_MINUTES, startedAgoMs: 60_000 });
    m.restartMs = 150;
    const r = await restart(m.clusterId, { healthTimeoutMs: 10_000 });
    const c = await finished(r.command.id);
    expect(c.state).toBe('SUCCEEDED');
    expect(m.maxDown).toBe(1);
    expect(m.restartOrder).toEqual(['w1', 'w2', 'w3', 'w4']);
    expect([...m.restarts.values()]).toEqual([1, 1, 1, 1]);
  });

  it('a manager 10 minutes fast: a worker RUNNING again with its old startedAt times out', async () => {
    const m = await cluster('skew-fast-stale', 3, 'AS', { clockSkewMs: TEN_MINUTES, startedAgoMs: 60_000 });
    m.behaviour.set('w2', 'stale');
    const r = await restart(m.clusterId, { healthTimeoutMs: 1500 });
    const c = await finished(r.command.id);
    expect(c.state).toBe('FAILED');
    expect(c.steps.map((s: any) => s.state)).toEqual(['SUCCEEDED', 'FAILED', 'SKIPPED']);
    expect(c.steps[1].message).toMatch(/not RUNNING within 1500 ms/);
  });

  it('a manager 10 minutes slow: every real restart counts', async () => {
    const m = await cluster('skew-slow', 4, 'AS', { clockSkewMs: -TEN_MINUTES });
    const r = await restart(m.clusterId, { batchSize: 2, healthTimeoutMs: 10_000 });
    const c = await finished(r.command.id);
    expect(c.state, JSON.stringify(c.steps)).toBe('SUCCEEDED');
    expect(c.steps.map((s: any) => s.state)).toEqual(Array(4).fill('SUCCEEDED'));
    expect(m.maxDown).toBe(2);
  });

  it('a DEPLOY under either skew succeeds once each worker restarted on the new version', async () => {
    for (const [name, clockSkewMs] of [
      ['skew-dep-fast', TEN_MINUTES],
      ['skew-dep-slow', -TEN_MINUTES],
    ] as const) {
      const m = await cluster(name, 3, 'AS', { clockSkewMs, startedAgoMs: 60_000 });
      m.restartMs = 100;
      const r = await deploy(m.clusterId, '2.0.0', { healthTimeoutMs: 10_000 });
      const c = await finished(r.command.id);
      expect(c.state, `${name}: ${JSON.stringify(c.steps)}`).toBe('SUCCEEDED');
      expect(m.maxDown, name).toBe(1);
      const cl = await gqlOk(oc.url, ADMIN_TOKEN, `query($id: ID!) { cluster(id: $id) { artifacts { name version workerCount } } }`, { id: m.clusterId });
      expect(cl.cluster.artifacts).toEqual([{ name: 'app', version: '2.0.0', workerCount: 3 }]);
    }
  });

  it("records a state change at the OC's time of receipt, whatever the manager's clock says", async () => {
    const m = await cluster('skew-state-time', 1, 'AS', { clockSkewMs: TEN_MINUTES });
    const before = Date.now();
    const w = m.workers.get('w1')!;
    w.state = 'FAILED';
    await m.report('STATE_CHANGED', w);
    const after = Date.now();
    const d = await gqlOk(oc.url, ADMIN_TOKEN, `query($id: ID!) { cluster(id: $id) { workers(first: 1) { edges { node { state stateChangedAt } } } } }`, { id: m.clusterId });
    const node = d.cluster.workers.edges[0].node;
    expect(node.state).toBe('FAILED');
    expect(Date.parse(node.stateChangedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(node.stateChangedAt)).toBeLessThanOrEqual(after);
  });

  it('a manager that reports no startedAt: a restart is proven by the OC seeing the worker leave RUNNING and come back', async () => {
    const m = await cluster('no-started-at', 3, 'AS', { reportsStartedAt: false });
    m.restartMs = 100;
    const r = await restart(m.clusterId, { healthTimeoutMs: 10_000 });
    const c = await finished(r.command.id);
    expect(c.state, JSON.stringify(c.steps)).toBe('SUCCEEDED');
    expect(m.maxDown).toBe(1);
    expect(m.restartOrder).toEqual(['w1', 'w2', 'w3']);
  });
});

describe('deploy', () => {
  it('fails per maxFailures when a worker never comes back, and shows the version skew', async () => {
    const m = await cluster('dep-fail', 4);
    m.behaviour.set('w2', 'never');
    const r = await deploy(m.clusterId, '2.0.0', { healthTimeoutMs: 1500, maxFailures: 0 });
    const c = await finished(r.command.id);
    expect(c.state).toBe('FAILED');
    expect(c.steps.map((s: any) => s.state)).toEqual(['SUCCEEDED', 'FAILED', 'SKIPPED', 'SKIPPED']);
    const cl = await gqlOk(oc.url, ADMIN_TOKEN, `query($id: ID!) { cluster(id: $id) { artifacts { name version workerCount } } }`, { id: m.clusterId });
    expect(cl.cluster.artifacts).toEqual([
      { name: 'app', version: '1.0.0', workerCount: 3 },
      { name: 'app', version: '2.0.0', workerCount: 1 },
    ]);
  });

  it('goes on past a failure within maxFailures and succeeds', async () => {
    const m = await cluster('dep-tolerate', 3);
    m.behaviour.set('w1', 'fail');
    const r = await deploy(m.clusterId, '2.0.0', { healthTimeoutMs: 2000, maxFailures: 1 });
    const c = await finished(r.command.id);
    expect(c.state).toBe('SUCCEEDED');
    expect(c.steps.map((s: any) => s.state)).toEqual(['FAILED', 'SUCCEEDED', 'SUCCEEDED']);
  });

  it('holds as PAUSED with onFailure PAUSE, and resume accepts the failure', async () => {
    const m = await cluster('dep-pause', 3);
    m.behaviour.set('w1', 'fail');
    const r = await deploy(m.clusterId, '3.0.0', { onFailure: 'PAUSE' });
    await waitFor(async () => (await command(r.command.id)).state === 'PAUSED', 'failure pause');
    expect(m.restarts.get('w2')).toBeUndefined();
    const res = await gqlOk(oc.url, operator, `mutation($id: ID!) { resumeCommand(id: $id) { __typename } }`, { id: r.command.id });
    expect(res.resumeCommand.__typename).toBe('CommandPayload');
    const c = await finished(r.command.id);
    expect(c.state).toBe('SUCCEEDED');
    expect(c.history.map((h: any) => h.message)).toContain('resumed by ops-alice');
  });

  it('rejects an artifact with a bad sha256', async () => {
    const m = await cluster('dep-bad', 1);
    const d = await gqlOk(oc.url, operator, `mutation($i: DeployArtifactInput!) { deployArtifact(input: $i) { __typename ... on ValidationError { field } } }`, {
      i: { clusterId: m.clusterId, artifact: { name: 'app', version: '2.0.0', url: 'https://x/y', sha256: 'nothex' } },
    });
    expect(d.deployArtifact).toEqual({ __typename: 'ValidationError', field: 'input.artifact.sha256' });
  });
});

describe('pause, resume, cancel', () => {
  it('pause lets the batch in flight finish, then holds; resume continues; cancel skips the rest', async () => {
    const m = await cluster('prc', 4);
    m.restartMs = 200;
    const r = await restart(m.clusterId);
    await waitFor(() => m.restartOrder.length === 1, 'first restart');
    await gqlOk(oc.url, operator, `mutation($id: ID!) { pauseCommand(id: $id) { __typename } }`, { id: r.command.id });
    const paused = await waitFor(async () => {
      const c = await command(r.command.id);
      return c.state === 'PAUSED' ? c : null;
    }, 'PAUSED');
    expect(paused.steps[0].state).toBe('SUCCEEDED');
    expect(m.restartOrder).toEqual(['w1']);
    await gqlOk(oc.url, operator, `mutation($id: ID!) { resumeCommand(id: $id) { __typename } }`, { id: r.command.id });
    await waitFor(() => m.restartOrder.length === 2, 'second restart after resume');
    await gqlOk(oc.url, operator, `mutation($id: ID!) { cancelCommand(id: $id) { __typename } }`, { id: r.command.id });
    const c = await finished(r.command.id);
    expect(c.state).toBe('CANCELLED');
    expect(c.steps.map((s: any) => s.state)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SKIPPED', 'SKIPPED']);
    const again = await gqlOk(oc.url, operator, `mutation($id: ID!) { cancelCommand(id: $id) { __typename ... on Error { code } } }`, { id: r.command.id });
    expect(again.cancelCommand).toEqual({ __typename: 'ConflictError', code: 'CONFLICT' });
  });

  it('a viewer may not pause (FORBIDDEN) and nothing changes', async () => {
    const viewer = (await createToken(oc.url, 'VIEWER')).token;
    const m = await cluster('prc-viewer', 2);
    m.restartMs = 150;
    const r = await restart(m.clusterId);
    const res = await fetch(`${oc.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${viewer}` },
      body: JSON.stringify({ query: `mutation($id: ID!) { pauseCommand(id: $id) { __typename } }`, variables: { id: r.command.id } }),
    }).then((x) => x.json() as any);
    expect(res.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await finished(r.command.id)).state).toBe('SUCCEEDED');
  });
});

describe('patch', () => {
  it('stops after the first failed cluster with maxParallelClusters 1', async () => {
    const a = await cluster('patch-a', 2, 'ESB');
    const b = await cluster('patch-b', 2, 'ESB');
    const c = await cluster('patch-c', 2, 'ESB');
    b.behaviour.set('w1', 'fail');
    const d = await gqlOk(oc.url, operator, `mutation($i: DeployPatchInput!) { deployPatch(input: $i) { __typename ... on CommandPayload { command { id kind children { id } } } ... on Error { message } } }`, {
      i: { artifact: { name: 'esb-core', version: '7.1.2', url: 'https://repo.example/esb-core-7.1.2.zip', sha256: 'b'.repeat(64) }, kinds: ['ESB'], maxParallelClusters: 1, strategy: { healthTimeoutMs: 2000 } },
    });
    expect(d.deployPatch.__typename).toBe('CommandPayload');
    expect(d.deployPatch.command.children).toHaveLength(3);
    const p = await finished(d.deployPatch.command.id);
    expect(p.state).toBe('FAILED');
    const byName = Object.fromEntries(p.children.map((ch: any) => [ch.cluster.name, ch.state]));
    expect(byName).toEqual({ 'patch-a': 'SUCCEEDED', 'patch-b': 'FAILED', 'patch-c': 'CANCELLED' });
    expect(c.restartOrder).toEqual([]);
    expect(a.restartOrder).toEqual(['w1', 'w2']);
  });
});

describe('patch conflicts', () => {
  it('refuses a patch while one of its clusters is rolling, naming it, and creates nothing', async () => {
    const busy = await cluster('pc-busy', 2, 'GW');
    await cluster('pc-idle', 2, 'GW');
    busy.restartMs = 400;
    const r = await restart(busy.clusterId);
    const before = (await gqlOk(oc.url, ADMIN_TOKEN, `{ commands(kind: PATCH) { totalCount } }`)).commands.totalCount;
    const d = await gqlOk(oc.url, operator, `mutation($i: DeployPatchInput!) { deployPatch(input: $i) { __typename ... on Error { code message } } }`, {
      i: { artifact: { name: 'gw', version: '1.2.3', url: 'https://repo.example/gw.zip', sha256: 'c'.repeat(64) }, kinds: ['GW'] },
    });
    expect(d.deployPatch).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
    expect(d.deployPatch.message).toContain('pc-busy');
    expect(d.deployPatch.message).not.toContain('pc-idle');
    expect((await gqlOk(oc.url, ADMIN_TOKEN, `{ commands(kind: PATCH) { totalCount } }`)).commands.totalCount).toBe(before);
    await finished(r.command.id);
  });
});

describe('cluster operations', () => {
  it('relays an operation to the manager and returns its answer; errors are typed', async () => {
    const m = new ScriptedManager(oc.url, enroll, 'esb-ops', 'ESB', ['w1']);
    managers.push(m);
    m.operations = {
      listProxyServices: () => [{ name: 'OrderProxy', enabled: true }],
      disableProxyService: (args: any) => {
        throw new Error(`no proxy service ${args?.name}`);
      },
      slow: () => new Promise((r) => setTimeout(r, 5000)),
    };
    await m.register();
    m.connect();
    const run = async (operation: string, args: unknown = null, timeoutMs?: number) =>
      (
        await gqlOk(
          oc.url,
          operator,
          `mutation($i: RunManagerOperationInput!) { runManagerOperation(input: $i) { __typename ... on OperationPayload { result command { state kind operation } } ... on Error { code message } } }`,
          { i: { clusterId: m.clusterId, operation, arguments: args, timeoutMs } },
        )
      ).runManagerOperation;
    const ok = await run('listProxyServices');
    expect(ok).toEqual({ __typename: 'OperationPayload', result: [{ name: 'OrderProxy', enabled: true }], command: { state: 'SUCCEEDED', kind: 'OPERATION', operation: 'listProxyServices' } });
    expect(await run('dropDatabase')).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION' });
    expect(await run('disableProxyService', { name: 'Nope' })).toMatchObject({ __typename: 'OperationFailedError', message: 'no proxy service Nope' });
    expect(await run('slow', null, 300)).toMatchObject({ __typename: 'TimeoutError', code: 'TIMEOUT' });
  });
});

describe('manager outage', () => {
  it('holds while the manager is unreachable, then finishes after it registers again, restarting no worker twice', async () => {
    const m = await cluster('outage', 4);
    m.restartMs = 100;
    const r = await restart(m.clusterId, { healthTimeoutMs: 3000 });
    await waitFor(() => m.restartOrder.length >= 1, 'first restart');
    await m.crash();
    const waiting = await waitFor(async () => {
      const c = await command(r.command.id);
      return c.message === 'waiting: manager unreachable' ? c : null;
    }, 'the rollout to wait for the manager', 10_000);
    expect(waiting.state).toBe('RUNNING');
    expect(waiting.steps.filter((s: any) => s.state === 'FAILED')).toHaveLength(0);
    // The manager comes back: a new session, the same workers.
    const done = new Set(m.restartOrder);
    await m.register();
    m.connect();
    const c = await finished(r.command.id);
    expect(c.state).toBe('SUCCEEDED');
    for (const [member, n] of m.restarts) expect(n, member).toBe(1);
    expect(done.size).toBeGreaterThan(0);
  });
});

describe('Command.hold', () => {
  const HOLD = `query($id: ID!) { command(id: $id) { state message hold { reason since by message } } }`;
  const holdOf = async (id: string) => (await gqlOk(oc.url, ADMIN_TOKEN, HOLD, { id })).command;

  it('says why a command waits: OPERATOR naming who paused it, FAILURE_BUDGET, MANAGER_UNREACHABLE, and nothing once it goes on', async () => {
    const m = await cluster('hold-op', 3);
    m.restartMs = 200;
    const r = await restart(m.clusterId);
    await waitFor(() => m.restartOrder.length === 1, 'first restart');
    expect((await holdOf(r.command.id)).hold).toBeNull();
    await gqlOk(oc.url, operator, `mutation($id: ID!) { pauseCommand(id: $id) { __typename } }`, { id: r.command.id });
    const paused = await waitFor(async () => {
      const c = await holdOf(r.command.id);
      return c.state === 'PAUSED' ? c : null;
    }, 'PAUSED');
    expect(paused.hold).toMatchObject({ reason: 'OPERATOR', by: 'ops-alice', message: 'paused' });
    expect(Number.isNaN(Date.parse(paused.hold.since))).toBe(false);
    await gqlOk(oc.url, operator, `mutation($id: ID!) { resumeCommand(id: $id) { __typename } }`, { id: r.command.id });
    expect((await holdOf(r.command.id)).hold).toBeNull();
    expect((await finished(r.command.id)).state).toBe('SUCCEEDED');

    const f = await cluster('hold-budget', 3);
    f.behaviour.set('w1', 'fail');
    const d = await deploy(f.clusterId, '3.0.0', { onFailure: 'PAUSE' });
    const failed = await waitFor(async () => {
      const c = await holdOf(d.command.id);
      return c.state === 'PAUSED' ? c : null;
    }, 'failure pause');
    expect(failed.hold).toMatchObject({ reason: 'FAILURE_BUDGET', by: null, message: failed.message });

    const u = await cluster('hold-outage', 2);
    u.behaviour.set('w1', 'never');
    const o = await restart(u.clusterId, { healthTimeoutMs: 60_000 });
    await waitFor(() => u.restartOrder.length >= 1, 'first restart');
    await u.crash();
    const waiting = await waitFor(async () => {
      const c = await holdOf(o.command.id);
      return c.hold ? c : null;
    }, 'the rollout to hold for its manager', 10_000);
    expect(waiting).toMatchObject({ state: 'RUNNING', hold: { reason: 'MANAGER_UNREACHABLE', by: null, message: 'waiting: manager unreachable' } });
    await gqlOk(oc.url, operator, `mutation($id: ID!) { cancelCommand(id: $id) { __typename } }`, { id: o.command.id });
    expect(await finished(o.command.id)).toMatchObject({ state: 'CANCELLED' });
    expect((await holdOf(o.command.id)).hold).toBeNull();
  });
});
