import type { Client } from 'graphql-ws';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gql, gqlOk, type Subscription, subscribeReady, wsClient } from '../support/client.js';
import { type MembershipEventInput, REGISTER_MANAGER, REPORT_MEMBERSHIP, REPORT_STATS, register, reportMembership, reportStats, tryRegister, type WorkerInput, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { sqlRows, TEST_DATABASE_URL } from '../support/db.js';
import { ScriptedManager } from '../support/scripted-manager.js';
import { waitFor } from '../support/wait.js';

const TOPOLOGY = 'subscription { topologyChanged { change at cluster { id name health } } }';
const MEMBERSHIP = 'subscription($id: ID) { membershipChanged(clusterId: $id) { change at cluster { name } worker { memberId state host } } }';
const CLUSTER = `query($name: String!) { cluster(name: $name) {
  id name kind health workerCount
  manager { id host url version connected operations { name description } }
  workers { edges { node { memberId host port state startedAt stateChangedAt artifacts { name version } } } }
} }`;

const cluster = async (oc: TestOc, name: string) => (await gqlOk(oc.url, ADMIN_TOKEN, CLUSTER, { name })).cluster;
const members = (c: any) => c.workers.edges.map((e: any) => e.node);

let oc: TestOc;
let enrollment: string;
let clients: Client[] = [];
const watcher = () => {
  const c = wsClient(oc.url, ADMIN_TOKEN);
  clients.push(c);
  return c;
};
beforeAll(async () => {
  oc = await startTestOc();
  enrollment = (await createToken(oc.url, 'MANAGER', 'registration')).token;
});
afterEach(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  clients = [];
});
afterAll(async () => {
  await oc?.stop();
});

