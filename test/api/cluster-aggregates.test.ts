import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, gqlOk } from '../support/client.js';
import { sqlRows } from '../support/db.js';
import { REGISTER_MANAGER, REPORT_MEMBERSHIP, REPORT_STATS, type WorkerState } from '../support/fleet.js';
import { ADMIN_TOKEN, createToken, startTestOc, type TestOc } from '../support/oc.js';

/**
 * Each cluster's aggregates (workers by state, the stats of its fresh samples) are kept as reports
 * arrive; whatever the reports, they must equal a full recount of the workers. Random sequences
 * of registrations (with other worker lists), membership reports (joins, leaves, state changes),
 * stats samples (out of order, stale, of unknown workers), removals and the clock moving on, sent
 * over GraphQL to two OC instances on one database, some at once; after each step the stored
 * counts equal a recount, and what the API answers (health, workerCount, workers by state, stats,
 * System) equals what a recount of the workers at that instant gives.
 */

const SEED = Number(process.env.AGGREGATES_SEED ?? 20261129);
const RUNS = Number(process.env.AGGREGATES_RUNS ?? 12);
const STATES: WorkerState[] = ['STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'FAILED'];
const CLUSTERS = 3;
const MEMBERS = 6;
const FRESH_MS = 5 * 60_000;

let oc: TestOc;
let other: TestOc;
let enrollment: string;
/** Time stands still but for `advance`: a sample's freshness never changes between the recount and the reads compared with it. */
const clock = {
  at: Date.now(),
  now() {
    return new Date(this.at);
  },
  advance(ms: number) {
    this.at += ms;
  },
};

beforeAll(async () => {
  oc = await startTestOc({}, { clock, background: false });
  other = await oc.restart();
  enrollment = (await createToken(oc.url, 'MANAGER', 'aggregates')).token;
});
afterAll(async () => {
  await other?.app.stop();
  await oc?.stop();
});

type Action =
  | { kind: 'register'; c: number; workers: { m: number; state: WorkerState }[]; via: number }
  | { kind: 'membership'; c: number; events: { change: 'JOINED' | 'LEFT' | 'STATE_CHANGED'; m: number; state: WorkerState }[]; via: number }
  | { kind: 'stats'; c: number; samples: { m: number; ageMs: number; cpu: number; mem: number; rps: number; eps: number }[]; via: number }
  | { kind: 'remove'; c: number }
  | { kind: 'advance'; ms: number };

const cluster = fc.nat(CLUSTERS - 1);
const member = fc.nat(MEMBERS); // MEMBERS itself: a member the cluster never has (its samples match nothing)
const state = fc.constantFrom(...STATES);
const via = fc.nat(1);
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('register' as const), c: cluster, workers: fc.uniqueArray(fc.record({ m: fc.nat(MEMBERS - 1), state }), { selector: (w) => w.m, maxLength: MEMBERS }), via }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('membership' as const),
      c: cluster,
      events: fc.array(fc.record({ change: fc.constantFrom('JOINED' as const, 'LEFT' as const, 'STATE_CHANGED' as const), m: fc.nat(MEMBERS - 1), state }), { minLength: 1, maxLength: 6 }),
      via,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('stats' as const),
      c: cluster,
      samples: fc.uniqueArray(
        fc.record({ m: member, ageMs: fc.integer({ min: -60_000, max: 8 * 60_000 }), cpu: fc.nat(100), mem: fc.nat(4096), rps: fc.nat(1000), eps: fc.nat(10) }),
        { selector: (s) => s.m, minLength: 1, maxLength: MEMBERS + 1 },
      ),
      via,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), c: cluster }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1_000, max: 4 * 60_000 }) }) },
);
/** One step: an action, or two sent at once (to different clusters, or a stats report beside anything). */
const step = fc.oneof({ weight: 3, arbitrary: action.map((a) => [a]) }, { weight: 1, arbitrary: fc.tuple(action, action) });

interface Session {
  token: string;
  id: string;
  nextSeq: number;
}

let run = 0;

