/**
 * The console's hot topology reads, by named statement over raw rows (db/raw.ts): clusters by
 * name with their summaries and a page of workers each, and worker pages of many clusters. They
 * exist for `npm run bench:topology`: each is one round trip, planned once per connection.
 */
import type { Cluster, ClusterHealth, WorkerState } from '../../../domain/types.js';
import type { ReadRows } from '../../client.js';
import { keyedStatement, rawDate, rawNumber, rawString, readKeyed } from '../../raw.js';
import type { ClusterSummary } from './clusters.js';
import { AGGREGATES_JOIN } from './aggregates.js';
import { HEALTH } from './health.js';
import { pageFromText, WORKER_PAGE_TEXT, type WorkerPage } from './worker-page.js';

/** How many workers of cluster c (aggregates wc) are in the key's state (all of them when k.state is null). */
const COUNT_IN_STATE = `coalesce(case k.state when 'STARTING' then wc.starting when 'RUNNING' then wc.running when 'STOPPING' then wc.stopping
  when 'STOPPED' then wc.stopped when 'FAILED' then wc.failed else wc.total end, 0)::int`;

const CLUSTERS_WITH_SUMMARY = keyedStatement(
  'oc_clusters_with_summary',
  [['name', 'text']],
  (keys) => `select c.id, c.name, c.kind, c.created_at, ${HEALTH} as health, coalesce(wc.total, 0), coalesce(wc.running, 0)
    from ${keys}
    join clusters c on c.name = k.name
    left join managers m on m.cluster_id = c.id
    ${AGGREGATES_JOIN}`,
);

/**
 * Clusters by name, each with its summary (health and worker counts), in one statement:
 * `cluster(name)` nearly always asks for both.
 */
export async function findClustersWithSummaryByNames(readRows: ReadRows, names: readonly string[]): Promise<{ cluster: Cluster; summary: ClusterSummary }[]> {
  if (names.length === 0) return [];
  const rows = await readKeyed(readRows, CLUSTERS_WITH_SUMMARY, [names]);
  return rows.map((r) => {
    const id = rawString(r[0]);
    return {
      cluster: { id, name: rawString(r[1]), kind: rawString(r[2]), createdAt: rawDate(r[3]) },
      summary: { clusterId: id, health: rawString(r[4]) as ClusterHealth, workerCount: rawNumber(r[5]), runningCount: rawNumber(r[6]) },
    };
  });
}

export interface ClusterPageByName {
  name: string;
  state: WorkerState | null;
  afterMemberId: string | null;
  first: number;
}

const CLUSTERS_WITH_WORKER_PAGE = keyedStatement(
  'oc_clusters_with_worker_page',
  [
    ['name', 'text'],
    ['state', 'text'],
    ['after_member', 'text'],
    ['lim', 'int'],
  ],
  (keys) => `select k.ord::int, c.id, c.name, c.kind, c.created_at, ${HEALTH} as health, coalesce(wc.total, 0), coalesce(wc.running, 0),
      ${COUNT_IN_STATE} as page_total,
      ${WORKER_PAGE_TEXT} as page
    from ${keys}
    join clusters c on c.name = k.name
    left join managers m on m.cluster_id = c.id
    ${AGGREGATES_JOIN}`,
);

/**
 * Clusters by name with their summaries and one page of workers each, in one statement: what
 * `cluster(name) { ... workers(...) { ... } }` needs, in a single round trip. Same page rules
 * as listWorkerPages. Results carry the index of their key; unknown names are left out.
 */
export async function findClustersWithWorkerPage(
  readRows: ReadRows,
  keys: readonly ClusterPageByName[],
): Promise<{ index: number; cluster: Cluster; summary: ClusterSummary; page: WorkerPage }[]> {
  if (keys.length === 0) return [];
  const rows = await readKeyed(readRows, CLUSTERS_WITH_WORKER_PAGE, [
    keys.map((k) => k.name),
    keys.map((k) => k.state),
    keys.map((k) => k.afterMemberId),
    keys.map((k) => k.first + 1),
  ]);
  return rows.map((r) => {
    const index = rawNumber(r[0]) - 1;
    const id = rawString(r[1]);
    return {
      index,
      cluster: { id, name: rawString(r[2]), kind: rawString(r[3]), createdAt: rawDate(r[4]) },
      summary: { clusterId: id, health: rawString(r[5]) as ClusterHealth, workerCount: rawNumber(r[6]), runningCount: rawNumber(r[7]) },
      page: pageFromText(r[9], id, rawNumber(r[8]), keys[index]!.first),
    };
  });
}

export interface WorkerPageKey {
  clusterId: string;
  state: WorkerState | null;
  afterMemberId: string | null;
  first: number;
}

const WORKER_PAGES = keyedStatement(
  'oc_worker_pages',
  [
    ['cluster_id', 'uuid'],
    ['state', 'text'],
    ['after_member', 'text'],
    ['lim', 'int'],
  ],
  (keys) => `select k.ord::int,
      ${COUNT_IN_STATE} as total,
      ${WORKER_PAGE_TEXT} as page
    from ${keys}
    join clusters c on c.id = k.cluster_id
    ${AGGREGATES_JOIN}`,
);

/**
 * Pages of workers of many clusters in one statement (for the clusters page): each key gets
 * up to `first` workers ordered by memberId (one more is read to know whether there are more),
 * and its total count.
 */
export async function listWorkerPages(readRows: ReadRows, keys: readonly WorkerPageKey[]): Promise<WorkerPage[]> {
  if (keys.length === 0) return [];
  const rows = await readKeyed(readRows, WORKER_PAGES, [
    keys.map((k) => k.clusterId),
    keys.map((k) => k.state),
    keys.map((k) => k.afterMemberId),
    keys.map((k) => k.first + 1),
  ]);
  const out: WorkerPage[] = keys.map(() => ({ workers: [], totalCount: 0, hasNextPage: false }));
  for (const r of rows) {
    const i = rawNumber(r[0]) - 1;
    out[i] = pageFromText(r[2], keys[i]!.clusterId, rawNumber(r[1]), keys[i]!.first);
  }
  return out;
}