describe('registerManager', () => {
  it('creates the cluster on first registration and announces CLUSTER_ADDED, then MANAGER_CONNECTED', async () => {
    const topo = await subscribeReady(oc.url, watcher(), TOPOLOGY);
    const r = await register(oc.url, enrollment, {
      clusterName: 'first',
      kind: 'as',
      version: '7.4',
      workers: workerInputs(3),
      operations: [{ name: 'flushCaches', description: 'drops every cache' }],
    });
    const added = await topo.next();
    expect(added.topologyChanged).toMatchObject({ change: 'CLUSTER_ADDED', cluster: { id: r.clusterId, name: 'first' } });
    const connected = await topo.next();
    expect(connected.topologyChanged).toMatchObject({ change: 'MANAGER_CONNECTED', cluster: { id: r.clusterId, health: 'HEALTHY' } });

    const c = await cluster(oc, 'first');
    expect(c).toMatchObject({
      id: r.clusterId,
      kind: 'AS',
      health: 'HEALTHY',
      workerCount: 3,
      manager: { id: r.managerId, host: 'first-mgr', url: 'https://first.example:9990/console', version: '7.4', connected: true, operations: [{ name: 'flushCaches', description: 'drops every cache' }] },
    });
    expect(members(c).map((w: any) => [w.memberId, w.state, w.port])).toEqual([
      ['w-000', 'RUNNING', 8080],
      ['w-001', 'RUNNING', 8080],
      ['w-002', 'RUNNING', 8080],
    ]);
  });

  it('replaces the manager and the membership snapshot on a later registration (LEFT, JOINED, STATE_CHANGED; nothing for the unchanged)', async () => {
    const first = await register(oc.url, enrollment, { clusterName: 'replaced', workers: workerInputs(3) });
    const topo = await subscribeReady(oc.url, watcher(), TOPOLOGY);
    const watch = await subscribeReady(oc.url, watcher(), MEMBERSHIP, { id: first.clusterId });
    const [w0, w1] = workerInputs(3);
    const second = await register(oc.url, enrollment, {
      clusterName: 'replaced',
      host: 'standby-mgr',
      url: 'https://standby.example:9990',
      workers: [w0!, { ...w1!, state: 'FAILED' }, { memberId: 'w-new', host: '10.0.1.1', state: 'STARTING' }],
    });
    expect(second.clusterId).toBe(first.clusterId);
    expect(second.sessionToken).not.toBe(first.sessionToken);

    const seen = [await watch.next(), await watch.next(), await watch.next()].map((e) => [e.membershipChanged.change, e.membershipChanged.worker.memberId]);
    expect(seen.sort()).toEqual([
      ['JOINED', 'w-new'],
      ['LEFT', 'w-002'],
      ['STATE_CHANGED', 'w-001'],
    ]);
    const c = await cluster(oc, 'replaced');
    expect(c.manager).toMatchObject({ host: 'standby-mgr', url: 'https://standby.example:9990', connected: true });
    expect(members(c).map((w: any) => [w.memberId, w.state])).toEqual([
      ['w-000', 'RUNNING'],
      ['w-001', 'FAILED'],
      ['w-new', 'STARTING'],
    ]);
    expect(c.health).toBe('DEGRADED');

    // Nothing more was announced: the unchanged w-000 produced no event, and the manager never
    // looked disconnected. The next event is the one caused now.
    await reportMembership(oc.url, second.sessionToken, [{ seq: 1, change: 'LEFT', worker: { memberId: 'w-new', host: '10.0.1.1' } }]);
    expect((await watch.next()).membershipChanged).toMatchObject({ change: 'LEFT', worker: { memberId: 'w-new' } });
    expect(topo.events).toEqual([]);
  });

  it('refuses the replaced session from then on, saying it was replaced, and applies nothing it sends', async () => {
    const old = await register(oc.url, enrollment, { clusterName: 'stale', workers: workerInputs(1) });
    const closes: [number, string][] = [];
    let connected = false;
    const socket = wsClient(oc.url, old.sessionToken, { lazy: false, onConnected: () => (connected = true), onClose: (code, reason) => closes.push([code, reason]) });
    clients.push(socket);
    await waitFor(() => connected, 'the old session’s socket to open');
    await register(oc.url, enrollment, { clusterName: 'stale', workers: workerInputs(1) });
    await waitFor(() => closes.length > 0, 'the old session’s socket to be closed');
    expect(closes[0]![0]).toBe(4401);
    const r = await gql(oc.url, old.sessionToken, REPORT_MEMBERSHIP, { input: { events: [{ seq: 1, change: 'JOINED', worker: { memberId: 'ghost', host: 'h' } }] } });
    expect(r.status).toBe(401);
    expect(r.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'SESSION_REPLACED' });
    expect(r.errors?.[0]?.message).toMatch(/replaced by a newer registration/);
    expect(members(await cluster(oc, 'stale')).map((w: any) => w.memberId)).toEqual(['w-000']);
  });

  it('takes first registrations of one new cluster sent at the same instant one after another: all succeed, the last replaces the others as a re-registration does', async () => {
    for (let round = 0; round < 4; round++) {
      const name = `twins-${round}`;
      const who = ['a', 'b', 'c'];
      const answers = await Promise.all(who.map((w) => tryRegister(oc.url, enrollment, { clusterName: name, host: `${name}-${w}`, workers: workerInputs(2, { prefix: w }) })));
      for (const r of answers) {
        expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
        expect(r.data.registerManager.__typename).toBe('RegisterManagerPayload');
      }
      expect(new Set(answers.map((r) => r.data.registerManager.cluster.id)).size).toBe(1);
      // Exactly one session is live (the last registration's); the others were replaced, as by a re-registration.
      const live: string[] = [];
      for (const [i, r] of answers.entries()) {
        const report = await gql(oc.url, r.data.registerManager.sessionToken, REPORT_MEMBERSHIP, { input: { events: [] } });
        if (!report.errors) live.push(who[i]!);
        else expect(report.errors[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'SESSION_REPLACED' });
      }
      expect(live).toHaveLength(1);
      const c = await cluster(oc, name);
      expect(c.manager.host).toBe(`${name}-${live[0]}`);
      expect(members(c).map((w: any) => w.memberId)).toEqual([`${live[0]}-000`, `${live[0]}-001`]);
    }
  });

  it('answers a registration of another kind under the same name with ConflictError, changing nothing', async () => {
    const first = await register(oc.url, enrollment, { clusterName: 'kinded', kind: 'ESB', workers: workerInputs(2) });
    const r = await tryRegister(oc.url, enrollment, { clusterName: 'kinded', kind: 'AS', url: 'https://intruder.example', workers: [] });
    expect(r.data.registerManager).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
    const c = await cluster(oc, 'kinded');
    expect(c.kind).toBe('ESB');
    expect(c.manager.url).toBe('https://kinded.example:9990/console');
    expect(c.workerCount).toBe(2);
    // The first manager's session is still the live one.
    expect((await reportMembership(oc.url, first.sessionToken, [])).__typename).toBe('ReportMembershipPayload');
  });

  it.each([
    ['an empty cluster name', { clusterName: '' }, 'input.clusterName'],
    ['a cluster name with a slash', { clusterName: 'a/b' }, 'input.clusterName'],
    ['a url that is not http(s)', { clusterName: 'bad-url', url: 'ftp://x' }, 'input.url'],
    ['a worker listed twice', { clusterName: 'twice', workers: [...workerInputs(1), ...workerInputs(1)] }, 'input.workers[1].memberId'],
    ['a worker with a port out of range', { clusterName: 'port', workers: [{ memberId: 'w', host: 'h', port: 70000 }] }, 'input.workers[0].port'],
    ['a megabyte host name', { clusterName: 'huge', workers: [{ memberId: 'w', host: 'h'.repeat(1 << 20) }] }, 'input.workers[0].host'],
    ['a NUL in a memberId', { clusterName: 'nul', workers: [{ memberId: 'w\u0000', host: 'h' }] }, 'input.workers[0].memberId'],
    ['a line break in a host', { clusterName: 'newline', workers: [{ memberId: 'w', host: 'h\nx' }] }, 'input.workers[0].host'],
    ['a control character in the manager host', { clusterName: 'ctl', host: 'mgr\u001e' }, 'input.host'],
    ['an operation that is not an identifier', { clusterName: 'ops', operations: [{ name: 'drop tables' }] }, 'input.operations[0].name'],
  ] as const)('rejects a registration with %s as a ValidationError, creating nothing', async (_what, input, field) => {
    const r = await tryRegister(oc.url, enrollment, input as any);
    expect(r.errors).toBeUndefined();
    expect(r.data.registerManager).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field });
    expect((await gqlOk(oc.url, ADMIN_TOKEN, `{ cluster(name: ${JSON.stringify(input.clusterName || 'x')}) { id } }`)).cluster).toBeNull();
  });
});

