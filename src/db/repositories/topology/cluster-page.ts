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
 *
 * One row: the count, and the page as ONE json value, an array of clusters each written as an
 * array of its fields (in the order of PAGE_FIELDS), timestamps as their text. Why one value:
 * the driver decodes every column of every row on its own (23 columns of 51 rows: about 1,200
 * values a page, most of the read's CPU in the OC), where JSON.parse reads the whole page at
 * once (bench:topology). JSON escapes whatever a name, URL or version holds, so no field can
 * break the encoding. The page comes back even when empty, with its count: one statement always.
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
    text: `select (${count}) as total, json_agg(json_build_array(${PAGE_FIELDS.map((f) => (TIMESTAMPS.has(f) ? `p.${f}::text` : `p.${f}`)).join(', ')})
      order by p.sort_key collate "C", p.name collate "C")
    from (select c.id, c.name, c.kind, c.created_at, ${HEALTH} as health, coalesce(wc.total, 0) as workers, coalesce(wc.running, 0) as running,
      m.id as m_id, m.host as m_host, m.url as m_url, m.version as m_version, m.operations as m_operations, m.connected as m_connected,
      m.last_seen_at as m_last_seen_at, m.connected_at as m_connected_at, m.registered_at as m_registered_at, ${stats.columns}, c.sort_key
    from clusters c ${AGGREGATES_JOIN}
    left join managers m on m.cluster_id = c.id
    ${stats.join}
    where ${kind}${health} and (c.sort_key collate "C", c.name collate "C") > ($2::text, $3::text)
    order by c.sort_key collate "C", c.name collate "C"
    limit $4) p`,
  };
}

/** The fields of a cluster of the page, in the order each is written (readClusterPage reads them by position). */
const PAGE_FIELDS = [
  'id',
  'name',
  'kind',
  'created_at',
  'health',
  'workers',
  'running',
  'm_id',
  'm_host',
  'm_url',
  'm_version',
  'm_operations',
  'm_connected',
  'm_last_seen_at',
  'm_connected_at',
  'm_registered_at',
  's_n',
  's_cpu',
  's_mem',
  's_rps',
  's_eps',
  's_at',
] as const;

/** Written as their text (as the driver would hand them over), which parseTimestamptz reads; JSON's own form it does not. */
const TIMESTAMPS = new Set<string>(['created_at', 'm_last_seen_at', 'm_connected_at', 'm_registered_at', 's_at']);

const PAGE = pageStatement('oc_cluster_page', false);
const PAGE_BY_HEALTH = pageStatement('oc_cluster_page_health', true);
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
  const [row] = await readRows(f.health ? PAGE_BY_HEALTH : PAGE, values);
  const totalCount = row ? rawNumber(row[0]) : 0;
  // The json value: text from PostgreSQL (the driver's raw types), already parsed by PGlite.
  const rows = (row?.[1] == null ? [] : typeof row[1] === 'string' ? JSON.parse(row[1]) : row[1]) as unknown[][];
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
