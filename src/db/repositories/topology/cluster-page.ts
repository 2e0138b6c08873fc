/**
 * The clusters page (`clusters(first, after, kind, health)`, the console's first read) by named
 * statement over raw rows: a page of clusters in natural order, each with its summary (health,
 * worker counts), its manager and its current stats, read from the clusters' aggregates (never by
 * summing their workers), and the total count, in one round trip.
 */
import type { Cluster, ClusterHealth, Manager, ManagerOperationSpec, Stats } from '../../../domain/types.js';
import type { ReadRows } from '../../client.js';
import { rawDate, rawNumber, rawString } from '../../raw.js';
import { AGGREGATES_JOIN, freshCutoff, statsFromRaw, statsOfCluster } from './aggregates.js';
import type { ClusterCursor, ClusterFilter, ClusterSummary } from './clusters.js';
import { HEALTH } from './health.js';

/** A cluster of the page with what its fields read: primed into the request's loaders. */
export interface ClusterPageEntry {
  cluster: Cluster;
  summary: ClusterSummary;
  manager: Manager | null;
  stats: Stats | null;
}

export interface ClusterPageWithSummaries {
  entries: ClusterPageEntry[];
  totalCount: number;
  hasNextPage: boolean;
}

/**
 * $1 kind (or null), $2 and $3 the cursor's sort key and name ('' for the first page: every name
 * sorts after it), $4 the limit, $5 the stats freshness cutoff; with the health filter, $6 the health.
 * Two texts: the count of a health filter needs the joins, the count of the others does not.
 */
function pageStatement(name: string, byHealth: boolean) {
  const stats = statsOfCluster('$5::timestamptz');
  const kind = '($1::text is null or c.kind = $1)';
  const health = byHealth ? ` and ${HEALTH} = $6::text` : '';
  const count = byHealth
    ? `select count(*)::int from clusters c ${AGGREGATES_JOIN} left join managers m on m.cluster_id = c.id where ${kind}${health}`
    : `select count(*)::int from clusters c where ${kind}`;
  return {
    name,
    text: `select c.id, c.name, c.kind, c.created_at, ${HEALTH} as health, coalesce(wc.total, 0), coalesce(wc.running, 0),
      m.id, m.host, m.url, m.version, m.operations, m.connected, m.last_seen_at, m.connected_at, m.registered_at,
      ${stats.columns}, (${count}) as total
    from clusters c ${AGGREGATES_JOIN}
    left join managers m on m.cluster_id = c.id
    ${stats.join}
    where ${kind}${health} and (c.sort_key collate "C", c.name collate "C") > ($2::text, $3::text)
    order by c.sort_key collate "C", c.name collate "C"
    limit $4`,
  };
}

const PAGE = pageStatement('oc_cluster_page', false);
const PAGE_BY_HEALTH = pageStatement('oc_cluster_page_health', true);
const COUNT = { name: 'oc_cluster_count', text: 'select count(*)::int from clusters c where ($1::text is null or c.kind = $1)' };
const COUNT_BY_HEALTH = {
  name: 'oc_cluster_count_health',
  text: `select count(*)::int from clusters c ${AGGREGATES_JOIN} left join managers m on m.cluster_id = c.id where ($1::text is null or c.kind = $1) and ${HEALTH} = $2::text`,
};

const parseOperations = (v: unknown): ManagerOperationSpec[] => (typeof v === 'string' ? (JSON.parse(v) as ManagerOperationSpec[]) : (v as ManagerOperationSpec[]));
const rawBool = (v: unknown): boolean => v === true || v === 't';

/**
 * A page of clusters in natural order (sort key, then name, byte by byte) after a cursor, with
 * their summaries, managers and stats, and how many clusters match the filter.
 */
export async function readClusterPage(
  readRows: ReadRows,
  f: ClusterFilter,
  page: { first: number; after: ClusterCursor | null },
  now: Date,
): Promise<ClusterPageWithSummaries> {
  const values: unknown[] = [f.kind ?? null, page.after?.sortKey ?? '', page.after?.name ?? '', page.first + 1, freshCutoff(now).toISOString()];
  if (f.health) values.push(f.health);
  const rows = await readRows(f.health ? PAGE_BY_HEALTH : PAGE, values);
  let totalCount: number;
  if (rows.length > 0) totalCount = rawNumber(rows[0]![22]);
  else {
    const [c] = f.health ? await readRows(COUNT_BY_HEALTH, [f.kind ?? null, f.health]) : await readRows(COUNT, [f.kind ?? null]);
    totalCount = c ? rawNumber(c[0]) : 0;
  }
  const entries = rows.slice(0, page.first).map((r): ClusterPageEntry => {
    const id = rawString(r[0]);
    return {
      cluster: { id, name: rawString(r[1]), kind: rawString(r[2]), createdAt: rawDate(r[3]) },
      summary: { clusterId: id, health: rawString(r[4]) as ClusterHealth, workerCount: rawNumber(r[5]), runningCount: rawNumber(r[6]) },
      manager:
        r[7] == null
          ? null
          : {
              id: rawString(r[7]),
              clusterId: id,
              host: rawString(r[8]),
              url: rawString(r[9]),
              version: r[10] == null ? null : rawString(r[10]),
              operations: parseOperations(r[11]),
              connected: rawBool(r[12]),
              lastSeenAt: rawDate(r[13]),
              connectedAt: rawDate(r[14]),
              registeredAt: rawDate(r[15]),
            },
      stats: statsFromRaw(r, 16),
    };
  });
  return { entries, totalCount, hasNextPage: rows.length > page.first };
}