describe('cluster takeover', () => {
  const RELEASE = `mutation($id: ID, $name: String) { releaseCluster(id: $id, name: $name) {
    __typename ... on ReleaseClusterPayload { cluster { id name } } ... on Error { code message } } }`;
  const release = async (token: string, vars: { id?: string; name?: string }) => gql(oc.url, token, RELEASE, vars);
  const managers: ScriptedManager[] = [];
  afterAll(async () => {
    for (const m of managers) await m.stop();
  });
  /** A real manager of its own cluster: registered with its own enrollment token, holding managerTasks. */
  const rightful = async (clusterName: string, token: string) => {
    const m = new ScriptedManager(oc.url, token, clusterName, 'AS', ['w1', 'w2']);
    managers.push(m);
    m.restartMs = 20;
    await m.register();
    m.connect();
    await waitFor(async () => (await cluster(oc, clusterName)).manager.connected, `${clusterName}'s manager to be connected`);
    return m;
  };
  const refusedAsTakeover = (r: any, clusterName: string) => {
    expect(r.errors).toBeUndefined();
    expect(r.data.registerManager).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT' });
    expect(r.data.registerManager.message).toContain(`cluster "${clusterName}" is bound to another enrollment token`);
    expect(r.data.registerManager.message).toContain(`clusterName: "${clusterName}"`);
    expect(r.data.registerManager.message).toContain('releaseCluster');
  };

  it('refuses another unscoped enrollment token: the rightful manager keeps its session, its connection and its tasks', async () => {
    const owner = (await createToken(oc.url, 'MANAGER', 'guarded-owner')).token;
    const intruder = (await createToken(oc.url, 'MANAGER', 'intruder')).token;
    const m = await rightful('guarded', owner);
    const before = await cluster(oc, 'guarded');

    refusedAsTakeover(await tryRegister(oc.url, intruder, { clusterName: 'guarded', url: 'https://intruder.example', workers: [{ memberId: 'forged', host: 'h' }] }), 'guarded');

    // Nothing changed: same manager, same members, and its session is still the live one.
    const after = await cluster(oc, 'guarded');
    expect(after.manager).toEqual(before.manager);
    expect(members(after)).toEqual(members(before));
    expect((await reportMembership(oc.url, m.session, [])).__typename).toBe('ReportMembershipPayload');
    // ... and the cluster's tasks still go to it, not to the intruder.
    const d = await gqlOk(oc.url, ADMIN_TOKEN, 'mutation($id: ID!) { restartCluster(input: { clusterId: $id, strategy: { batchSize: 2 } }) { __typename ... on CommandPayload { command { id } } } }', { id: m.clusterId });
    expect(d.restartCluster.__typename).toBe('CommandPayload');
    await waitFor(() => m.tasksSeen.some((t) => t.action === 'RESTART_WORKERS' && t.memberIds.join() === 'w1,w2'), 'the rightful manager to receive the restart task');
    const done = await waitFor(async () => {
      const c = (await gqlOk(oc.url, ADMIN_TOKEN, 'query($id: ID!) { command(id: $id) { state } }', { id: d.restartCluster.command.id })).command;
      return c.state === 'RUNNING' || c.state === 'PENDING' ? null : c;
    }, 'the restart to end');
    expect(done.state).toBe('SUCCEEDED');
    // Its own token may register it again (a restarted manager).
    await m.register();
    expect((await cluster(oc, 'guarded')).manager.connected).toBe(true);
  });

  it('lets a token created for the cluster by name take it over, and binds the cluster to that token', async () => {
    const owner = (await createToken(oc.url, 'MANAGER', 'moving-owner')).token;
    const first = await register(oc.url, owner, { clusterName: 'moving', workers: workerInputs(1) });
    const bound = (await createToken(oc.url, 'MANAGER', 'moving-bound', 'moving')).token;
    const moved = await register(oc.url, bound, { clusterName: 'moving', url: 'https://new-home.example', workers: workerInputs(1) });
    expect(moved.clusterId).toBe(first.clusterId);
    expect((await cluster(oc, 'moving')).manager.url).toBe('https://new-home.example');
    // The first token no longer holds it.
    refusedAsTakeover(await tryRegister(oc.url, owner, { clusterName: 'moving', workers: workerInputs(1) }), 'moving');
  });

  it('lets any enrollment token take a cluster an ADMIN released (by name or id), and binds it to that token', async () => {
    const owner = (await createToken(oc.url, 'MANAGER', 'released-owner')).token;
    const successor = (await createToken(oc.url, 'MANAGER', 'released-successor')).token;
    const first = await register(oc.url, owner, { clusterName: 'released', workers: workerInputs(2) });
    refusedAsTakeover(await tryRegister(oc.url, successor, { clusterName: 'released' }), 'released');

    const r = await release(ADMIN_TOKEN, { name: 'released' });
    expect(r.data.releaseCluster).toEqual({ __typename: 'ReleaseClusterPayload', cluster: { id: first.clusterId, name: 'released' } });
    // Released, not disconnected: the manager keeps its session until another registers.
    expect((await reportMembership(oc.url, first.sessionToken, [])).__typename).toBe('ReportMembershipPayload');
    const next = await register(oc.url, successor, { clusterName: 'released', workers: workerInputs(2) });
    expect(next.clusterId).toBe(first.clusterId);
    refusedAsTakeover(await tryRegister(oc.url, owner, { clusterName: 'released' }), 'released');

    expect((await release(ADMIN_TOKEN, { id: first.clusterId })).data.releaseCluster.__typename).toBe('ReleaseClusterPayload');
    await register(oc.url, owner, { clusterName: 'released', workers: workerInputs(2) });
  });

  it('answers releaseCluster of an unknown cluster, or with neither or both of id and name, with typed errors; only ADMIN may call it', async () => {
    expect((await release(ADMIN_TOKEN, { name: 'no-such-cluster' })).data.releaseCluster).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    expect((await release(ADMIN_TOKEN, {})).data.releaseCluster).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION' });
    const { clusterId } = await register(oc.url, enrollment, { clusterName: 'release-args' });
    expect((await release(ADMIN_TOKEN, { id: clusterId, name: 'release-args' })).data.releaseCluster).toMatchObject({ __typename: 'ValidationError' });
    for (const role of ['VIEWER', 'OPERATOR', 'MANAGER'] as const) {
      const r = await release((await createToken(oc.url, role)).token, { name: 'release-args' });
      expect(r.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
    }
  });
});

describe('reportMembership', () => {
  let session: string;
  let clusterId: string;
  let watch: Subscription<any>;
  const w = (memberId: string, state: WorkerInput['state'] = 'RUNNING'): WorkerInput => ({ memberId, host: `${memberId}.local`, state });
  const ev = (seq: number, change: MembershipEventInput['change'], worker: WorkerInput): MembershipEventInput => ({ seq, change, worker });
  const stateOf = async () => Object.fromEntries(members(await cluster(oc, 'seq')).map((x: any) => [x.memberId, x.state]));

  beforeAll(async () => {
    ({ sessionToken: session, clusterId } = await register(oc.url, enrollment, { clusterName: 'seq', workers: [w('a'), w('b')] }));
  });
  afterAll(() => watch?.close());

  it('applies events in seq order and says how far it holds them', async () => {
    watch = await subscribeReady(oc.url, wsClient(oc.url, ADMIN_TOKEN), MEMBERSHIP, { id: clusterId });
    const r = await reportMembership(oc.url, session, [ev(1, 'STATE_CHANGED', w('a', 'STOPPING')), ev(2, 'JOINED', w('c', 'STARTING')), ev(3, 'LEFT', w('b'))]);
    expect(r).toMatchObject({ __typename: 'ReportMembershipPayload', acceptedThroughSeq: 3, applied: 3 });
    const got = [await watch.next(), await watch.next(), await watch.next()].map((e) => [e.membershipChanged.change, e.membershipChanged.worker.memberId]);
    expect(got).toEqual([
      ['STATE_CHANGED', 'a'],
      ['JOINED', 'c'],
      ['LEFT', 'b'],
    ]);
    expect(await stateOf()).toEqual({ a: 'STOPPING', c: 'STARTING' });
  });

  it('ignores duplicates: a resent batch changes nothing and acceptedThroughSeq stays', async () => {
    const before = members(await cluster(oc, 'seq'));
    const r = await reportMembership(oc.url, session, [ev(2, 'JOINED', w('c', 'FAILED')), ev(3, 'LEFT', w('b'))]);
    expect(r).toMatchObject({ __typename: 'ReportMembershipPayload', acceptedThroughSeq: 3, applied: 0 });
    expect(members(await cluster(oc, 'seq'))).toEqual(before);
    // A batch that overlaps: the known part is skipped, the rest applied.
    const mixed = await reportMembership(oc.url, session, [ev(3, 'LEFT', w('b')), ev(4, 'STATE_CHANGED', w('a', 'RUNNING'))]);
    expect(mixed).toMatchObject({ acceptedThroughSeq: 4, applied: 1 });
    // The duplicates announced nothing: the next event seen is seq 4's.
    expect((await watch.next()).membershipChanged).toMatchObject({ change: 'STATE_CHANGED', worker: { memberId: 'a', state: 'RUNNING' } });
  });

  it('rejects a batch with a gap as a whole: ValidationError, nothing applied, acceptedThroughSeq unchanged', async () => {
    const r = await reportMembership(oc.url, session, [ev(6, 'STATE_CHANGED', w('a', 'FAILED'))]);
    expect(r).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field: 'input.events[0].seq' });
    expect(r.message).toMatch(/expected 5/);
    const inside = await reportMembership(oc.url, session, [ev(5, 'STATE_CHANGED', w('a', 'FAILED')), ev(7, 'STATE_CHANGED', w('c', 'FAILED'))]);
    expect(inside).toMatchObject({ __typename: 'ValidationError', field: 'input.events[1].seq' });
    expect(await stateOf()).toEqual({ a: 'RUNNING', c: 'STARTING' });
    // seq 5 is still the one expected.
    expect(await reportMembership(oc.url, session, [])).toMatchObject({ acceptedThroughSeq: 4, applied: 0 });
  });

  it('rejects a batch out of seq order as a whole', async () => {
    const r = await reportMembership(oc.url, session, [ev(5, 'STATE_CHANGED', w('a', 'FAILED')), ev(7, 'JOINED', w('d')), ev(6, 'JOINED', w('e'))]);
    expect(r).toMatchObject({ __typename: 'ValidationError', field: 'input.events[2].seq' });
    const repeated = await reportMembership(oc.url, session, [ev(5, 'STATE_CHANGED', w('a', 'FAILED')), ev(5, 'JOINED', w('d'))]);
    expect(repeated).toMatchObject({ __typename: 'ValidationError', field: 'input.events[1].seq' });
    expect(await stateOf()).toEqual({ a: 'RUNNING', c: 'STARTING' });
  });

  it.each([
    ['an empty memberId', { memberId: '', host: 'h' }, 'input.events[1].worker.memberId'],
    ['a blank memberId', { memberId: '   ', host: 'h' }, 'input.events[1].worker.memberId'],
    ['a megabyte memberId', { memberId: 'm'.repeat(1 << 20), host: 'h' }, 'input.events[1].worker.memberId'],
    ['an empty host', { memberId: 'x', host: '' }, 'input.events[1].worker.host'],
    ['a negative port', { memberId: 'x', host: 'h', port: -1 }, 'input.events[1].worker.port'],
    ['a control character in a memberId', { memberId: 'x\u001f', host: 'h' }, 'input.events[1].worker.memberId'],
    ['a tab in a host', { memberId: 'x', host: 'h\tx' }, 'input.events[1].worker.host'],
    ['a C1 control character in a host', { memberId: 'x', host: 'h\u0085' }, 'input.events[1].worker.host'],
  ])('rejects a batch with %s in one event as a whole (ValidationError naming the field)', async (_what, worker, field) => {
    const r = await reportMembership(oc.url, session, [ev(5, 'STATE_CHANGED', w('a', 'FAILED')), ev(6, 'JOINED', worker as WorkerInput)]);
    expect(r).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field });
    expect(await stateOf()).toEqual({ a: 'RUNNING', c: 'STARTING' });
  });

  it('rejects a batch with a state that is not a WorkerState as a whole (a GraphQL input error)', async () => {
    const r = await gql(oc.url, session, REPORT_MEMBERSHIP, {
      input: { events: [ev(5, 'STATE_CHANGED', w('a', 'FAILED')), ev(6, 'STATE_CHANGED', { memberId: 'c', host: 'h', state: 'ASLEEP' as any })] },
    });
    expect(r.errors?.[0]?.message).toMatch(/ASLEEP/);
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(await stateOf()).toEqual({ a: 'RUNNING', c: 'STARTING' });
  });

  it('rejects an oversized batch and a seq that is not positive', async () => {
    const many = Array.from({ length: 5001 }, (_, i) => ev(5 + i, 'JOINED', w(`m${i}`)));
    expect(await reportMembership(oc.url, session, many)).toMatchObject({ __typename: 'ValidationError', field: 'input.events' });
    expect(await reportMembership(oc.url, session, [ev(0, 'JOINED', w('z'))])).toMatchObject({ __typename: 'ValidationError', field: 'input.events[0].seq' });
    expect(await stateOf()).toEqual({ a: 'RUNNING', c: 'STARTING' });
  });

  it('starts a new registration’s session at seq 1', async () => {
    const again = await register(oc.url, enrollment, { clusterName: 'seq', workers: [w('a'), w('c')] });
    expect(await reportMembership(oc.url, again.sessionToken, [ev(1, 'JOINED', w('f'))])).toMatchObject({ acceptedThroughSeq: 1, applied: 1 });
    expect(await stateOf()).toEqual({ a: 'RUNNING', c: 'RUNNING', f: 'RUNNING' });
  });
});

