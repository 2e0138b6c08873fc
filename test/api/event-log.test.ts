import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, gqlOk, subscribe, subscribeReady, wsClient } from '../support/client.js';
import { TEST_DATABASE_URL, sqlRows } from '../support/db.js';
import { register, reportMembership, reportStats, type WorkerInput, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { waitFor } from '../support/wait.js';

/** The event log through the API (issue 11): events(after:), Cluster.events, subscriptions with after, EVENTS_EXPIRED. */

let oc: TestOc;
let enrollment: string;
const cleanups: (() => unknown)[] = [];
beforeAll(async () => {
  oc = await startTestOc({}, { background: false });
  enrollment = (await createToken(oc.url, 'MANAGER', 'event-log')).token;
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await oc?.stop();
});

const q = (query: string, variables?: Record<string, unknown>, url = oc.url) => gqlOk(url, ADMIN_TOKEN, query, variables);

const EVENTS = `query($after: String, $first: Int, $clusterId: ID, $topics: [EventTopic!]) {
  events(after: $after, first: $first, clusterId: $clusterId, topics: $topics) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { __typename position at
      ... on MembershipEvent { change worker { memberId state } cluster { id } }
      ... on TopologyEvent { topologyChange: change cluster { id name } }
      ... on CommandUpdatedEvent { command { id kind } } } }
  } }`;

type Node = { __typename: string; position: string; change?: string; topologyChange?: string; worker?: { memberId: string; state: string }; cluster?: { id: string; name?: string }; command?: { id: string } | null };

/** Every event of the log the filters select, through `events(after:)` pages of `first`. */
async function allEvents(vars: { clusterId?: string; topics?: string[]; after?: string } = {}, first = 7, url = oc.url): Promise<Node[]> {
  const out: Node[] = [];
  let after: string | null = vars.after ?? null;
  for (;;) {
    const d = await q(EVENTS, { ...vars, after, first }, url);
    for (const e of d.events.edges) {
      expect(e.cursor).toBe(e.node.position);
      out.push(e.node);
    }
    if (!d.events.pageInfo.hasNextPage) return out;
    after = d.events.pageInfo.endCursor;
  }
}

const bigints = (nodes: { position: string }[]) => nodes.map((n) => BigInt(n.position));
const increasing = (ps: bigint[]) => ps.every((p, i) => i === 0 || p > ps[i - 1]!);

let seqs = new Map<string, number>();
/** A manager's next membership report: each worker flips between RUNNING and STOPPED. */
async function flip(url: string, session: string, workers: WorkerInput[]) {
  const seq = (seqs.get(session) ?? 0) + 1;
  seqs.set(session, seq + workers.length - 1);
  const events = workers.map((w, i) => {
    w.state = w.state === 'RUNNING' ? 'STOPPED' : 'RUNNING';
    return { seq: seq + i, change: 'STATE_CHANGED' as const, worker: { ...w } };
  });
  return reportMembership(url, session, events);
}

describe('the event log', () => {
  it('pages through every membership, topology and command event in order, with filters by cluster and topic, and as Cluster.events', async () => {
    const a = await register(oc.url, enrollment, { clusterName: 'log-a', workers: workerInputs(3) });
    const b = await register(oc.url, enrollment, { clusterName: 'log-b', workers: workerInputs(2) });
    const wa = workerInputs(3);
    const wb = workerInputs(2);
    for (let i = 0; i < 3; i++) {
      await flip(oc.url, a.sessionToken, wa);
      await flip(oc.url, b.sessionToken, wb);
    }
    const restart = await q(`mutation($id: ID!) { restartCluster(input: { clusterId: $id }) { __typename ... on CommandPayload { command { id } } } }`, { id: a.clusterId });
    const commandId = restart.restartCluster.command.id;

    const all = await allEvents();
    expect(increasing(bigints(all))).toBe(true);
    // Dense: positions are consecutive.
    expect(bigints(all).at(-1)! - bigints(all)[0]! + 1n).toBe(BigInt(all.length));
    const kinds = new Set(all.map((e) => e.__typename));
    expect(kinds).toEqual(new Set(['TopologyEvent', 'MembershipEvent', 'CommandUpdatedEvent']));
    const membershipOfA = all.filter((e) => e.__typename === 'MembershipEvent' && e.cluster?.id === a.clusterId);
    // Three joined at registration, then three reports of three.
    expect(membershipOfA.map((e) => e.change)).toEqual([...Array(3).fill('JOINED'), ...Array(9).fill('STATE_CHANGED')]);
    expect(membershipOfA.map((e) => e.worker?.state)).toEqual([...Array(3).fill('RUNNING'), ...Array(3).fill('STOPPED'), ...Array(3).fill('RUNNING'), ...Array(3).fill('STOPPED')]);
    expect(all.some((e) => e.__typename === 'CommandUpdatedEvent' && e.command?.id === commandId)).toBe(true);
    expect(all.some((e) => e.__typename === 'TopologyEvent' && e.cluster?.name === 'log-b' && e.topologyChange === 'CLUSTER_ADDED')).toBe(true);

    // Filters: the same events, selected.
    expect(await allEvents({ clusterId: a.clusterId })).toEqual(all.filter((e) => e.cluster?.id === a.clusterId || (e.__typename === 'CommandUpdatedEvent' && e.command?.id === commandId)));
    expect(await allEvents({ topics: ['MEMBERSHIP'] })).toEqual(all.filter((e) => e.__typename === 'MembershipEvent'));
    expect(await allEvents({ topics: ['TOPOLOGY', 'COMMAND'], clusterId: b.clusterId })).toEqual(all.filter((e) => e.__typename === 'TopologyEvent' && e.cluster?.id === b.clusterId));
    // After a position: what followed it.
    const mid = all[Math.floor(all.length / 2)]!;
    expect(await allEvents({ after: mid.position })).toEqual(all.slice(Math.floor(all.length / 2) + 1));
    const total = await q(`query($c: ID) { events(clusterId: $c, topics: [MEMBERSHIP], first: 1) { totalCount } }`, { c: b.clusterId });
    expect(total.events.totalCount).toBe(8);

    // Cluster.events: the cluster's history as a query.
    const history = await q(
      `query($name: String!) { cluster(name: $name) { events(first: 100, topics: [MEMBERSHIP]) { edges { node { position ... on MembershipEvent { change worker { memberId state } } } } } } }`,
      { name: 'log-a' },
    );
    expect(history.cluster.events.edges.map((e: any) => e.node.position)).toEqual(membershipOfA.map((e) => e.position));
  });

  it('gives a resumed subscription every event exactly once, in order: replayed from the log after its position, then live, with none lost while it was away', async () => {
    const m = await register(oc.url, enrollment, { clusterName: 'log-resume', workers: workerInputs(4) });
    const workers = workerInputs(4);
    const SUB = `subscription($c: ID, $after: String) { membershipChanged(clusterId: $c, after: $after) { position change worker { memberId state } } }`;
    const client = wsClient(oc.url, ADMIN_TOKEN);
    cleanups.push(() => client.dispose());
    const first = await subscribeReady(oc.url, client, SUB, { c: m.clusterId });
    await flip(oc.url, m.sessionToken, workers);
    await waitFor(() => first.events.length >= 4, 'the first four events');
    first.close();
    const lastSeen = first.events.at(-1)!.membershipChanged.position;

    // While nobody listens.
    await flip(oc.url, m.sessionToken, workers);
    await flip(oc.url, m.sessionToken, workers);
    // Resumes, while more happens at the same time (the seam between replay and live).
    const resumed = subscribe(client, SUB, { c: m.clusterId, after: lastSeen });
    const writes = [flip(oc.url, m.sessionToken, workers)];
    await Promise.all(writes);
    await flip(oc.url, m.sessionToken, workers);
    const logged = (await allEvents({ clusterId: m.clusterId, topics: ['MEMBERSHIP'] })).map((e) => e.position);
    expect(logged).toHaveLength(24);
    await waitFor(() => resumed.events.length >= 16, 'the resumed subscription to catch up');
    await new Promise((r) => setTimeout(r, 200)); // nothing more (a duplicate) arrives
    const received = [...first.events, ...resumed.events].map((e) => e.membershipChanged.position);
    // The four JOINED of the registration came before the first subscription.
    expect(received).toEqual(logged.slice(4));
    resumed.close();
  });

  it('replays a membership event as it was delivered live: its time, its worker with its times and stats, its cluster', async () => {
    const m = await register(oc.url, enrollment, { clusterName: 'log-replay', workers: workerInputs(3) });
    const workers = workerInputs(3);
    await reportStats(oc.url, m.sessionToken, workers.map((w, i) => ({ memberId: w.memberId, at: new Date(Date.now() - 1000 * i).toISOString(), cpuPercent: 10 + i, memoryMb: 512, requestsPerSec: 3, errorsPerSec: 0 })));
    const SUB = `subscription($c: ID, $after: String) { membershipChanged(clusterId: $c, after: $after) {
      position at change cluster { name health workerCount }
      worker { id memberId host port state startedAt joinedAt stateChangedAt artifacts { name version deployedAt } stats { sampledAt cpuPercent memoryMb } } } }`;
    const client = wsClient(oc.url, ADMIN_TOKEN);
    cleanups.push(() => client.dispose());
    const before = (await allEvents({ clusterId: m.clusterId, topics: ['MEMBERSHIP'] })).at(-1)!.position;
    const live = await subscribeReady(oc.url, client, SUB, { c: m.clusterId });
    await flip(oc.url, m.sessionToken, workers);
    await flip(oc.url, m.sessionToken, workers);
    await waitFor(() => live.events.length >= 6, 'six live events');
    live.close();
    const replayed = subscribe(client, SUB, { c: m.clusterId, after: before });
    await waitFor(() => replayed.events.length >= 6, 'six replayed events');
    replayed.close();
    expect(live.events[0].membershipChanged.worker.stats.sampledAt).toEqual(expect.any(String));
    expect(replayed.events).toEqual(live.events);
  });

  it('resumes commandUpdated and topologyChanged with after too, each delivery carrying its position', async () => {
    const m = await register(oc.url, enrollment, { clusterName: 'log-cmd', workers: workerInputs(2) });
    const client = wsClient(oc.url, ADMIN_TOKEN);
    cleanups.push(() => client.dispose());
    const before = (await q(`{ events(topics: [COMMAND, TOPOLOGY], first: 1000) { edges { cursor } } }`)).events.edges.at(-1)?.cursor ?? '0';
    const id = (await q(`mutation($id: ID!) { restartCluster(input: { clusterId: $id }) { ... on CommandPayload { command { id } } } }`, { id: m.clusterId })).restartCluster.command.id;
    await q(`mutation($id: ID!) { cancelCommand(id: $id) { __typename } }`, { id });
    const commands = subscribe(client, `subscription($after: String) { commandUpdated(after: $after) { id state position } }`, { after: before });
    await waitFor(() => commands.events.length >= 2, 'the replayed command updates');
    const logged = await allEvents({ topics: ['COMMAND'], after: before });
    expect(commands.events.map((e) => e.commandUpdated.position)).toEqual(logged.map((e) => e.position));
    expect(commands.events.every((e) => e.commandUpdated.id === id)).toBe(true);
    commands.close();
    const topo = subscribe(client, `subscription($after: String) { topologyChanged(after: $after) { position change cluster { name } } }`, { after: '0' });
    await waitFor(() => topo.events.some((e) => e.topologyChanged.cluster.name === 'log-cmd'), 'the replayed topology events');
    expect(increasing(topo.events.map((e) => BigInt(e.topologyChanged.position)))).toBe(true);
    topo.close();
    // The same Command read by a query has no position: it is the position of a delivery.
    expect((await q(`query($id: ID!) { command(id: $id) { position } }`, { id })).command.position).toBeNull();
  });

  it('answers EVENTS_EXPIRED for a position whose successors are past the retention, and for one ahead of the log; BAD_USER_INPUT for one that is not a position', async () => {
    const m = await register(oc.url, enrollment, { clusterName: 'log-old', workers: workerInputs(1) });
    await flip(oc.url, m.sessionToken, workerInputs(1));
    const all = await allEvents({}, 500);
    const cut = all[Math.floor(all.length / 2)]!.position;
    // Half the log is older than the retention (168 h by default), and pruned.
    await sqlRows(oc.database, `update event_log set at = now() - interval '200 hours' where position <= ${cut}`);
    expect(await oc.app.services.events.prune()).toBeGreaterThan(0);
    const expired = await gql(oc.url, ADMIN_TOKEN, EVENTS, { after: all[0]!.position });
    expect(expired.errors?.map((e) => e.extensions?.code)).toEqual(['EVENTS_EXPIRED']);
    // The position just before the oldest kept still resumes; so does no position at all (from the oldest kept).
    expect(await allEvents({ after: cut })).toEqual(all.slice(all.findIndex((e) => e.position === cut) + 1));
    expect((await allEvents())[0]!.position).toBe((BigInt(cut) + 1n).toString());

    const client = wsClient(oc.url, ADMIN_TOKEN);
    cleanups.push(() => client.dispose());
    const sub = subscribe(client, `subscription($after: String) { membershipChanged(after: $after) { position } }`, { after: all[0]!.position });
    await waitFor(() => sub.errors.length > 0 || sub.done, 'the subscription to be refused');
    expect(JSON.stringify(sub.errors)).toContain('EVENTS_EXPIRED');

    const ahead = await gql(oc.url, ADMIN_TOKEN, EVENTS, { after: '99999999999' });
    expect(ahead.errors?.map((e) => e.extensions?.code)).toEqual(['EVENTS_EXPIRED']);
    const bad = await gql(oc.url, ADMIN_TOKEN, EVENTS, { after: 'yesterday' });
    expect(bad.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it.skipIf(!TEST_DATABASE_URL)('delivers the same events in the same order on two instances under concurrent writers on both, each matching the log', async () => {
    const second = await oc.restart();
    cleanups.push(() => second.stop());
    const managers = await Promise.all([0, 1, 2, 3].map((i) => register(i % 2 ? second.url : oc.url, enrollment, { clusterName: `log-two-${i}`, workers: workerInputs(5) })));
    const start = (await allEvents({}, 1000)).at(-1)!.position;
    const SUB = `subscription { membershipChanged { position } }`;
    const ca = wsClient(oc.url, ADMIN_TOKEN);
    const cb = wsClient(second.url, ADMIN_TOKEN);
    cleanups.push(() => ca.dispose(), () => cb.dispose());
    const sa = await subscribeReady(oc.url, ca, SUB);
    const sb = await subscribeReady(second.url, cb, SUB);
    const workers = managers.map(() => workerInputs(5));
    // Each manager reports 10 times, all four at once, half of them to each instance.
    for (let round = 0; round < 10; round++) {
      await Promise.all(managers.map((m, i) => flip(i % 2 ? second.url : oc.url, m.sessionToken, workers[i]!)));
    }
    const logged = (await allEvents({ topics: ['MEMBERSHIP'], after: start }, 1000)).map((e) => e.position);
    expect(logged).toHaveLength(200);
    expect(increasing(logged.map(BigInt))).toBe(true);
    await waitFor(() => sa.events.length >= 200 && sb.events.length >= 200, 'both subscribers to hear every event', 20_000);
    expect(sa.events.map((e) => e.membershipChanged.position)).toEqual(logged);
    expect(sb.events.map((e) => e.membershipChanged.position)).toEqual(logged);
    seqs = new Map(seqs);
  });
});
