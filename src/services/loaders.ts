import DataLoader from 'dataloader';
import type { ClusterPageByName, ClusterSummary, WorkerPageKey } from '../db/repositories/topology.js';
import type { ReadRows } from '../db/client.js';
import * as topo from '../db/repositories/topology.js';
import type { Cluster, Manager, Stats, Worker } from '../domain/types.js';
import { createCommandLoaders } from './command-loaders.js';
import type { ServiceDeps } from './deps.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids that can be rows: anything else (a well-formed global id around garbage) is simply not found, not a failed query. */
const rowIds = (ids: readonly string[]) => ids.filter((id) => UUID.test(id));

const byKey = <K, V>(keys: readonly K[], rows: V[], keyOf: (v: V) => K): (V | null)[] => {
  const m = new Map(rows.map((r) => [keyOf(r), r]));
  return keys.map((k) => m.get(k) ?? null);
};

export type { ClusterPageByName };

/** The clusterPage loader's key: a filter, where the page starts, and its size. */
export interface ClusterPageKey {
  filter: topo.ClusterFilter;
  after: topo.ClusterCursor | null;
  first: number;
}
export type ClusterPage = topo.ClusterPage;

/** The workerPage loader's key (its cache key is these four values, whatever the order of the properties). */
export const workerPageKey = (clusterId: string, state: WorkerPageKey['state'], afterMemberId: string | null, first: number): WorkerPageKey => ({
  clusterId,
  state,
  afterMemberId,
  first,
});

/** What the loaders read with: drizzle, and the named raw reads of the hot topology queries. */
type Deps = Pick<ServiceDeps, 'db' | 'clock'> & { readRows: ReadRows };
type WorkerPage = { workers: Worker[]; totalCount: number; hasNextPage: boolean };
/** What each loader that others prime holds: its key and value. */
interface Primed {
  cluster: [string, Cluster | null];
  summary: [string, ClusterSummary | null];
  managerByCluster: [string, Manager | null];
  clusterStats: [string, Stats | null];
  workerPage: [WorkerPageKey, WorkerPage];
}
/** How a loader primes the request's others (typed apart from Loaders, which is derived from the makers below). */
interface PrimeTargets {
  /** As `loaders[loader].prime(key, value)`, but a loader not made yet is primed when it is made. */
  prime<K extends keyof Primed>(loader: K, key: Primed[K][0], value: Primed[K][1]): void;
}

const opts = { maxBatchSize: 1000 };

/** What a read of clusters brought along with a cluster object: a field absent was not read with it. */
export interface ReadAlong {
  summary: ClusterSummary;
  manager?: Manager | null;
  stats?: Stats | null;
}

/**
 * The rows a statement brought along with each cluster object it made (the page's summary,
 * manager and stats; by name, the summary), for that object's own fields to answer at once,
 * without a loader's promise per field: a clusters page is 50 nodes of 4 such fields, and their
 * promises were about a quarter of what the page allocated (bench:topology). Keyed by the object,
 * so it lives as long as the request holds it; a page's clusters carry theirs themselves
 * (cluster-page.ts), this holds the others' (by name). The same values are primed into the request's
 * loaders too, for any other field that asks for them by id.
 */
const readAlong = new WeakMap<Cluster, ReadAlong>();

/** What came with this cluster object from its statement, if it came from one that brings more. */
export const readAlongWith = (cluster: Cluster): ReadAlong | undefined => topo.alongWithPageCluster(cluster) ?? readAlong.get(cluster);