describe('manager lease', () => {
  let leased: TestOc;
  beforeAll(async () => {
    leased = await startTestOc({ managerLeaseMs: 400 });
  });
  afterAll(async () => {
    await leased?.stop();
  });

  it('turns a silent manager’s cluster UNREACHABLE with MANAGER_DISCONNECTED, and a later report brings it back', async () => {
    const token = (await createToken(leased.url, 'MANAGER', 'leased')).token;
    const watch = wsClient(leased.url, ADMIN_TOKEN);
    const topo = await subscribeReady(leased.url, watch, TOPOLOGY);
    const r = await register(leased.url, token, { clusterName: 'quiet', workers: workerInputs(2) });
    expect((await topo.next()).topologyChanged.change).toBe('CLUSTER_ADDED');
    expect((await topo.next()).topologyChanged.change).toBe('MANAGER_CONNECTED');

    const gone = await topo.next(5_000);
    expect(gone.topologyChanged).toMatchObject({ change: 'MANAGER_DISCONNECTED', cluster: { id: r.clusterId, health: 'UNREACHABLE' } });
    const c = await cluster(leased, 'quiet');
    expect(c.health).toBe('UNREACHABLE');
    expect(c.manager.connected).toBe(false);
    expect((await gqlOk(leased.url, ADMIN_TOKEN, '{ clusters(health: UNREACHABLE) { edges { node { name } } } }')).clusters.edges).toEqual([{ node: { name: 'quiet' } }]);

    // Any call of the manager renews its lease.
    expect((await reportMembership(leased.url, r.sessionToken, [])).__typename).toBe('ReportMembershipPayload');
    const back = await topo.next();
    expect(back.topologyChanged).toMatchObject({ change: 'MANAGER_CONNECTED', cluster: { id: r.clusterId, health: 'HEALTHY' } });
    // Silent again: disconnected again, announced once per transition.
    expect((await topo.next(5_000)).topologyChanged.change).toBe('MANAGER_DISCONNECTED');
    await waitFor(async () => (await cluster(leased, 'quiet')).health === 'UNREACHABLE', 'the cluster to stay UNREACHABLE');
    expect(topo.events.map((e) => e.topologyChanged.change)).toEqual(['CLUSTER_ADDED', 'MANAGER_CONNECTED', 'MANAGER_DISCONNECTED', 'MANAGER_CONNECTED', 'MANAGER_DISCONNECTED']);
    await watch.dispose();
  });
});

