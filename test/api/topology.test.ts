import { readdirSync, readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { naturalKey } from '../../src/domain/natural-order.js';
import { gql, gqlOk, subscribeReady, wsClient } from '../support/client.js';
import { ShiftedClock } from '../support/clock.js';
import { register, reportMembership, reportStats, type StatsSampleInput, type WorkerInput, workerInputs } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';
import { waitFor } from '../support/wait.js';

const clock = new ShiftedClock();
let oc: TestOc;
let enrollment: string;
beforeAll(async () => {
  oc = await startTestOc({}, { clock });
  enrollment = (await createToken(oc.url, 'MANAGER', 'topology')).token;
});
afterAll(async () => {
  await oc?.stop();
});

const q = (query: string, variables?: Record<string, unknown>) => gqlOk(oc.url, ADMIN_TOKEN, query, variables);
const errorCode = async (query: string, variables?: Record<string, unknown>) => {
  const r = await gql(oc.url, ADMIN_TOKEN, query, variables);
  expect(r.status).toBe(200);
  return r.errors?.map((e) => e.extensions?.code);
};
const names = (conn: any) => conn.edges.map((e: any) => e.node.name);
const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64');
const sample = (memberId: string, cpuPercent: number, memoryMb: number, requestsPerSec: number, errorsPerSec: number, at?: Date): StatsSampleInput => ({
  memberId,
  cpuPercent,
  memoryMb,
  requestsPerSec,
  errorsPerSec,
  ...(at ? { at: at.toISOString() } : {}),
});

describe('cluster health', () => {
  beforeAll(async () => {
    // Its manager goes silent: its lease runs out once the clock has moved past it.
    await register(oc.url, enrollment, { clusterName: 'h-unreachable', kind: 'hc', workers: workerInputs(2) });
    clock.advance(oc.config.managerLeaseMs + 1000);
    await waitFor(async () => (await q('{ cluster(name: "h-unreachable") { health } }')).cluster.health === 'UNREACHABLE', 'the silent manager’s lease to run out');
    await register(oc.url, enrollment, { clusterName: 'h-healthy', kind: 'hc', workers: workerInputs(2) });
    await register(oc.url, enrollment, { clusterName: 'h-degraded', kind: 'hc', workers: [...workerInputs(1), { memberId: 'w-x', host: 'h', state: 'FAILED' }] });
    await register(oc.url, enrollment, { clusterName: 'h-starting', kind: 'hc', workers: [...workerInputs(1), { memberId: 'w-x', host: 'h', state: 'STARTING' }] });
    await register(oc.url, enrollment, { clusterName: 'h-unavailable', kind: 'hc', workers: workerInputs(2, { state: 'STOPPED' }) });
    await register(oc.url, enrollment, { clusterName: 'h-empty', kind: 'hc', workers: [] });
  });

  it('follows API.md: HEALTHY, DEGRADED (some worker not RUNNING), UNAVAILABLE (none RUNNING, or none at all), UNREACHABLE', async () => {
    const d = await q('{ clusters(kind: "HC") { totalCount edges { node { name health workerCount manager { connected } } } } }');
    const byName = Object.fromEntries(d.clusters.edges.map((e: any) => [e.node.name, [e.node.health, e.node.workerCount, e.node.manager.connected]]));
    expect(byName).toEqual({
      'h-degraded': ['DEGRADED', 2, true],
      'h-empty': ['UNAVAILABLE', 0, true],
      'h-healthy': ['HEALTHY', 2, true],
      'h-starting': ['DEGRADED', 2, true],
      'h-unavailable': ['UNAVAILABLE', 2, true],
      'h-unreachable': ['UNREACHABLE', 2, false],
    });
    expect(d.clusters.totalCount).toBe(6);
  });

  it.each([
    ['HEALTHY', ['h-healthy']],
    ['DEGRADED', ['h-degraded', 'h-starting']],
    ['UNAVAILABLE', ['h-empty', 'h-unavailable']],
    ['UNREACHABLE', ['h-unreachable']],
  ])('filters clusters by health %s (with totalCount over the filter)', async (health, expected) => {
    const d = await q(`{ clusters(kind: "hc", health: ${health}) { totalCount edges { node { name health } } } }`);
    expect(names(d.clusters)).toEqual(expected);
    expect(d.clusters.totalCount).toBe(expected.length);
    expect(d.clusters.edges.every((e: any) => e.node.health === health)).toBe(true);
  });

  it('pages through a health filter', async () => {
    const p1 = await q('{ clusters(kind: "hc", health: DEGRADED, first: 1) { totalCount edges { node { name } } pageInfo { hasNextPage endCursor } } }');
    expect(names(p1.clusters)).toEqual(['h-degraded']);
    expect(p1.clusters.pageInfo.hasNextPage).toBe(true);
    const p2 = await q('query($a: String) { clusters(kind: "hc", health: DEGRADED, first: 1, after: $a) { totalCount edges { node { name } } pageInfo { hasNextPage } } }', {
      a: p1.clusters.pageInfo.endCursor,
    });
    expect(names(p2.clusters)).toEqual(['h-starting']);
    expect(p2.clusters).toMatchObject({ totalCount: 2, pageInfo: { hasNextPage: false } });
  });

  it('filters by kind, whatever its case, on Query.clusters and System.clusters alike', async () => {
    await register(oc.url, enrollment, { clusterName: 'k-esb', kind: 'ESB-X', workers: workerInputs(1) });
    const d = await q('{ clusters(kind: "esb-x") { totalCount edges { node { name kind } } } system { clusters(kind: "ESB-X") { totalCount } } }');
    expect(d.clusters.edges).toEqual([{ node: { name: 'k-esb', kind: 'ESB-X' } }]);
    expect(d.system.clusters.totalCount).toBe(1);
    expect((await q('{ clusters(kind: "nothing-of-that-kind") { totalCount edges { cursor } } }')).clusters).toEqual({ totalCount: 0, edges: [] });
  });

  it('changes health as membership changes', async () => {
    const r = await register(oc.url, enrollment, { clusterName: 'h-moving', kind: 'hc2', workers: workerInputs(2) });
    const health = async () => (await q('{ cluster(name: "h-moving") { health } }')).cluster.health;
    expect(await health()).toBe('HEALTHY');
    await reportMembership(oc.url, r.sessionToken, [{ seq: 1, change: 'STATE_CHANGED', worker: { memberId: 'w-000', host: 'h', state: 'STOPPING' } }]);
    expect(await health()).toBe('DEGRADED');
    await reportMembership(oc.url, r.sessionToken, [{ seq: 2, change: 'LEFT', worker: { memberId: 'w-001', host: 'h' } }]);
    expect(await health()).toBe('UNAVAILABLE');
    await reportMembership(oc.url, r.sessionToken, [{ seq: 3, change: 'STATE_CHANGED', worker: { memberId: 'w-000', host: 'h', state: 'RUNNING' } }]);
    expect(await health()).toBe('HEALTHY');
  });
});

describe('pagination', () => {
  const CLUSTERS = `query($first: Int, $after: String) { clusters(kind: "PAGE", first: $first, after: $after) {
    totalCount edges { cursor node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
  let clusterId = '';
  beforeAll(async () => {
    for (const n of [3, 0, 6, 1, 5, 2, 4]) await register(oc.url, enrollment, { clusterName: `p-${n}`, kind: 'page', workers: n === 0 ? workerInputs(5) : [] });
    clusterId = (await q('{ cluster(name: "p-0") { id } }')).cluster.id;
  });

  it('orders clusters by name and walks every page once with first/after', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const d: any = await q(CLUSTERS, { first: 3, after });
      expect(d.clusters.totalCount).toBe(7);
      seen.push(...names(d.clusters));
      if (!d.clusters.pageInfo.hasNextPage) break;
      after = d.clusters.pageInfo.endCursor;
    }
    expect(seen).toEqual(['p-0', 'p-1', 'p-2', 'p-3', 'p-4', 'p-5', 'p-6']);
  });

  it('gives an empty page with hasNextPage for first: 0', async () => {
    const d = await q(CLUSTERS, { first: 0 });
    expect(d.clusters).toEqual({ totalCount: 7, edges: [], pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null } });
  });

  it('gives every cluster and no next page for first = total', async () => {
    const d = await q(CLUSTERS, { first: 7 });
    expect(names(d.clusters)).toHaveLength(7);
    expect(d.clusters.pageInfo.hasNextPage).toBe(false);
    expect(d.clusters.pageInfo.endCursor).toBe(d.clusters.edges[6].cursor);
  });

  it('gives an empty page without a next one after the last cursor', async () => {
    const all = await q(CLUSTERS, { first: 7 });
    const d = await q(CLUSTERS, { first: 3, after: all.clusters.pageInfo.endCursor });
    expect(d.clusters.edges).toEqual([]);
    expect(d.clusters.totalCount).toBe(7);
    expect(d.clusters.pageInfo).toMatchObject({ hasNextPage: false, endCursor: null });
  });

  it.each([
    ['a malformed cursor', { after: 'definitely-not-a-cursor' }],
    ['a cursor of another list', { after: Buffer.from('worker:w-001').toString('base64url') }],
    ['a negative first', { first: -1 }],
    ['an absurd first', { first: 1_000_000 }],
  ])('answers %s with BAD_USER_INPUT', async (_what, vars) => {
    expect(await errorCode(CLUSTERS, vars)).toEqual(['BAD_USER_INPUT']);
  });

  it('lists clusters in natural order (as-2 before as-10), across pages and on System.clusters alike', async () => {
    for (const n of ['as-10', 'as-2', 'as-1', 'as-100', 'as-9', 'AS-3', 'as-02b', 'as-2a', 'as']) await register(oc.url, enrollment, { clusterName: n, kind: 'natural', workers: [] });
    const want = ['as', 'as-1', 'as-2', 'as-2a', 'as-02b', 'AS-3', 'as-9', 'as-10', 'as-100'];
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const d: any = await q('query($after: String) { clusters(kind: "natural", first: 2, after: $after) { edges { node { name } } pageInfo { hasNextPage endCursor } } }', { after });
      seen.push(...names(d.clusters));
      if (!d.clusters.pageInfo.hasNextPage) break;
      after = d.clusters.pageInfo.endCursor;
    }
    expect(seen).toEqual(want);
    expect(names((await q('{ system { clusters(kind: "natural") { edges { node { name } } } } }')).system.clusters)).toEqual(want);
    // A cursor holds the name of the last cluster: one made before the natural order still finds its place.
    const old = Buffer.from('cluster:as-2').toString('base64url');
    expect(names((await q('query($after: String) { clusters(kind: "natural", first: 3, after: $after) { edges { node { name } } } }', { after: old })).clusters)).toEqual(['as-2a', 'as-02b', 'AS-3']);
  });

  it('has the migration compute, for clusters that existed before it, the natural key a new cluster gets', async () => {
    const dir = readdirSync('drizzle').find((d) => d.endsWith('_cluster_sort_key_backfill'))!;
    const backfill = readFileSync(`drizzle/${dir}/migration.sql`, 'utf8');
    const names = [...new Set(fc.sample(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,40}$/), 300).concat(['x-10', 'x-007', 'x000', '0', '00a00', 'A-B-9']))];
    const rollback = new Error('rollback');
    await expect(
      oc.database.db.transaction(async (tx) => {
        await tx.execute(sql`insert into clusters (name, kind) select n, 'backfill' from unnest(${sql.param(names)}::text[]) n on conflict do nothing`);
        await tx.execute(sql`update clusters set sort_key = ''`);
        await tx.execute(sql.raw(backfill));
        const rows = ((await tx.execute(sql`select name, sort_key from clusters`)) as unknown as { rows: { name: string; sort_key: string }[] }).rows;
        expect(rows.length).toBeGreaterThanOrEqual(names.length);
        for (const r of rows) expect(r.sort_key, r.name).toBe(naturalKey(r.name));
        throw rollback;
      }),
    ).rejects.toBe(rollback);
  });

  it('pages workers the same way, with totalCount and a state filter', async () => {
    const W = `query($id: ID!, $first: Int, $after: String, $state: WorkerState) { node(id: $id) { ... on Cluster {
      workers(first: $first, after: $after, state: $state) { totalCount edges { cursor node { memberId } } pageInfo { hasNextPage endCursor } } } } }`;
    const p1 = (await q(W, { id: clusterId, first: 2 })).node.workers;
    expect(p1.edges.map((e: any) => e.node.memberId)).toEqual(['w-000', 'w-001']);
    expect(p1).toMatchObject({ totalCount: 5, pageInfo: { hasNextPage: true } });
    const p2 = (await q(W, { id: clusterId, first: 3, after: p1.pageInfo.endCursor })).node.workers;
    expect(p2.edges.map((e: any) => e.node.memberId)).toEqual(['w-002', 'w-003', 'w-004']);
    expect(p2.pageInfo.hasNextPage).toBe(false);
    const past = (await q(W, { id: clusterId, first: 3, after: p2.pageInfo.endCursor })).node.workers;
    expect(past).toMatchObject({ totalCount: 5, edges: [], pageInfo: { hasNextPage: false } });
    expect((await q(W, { id: clusterId, first: 0 })).node.workers).toMatchObject({ totalCount: 5, edges: [], pageInfo: { hasNextPage: true } });
    expect((await q(W, { id: clusterId, state: 'FAILED' })).node.workers).toMatchObject({ totalCount: 0, edges: [] });
    expect(await errorCode(W, { id: clusterId, first: -5 })).toEqual(['BAD_USER_INPUT']);
    expect(await errorCode(W, { id: clusterId, after: Buffer.from('cluster:p-1').toString('base64url') })).toEqual(['BAD_USER_INPUT']);
  });
});

describe('lookups', () => {
  let ids: { cluster: string; manager: string; worker: string };
  beforeAll(async () => {
    await register(oc.url, enrollment, {
      clusterName: 'lookup',
      kind: 'esb',
      version: '3.1',
      operations: [{ name: 'dumpThreads', description: 'thread dump', inputSchema: { type: 'object', properties: { depth: { type: 'integer' } } } }],
      workers: [
        { memberId: 'node-a', host: 'a.local', port: 9000, state: 'RUNNING', startedAt: '2026-03-01T10:00:00.000Z', artifacts: [{ name: 'app', version: '1.0', deployedAt: '2026-02-01T00:00:00.000Z' }] },
        { memberId: 'node-b', host: 'b.local', state: 'STARTING' },
      ],
    });
    const d = await q('{ cluster(name: "lookup") { id manager { id } workers { edges { node { id memberId } } } } }');
    ids = { cluster: d.cluster.id, manager: d.cluster.manager.id, worker: d.cluster.workers.edges[0].node.id };
  });

  it('finds a cluster by id and by name, and says null for an unknown one', async () => {
    expect((await q('query($id: ID) { cluster(id: $id) { name } }', { id: ids.cluster })).cluster.name).toBe('lookup');
    expect((await q('{ cluster(name: "lookup") { id } }')).cluster.id).toBe(ids.cluster);
    expect((await q('{ cluster(name: "no-such-cluster") { id } }')).cluster).toBeNull();
    expect((await q('query($id: ID) { cluster(id: $id) { id } }', { id: globalId('Cluster', '00000000-0000-4000-8000-000000000000') })).cluster).toBeNull();
  });

  it('refuses cluster() with neither or both of id and name, or with the id of another type', async () => {
    expect(await errorCode('{ cluster { id } }')).toEqual(['BAD_USER_INPUT']);
    expect(await errorCode('query($id: ID) { cluster(id: $id, name: "lookup") { id } }', { id: ids.cluster })).toEqual(['BAD_USER_INPUT']);
    expect(await errorCode('query($id: ID) { cluster(id: $id) { id } }', { id: ids.worker })).toEqual(['BAD_USER_INPUT']);
  });

  it('resolves node(id) for a Cluster, a Manager and a Worker', async () => {
    const N = `query($id: ID!) { node(id: $id) { __typename id
      ... on Cluster { name }
      ... on Manager { host cluster { name } }
      ... on Worker { memberId cluster { name } } } }`;
    expect((await q(N, { id: ids.cluster })).node).toEqual({ __typename: 'Cluster', id: ids.cluster, name: 'lookup' });
    expect((await q(N, { id: ids.manager })).node).toEqual({ __typename: 'Manager', id: ids.manager, host: 'lookup-mgr', cluster: { name: 'lookup' } });
    expect((await q(N, { id: ids.worker })).node).toEqual({ __typename: 'Worker', id: ids.worker, memberId: 'node-a', cluster: { name: 'lookup' } });
  });

  it('answers node(id) of an unknown object with null, and of a malformed global id with BAD_USER_INPUT (not a crash)', async () => {
    expect((await q('query($id: ID!) { node(id: $id) { id } }', { id: globalId('Worker', '00000000-0000-4000-8000-000000000000') })).node).toBeNull();
    for (const bad of ['garbage', '', '%%%', Buffer.from('no-colon').toString('base64'), globalId('Cluster', 'not-a-uuid'), globalId('Foo', '00000000-0000-4000-8000-000000000000')]) {
      const r = await gql(oc.url, ADMIN_TOKEN, 'query($id: ID!) { node(id: $id) { id } }', { id: bad });
      expect(r.errors?.map((e) => e.extensions?.code), bad).toEqual(['BAD_USER_INPUT']);
      expect(r.data?.node ?? null).toBeNull();
    }
  });

  it('shows every Worker field', async () => {
    const d = await q(`{ cluster(name: "lookup") { workers { edges { node {
      memberId host port state startedAt joinedAt stateChangedAt artifacts { name version deployedAt } stats { cpuPercent } cluster { name } } } } } }`);
    const [a, b] = d.cluster.workers.edges.map((e: any) => e.node);
    expect(a).toMatchObject({
      memberId: 'node-a',
      host: 'a.local',
      port: 9000,
      state: 'RUNNING',
      startedAt: '2026-03-01T10:00:00.000Z',
      artifacts: [{ name: 'app', version: '1.0', deployedAt: '2026-02-01T00:00:00.000Z' }],
      stats: null,
      cluster: { name: 'lookup' },
    });
    expect(b).toMatchObject({ memberId: 'node-b', host: 'b.local', port: null, state: 'STARTING', startedAt: null, artifacts: [] });
    for (const w of [a, b]) for (const f of ['joinedAt', 'stateChangedAt']) expect(Number.isNaN(Date.parse(w[f])), f).toBe(false);
  });

  it('shows every Manager field', async () => {
    const d = await q('{ cluster(name: "lookup") { manager { host url version connected lastSeenAt registeredAt operations { name description inputSchema } cluster { name } } } }');
    expect(d.cluster.manager).toMatchObject({
      host: 'lookup-mgr',
      url: 'https://lookup.example:9990/console',
      version: '3.1',
      connected: true,
      operations: [{ name: 'dumpThreads', description: 'thread dump', inputSchema: { type: 'object', properties: { depth: { type: 'integer' } } } }],
      cluster: { name: 'lookup' },
    });
    expect(Date.parse(d.cluster.manager.lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(d.cluster.manager.registeredAt));
  });

  it('keeps stateChangedAt until the state changes, and moves it when it does', async () => {
    const r = await register(oc.url, enrollment, { clusterName: 'since', workers: workerInputs(1) });
    const at = async () => (await q('{ cluster(name: "since") { workers { edges { node { state stateChangedAt } } } } }')).cluster.workers.edges[0].node;
    const first = await at();
    await reportMembership(oc.url, r.sessionToken, [{ seq: 1, change: 'STATE_CHANGED', worker: { memberId: 'w-000', host: 'moved.local', state: 'RUNNING' } }]);
    expect(await at()).toEqual(first);
    clock.advance(1000);
    await reportMembership(oc.url, r.sessionToken, [{ seq: 2, change: 'STATE_CHANGED', worker: { memberId: 'w-000', host: 'moved.local', state: 'STOPPING' } }]);
    const second = await at();
    expect(second.state).toBe('STOPPING');
    expect(Date.parse(second.stateChangedAt)).toBeGreaterThan(Date.parse(first.stateChangedAt));
  });

  it('counts artifact versions across a cluster, so version skew is visible', async () => {
    const v = (version: string) => [{ name: 'app', version }, { name: 'lib', version: '2.0' }];
    await register(oc.url, enrollment, {
      clusterName: 'skewed',
      workers: [
        ...workerInputs(2, { prefix: 'old', artifacts: v('1.0') }),
        ...workerInputs(1, { prefix: 'new', artifacts: v('1.1') }),
        ...workerInputs(1, { prefix: 'bare' }),
      ],
    });
    const d = await q('{ cluster(name: "skewed") { artifacts { name version workerCount } } }');
    expect(d.cluster.artifacts).toEqual([
      { name: 'app', version: '1.0', workerCount: 2 },
      { name: 'app', version: '1.1', workerCount: 1 },
      { name: 'lib', version: '2.0', workerCount: 3 },
    ]);
    expect((await q('{ cluster(name: "lookup") { artifacts { name version workerCount } } }')).cluster.artifacts).toEqual([{ name: 'app', version: '1.0', workerCount: 1 }]);
  });
});

describe('stats', () => {
  let s1: { sessionToken: string; clusterId: string };
  let s2: { sessionToken: string; clusterId: string };
  const STATS = 'sampledAt cpuPercent memoryMb requestsPerSec errorsPerSec';

  beforeAll(async () => {
    s1 = await register(oc.url, enrollment, { clusterName: 'stats-1', kind: 'stat', workers: workerInputs(3) });
    s2 = await register(oc.url, enrollment, { clusterName: 'stats-2', kind: 'stat', workers: workerInputs(1) });
  });

  it('has no stats before any report', async () => {
    expect((await q('{ cluster(name: "stats-1") { stats { cpuPercent } } }')).cluster.stats).toBeNull();
  });

  it('aggregates a report into Cluster.stats (cpu averaged; memory, requests and errors summed) and announces it on clusterStats', async () => {
    const ws = wsClient(oc.url, ADMIN_TOKEN);
    const sub = await subscribeReady(oc.url, ws, `subscription($id: ID!) { clusterStats(clusterId: $id) { ${STATS} } }`, { id: s1.clusterId });
    const at = clock.now();
    const r = await reportStats(oc.url, s1.sessionToken, [
      sample('w-000', 10, 100, 1, 0.5, at),
      sample('w-001', 20, 200, 2, 0, at),
      sample('w-002', 60, 300, 3, 1.5, at),
      sample('not-a-member', 99, 99, 99, 99, at),
    ]);
    const expected = { sampledAt: at.toISOString(), cpuPercent: 30, memoryMb: 600, requestsPerSec: 6, errorsPerSec: 2 };
    expect(r).toMatchObject({ __typename: 'ReportStatsPayload', accepted: 3, stats: expected });
    expect((await sub.next()).clusterStats).toEqual(expected);
    expect((await q(`{ cluster(name: "stats-1") { stats { ${STATS} } workers { edges { node { memberId stats { cpuPercent memoryMb } } } } } }`)).cluster).toEqual({
      stats: expected,
      workers: {
        edges: [
          { node: { memberId: 'w-000', stats: { cpuPercent: 10, memoryMb: 100 } } },
          { node: { memberId: 'w-001', stats: { cpuPercent: 20, memoryMb: 200 } } },
          { node: { memberId: 'w-002', stats: { cpuPercent: 60, memoryMb: 300 } } },
        ],
      },
    });
    // Another cluster's report is not this subscription's business.
    await reportStats(oc.url, s2.sessionToken, [sample('w-000', 50, 1000, 10, 1)]);
    expect((await reportStats(oc.url, s1.sessionToken, [sample('w-000', 40, 100, 1, 0.5)])).stats.cpuPercent).toBe(40);
    expect((await sub.next()).clusterStats.cpuPercent).toBe(40);
    sub.close();
    await ws.dispose();
  });

  it('sums every cluster into System.stats (cpu averaged over every worker sampled)', async () => {
    const d = await q(`{ system { stats { cpuPercent memoryMb requestsPerSec errorsPerSec } } }`);
    // stats-1: 40, 20, 60 (cpu) / 100, 200, 300 (memory); stats-2: 50 / 1000
    expect(d.system.stats).toEqual({ cpuPercent: (40 + 20 + 60 + 50) / 4, memoryMb: 1600, requestsPerSec: 16, errorsPerSec: 3 });
  });

  it('keeps the newest sample of a worker: an older one is not taken', async () => {
    const old = new Date(clock.now().getTime() - 60_000);
    const r = await reportStats(oc.url, s2.sessionToken, [sample('w-000', 1, 1, 1, 1, old)]);
    expect(r.accepted).toBe(0);
    expect((await q('{ cluster(name: "stats-2") { stats { cpuPercent } } }')).cluster.stats.cpuPercent).toBe(50);
  });

  it.each([
    ['a negative cpu', sample('w-000', -1, 1, 1, 1), 'input.samples[1].cpuPercent'],
    ['an absurd memory', sample('w-000', 1, 1e12, 1, 1), 'input.samples[1].memoryMb'],
    ['an empty memberId', sample('', 1, 1, 1, 1), 'input.samples[1].memberId'],
    ['a time an hour ahead', sample('w-000', 1, 1, 1, 1, new Date(Date.now() + 3600_000)), 'input.samples[1].at'],
  ])('rejects a report with %s as a ValidationError, taking none of it', async (_what, bad, field) => {
    const r = await reportStats(oc.url, s2.sessionToken, [sample('w-000', 77, 1, 1, 1), bad]);
    expect(r).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION', field });
    expect((await q('{ cluster(name: "stats-2") { stats { cpuPercent } } }')).cluster.stats.cpuPercent).toBe(50);
  });

  it('leaves stale samples (over 5 minutes old) out of the current stats', async () => {
    const s3 = await register(oc.url, enrollment, { clusterName: 'stats-stale', kind: 'stat', workers: workerInputs(1) });
    const r = await reportStats(oc.url, s3.sessionToken, [sample('w-000', 5, 5, 5, 5, new Date(clock.now().getTime() - 10 * 60_000))]);
    expect(r.accepted).toBe(1);
    expect((await q('{ cluster(name: "stats-stale") { stats { cpuPercent } } }')).cluster.stats).toBeNull();
  });

  it('keeps a history: statsHistory gives one point per step within since/until', async () => {
    const s4 = await register(oc.url, enrollment, { clusterName: 'stats-history', kind: 'stat', workers: workerInputs(2) });
    const now = clock.now().getTime();
    const minute = Math.floor(now / 60_000) * 60_000;
    // Three reports in three different minutes (the last one in the current minute).
    const times = [minute - 120_000 + 5_000, minute - 60_000 + 5_000, Math.min(minute + 5_000, now)].map((t) => new Date(t));
    for (const [i, at] of times.entries()) {
      const r = await reportStats(oc.url, s4.sessionToken, [sample('w-000', 10 * (i + 1), 100, 1, 0, at), sample('w-001', 30 * (i + 1), 100, 1, 0, at)]);
      expect(r.accepted).toBe(2);
    }
    const H = `query($since: DateTime, $until: DateTime, $step: Int) { cluster(name: "stats-history") { statsHistory(since: $since, until: $until, stepSeconds: $step) { sampledAt cpuPercent memoryMb } } }`;
    const all = (await q(H, { since: new Date(minute - 180_000).toISOString(), until: new Date(now + 1000).toISOString(), step: 60 })).cluster.statsHistory;
    expect(all).toEqual([
      { sampledAt: new Date(minute - 120_000).toISOString(), cpuPercent: 20, memoryMb: 200 },
      { sampledAt: new Date(minute - 60_000).toISOString(), cpuPercent: 40, memoryMb: 200 },
      { sampledAt: new Date(minute).toISOString(), cpuPercent: 60, memoryMb: 200 },
    ]);
    // A window that holds only the middle report.
    const middle = (await q(H, { since: new Date(minute - 90_000).toISOString(), until: new Date(minute - 30_000).toISOString(), step: 60 })).cluster.statsHistory;
    expect(middle.map((p: any) => p.cpuPercent)).toEqual([40]);
    // A coarse step averages the points inside it.
    const coarse = (await q(H, { since: new Date(minute - 180_000).toISOString(), until: new Date(now + 1000).toISOString(), step: 3600 })).cluster.statsHistory;
    expect(coarse.map((p: any) => p.cpuPercent).reduce((a: number, b: number) => a + b, 0)).toBeGreaterThan(0);
    expect(coarse.length).toBeLessThanOrEqual(2);
    // The default: the last hour, a point a minute.
    expect((await q('{ cluster(name: "stats-history") { statsHistory { cpuPercent } } }')).cluster.statsHistory.map((p: any) => p.cpuPercent)).toEqual([20, 40, 60]);
  });

  it.each([
    ['a step finer than the stored resolution', { step: 1 }],
    ['a zero step', { step: 0 }],
    ['a negative step', { step: -60 }],
    ['a window of more than 10000 steps', { since: '2000-01-01T00:00:00Z', step: 10 }],
    ['since after until', { since: '2030-01-02T00:00:00Z', until: '2030-01-01T00:00:00Z' }],
    ['a since that is not a date', { since: 'last tuesday' }],
  ])('answers statsHistory with %s with BAD_USER_INPUT', async (_what, vars) => {
    const H = 'query($since: DateTime, $until: DateTime, $step: Int) { cluster(name: "stats-1") { statsHistory(since: $since, until: $until, stepSeconds: $step) { cpuPercent } } }';
    expect(await errorCode(H, vars)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('the big topology query', () => {
  const BIG = `query Big($first: Int) { clusters(first: $first) { edges { node {
    name health workerCount
    manager { url connected }
    workers(first: 100) { totalCount edges { node { memberId state stats { cpuPercent } } } }
    stats { cpuPercent }
    artifacts { name }
  } } } }`;
  let big: TestOc;

  beforeAll(async () => {
    big = await startTestOc({}, { background: false });
    const token = (await createToken(big.url, 'MANAGER', 'big')).token;
    for (let i = 0; i < 50; i++) {
      const workers: WorkerInput[] = workerInputs(100, { artifacts: [{ name: 'app', version: i % 2 ? '1.0' : '1.1' }] });
      workers[7]!.state = 'FAILED';
      const r = await register(big.url, token, { clusterName: `big-${String(i).padStart(2, '0')}`, workers });
      await reportStats(big.url, r.sessionToken, [sample('w-000', i, 10, 1, 0), sample('w-001', 2 * i, 10, 1, 0)]);
    }
  });
  afterAll(async () => {
    await big?.stop();
  });

  /** Statements the query costs (this OC runs no background loops, so every statement is the request's). */
  const statements = async (first: number) => {
    const before = big.database.queryCount;
    const data = await gqlOk(big.url, ADMIN_TOKEN, BIG, { first });
    return { count: big.database.queryCount - before, data };
  };

  it('answers a page of 50 clusters with 100 workers each, complete', async () => {
    const { data } = await statements(50);
    const edges = data.clusters.edges;
    expect(edges).toHaveLength(50);
    for (const [i, { node }] of edges.entries()) {
      expect(node.name).toBe(`big-${String(i).padStart(2, '0')}`);
      expect(node).toMatchObject({ health: 'DEGRADED', workerCount: 100, manager: { connected: true }, artifacts: [{ name: 'app' }] });
      expect(node.workers.totalCount).toBe(100);
      expect(node.workers.edges).toHaveLength(100);
      expect(node.workers.edges[7].node.state).toBe('FAILED');
      expect(node.workers.edges[1].node.stats.cpuPercent).toBe(2 * i);
      expect(node.stats.cpuPercent).toBe(1.5 * i);
    }
  });

  it('costs a small, fixed number of SQL statements, the same for 5 clusters as for 50 (no N+1)', async () => {
    const five = await statements(5);
    const fifty = await statements(50);
    console.info(`big topology query on ${big.database.driver}: ${five.count} statements for 5 clusters, ${fifty.count} for 50`);
    expect(fifty.count).toBeGreaterThan(0);
    // The page (clusters, summaries, managers and stats from the clusters' aggregates), the workers' pages, the artifacts.
    expect(fifty.count).toBeLessThanOrEqual(3);
    expect(fifty.count).toBe(five.count);
  });

  it('reads a page of clusters in one statement, and an empty page with its count in one too', async () => {
    const PAGE = `query($kind: String) { clusters(first: 50, kind: $kind) { totalCount edges { node { name health workerCount manager { url connected } stats { cpuPercent } } } } }`;
    const page = async (kind: string | null) => {
      const before = big.database.queryCount;
      const data = await gqlOk(big.url, ADMIN_TOKEN, PAGE, { kind });
      return { count: big.database.queryCount - before, clusters: data.clusters };
    };
    const full = await page(null);
    expect(full.clusters.edges).toHaveLength(50);
    expect(full.count).toBe(1);
    const empty = await page('NO-SUCH-KIND');
    expect(empty.clusters).toEqual({ totalCount: 0, edges: [] });
    expect(empty.count).toBe(1);
  });

  it('reads nothing more for a cluster of the page reached again in the same request (through its manager)', async () => {
    const before = big.database.queryCount;
    const d = await gqlOk(big.url, ADMIN_TOKEN, `{ clusters(first: 50) { edges { node { name health stats { cpuPercent } manager { cluster { name health workerCount stats { cpuPercent } manager { url } } } } } } }`);
    expect(big.database.queryCount - before).toBe(1);
    for (const { node } of d.clusters.edges) {
      const { manager, ...own } = node;
      expect(manager.cluster).toMatchObject(own);
      expect(manager.cluster.workerCount).toBe(100);
    }
  });
});

describe('the clusters page and cluster(name) agree', () => {
  // The page is read as one json value and the single cluster as columns: any text a host, a
  // version or an operation may hold comes back the same through both.
  const FIELDS = 'id name kind health workerCount createdAt manager { id host url version connected lastSeenAt registeredAt operations { name description } } stats { sampledAt cpuPercent memoryMb requestsPerSec errorsPerSec }';
  const odd = ['q"uote\\back\\"', 'ünï😀 ', "a'b <tag> & \u2028 \u00a0x"];
  beforeAll(async () => {
    for (const [i, text] of odd.entries()) {
      const r = await register(oc.url, enrollment, {
        clusterName: `agree-${i}`,
        kind: `agree-${i}`,
        host: `h-${text}`,
        url: `https://agree-${i}.example/a?b=${encodeURIComponent(text)}`,
        version: `v-${text}`,
        workers: workerInputs(2),
        operations: [{ name: `op-${i}`, description: `does ${text}` }],
      });
      await reportStats(oc.url, r.sessionToken, [sample('w-000', 12.5 + i, 100.25, 3, 0.1)]);
    }
  });

  it('field by field, whatever text a host, a version or an operation holds', async () => {
    for (const [i, text] of odd.entries()) {
      const d = await q(`query($kind: String, $name: String) { clusters(first: 5, kind: $kind) { edges { node { ${FIELDS} } } } cluster(name: $name) { ${FIELDS} } }`, {
        kind: `agree-${i}`,
        name: `agree-${i}`,
      });
      expect(d.clusters.edges).toHaveLength(1);
      expect(d.clusters.edges[0].node).toEqual(d.cluster);
      expect(d.cluster).toMatchObject({ name: `agree-${i}`, manager: { host: `h-${text}`.trim(), version: `v-${text}`.trim(), operations: [{ description: `does ${text}`.trim() }] } });
      expect(d.cluster.stats).toMatchObject({ cpuPercent: 12.5 + i, memoryMb: 100.25 });
    }
  });

  it('even with the separators of the packed page in a host and a version (written around the API, which refuses them)', async () => {
    await oc.database.db.execute(sql`update managers set host = ${'h\x1ex'}, version = ${'v\x1fy'} where cluster_id = (select id from clusters where name = 'agree-1')`);
    const d = await q(`{ clusters(first: 5, kind: "agree-1") { edges { node { ${FIELDS} } } } cluster(name: "agree-1") { ${FIELDS} } }`);
    expect(d.cluster.manager).toMatchObject({ host: 'h\x1ex', version: 'v\x1fy' });
    expect(d.clusters.edges.map((e: any) => e.node)).toEqual([d.cluster]);
  });
});