/** How each loader of a request is made, from the database and the request's other loaders. */
const makers = {
  cluster: ({ db }: Deps) => new DataLoader<string, Cluster | null>(async (ids) => byKey(ids, await topo.findClustersByIds(db, rowIds(ids)), (c) => c.id), opts),
  /** By name; the same statement brings each cluster's summary (health, worker counts), primed for its fields. */
  clusterByName: ({ readRows }: Deps, loaders: PrimeTargets) =>
    new DataLoader<string, Cluster | null>(async (names) => {
      const rows = await topo.findClustersWithSummaryByNames(readRows, names);
      for (const r of rows) {
        loaders.prime('cluster', r.cluster.id, r.cluster);
        loaders.prime('summary', r.cluster.id, r.summary);
        readAlong.set(r.cluster, { summary: r.summary });
      }
      return byKey(
        names,
        rows.map((r) => r.cluster),
        (c) => c.name,
      );
    }, opts),
  /**
   * By name, when the query also asks for one page of the cluster's workers (cluster(name) looks
   * ahead): cluster, summary and that page in one statement, each primed into its own loader.
   */
  clusterWithWorkersByName: ({ readRows }: Deps, loaders: PrimeTargets) =>
    new DataLoader<ClusterPageByName, Cluster | null, string>(
      async (keys) => {
        const out: (Cluster | null)[] = keys.map(() => null);
        for (const r of await topo.findClustersWithWorkerPage(readRows, keys)) {
          const k = keys[r.index]!;
          loaders.prime('cluster', r.cluster.id, r.cluster);
          loaders.prime('summary', r.cluster.id, r.summary);
          loaders.prime('workerPage', workerPageKey(r.cluster.id, k.state, k.afterMemberId, k.first), r.page);
          readAlong.set(r.cluster, { summary: r.summary });
          out[r.index] = r.cluster;
        }
        return out;
      },
      { ...opts, cacheKeyFn: (k) => JSON.stringify([k.name, k.state, k.afterMemberId, k.first]) },
    ),
  managerByCluster: ({ db }: Deps) =>
    new DataLoader<string, Manager | null>(async (ids) => byKey(ids, await topo.findManagersByClusterIds(db, ids), (m) => m.clusterId), opts),
  manager: ({ db }: Deps) => new DataLoader<string, Manager | null>(async (ids) => byKey(ids, await topo.findManagersByIds(db, rowIds(ids)), (m) => m.id), opts),
  summary: ({ db }: Deps) => new DataLoader<string, ClusterSummary | null>(async (ids) => byKey(ids, await topo.summarizeClusters(db, ids), (s) => s.clusterId), opts),
  clusterStats: ({ readRows, clock }: Deps) => new DataLoader<string, Stats | null>(async (ids) => topo.readClusterStats(readRows, ids, clock.now()), opts),
  /**
   * A page of clusters (the clusters list's one statement): each cluster, its summary, manager and
   * stats come with it, primed for their fields.
   */
  clusterPage: ({ readRows, clock }: Deps, loaders: PrimeTargets) =>
    new DataLoader<ClusterPageKey, ClusterPage, string>(
      async (keys) =>
        Promise.all(
          keys.map(async (k) => {
            const page = await topo.readClusterPage(readRows, k.filter, { first: k.first, after: k.after }, clock.now());
            for (const e of page.entries) {
              loaders.prime('cluster', e.cluster.id, e.cluster);
              loaders.prime('summary', e.cluster.id, e.summary);
              loaders.prime('managerByCluster', e.cluster.id, e.manager);
              loaders.prime('clusterStats', e.cluster.id, e.stats);
            }
            return { clusters: page.entries.map((e) => e.cluster), totalCount: page.totalCount, hasNextPage: page.hasNextPage };
          }),
        ),
      { ...opts, cacheKeyFn: (k) => JSON.stringify([k.filter.kind ?? null, k.filter.health ?? null, k.after?.name ?? null, k.first]) },
    ),
  worker: ({ db }: Deps) => new DataLoader<string, Worker | null>(async (ids) => byKey(ids, await topo.findWorkersByIds(db, rowIds(ids)), (w) => w.id), opts),
  workerByMember: ({ db }: Deps) =>
    new DataLoader<string, Worker | null>(
      async (keys) => {
        const parsed = keys.map((k) => {
          const i = k.indexOf('/');
          return { clusterId: k.slice(0, i), memberId: k.slice(i + 1) };
        });
        return byKey(keys, await topo.findWorkersByMembers(db, parsed), (w) => `${w.clusterId}/${w.memberId}`);
      },
      opts,
    ),
  workerPage: ({ readRows }: Deps) =>
    new DataLoader<WorkerPageKey, WorkerPage, string>(async (keys) => topo.listWorkerPages(readRows, keys), {
      ...opts,
      cacheKeyFn: (k) => JSON.stringify([k.clusterId, k.state, k.afterMemberId, k.first]),
    }),
  artifacts: ({ db }: Deps) =>
    new DataLoader<string, { name: string; version: string; workerCount: number }[]>(async (ids) => {
      const rows = await topo.countArtifactVersions(db, ids);
      return ids.map((id) => rows.filter((r) => r.clusterId === id));
    }, opts),
};