describe('held leases', () => {
  let quiet: TestOc;
  beforeAll(async () => {
    // No background loops: the test renews by hand, and nothing expires meanwhile.
    quiet = await startTestOc({ managerLeaseMs: 60_000 }, { background: false });
  });
  afterAll(async () => {
    await quiet?.stop();
  });

  it('renews together every lease whose managerTasks stream the instance holds, announcing the managers that come back, and no more once a stream ends', async () => {
    const token = (await createToken(quiet.url, 'MANAGER', 'held')).token;
    const rs = await Promise.all(['held-1', 'held-2', 'held-3'].map((clusterName) => register(quiet.url, token, { clusterName, workers: workerInputs(1) })));
    // Streams held for the first two clusters only.
    const seen = async () => (await sqlRows<{ at: string }>(quiet.database, "select last_seen_at::text as at from managers order by cluster_id")).map((r) => r.at);
    const registeredAt = await seen();
    const streams = rs.slice(0, 2).map((r) => wsClient(quiet.url, r.sessionToken));
    for (const c of streams) await subscribeReady(quiet.url, c, 'subscription { managerTasks { id } }');
    // Each stream renews its lease once as it starts: settled before the test moves the leases back.
    await waitFor(async () => (await seen()).filter((at, i) => at !== registeredAt[i]).length === 2, 'the streams to renew their leases as they start');
    const disconnectAll = async () => {
      await sqlRows(quiet.database, "update managers set connected = false, last_seen_at = now() - interval '1 hour'");
    };
    const connected = async () =>
      (await sqlRows<{ name: string }>(quiet.database, 'select c.name from managers m join clusters c on c.id = m.cluster_id where m.connected order by c.name')).map((r) => r.name);
    await disconnectAll();
    const watch = wsClient(quiet.url, ADMIN_TOKEN);
    const topo = await subscribeReady(quiet.url, watch, TOPOLOGY);

    expect(await quiet.app.services.managers.renewHeldLeases()).toBe(2);
    expect(await connected()).toEqual(['held-1', 'held-2']);
    const back = [(await topo.next()).topologyChanged, (await topo.next()).topologyChanged];
    expect(back.map((e) => e.change)).toEqual(['MANAGER_CONNECTED', 'MANAGER_CONNECTED']);
    expect(back.map((e) => e.cluster.name).sort()).toEqual(['held-1', 'held-2']);

    // Renewing leases that are held and connected announces nothing.
    expect(await quiet.app.services.managers.renewHeldLeases()).toBe(2);

    // A stream that ends no longer holds its lease.
    await streams[0]!.dispose();
    await waitFor(async () => (await quiet.app.services.managers.renewHeldLeases()) === 1, 'the ended stream to release its lease');
    await disconnectAll();
    expect(await quiet.app.services.managers.renewHeldLeases()).toBe(1);
    expect(await connected()).toEqual(['held-2']);
    expect((await topo.next()).topologyChanged).toMatchObject({ change: 'MANAGER_CONNECTED', cluster: { name: 'held-2' } });
    expect(topo.events).toHaveLength(3);
    await streams[1]!.dispose();
    await watch.dispose();
  });
});

