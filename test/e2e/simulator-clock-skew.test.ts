/**
 * The OC's health gate against managers whose clocks are off: a real OC and a simulated fleet
 * of two clusters, one whose manager's clock runs 10 minutes fast and one 10 minutes slow (every
 * time they report is shifted), on the `fast` profile with workers that came up a minute or two
 * ago. On the fast one every worker's startedAt is minutes ahead of the OC's clock before any
 * restart; on the slow one every real restart's startedAt is minutes behind it. What the workers
 * lived through is read from the fleet's own invariants, independently of what the OC says.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../../simulator/fleet.js';
import { gqlOk } from '../support/client.js';
import { createToken, startTestOc, type TestOc } from '../support/oc.js';
import { settledFleet } from '../support/wait.js';
import { commandFinished } from '../support/command-wait.js';

const TEN_MINUTES = 600_000;
const FAST = 'skew-fast';
const SLOW = 'skew-slow';
const MEMBERS = (cluster: string) => [1, 2, 3, 4].map((i) => `${cluster}-w0${i}`);

let oc: TestOc;
let fleet: Fleet;
let operator: string;
let viewer: string;
const clusterIds: Record<string, string> = {};

const COMMAND = `query($id: ID!) { command(id: $id) { id state message steps { memberId state message } tasks { memberIds } } }`;

async function command(mutation: 'restartCluster' | 'deployArtifact', input: Record<string, unknown>): Promise<string> {
  const input_ = mutation === 'restartCluster' ? 'RestartClusterInput' : 'DeployArtifactInput';
  const d = await gqlOk(oc.url, operator, `mutation($i: ${input_}!) { ${mutation}(input: $i) { __typename ... on CommandPayload { command { id } } ... on Error { code message } } }`, {
    i: input,
  });
  const r = d[mutation];
  if (r.__typename !== 'CommandPayload') throw new Error(`${mutation}: ${r.__typename} ${r.code}: ${r.message}`);
  return r.command.id;
}

async function finished(id: string) {
  return commandFinished(oc.url, viewer, COMMAND, id, { timeoutMs: 30_000, intervalMs: 50 });
}

beforeAll(async () => {
  oc = await startTestOc({ managerLeaseMs: 1000 });
  const enrollment = await createToken(oc.url, 'MANAGER', 'sim-enrollment');
  operator = (await createToken(oc.url, 'OPERATOR', 'sim-operator')).token;
  viewer = (await createToken(oc.url, 'VIEWER', 'sim-viewer')).token;
  fleet = startFleet({
    url: oc.url,
    enrollmentToken: enrollment.token,
    scenario: {
      name: 'clock-skew',
      clusters: [
        { name: FAST, kind: 'AS', size: 4, clockSkewMs: TEN_MINUTES },
        { name: SLOW, kind: 'ESB', size: 4, clockSkewMs: -TEN_MINUTES },
      ],
    },
    profile: 'fast',
    // Workers that came up a minute or two ago: on the fast manager, their startedAt is 8 to 9
    // minutes ahead of the OC's clock before anything restarts.
    profileOverrides: { initialUptimeMs: { min: 60_000, max: 120_000 } },
    seed: 9,
  });
  await fleet.ready({ timeoutMs: 20_000 });
  for (const name of [FAST, SLOW]) {
    clusterIds[name] = (await gqlOk(oc.url, viewer, `query($n: String) { cluster(name: $n) { id } }`, { n: name })).cluster.id;
  }
});

afterAll(async () => {
  await fleet?.stop();
  await oc?.stop();
});

beforeEach(async () => {
  await settledFleet(fleet);
  fleet.resetInvariants();
});

describe('the health gate with managers 10 minutes fast and 10 minutes slow', () => {
  it('reports times that far off the OC: the fast manager says its workers started in the OC future', async () => {
    const d = await gqlOk(oc.url, viewer, `query($n: String) { cluster(name: $n) { workers(first: 10) { edges { node { startedAt } } } } }`, { n: FAST });
    for (const e of d.cluster.workers.edges) expect(Date.parse(e.node.startedAt)).toBeGreaterThan(Date.now() + 5 * 60_000);
  });

  it('a rolling restart succeeds on both, never more than batchSize workers down, each worker restarted once', async () => {
    const ids = await Promise.all([FAST, SLOW].map((c) => command('restartCluster', { clusterId: clusterIds[c], strategy: { batchSize: 1, healthTimeoutMs: 10_000 } })));
    const done = await Promise.all(ids.map(finished));
    const inv = fleet.invariants();
    for (const [i, cluster] of [FAST, SLOW].entries()) {
      const c = done[i];
      expect(c.state, `${cluster}: ${c.message}`).toBe('SUCCEEDED');
      expect(c.steps.map((s: any) => s.state)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
      expect(c.tasks.map((t: any) => t.memberIds)).toEqual(MEMBERS(cluster).map((m) => [m]));
      expect(inv.maxDownDuringTasks[cluster], cluster).toBe(1);
      for (const m of MEMBERS(cluster)) expect(inv.restarts[`${cluster}/${m}`], m).toBe(1);
    }
  });

  it('a deploy with batchSize 2 succeeds on both, never more than 2 workers down, every worker on the new version', async () => {
    const ids = await Promise.all(
      [FAST, SLOW].map((c) =>
        command('deployArtifact', {
          clusterId: clusterIds[c],
          artifact: { name: 'hotfix', version: '2.0.1', url: 'https://repo.example/hotfix-2.0.1.zip', sha256: 'e'.repeat(64) },
          strategy: { batchSize: 2, healthTimeoutMs: 10_000 },
        }),
      ),
    );
    const done = await Promise.all(ids.map(finished));
    const inv = fleet.invariants();
    for (const [i, cluster] of [FAST, SLOW].entries()) {
      expect(done[i].state, `${cluster}: ${done[i].message}`).toBe('SUCCEEDED');
      expect(inv.maxDownDuringTasks[cluster], cluster).toBeLessThanOrEqual(2);
      for (const m of MEMBERS(cluster)) expect(inv.restarts[`${cluster}/${m}`], m).toBe(1);
      const versions = await gqlOk(oc.url, viewer, `query($n: String) { cluster(name: $n) { artifacts { name version workerCount } } }`, { n: cluster });
      expect(versions.cluster.artifacts).toContainEqual({ name: 'hotfix', version: '2.0.1', workerCount: 4 });
    }
  });
});