describe('every path that reads workers', () => {
  // The same workers come back through several statements: by id (node), with the cluster by
  // name in one statement (the look-ahead of cluster(name)), as a page of one cluster or of
  // many (cluster(id), clusters), by name in a batch (aliases). All must agree, field by field.
  const FIELDS = 'id memberId host port state startedAt joinedAt stateChangedAt artifacts { name version deployedAt } stats { sampledAt cpuPercent memoryMb requestsPerSec errorsPerSec } cluster { name }';
  const nodes = (conn: any) => conn.edges.map((e: any) => e.node);
  let expected: any[];
  let clusterId: string;
  beforeAll(async () => {
    const reg = await register(oc.url, enrollment, {
      clusterName: 'paths-a',
      kind: 'paths',
      workers: [
        { memberId: 'p-1', host: 'p1.local', port: 8443, state: 'RUNNING', startedAt: '2026-03-01T10:00:00.123Z', artifacts: [{ name: 'app', version: '2.0', deployedAt: '2026-02-01T00:00:00.000Z' }, { name: 'lib', version: '0.9' }] },
        { memberId: 'p-2', host: 'p2.local', state: 'FAILED' },
        { memberId: 'p-3', host: 'ünïcode-höst.local', port: 0, state: 'STOPPED', startedAt: '1999-12-31T23:59:59.999Z' },
      ],
    });
    clusterId = reg.clusterId;
    await register(oc.url, enrollment, { clusterName: 'paths-b', kind: 'paths', workers: workerInputs(2) });
    const at = new Date(clock.now().getTime() - 1500).toISOString();
    expect((await reportStats(oc.url, reg.sessionToken, [sample('p-1', 12.345678901234, 1024.5, 0.1, 1e-7, new Date(at)), sample('p-3', 0, 0, 1e9, 0, new Date(at))])).__typename).toBe('ReportStatsPayload');
    expected = nodes((await q(`{ cluster(name: "paths-a") { workers { edges { node { ${FIELDS} } } } } }`)).cluster.workers);
  });

  it('reads what was reported, with millisecond timestamps, nulls and exact floats', () => {
    expect(expected.map((w) => w.memberId)).toEqual(['p-1', 'p-2', 'p-3']);
    const [p1, p2, p3] = expected;
    expect(p1).toMatchObject({ host: 'p1.local', port: 8443, state: 'RUNNING', startedAt: '2026-03-01T10:00:00.123Z', cluster: { name: 'paths-a' } });
    expect(p1.artifacts).toEqual([
      { name: 'app', version: '2.0', deployedAt: '2026-02-01T00:00:00.000Z' },
      { name: 'lib', version: '0.9', deployedAt: expect.any(String) },
    ]);
    expect(p1.stats).toMatchObject({ cpuPercent: 12.345678901234, memoryMb: 1024.5, requestsPerSec: 0.1, errorsPerSec: 1e-7 });
    expect(p2).toMatchObject({ host: 'p2.local', port: null, state: 'FAILED', startedAt: null, artifacts: [], stats: null });
    expect(p3).toMatchObject({ host: 'ünïcode-höst.local', port: 0, startedAt: '1999-12-31T23:59:59.999Z', stats: { cpuPercent: 0, requestsPerSec: 1e9 } });
  });

  it.each([
    ['node(id)', async () => Promise.all(expected.map(async (w) => (await q(`query($id: ID!) { node(id: $id) { ... on Worker { ${FIELDS} } } }`, { id: w.id })).node))],
    ['cluster(id) { workers }', async () => nodes((await q(`query($id: ID) { cluster(id: $id) { workers { edges { node { ${FIELDS} } } } } }`, { id: clusterId })).cluster.workers)],
    ['cluster(name) with workers in a fragment (no look-ahead)', async () => nodes((await q(`{ cluster(name: "paths-a") { ...W } } fragment W on Cluster { workers { edges { node { ${FIELDS} } } } }`)).cluster.workers)],
    ['clusters { workers } (pages of several clusters)', async () => nodes((await q(`{ clusters(kind: "paths") { edges { node { name workers { edges { node { ${FIELDS} } } } } } } }`)).clusters.edges[0].node.workers)],
    ['two cluster(name) in one request (a batch)', async () => {
      const d = await q(`{ a: cluster(name: "paths-a") { workers { edges { node { ${FIELDS} } } } } b: cluster(name: "paths-b") { workers { edges { node { memberId } } } } }`);
      expect(nodes(d.b.workers).map((w: any) => w.memberId)).toEqual(['w-000', 'w-001']);
      return nodes(d.a.workers);
    }],
    ['pages of one worker, after a cursor', async () => {
      const out: any[] = [];
      let after: string | null = null;
      for (;;) {
        const d: any = await q(`query($after: String) { cluster(name: "paths-a") { workers(first: 1, after: $after) { pageInfo { hasNextPage endCursor } edges { node { ${FIELDS} } } } } }`, { after });
        out.push(...nodes(d.cluster.workers));
        if (!d.cluster.workers.pageInfo.hasNextPage) return out;
        after = d.cluster.workers.pageInfo.endCursor;
      }
    }],
  ])('gives the same workers through %s', async (_path, read) => {
    expect(await read()).toEqual(expected);
  });
});