describe.runIf(TEST_DATABASE_URL)('registerManager over capacity (on PostgreSQL)', () => {
  it('refuses a registration past the instance\'s bound with OVERLOADED, HTTP 503 and Retry-After, doing nothing of it; the registration in hand completes', async () => {
    const small = await oc.restart({ registrationConcurrency: 1, registrationQueue: 0 });
    const token = (await createToken(small.url, 'MANAGER', 'capacity')).token;
    await register(small.url, token, { clusterName: 'cap-held', workers: workerInputs(2) });
    // Hold the cluster's row from outside: its next registration takes the one slot and waits on the lock.
    const holder = new pg.Client({ connectionString: small.config.databaseUrl! });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query("select 1 from clusters where name = 'cap-held' for update");
      const held = tryRegister(small.url, token, { clusterName: 'cap-held', workers: workerInputs(3) });
      await waitFor(
        async () => (await holder.query("select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'")).rowCount! > 0,
        'the held registration to wait on the row lock',
      );
      const res = await fetch(`${small.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: REGISTER_MANAGER, variables: { input: { clusterName: 'cap-refused', kind: 'AS', host: 'h', url: 'https://h.example', workers: workerInputs(2) } } }),
      });
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await res.json()) as { data: unknown; errors: { extensions: { code: string; retryAfterMs: number; http?: unknown } }[] };
      expect(body.data).toBeNull();
      expect(body.errors[0]!.extensions).toMatchObject({ code: 'OVERLOADED' });
      expect(body.errors[0]!.extensions.retryAfterMs).toBeGreaterThanOrEqual(1000);
      expect(body.errors[0]!.extensions.http).toBeUndefined();
      await holder.query('rollback');
      expect((await held).data.registerManager.__typename).toBe('RegisterManagerPayload');
      expect(await sqlRows(small.database, "select 1 from clusters where name = 'cap-refused'")).toEqual([]);
      // With the slot free again, the refused registration goes through.
      await register(small.url, token, { clusterName: 'cap-refused', workers: workerInputs(2) });
    } finally {
      await holder.end();
      await small.stop();
    }
  });
});

describe.runIf(TEST_DATABASE_URL)('reportStats over capacity (on PostgreSQL)', () => {
  it("refuses a stats report past the instance's bound with OVERLOADED, HTTP 503 and Retry-After, writing nothing of it; the report in hand completes", async () => {
    const small = await oc.restart({ statsConcurrency: 1, statsQueue: 0 });
    const token = (await createToken(small.url, 'MANAGER', 'stats-capacity')).token;
    const held = await register(small.url, token, { clusterName: 'stats-held', workers: workerInputs(2) });
    const other = await register(small.url, token, { clusterName: 'stats-refused', workers: workerInputs(2) });
    const sample = (memberId: string, cpuPercent: number) => ({ memberId, at: new Date().toISOString(), cpuPercent, memoryMb: 256, requestsPerSec: 1, errorsPerSec: 0 });
    // Hold the first cluster's session row from outside: its stats report takes the one slot and waits on the lock.
    const holder = new pg.Client({ connectionString: small.config.databaseUrl! });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query("select 1 from manager_sessions where cluster_id = (select id from clusters where name = 'stats-held') and revoked_at is null for update");
      const inHand = reportStats(small.url, held.sessionToken, [sample('w-000', 10)]);
      await waitFor(
        async () => (await holder.query("select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'")).rowCount! > 0,
        'the held stats report to wait on the row lock',
      );
      const res = await fetch(`${small.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${other.sessionToken}` },
        body: JSON.stringify({ query: REPORT_STATS, variables: { input: { samples: [sample('w-000', 77)] } } }),
      });
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await res.json()) as { data: unknown; errors: { extensions: { code: string; retryAfterMs: number } }[] };
      expect(body.data).toBeNull();
      expect(body.errors[0]!.extensions).toMatchObject({ code: 'OVERLOADED' });
      expect(body.errors[0]!.extensions.retryAfterMs).toBeGreaterThanOrEqual(1000);
      await holder.query('rollback');
      expect(await inHand).toMatchObject({ accepted: 1 });
      // Nothing of the refused report was written; with the slot free again, it goes through.
      expect(await sqlRows(small.database, "select 1 from workers where cluster_id = (select id from clusters where name = 'stats-refused') and cpu_percent is not null")).toEqual([]);
      expect(await reportStats(small.url, other.sessionToken, [sample('w-000', 77)])).toMatchObject({ accepted: 1 });
      expect(await sqlRows(small.database, "select cpu_percent from workers where cluster_id = (select id from clusters where name = 'stats-refused') and cpu_percent is not null")).toEqual([{ cpu_percent: 77 }]);
    } finally {
      await holder.end();
      await small.stop();
    }
  });
});