type CommandLoaders = ReturnType<typeof createCommandLoaders>;
export type Loaders = { readonly [K in keyof typeof makers]: ReturnType<(typeof makers)[K]> } & Readonly<CommandLoaders>;

/**
 * The loaders of one request, each made when first used: a request uses a few of the twenty,
 * and making them all cost about as much as a small query's execution. A loader, once made,
 * is an own enumerable property, so `Object.values(loaders)` lists exactly the loaders that
 * may hold data (which is what clearing them needs) but for the primes still pending (see
 * prime); the command loaders come as one group.
 */
class RequestLoaders implements PrimeTargets {
  readonly #deps: Deps;
  #commands: CommandLoaders | null = null;
  /** Primes of loaders not made yet, by loader: key, value, key, value, ... in the order given. */
  #pending: Map<string, unknown[]> | null = null;
  constructor(deps: Deps) {
    this.#deps = deps;
  }
  /**
   * Primes a loader of this request, now if it is made, else as it is made (in the order given,
   * so the first value primed for a key stays, as DataLoader's prime does). A page of clusters
   * primes four loaders with 50 values each, which its own fields never read (they answer from
   * readAlong): making those loaders and their 200 settled promises was most of its loaders' cost.
   */
  prime<K extends keyof Primed>(loader: K, key: Primed[K][0], value: Primed[K][1]): void {
    if (Object.hasOwn(this, loader)) {
      (this as unknown as Record<K, DataLoader<Primed[K][0], Primed[K][1], unknown>>)[loader].prime(key, value);
      return;
    }
    this.#pending ??= new Map();
    let list = this.#pending.get(loader);
    if (!list) this.#pending.set(loader, (list = []));
    list.push(key, value);
  }
  static {
    const own = (target: object, key: string, value: unknown) => Object.defineProperty(target, key, { value, enumerable: true, configurable: true });
    for (const [key, make] of Object.entries(makers)) {
      Object.defineProperty(RequestLoaders.prototype, key, {
        get(this: RequestLoaders) {
          const loader = make(this.#deps, this);
          own(this, key, loader);
          const pending = this.#pending?.get(key);
          if (pending) {
            this.#pending!.delete(key);
            const primed = loader as unknown as DataLoader<unknown, unknown, unknown>;
            for (let i = 0; i < pending.length; i += 2) primed.prime(pending[i], pending[i + 1]);
          }
          return loader;
        },
      });
    }
    for (const key of Object.keys(createCommandLoaders({ db: null as never }))) {
      Object.defineProperty(RequestLoaders.prototype, key, {
        get(this: RequestLoaders) {
          if (!this.#commands) {
            this.#commands = createCommandLoaders(this.#deps);
            for (const [k, loader] of Object.entries(this.#commands)) own(this, k, loader);
          }
          return this.#commands[key as keyof CommandLoaders];
        },
      });
    }
  }
}

/**
 * Per-request batched reads: every field that needs related rows goes through one of these,
 * so a page of N clusters costs a fixed number of SQL statements, not N.
 */
export function createLoaders(deps: Deps): Loaders {
  return new RequestLoaders(deps) as unknown as Loaders;
}