async function apply(a: Action, names: string[], sessions: Map<number, Session>): Promise<void> {
  const url = (v: number) => (v === 0 ? oc.url : other.url);
  const worker = (m: number, s?: WorkerState) => ({ memberId: `m-${m}`, host: `m-${m}.local`, ...(s ? { state: s } : {}) });
  switch (a.kind) {
    case 'register': {
      const input = { clusterName: names[a.c]!, kind: `AGG${run}`, host: 'mgr', url: 'http://mgr:9990', workers: a.workers.map((w) => worker(w.m, w.state)) };
      const r = (await gqlOk(url(a.via), enrollment, REGISTER_MANAGER, { input })).registerManager;
      expect(r.__typename).toBe('RegisterManagerPayload');
      sessions.set(a.c, { token: r.sessionToken, id: r.cluster.id, nextSeq: 1 });
      return;
    }
    case 'membership': {
      const s = sessions.get(a.c);
      if (!s) return;
      const events = a.events.map((e, i) => ({ seq: s.nextSeq + i, change: e.change, worker: worker(e.m, e.change === 'LEFT' ? undefined : e.state) }));
      s.nextSeq += events.length;
      await gql(url(a.via), s.token, REPORT_MEMBERSHIP, { input: { events } }); // refused when a registration replaced the session: fine
      return;
    }
    case 'stats': {
      const s = sessions.get(a.c);
      if (!s) return;
      const now = clock.now().getTime();
      const samples = a.samples.map((x) => ({
        memberId: `m-${x.m}`,
        at: new Date(now - x.ageMs).toISOString(),
        cpuPercent: x.cpu,
        memoryMb: x.mem,
        requestsPerSec: x.rps,
        errorsPerSec: x.eps,
      }));
      await gql(url(a.via), s.token, REPORT_STATS, { input: { samples } });
      return;
    }
    case 'remove': {
      const s = sessions.get(a.c);
      if (!s) return;
      sessions.delete(a.c);
      await gqlOk(oc.url, ADMIN_TOKEN, 'mutation($id: ID!) { removeCluster(id: $id) { __typename } }', { id: s.id });
      return;
    }
    case 'advance':
      clock.advance(a.ms);
      return;
  }
}

interface Recount {
  id: string;
  name: string;
  total: number;
  starting: number;
  running: number;
  stopping: number;
  stopped: number;
  failed: number;
  connected: boolean | null;
  fresh: number;
  cpu: number | null;
  mem: number | null;
  rps: number | null;
  eps: number | null;
  at: string | Date | null;
}

/** The workers counted again, from scratch, at the clock's instant. */
async function recount(names: string[]): Promise<Recount[]> {
  const cutoff = new Date(clock.now().getTime() - FRESH_MS).toISOString();
  const list = names.map((n) => `'${n}'`).join(',');
  const rows = await sqlRows<Recount>(
    oc.database,
    `select c.id, c.name, count(w.id)::int as total,
       ${STATES.map((s) => `(count(w.id) filter (where w.state = '${s}'))::int as ${s.toLowerCase()}`).join(', ')},
       bool_or(m.connected) as connected, (count(w.id) filter (where w.stats_at >= '${cutoff}'))::int as fresh,
       avg(w.cpu_percent) filter (where w.stats_at >= '${cutoff}') as cpu, sum(w.memory_mb) filter (where w.stats_at >= '${cutoff}') as mem,
       sum(w.requests_per_sec) filter (where w.stats_at >= '${cutoff}') as rps, sum(w.errors_per_sec) filter (where w.stats_at >= '${cutoff}') as eps,
       max(w.stats_at) filter (where w.stats_at >= '${cutoff}') as at
     from clusters c left join workers w on w.cluster_id = c.id left join managers m on m.cluster_id = c.id
     where c.name in (${list}) group by c.id, c.name order by c.name`,
  );
  return rows;
}

const health = (r: Recount) => (!r.connected ? 'UNREACHABLE' : r.running === 0 ? 'UNAVAILABLE' : r.running === r.total ? 'HEALTHY' : 'DEGRADED');
const iso = (v: string | Date | null) => (v == null ? null : new Date(v).toISOString());

const PAGE = `query($kind: String) { clusters(first: 50, kind: $kind) { totalCount edges { node { id name health workerCount
  running: workers(first: 1, state: RUNNING) { totalCount } failed: workers(first: 1, state: FAILED) { totalCount }
  stats { sampledAt cpuPercent memoryMb requestsPerSec errorsPerSec } } } } }`;

