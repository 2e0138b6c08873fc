/**
 * The OC and the simulator end to end: a real OC (port 0, fresh PGlite or DATABASE_URL's
 * PostgreSQL) and the `default` scenario's fleet (as-1: 4 AS workers, esb-1: 3 ESB workers) on
 * the `fast` profile with a fixed seed. Everything goes through the public API; what the workers
 * lived through is read from the fleet's own invariants, independently of what the OC says.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../../simulator/fleet.js';
import { loadScenario } from '../../simulator/scenario.js';
import { gqlOk, subscribeReady, wsClient } from '../support/client.js';
import { createToken, startTestOc, type TestOc } from '../support/oc.js';
import { settledFleet, waitFor } from '../support/wait.js';
import { commandFinished } from '../support/command-wait.js';

const SEED = 42;
const LEASE_MS = 1000;
const AS = 'as-1';
const ESB = 'esb-1';
const AS_MEMBERS = ['as-1-w01', 'as-1-w02', 'as-1-w03', 'as-1-w04'];

let oc: TestOc;
let fleet: Fleet;
let operator: string;
let viewer: string;
const clusterIds: Record<string, string> = {};

const TOPOLOGY = `query {
  clusters(first: 10) { totalCount edges { node {
    id name kind health workerCount
    manager { connected operations { name } }
    workers(first: 10) { edges { node { memberId state } } }
  } } }
}`;

const COMMAND = `query($id: ID!) { command(id: $id) {
  id kind state message
  steps { index memberId state message }
  tasks { id memberIds state }
  progress { total succeeded failed skipped }
} }`;

interface Step {
  index: number;
  memberId: string;
  state: string;
  message: string | null;
}
interface Command {
  id: string;
  kind: string;
  state: string;
  message: string | null;
  steps: Step[];
  tasks: { id: string; memberIds: string[]; state: string }[];
  progress: { total: number; succeeded: number; failed: number; skipped: number };
}

async function cluster(name: string) {
  const d = await gqlOk(oc.url, viewer, `query($n: String) { cluster(name: $n) { id health workerCount manager { connected } artifacts { name version workerCount } } }`, {
    n: name,
  });
  return d.cluster;
}

/** A command mutation's CommandPayload (anything else fails the test, saying what came back). */
async function command(mutation: string, input: Record<string, unknown>): Promise<string> {
  const d = await gqlOk(
    oc.url,
    operator,
    `mutation($i: ${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input!) { ${mutation}(input: $i) { __typename ... on CommandPayload { command { id } } ... on Error { code message } } }`,
    { i: input },
  );
  const r = d[mutation];
  if (r.__typename !== 'CommandPayload') throw new Error(`${mutation}: ${r.__typename} ${r.code}: ${r.message}`);
  return r.command.id;
}

async function finished(id: string, timeoutMs = 20_000): Promise<Command> {
  return commandFinished<Command>(oc.url, viewer, COMMAND, id, { timeoutMs, intervalMs: 50 });
}

async function runOperation(clusterId: string, operation: string, args?: unknown) {
  const d = await gqlOk(
    oc.url,
    operator,
    `mutation($i: RunManagerOperationInput!) { runManagerOperation(input: $i) {
      __typename
      ... on OperationPayload { result command { id state } }
      ... on OperationFailedError { result }
      ... on Error { code message }
    } }`,
    { i: { clusterId, operation, arguments: args } },
  );
  return d.runManagerOperation;
}

beforeAll(async () => {
  oc = await startTestOc({ managerLeaseMs: LEASE_MS });
  const enrollment = await createToken(oc.url, 'MANAGER', 'sim-enrollment');
  operator = (await createToken(oc.url, 'OPERATOR', 'sim-operator')).token;
  viewer = (await createToken(oc.url, 'VIEWER', 'sim-viewer')).token;
  fleet = startFleet({ url: oc.url, enrollmentToken: enrollment.token, scenario: await loadScenario('default'), profile: 'fast', seed: SEED });
  await fleet.ready({ timeoutMs: 20_000 });
  for (const name of [AS, ESB]) clusterIds[name] = (await cluster(name)).id;
});

afterAll(async () => {
  await fleet?.stop();
  await oc?.stop();
});

// Each test starts from a settled fleet: every worker RUNNING, every manager online, the OC agreeing.
beforeEach(async () => {
  await settledFleet(fleet);
  await waitFor(
    async () => (await gqlOk(oc.url, viewer, TOPOLOGY)).clusters.edges.every((e: any) => e.node.health === 'HEALTHY'),
    'every cluster HEALTHY',
  );
  fleet.resetInvariants();
});

