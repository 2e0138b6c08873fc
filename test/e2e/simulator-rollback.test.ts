/**
 * Auto-revert end to end: a real OC and the `default` scenario's fleet (fast profile, fixed
 * seed). A deploy with autoRevert meets a worker that fails to start, the command FAILS, its
 * rollback starts at once and SUCCEEDS, and every worker the deploy changed runs its old version
 * again, as the simulated workers themselves say (not only the OC).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../../simulator/fleet.js';
import { loadScenario } from '../../simulator/scenario.js';
import { gqlOk } from '../support/client.js';
import { commandFinished } from '../support/command-wait.js';
import { createToken, startTestOc, type TestOc } from '../support/oc.js';
import { settledFleet } from '../support/wait.js';

const AS = 'as-1';
const AS_MEMBERS = ['as-1-w01', 'as-1-w02', 'as-1-w03', 'as-1-w04'];
const NAME = 'storefront.war';

let oc: TestOc;
let fleet: Fleet;
let operator: string;
let clusterId: string;

const COMMAND = `query($id: ID!) { command(id: $id) {
  id state requestedBy rollbackOf { id } rolledBackBy { id }
  steps { memberId state artifact { version } }
  tasks { memberIds artifact { version } }
  history { message }
} }`;

const artifact = (version: string) => ({ name: NAME, version, url: `https://artifacts.example/storefront-${version}.war`, sha256: version.replace(/\./g, '').padEnd(64, 'c') });

async function deploy(version: string, strategy: Record<string, unknown>): Promise<string> {
  const d = await gqlOk(
    oc.url,
    operator,
    `mutation($i: DeployArtifactInput!) { deployArtifact(input: $i) { __typename ... on CommandPayload { command { id } } ... on Error { code message } } }`,
    { i: { clusterId, artifact: artifact(version), strategy } },
  );
  if (d.deployArtifact.__typename !== 'CommandPayload') throw new Error(`deployArtifact: ${d.deployArtifact.message}`);
  return d.deployArtifact.command.id;
}

const finished = (id: string) => commandFinished(oc.url, operator, COMMAND, id, { timeoutMs: 30_000, intervalMs: 50 });
/** What each simulated worker runs now, by its own account. */
const running = () => Object.fromEntries(AS_MEMBERS.map((m) => [m, `${fleet.worker(AS, m).state}:${fleet.worker(AS, m).artifacts.find((a) => a.name === NAME)?.version}`]));

beforeAll(async () => {
  oc = await startTestOc({ managerLeaseMs: 1000 });
  const enrollment = await createToken(oc.url, 'MANAGER', 'sim-enrollment');
  operator = (await createToken(oc.url, 'OPERATOR', 'sim-operator')).token;
  fleet = startFleet({ url: oc.url, enrollmentToken: enrollment.token, scenario: await loadScenario('default'), profile: 'fast', seed: 42 });
  await fleet.ready({ timeoutMs: 20_000 });
  clusterId = (await gqlOk(oc.url, operator, `query { cluster(name: "${AS}") { id } }`)).cluster.id;
});

afterAll(async () => {
  await fleet?.stop();
  await oc?.stop();
});

describe('auto-revert with a simulated fleet', () => {
  it('a deploy with autoRevert whose worker fails to start FAILS, and its rollback puts every changed worker back on its old version', async () => {
    // The version to go back to, deployed by this OC (so it knows its url and sha256).
    expect((await finished(await deploy('1.1.0', { batchSize: 2, healthTimeoutMs: 10_000 }))).state).toBe('SUCCEEDED');
    await settledFleet(fleet);
    expect(running()).toEqual(Object.fromEntries(AS_MEMBERS.map((m) => [m, 'RUNNING:1.1.0'])));
    fleet.resetInvariants();

    fleet.inject({ type: 'fail-start', cluster: AS, member: 'as-1-w03' });
    const id = await deploy('1.2.0', { batchSize: 1, healthTimeoutMs: 5_000, autoRevert: true });
    const failed = await finished(id);
    expect(failed.state).toBe('FAILED');
    expect(failed.steps.map((s: any) => `${s.memberId}:${s.state}`)).toEqual(['as-1-w01:SUCCEEDED', 'as-1-w02:SUCCEEDED', 'as-1-w03:FAILED', 'as-1-w04:SKIPPED']);
    expect(failed.rolledBackBy).not.toBeNull();
    expect(failed.history.at(-1).message).toMatch(/^auto-revert: rollback .* started$/);

    const rb = await finished(failed.rolledBackBy.id);
    expect(rb.state).toBe('SUCCEEDED');
    expect(rb.rollbackOf).toEqual({ id });
    expect(rb.requestedBy).toBe('OC auto-revert (for sim-operator)');
    // The three workers the deploy changed (w03 got 1.2.0 installed before its start failed); w04 was never touched.
    expect(rb.steps.map((s: any) => `${s.memberId}:${s.artifact.version}:${s.state}`)).toEqual(['as-1-w01:1.1.0:SUCCEEDED', 'as-1-w02:1.1.0:SUCCEEDED', 'as-1-w03:1.1.0:SUCCEEDED']);
    expect(rb.tasks.every((t: any) => t.artifact.version === '1.1.0' && t.memberIds.length === 1)).toBe(true);

    await settledFleet(fleet);
    expect(running()).toEqual(Object.fromEntries(AS_MEMBERS.map((m) => [m, 'RUNNING:1.1.0'])));
    const inv = fleet.invariants();
    expect(inv.restarts).toEqual({ 'as-1/as-1-w01': 2, 'as-1/as-1-w02': 2, 'as-1/as-1-w03': 2 });
    // One worker restarting at a time, beside w03, which stayed FAILED until its turn came.
    expect(inv.maxDownDuringTasks[AS]).toBe(2);
  });
});