async function check(names: string[]): Promise<void> {
  const expected = await recount(names);
  // The stored counts equal the recount, every cluster has its row, and removed clusters have none.
  const stored = await sqlRows<{ cluster_id: string; total: number; starting: number; running: number; stopping: number; stopped: number; failed: number }>(
    oc.database,
    `select a.cluster_id, a.total, a.starting, a.running, a.stopping, a.stopped, a.failed from cluster_aggregates a join clusters c on c.id = a.cluster_id where c.name in (${names.map((n) => `'${n}'`).join(',')}) order by c.name`,
  );
  expect(stored.map(({ cluster_id, ...counts }) => ({ id: cluster_id, ...counts }))).toEqual(
    expected.map((r) => ({ id: r.id, total: r.total, starting: r.starting, running: r.running, stopping: r.stopping, stopped: r.stopped, failed: r.failed })),
  );
  const [orphans] = await sqlRows<{ n: number }>(oc.database, 'select count(*)::int as n from cluster_aggregates a where not exists (select 1 from clusters c where c.id = a.cluster_id)');
  expect(orphans!.n).toBe(0);

  // What the API answers, from either instance, equals what the recount gives now.
  for (const url of [oc.url, other.url]) {
    const page = (await gqlOk(url, ADMIN_TOKEN, PAGE, { kind: `agg${run}` })).clusters;
    const mine = page.edges.map((e: { node: unknown }) => e.node).filter((n: { name: string }) => names.includes(n.name));
    expect(mine).toHaveLength(expected.length);
    for (const [i, r] of expected.entries()) {
      const n = mine[i];
      expect({ name: n.name, health: n.health, workerCount: n.workerCount, running: n.running.totalCount, failed: n.failed.totalCount }).toEqual({
        name: r.name,
        health: health(r),
        workerCount: r.total,
        running: r.running,
        failed: r.failed,
      });
      if (r.fresh === 0) expect(n.stats).toBeNull();
      else {
        expect(n.stats).not.toBeNull();
        expect(n.stats.sampledAt).toBe(iso(r.at));
        expect(n.stats.cpuPercent).toBeCloseTo(Number(r.cpu), 6);
        expect(n.stats.memoryMb).toBeCloseTo(Number(r.mem), 6);
        expect(n.stats.requestsPerSec).toBeCloseTo(Number(r.rps), 6);
        expect(n.stats.errorsPerSec).toBeCloseTo(Number(r.eps), 6);
      }
      // The single-cluster reads (by id: the summary and stats loaders) agree.
      const one = (await gqlOk(url, ADMIN_TOKEN, `query($id: ID!) { node(id: $id) { ... on Cluster { health workerCount stats { cpuPercent memoryMb } } } }`, { id: n.id })).node;
      expect({ health: one.health, workerCount: one.workerCount, stats: one.stats && { ...one.stats, cpuPercent: Math.round(one.stats.cpuPercent * 1e6) } }).toEqual({
        health: n.health,
        workerCount: n.workerCount,
        stats: n.stats && { cpuPercent: Math.round(n.stats.cpuPercent * 1e6), memoryMb: n.stats.memoryMb },
      });
    }
  }
  // System: the workers and stats of every cluster.
  const cutoff = new Date(clock.now().getTime() - FRESH_MS).toISOString();
  const [all] = await sqlRows<{ total: number; fresh: number; cpu: number | null; mem: number | null }>(
    oc.database,
    `select count(*)::int as total, (count(*) filter (where stats_at >= '${cutoff}'))::int as fresh, avg(cpu_percent) filter (where stats_at >= '${cutoff}') as cpu,
       sum(memory_mb) filter (where stats_at >= '${cutoff}') as mem from workers`,
  );
  const system = (await gqlOk(other.url, ADMIN_TOKEN, '{ system { workerCount stats { cpuPercent memoryMb } } }')).system;
  expect(system.workerCount).toBe(all!.total);
  if (all!.fresh === 0) expect(system.stats).toBeNull();
  else {
    expect(system.stats.cpuPercent).toBeCloseTo(Number(all!.cpu), 6);
    expect(system.stats.memoryMb).toBeCloseTo(Number(all!.mem), 6);
  }
}

describe('cluster aggregates', () => {
  it('equal a full recount of the workers after any sequence of reports, on two instances at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
        run++;
        const names = Array.from({ length: CLUSTERS }, (_, i) => `agg-${run}-${i}`);
        const sessions = new Map<number, Session>();
        for (const actions of steps) {
          const [a, b] = actions;
          const sameCluster = b && 'c' in a! && 'c' in b && a.c === b.c && a.kind !== 'stats' && b.kind !== 'stats';
          if (b && !sameCluster) await Promise.all([apply(a!, names, sessions), apply(b, names, sessions)]);
          else for (const x of actions) await apply(x, names, sessions);
          await check(names);
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  }, 600_000);
});
