/**
 * A watcher that loses its connection mid-rollout and comes back with `after` (issue 11): every
 * event exactly once, in order. On PostgreSQL the OC is two processes on one database, the fleet
 * talks to one and the watcher moves to the other; on PGlite one OC serves both.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Fleet, startFleet } from '../../simulator/fleet.js';
import { loadScenario } from '../../simulator/scenario.js';
import { gqlOk, subscribe, wsClient } from '../support/client.js';
import { commandFinished } from '../support/command-wait.js';
import { createTestDatabase, TEST_DATABASE_URL } from '../support/db.js';
import { ADMIN_TOKEN, createToken, startTestOc } from '../support/oc.js';
import { spawnOc } from '../support/oc-process.js';
import { settledFleet, waitFor } from '../support/wait.js';

const AS = 'as-1';
const cleanups: (() => unknown)[] = [];
let a: string;
let b: string;
let fleet: Fleet;

beforeAll(async () => {
  if (TEST_DATABASE_URL) {
    const db = await createTestDatabase();
    cleanups.push(() => db.drop());
    for (const _ of [0, 1]) {
      const p = await spawnOc({ DATABASE_URL: db.url!, OC_ADMIN_TOKEN: ADMIN_TOKEN, OC_MANAGER_LEASE_MS: '1000' });
      cleanups.push(() => p.kill('SIGKILL'));
      if (a === undefined) a = p.url;
      else b = p.url;
    }
  } else {
    const oc = await startTestOc({ managerLeaseMs: 1000 });
    cleanups.push(() => oc.stop());
    a = b = oc.url;
  }
  const enrollment = await createToken(a, 'MANAGER', 'resume-enrollment');
  fleet = startFleet({ url: a, enrollmentToken: enrollment.token, scenario: await loadScenario('default'), profile: 'fast', seed: 7 });
  cleanups.push(() => fleet.stop());
  await fleet.ready({ timeoutMs: 20_000 });
  await settledFleet(fleet);
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const EVENTS = `query($after: String, $c: ID, $t: [EventTopic!]) { events(after: $after, clusterId: $c, topics: $t, first: 1000) { edges { node { position } } } }`;
const positions = async (url: string, after: string, clusterId: string, topic: string) =>
  (await gqlOk(url, ADMIN_TOKEN, EVENTS, { after, c: clusterId, t: [topic] })).events.edges.map((e: any) => e.node.position as string);

describe('resuming a watch with after', () => {
  it('gives a watcher that disconnects mid-rollout and resumes (on the other instance) every membership and command event exactly once, in order', async () => {
    const cluster = (await gqlOk(a, ADMIN_TOKEN, `{ cluster(name: "${AS}") { id } }`)).cluster.id as string;
    const start = ((await gqlOk(a, ADMIN_TOKEN, `{ events(first: 1000) { edges { node { position } } } }`)).events.edges.at(-1)?.node.position ?? '0') as string;
    const MEMBERS = `subscription($c: ID, $after: String) { membershipChanged(clusterId: $c, after: $after) { position change worker { memberId state } } }`;
    const COMMANDS = `subscription($c: ID, $after: String) { commandUpdated(clusterId: $c, after: $after) { position state } }`;

    const onA = wsClient(a, ADMIN_TOKEN);
    cleanups.push(() => onA.dispose());
    const members1 = subscribe(onA, MEMBERS, { c: cluster, after: start });
    const commands1 = subscribe(onA, COMMANDS, { c: cluster, after: start });
    const restart = await gqlOk(a, ADMIN_TOKEN, `mutation($c: ID!) { restartCluster(input: { clusterId: $c, strategy: { batchSize: 1, healthTimeoutMs: 15000 } }) { ... on CommandPayload { command { id } } } }`, { c: cluster });
    const id = restart.restartCluster.command.id as string;

    // Mid-rollout (the second worker is going down at the earliest): the connection is lost.
    await waitFor(() => members1.events.length >= 4, 'the rollout to be under way', 20_000);
    members1.close();
    commands1.close();
    await onA.dispose();
    const lastMember = members1.events.at(-1)!.membershipChanged.position as string;
    const lastCommand = (commands1.events.at(-1)?.commandUpdated.position ?? start) as string;

    // Back, on the other instance, from where it was.
    const onB = wsClient(b, ADMIN_TOKEN);
    cleanups.push(() => onB.dispose());
    const members2 = subscribe(onB, MEMBERS, { c: cluster, after: lastMember });
    const commands2 = subscribe(onB, COMMANDS, { c: cluster, after: lastCommand });
    const done = await commandFinished(b, ADMIN_TOKEN, `query($id: ID!) { command(id: $id) { state } }`, id, { timeoutMs: 30_000 });
    expect(done.state).toBe('SUCCEEDED');
    await waitFor(() => commands2.events.some((e) => e.commandUpdated.state === 'SUCCEEDED'), 'the last command update', 10_000);
    await settledFleet(fleet);

    const loggedMembers = await positions(b, start, cluster, 'MEMBERSHIP');
    const loggedCommands = await positions(a, start, cluster, 'COMMAND');
    await waitFor(() => members1.events.length + members2.events.length >= loggedMembers.length, 'every membership event', 10_000);
    await new Promise((r) => setTimeout(r, 300)); // nothing more (a duplicate) arrives
    // Every worker went down and came back: at least two changes each.
    expect(loggedMembers.length).toBeGreaterThanOrEqual(8);
    expect([...members1.events, ...members2.events].map((e) => e.membershipChanged.position)).toEqual(loggedMembers);
    expect([...commands1.events, ...commands2.events].map((e) => e.commandUpdated.position)).toEqual(loggedCommands);
    expect(members2.events.length).toBeGreaterThan(0);
  });
});
