/**
 * Many subscribers of one topic, over real graphql-ws sockets: every event reaches every one, in
 * order; an event is resolved once for all of them (its SQL does not grow with their number);
 * and each is still authorized on its own.
 */
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gqlOk, metricValue, type Subscription, subscribe, wsClient } from '../support/client.js';
import { ReportingManager, type WorkerState, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { waitFor } from '../support/wait.js';

/** The README's example, and the same for one cluster. */
const README = 'subscription { membershipChanged { change at cluster { name health } worker { memberId state } } }';
const FILTERED = 'subscription OneCluster($c: ID) { membershipChanged(clusterId: $c) { change at cluster { name health } worker { memberId state } } }';

type Seen = { membershipChanged: { change: string; at: string; cluster: { name: string; health: string }; worker: { memberId: string; state: string } } };

let oc: TestOc;
let enrollment: string;
const clients: Client[] = [];
beforeAll(async () => {
  // No background loops: nothing but the reports and the subscribers runs SQL (statement counts below).
  oc = await startTestOc({}, { background: false });
  enrollment = (await createToken(oc.url, 'MANAGER', 'subscriptions')).token;
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await oc?.stop();
});

const started = async () => (await metricValue(oc.url, 'oc_graphql_requests_total', { type: 'subscription', outcome: 'ok' })) ?? 0;

/** `n` subscribers, each on its own socket, all live on the server when this returns. */
async function subscribers<T = Seen>(n: number, query: string, variables?: Record<string, unknown>, token = ADMIN_TOKEN): Promise<Subscription<T>[]> {
  const before = await started();
  const subs = Array.from({ length: n }, () => {
    const c = wsClient(oc.url, token);
    clients.push(c);
    return subscribe<T>(c, query, variables);
  });
  await waitFor(async () => {
    const failed = subs.find((s) => s.errors.length || s.done);
    if (failed) throw new Error(`a subscription was refused: ${JSON.stringify(failed.errors)}`);
    return (await started()) >= before + n;
  }, `${n} subscriptions to be live`);
  return subs;
}


const stripAt = (subs: Subscription<Seen>[]) =>
  subs.map((s) =>
    s.events.map((e) => {
      const { at, ...rest } = e.membershipChanged;
      expect(Number.isNaN(Date.parse(at))).toBe(false);
      return rest;
    }),
  );

describe('membershipChanged with many subscribers', () => {
  it('delivers every event to each of 200 subscribers (100 of every cluster, 100 of one), in order, with the cluster as each report left it', async () => {
    const a = new ReportingManager(oc.url, enrollment, 'subs-a');
    const b = new ReportingManager(oc.url, enrollment, 'subs-b');
    await a.register(workerInputs(4));
    await b.register(workerInputs(2));
    const all = await subscribers(100, README);
    const onlyA = await subscribers(100, FILTERED, { c: a.reg.clusterId });

    const expectedAll: unknown[] = [];
    const expectedA: unknown[] = [];
    for (let round = 0; round < 8; round++) {
      const down = round % 2 === 0 ? 'STOPPED' : 'RUNNING';
      const fromA = await a.report([
        [`w-00${round % 4}`, 'STATE_CHANGED', down],
        [`w-00${(round + 1) % 4}`, 'STATE_CHANGED', round % 3 === 0 ? 'FAILED' : 'RUNNING'],
        ...(round === 3 ? [['x-new', 'JOINED', 'STARTING'] as const] : round === 6 ? [['x-new', 'LEFT', 'STARTING'] as const] : []),
      ] as [string, 'JOINED' | 'LEFT' | 'STATE_CHANGED', WorkerState][]);
      const fromB = await b.report([[`w-00${round % 2}`, 'STATE_CHANGED', down]]);
      expectedAll.push(...fromA, ...fromB);
      expectedA.push(...fromA);
    }
    await waitFor(() => [...all, ...onlyA].every((s) => s.events.length >= (all.includes(s) ? expectedAll.length : expectedA.length) || s.errors.length > 0), 'every event at every subscriber');
    for (const s of [...all, ...onlyA]) expect(s.errors).toEqual([]);
    expect(new Set(stripAt(all).map((seen) => JSON.stringify(seen)))).toEqual(new Set([JSON.stringify(expectedAll)]));
    expect(new Set(stripAt(onlyA).map((seen) => JSON.stringify(seen)))).toEqual(new Set([JSON.stringify(expectedA)]));
    for (const s of [...all, ...onlyA]) s.close();
  });

  it('shows each event with the worker as that event left it, when one report changes a worker more than once', async () => {
    const m = new ReportingManager(oc.url, enrollment, 'subs-twice');
    await m.register(workerInputs(2));
    const subs = await subscribers(3, FILTERED, { c: m.reg.clusterId });
    await m.report([
      ['w-000', 'STATE_CHANGED', 'STOPPED'],
      ['w-000', 'STATE_CHANGED', 'STARTING'],
      ['w-001', 'STATE_CHANGED', 'FAILED'],
      ['w-000', 'STATE_CHANGED', 'RUNNING'],
    ]);
    await waitFor(() => subs.every((s) => s.events.length >= 4), 'the four events');
    for (const s of subs) {
      expect(s.events.map((e) => [e.membershipChanged.worker.memberId, e.membershipChanged.worker.state])).toEqual([
        ['w-000', 'STOPPED'],
        ['w-000', 'STARTING'],
        ['w-001', 'FAILED'],
        ['w-000', 'RUNNING'],
      ]);
      s.close();
    }
  });

  it('reads the same SQL for an event whatever the number of its subscribers (what a selection asks beyond the event is read once per event)', async () => {
    const m = new ReportingManager(oc.url, enrollment, 'subs-count');
    await m.register(workerInputs(3));
    const RICH =
      'subscription Rich($c: ID) { membershipChanged(clusterId: $c) { change cluster { name kind health workerCount manager { connected url } stats { cpuPercent } } worker { memberId state cluster { name } } } }';
    const statementsFor = async (n: number) => {
      const subs = await subscribers(n, RICH, { c: m.reg.clusterId });
      const before = oc.database.queryCount;
      // Back where it started afterwards: every run reports and writes the same.
      await m.report([
        ['w-000', 'STATE_CHANGED', 'STOPPED'],
        ['w-001', 'STATE_CHANGED', 'STOPPED'],
        ['w-000', 'STATE_CHANGED', 'RUNNING'],
        ['w-001', 'STATE_CHANGED', 'RUNNING'],
      ]);
      await waitFor(() => subs.every((s) => s.events.length >= 4 || s.errors.length > 0), 'the events at every subscriber');
      // The report's own statements are the same each time; anything after it is the subscribers'.
      const statements = oc.database.queryCount - before;
      for (const s of subs) {
        expect(s.errors).toEqual([]);
        expect(s.events.map((e: any) => [e.membershipChanged.worker.memberId, e.membershipChanged.cluster.manager.connected])).toEqual([
          ['w-000', true],
          ['w-001', true],
          ['w-000', true],
          ['w-001', true],
        ]);
        s.close();
      }
      return statements;
    };
    await statementsFor(1); // the first report of a session does a little more, once
    const one = await statementsFor(1);
    const forty = await statementsFor(40);
    expect(forty).toBe(one);
  });
});

describe('many subscribers, each authorized on its own', () => {
  it('refuses the manager tokens among viewers subscribing with the same document, and a revoked viewer’s socket closes while the others go on', async () => {
    const m = new ReportingManager(oc.url, enrollment, 'subs-auth');
    await m.register(workerInputs(2));
    const viewer = await createToken(oc.url, 'VIEWER', 'subs-viewer');
    const doomed = await createToken(oc.url, 'VIEWER', 'subs-doomed');
    const viewers = await subscribers(20, FILTERED, { c: m.reg.clusterId }, viewer.token);
    const closed: number[] = [];
    const doomedClient = wsClient(oc.url, doomed.token, { onClose: (code) => closed.push(code) });
    clients.push(doomedClient);
    const before = await started();
    const doomedSub = subscribe<Seen>(doomedClient, FILTERED, { c: m.reg.clusterId });
    await waitFor(async () => (await started()) > before, 'the doomed subscription to be live');
    // Same document and variables as the viewers: their shared answers must not reach a manager.
    const asManager = [enrollment, m.reg.sessionToken].map((token) => {
      const c = wsClient(oc.url, token);
      clients.push(c);
      return subscribe<Seen>(c, FILTERED, { c: m.reg.clusterId });
    });
    await waitFor(() => asManager.every((s) => s.errors.length > 0), 'the manager tokens to be refused');
    for (const s of asManager) expect(JSON.stringify(s.errors)).toContain('FORBIDDEN');

    expect((await m.report([['w-000', 'STATE_CHANGED', 'STOPPED']]))[0]).toMatchObject({ change: 'STATE_CHANGED' });
    await waitFor(() => doomedSub.events.length === 1 && viewers.every((s) => s.events.length === 1), 'the first event everywhere');

    await gqlOk(oc.url, ADMIN_TOKEN, 'mutation($id: ID!) { revokeApiToken(id: $id) { __typename } }', { id: doomed.id });
    await waitFor(() => closed.includes(4401), 'the revoked token’s socket to close');
    await m.report([['w-000', 'STATE_CHANGED', 'RUNNING']]);
    await waitFor(() => viewers.every((s) => s.events.length === 2), 'the second event at the viewers');
    expect(doomedSub.events).toHaveLength(1);
    for (const s of asManager) expect(s.events).toEqual([]);
    for (const s of viewers) s.close();
  });
});