describe('the OC with a simulated fleet (default scenario, fast profile)', () => {
  it('shows every cluster of the scenario registered, HEALTHY, with its workers and operations', async () => {
    const d = await gqlOk(oc.url, viewer, TOPOLOGY);
    const byName = Object.fromEntries(d.clusters.edges.map((e: any) => [e.node.name, e.node]));
    expect(d.clusters.totalCount).toBe(fleet.scenario.clusters.length);
    for (const plan of fleet.scenario.clusters) {
      const c = byName[plan.name];
      expect(c, plan.name).toBeDefined();
      expect(c).toMatchObject({ kind: plan.kind, health: 'HEALTHY', workerCount: plan.size, manager: { connected: true } });
      expect(c.workers.edges.map((e: any) => e.node.memberId)).toEqual([...fleet.manager(plan.name).workers.keys()].sort());
      expect(c.workers.edges.every((e: any) => e.node.state === 'RUNNING')).toBe(true);
    }
    expect(byName[ESB].manager.operations.map((o: any) => o.name)).toEqual(['listProxyServices', 'enableProxyService', 'disableProxyService']);
    expect(byName[AS].manager.operations.map((o: any) => o.name)).toEqual(['listWebApps', 'redeployWebApp']);
  });

  it('restarts each AS worker exactly once, one at a time, in memberId order (round-robin)', async () => {
    const id = await command('restartCluster', { clusterId: clusterIds[AS], strategy: { batchSize: 1, healthTimeoutMs: 10_000 } });
    const c = await finished(id);

    expect(c.state).toBe('SUCCEEDED');
    expect(c.steps.map((s) => s.memberId)).toEqual(AS_MEMBERS);
    expect(c.steps.every((s) => s.state === 'SUCCEEDED')).toBe(true);
    expect(c.tasks.map((t) => t.memberIds)).toEqual(AS_MEMBERS.map((m) => [m]));

    const inv = fleet.invariants();
    expect(inv.restarts).toEqual(Object.fromEntries(AS_MEMBERS.map((m) => [`${AS}/${m}`, 1])));
    expect(inv.maxDownDuringTasks[AS]).toBe(1);
    expect(inv.maxRestartsInFlight[AS]).toBe(1);
    expect(inv.tasks.map((t) => t.memberIds)).toEqual(AS_MEMBERS.map((m) => [m]));
    expect(inv.tasks.every((t) => t.state === 'SUCCEEDED' && t.commandId === id)).toBe(true);
    expect(inv.maxDownDuringTasks[ESB]).toBe(0);
  });

  it('fails a deploy when a worker fails to start (maxFailures 0): that step FAILED, the later ones SKIPPED, the version skew visible', async () => {
    const hit = fleet.inject({ type: 'fail-start', cluster: AS, member: 'as-1-w02' });
    expect(hit.member).toBe('as-1-w02');
    const artifact = { name: 'storefront.war', version: '2.0.0', url: 'https://artifacts.example/storefront-2.0.0.war', sha256: 'a'.repeat(64) };
    const id = await command('deployArtifact', { clusterId: clusterIds[AS], artifact, strategy: { batchSize: 1, maxFailures: 0, onFailure: 'ABORT', healthTimeoutMs: 5_000 } });
    const c = await finished(id);

    expect(c.state).toBe('FAILED');
    expect(c.steps.map((s) => [s.memberId, s.state])).toEqual([
      ['as-1-w01', 'SUCCEEDED'],
      ['as-1-w02', 'FAILED'],
      ['as-1-w03', 'SKIPPED'],
      ['as-1-w04', 'SKIPPED'],
    ]);
    expect(c.progress).toMatchObject({ total: 4, succeeded: 1, failed: 1, skipped: 2 });
    // No worker past the failure was touched.
    expect(fleet.invariants().restarts).toEqual({ 'as-1/as-1-w01': 1, 'as-1/as-1-w02': 1 });
    expect(fleet.worker(AS, 'as-1-w02').state).toBe('FAILED');

    // The failed worker got the new version installed before its start failed; the two skipped ones still run 1.0.0.
    const skew = await waitFor(async () => {
      const cl = await cluster(AS);
      return cl.health === 'DEGRADED' && cl.artifacts.length === 2 ? cl : null;
    }, 'as-1 DEGRADED with two versions');
    expect(skew.artifacts).toEqual(
      expect.arrayContaining([
        { name: 'storefront.war', version: '2.0.0', workerCount: 2 },
        { name: 'storefront.war', version: '1.0.0', workerCount: 2 },
      ]),
    );

    // An engineer brings the failed worker back by hand, for the tests that follow.
    await fleet.worker(AS, 'as-1-w02').restart();
  });

  it('relays ESB operations end to end: list the proxy services, disable one, and fail on an unknown one', async () => {
    const list = await runOperation(clusterIds[ESB]!, 'listProxyServices');
    expect(list.__typename).toBe('OperationPayload');
    expect(list.command.state).toBe('SUCCEEDED');
    const proxies = list.result.proxyServices as { name: string; enabled: boolean }[];
    expect(proxies.length).toBeGreaterThan(0);
    const target = proxies.find((p) => p.enabled)!;

    const disabled = await runOperation(clusterIds[ESB]!, 'disableProxyService', { name: target.name });
    expect(disabled.__typename).toBe('OperationPayload');
    expect(disabled.result).toMatchObject({ name: target.name, enabled: false, previouslyEnabled: true, changed: true });
    const again = await runOperation(clusterIds[ESB]!, 'listProxyServices');
    expect(again.result.proxyServices.find((p: any) => p.name === target.name).enabled).toBe(false);

    const unknown = await runOperation(clusterIds[ESB]!, 'disableProxyService', { name: 'NoSuchProxy' });
    expect(unknown.__typename).toBe('OperationFailedError');
    expect(unknown.message).toContain('no proxy service named "NoSuchProxy"');

    // The manager saw each as one RUN_OPERATION task, and no worker was touched.
    const tasks = fleet.invariants().tasks;
    expect(tasks.map((t) => [t.cluster, t.action, t.operation, t.state])).toEqual([
      [ESB, 'RUN_OPERATION', 'listProxyServices', 'SUCCEEDED'],
      [ESB, 'RUN_OPERATION', 'disableProxyService', 'SUCCEEDED'],
      [ESB, 'RUN_OPERATION', 'listProxyServices', 'SUCCEEDED'],
      [ESB, 'RUN_OPERATION', 'disableProxyService', 'FAILED'],
    ]);
    expect(fleet.invariants().restarts).toEqual({});
  });

  it('finishes a rollout whose manager crashed mid-way and came back, restarting no worker twice', async () => {
    // w02 boots slowly, so the crash surely lands while its restart is in hand.
    fleet.inject({ type: 'slow-boot', cluster: AS, member: 'as-1-w02', durationMs: 1_500 });
    const registrationsBefore = fleet.manager(AS).registrations;
    const id = await command('restartCluster', { clusterId: clusterIds[AS], strategy: { batchSize: 1, healthTimeoutMs: 15_000 } });
    await fleet.waitFor((f) => f.invariants().tasks.some((t) => t.memberIds[0] === 'as-1-w02' && t.state === 'RUNNING'), {
      what: "as-1's manager to be restarting as-1-w02",
    });
    fleet.inject({ type: 'manager-crash', cluster: AS, durationMs: 300 });
    expect(fleet.manager(AS).status).toBe('crashed');

    const c = await finished(id);
    expect(c.state).toBe('SUCCEEDED');
    expect(c.steps.every((s) => s.state === 'SUCCEEDED')).toBe(true);

    const inv = fleet.invariants();
    expect(inv.registrations[AS]).toBe(registrationsBefore + 1);
    expect(inv.restarts).toEqual(Object.fromEntries(AS_MEMBERS.map((m) => [`${AS}/${m}`, 1])));
    expect(inv.maxDownDuringTasks[AS]).toBe(1);
    // The task in hand at the crash came again to the new session, and was not run again.
    const w02Task = inv.tasks.find((t) => t.memberIds[0] === 'as-1-w02')!;
    expect(inv.redeliveries[w02Task.id]).toBeGreaterThanOrEqual(1);
    expect(inv.tasks).toHaveLength(4);
  });

  it('turns a cluster whose manager is cut off past its lease UNREACHABLE, then HEALTHY when it is back', async () => {
    const client = wsClient(oc.url, viewer);
    const sub = await subscribeReady<{ topologyChanged: { change: string; cluster: { name: string; health: string } } }>(
      oc.url,
      client,
      'subscription { topologyChanged { change at cluster { name health } } }',
    );
    try {
      const registrationsBefore = fleet.manager(ESB).registrations;
      fleet.inject({ type: 'manager-cutoff', cluster: ESB, durationMs: LEASE_MS * 4 });

      const gone = await sub.waitFor((e) => e.topologyChanged.cluster.name === ESB && e.topologyChanged.change === 'MANAGER_DISCONNECTED', LEASE_MS * 4);
      expect(gone.topologyChanged.cluster.health).toBe('UNREACHABLE');
      expect((await cluster(ESB)).health).toBe('UNREACHABLE');
      expect((await cluster(AS)).health).toBe('HEALTHY');

      const back = await sub.waitFor((e) => e.topologyChanged.cluster.name === ESB && e.topologyChanged.change === 'MANAGER_CONNECTED', LEASE_MS * 10);
      expect(back.topologyChanged.cluster.health).toBe('HEALTHY');
      await waitFor(async () => (await cluster(ESB)).health === 'HEALTHY', 'esb-1 HEALTHY again');
      // The OC announces the registration at its commit, maybe before the manager has its answer.
      await waitFor(() => fleet.manager(ESB).registrations > registrationsBefore, 'esb-1 to have its registration answered');
      expect(fleet.manager(ESB).registrations).toBe(registrationsBefore + 1);
      expect(sub.events.filter((e) => e.topologyChanged.cluster.name === AS)).toEqual([]);
    } finally {
      sub.close();
      await client.dispose();
    }
  });
});
