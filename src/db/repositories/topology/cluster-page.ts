/**
 * The clusters page (`clusters(first, after, kind, health)`, the console's first read) by named
 * statement over raw rows: a page of clusters in natural order, each with its summary (health,
 * worker counts), its manager and its current stats, read from the clusters' aggregates (never by
 * summing their workers), and the total count, in one round trip.
 */
import type { Cluster, ClusterHealth, Manager, ManagerOperationSpec, Stats } from '../../../domain/types.js';
import type { ReadRows } from '../../client.js';
import { rawBoolean, rawDate, rawJson, rawNumber, rawString } from '../../raw.js';
import { AGGREGATES_JOIN, freshCutoff, statsOfCluster } from './aggregates.js';
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
 * One row: the count, and the page as ONE value, in either of two forms:
 * - packed (`oc_cluster_page`, read first): one text, each cluster's fields (in the order of
 *   PAGE_FIELDS) separated by U+001F, clusters by U+001E, NULL as an empty field (never a valid
 *   value: every text is at least one character), timestamps and booleans as PostgreSQL writes
 *   them. Free texts (a name, a host, a URL, a version) never hold a control character when
 *   written through the API (services/validate.ts's text()); should one hold a separator anyway,
 *   its cluster does not split into PAGE_FIELDS fields, and the page is read again as json.
 * - json (`oc_cluster_page_json`): an array of each cluster's fields as an array, which any text
 *   survives.
 * Why one value: the driver decodes every column of every row on its own (23 columns of 51 rows:
 * about 1,200 values a page), which was most of the read's CPU in the OC, where one split reads
 * the whole page. PostgreSQL writes the packed text for what it spent on the columns (json costs
 * it about 40% more), bench:topology. The page comes back even when empty, with its count: one
 * statement always (but for the fallback).
 */
function pageStatement(name: string, byHealth: boolean, form: 'packed' | 'json') {
  const stats = statsOfCluster('$5::timestamptz');
  const kind = '($1::text is null or c.kind = $1)';
  const health = byHealth ? ` and ${HEALTH} = $6::text` : '';
  const count = byHealth
    ? `select count(*)::int from clusters c ${AGGREGATES_JOIN} left join managers m on m.cluster_id = c.id where ${kind}${health}`
    : `select count(*)::int from clusters c where ${kind}`;
  const order = 'order by p.sort_key collate "C", p.name collate "C"';
  const page =
    form === 'packed'
      ? `string_agg(concat(${PAGE_FIELDS.map((f) => `p.${f}`).join(", e'\\x1f', ")}), e'\\x1e' ${order})`
      : `json_agg(json_build_array(${PAGE_FIELDS.map((f) => (TIMESTAMPS.has(f) ? `p.${f}::text` : `p.${f}`)).join(', ')}) ${order})`;
  return {
    name,
    text: `select (${count}) as total, ${page}
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

const PAGE = pageStatement('oc_cluster_page', false, 'packed');
const PAGE_BY_HEALTH = pageStatement('oc_cluster_page_health', true, 'packed');
const PAGE_JSON = pageStatement('oc_cluster_page_json', false, 'json');
const PAGE_JSON_BY_HEALTH = pageStatement('oc_cluster_page_health_json', true, 'json');

const FIELD = '\x1f';
const RECORD = '\x1e';

/** The clusters of a packed page, each as its fields (NULL as null); null if one does not split into PAGE_FIELDS fields. */
function unpack(text: unknown): unknown[][] | null {
  if (text == null || text === '') return [];
  const records = (text as string).split(RECORD);
  const rows: unknown[][] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const fields: (string | null)[] = records[i]!.split(FIELD);
    if (fields.length !== PAGE_FIELDS.length) return null;
    for (let j = 0; j < fields.length; j++) if (fields[j] === '') fields[j] = null;
    rows[i] = fields;
  }
  return rows;
}

/** The clusters of a json page (text from PostgreSQL, already parsed by PGlite). */
const fromJson = (v: unknown): unknown[][] => (v == null ? [] : rawJson<unknown[][]>(v));

/*
 * The page's clusters, managers and stats keep their timestamps (and a manager its operations,
 * JSON) as PostgreSQL wrote them and decode each when first asked for: a page has five a cluster
 * (250), and a page query usually asks for none of them (the console's and bench:topology's do
 * not). As with the paged workers
 * (worker-page.ts), those fields are getters: a copy made by spreading lacks them (`toJSON`
 * gives a whole one).
 */

/** What the page read along with one of its clusters. */
export type PageAlong = Omit<ClusterPageEntry, 'cluster'>;

class PageCluster implements Cluster {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly #createdAt: unknown;
  #date: Date | undefined;
  /** Kept on the cluster itself (a private field: no copy, spread or JSON shows it), see alongWithPageCluster. */
  readonly #along: PageAlong;
  constructor(id: string, name: string, kind: string, createdAt: unknown, along: PageAlong) {
    this.id = id;
    this.name = name;
    this.kind = kind;
    this.#createdAt = createdAt;
    this.#along = along;
  }
  get along(): PageAlong {
    return this.#along;
  }
  get createdAt(): Date {
    this.#date ??= rawDate(this.#createdAt);
    return this.#date;
  }
  toJSON(): Cluster {
    const { id, name, kind, createdAt } = this;
    return { id, name, kind, createdAt };
  }
}

class PageManager implements Manager {
  readonly id: string;
  readonly clusterId: string;
  readonly host: string;
  readonly url: string;
  readonly version: string | null;
  readonly connected: boolean;
  readonly #r: readonly unknown[];
  #operations: ManagerOperationSpec[] | undefined;
  #lastSeenAt: Date | undefined;
  #connectedAt: Date | undefined;
  #registeredAt: Date | undefined;
  constructor(r: readonly unknown[], clusterId: string) {
    this.#r = r;
    this.id = rawString(r[7]);
    this.clusterId = clusterId;
    this.host = rawString(r[8]);
    this.url = rawString(r[9]);
    this.version = r[10] == null ? null : rawString(r[10]);
    this.connected = rawBoolean(r[12]);
  }
  get operations(): ManagerOperationSpec[] {
    this.#operations ??= rawJson<ManagerOperationSpec[]>(this.#r[11]);
    return this.#operations;
  }
  get lastSeenAt(): Date {
    this.#lastSeenAt ??= rawDate(this.#r[13]);
    return this.#lastSeenAt;
  }
  get connectedAt(): Date {
    this.#connectedAt ??= rawDate(this.#r[14]);
    return this.#connectedAt;
  }
  get registeredAt(): Date {
    this.#registeredAt ??= rawDate(this.#r[15]);
    return this.#registeredAt;
  }
  toJSON(): Manager {
    const { id, clusterId, host, url, version, operations, connected, lastSeenAt, connectedAt, registeredAt } = this;
    return { id, clusterId, host, url, version, operations, connected, lastSeenAt, connectedAt, registeredAt };
  }
}

/** statsFromRaw's figures (the six values from `at`), its time decoded when first asked for. */
class PageStats implements Stats {
  readonly cpuPercent: number;
  readonly memoryMb: number;
  readonly requestsPerSec: number;
  readonly errorsPerSec: number;
  readonly #at: unknown;
  #sampledAt: Date | undefined;
  constructor(r: readonly unknown[], at: number, n: number) {
    this.cpuPercent = rawNumber(r[at + 1]) / n;
    this.memoryMb = rawNumber(r[at + 2]);
    this.requestsPerSec = rawNumber(r[at + 3]);
    this.errorsPerSec = rawNumber(r[at + 4]);
    this.#at = r[at + 5];
  }
  get sampledAt(): Date {
    this.#sampledAt ??= rawDate(this.#at);
    return this.#sampledAt;
  }
  toJSON(): Stats {
    const { sampledAt, cpuPercent, memoryMb, requestsPerSec, errorsPerSec } = this;
    return { sampledAt, cpuPercent, memoryMb, requestsPerSec, errorsPerSec };
  }
}

/** As statsFromRaw (aggregates.ts), lazily: null when no fresh sample. */
const pageStats = (r: readonly unknown[], at: number): Stats | null => {
  const n = r[at] == null ? 0 : rawNumber(r[at]);
  return n > 0 ? new PageStats(r, at, n) : null;
};

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
  let totalCount = row ? rawNumber(row[0]) : 0;
  let rows = unpack(row?.[1]);
  if (rows === null) {
    // A text held a separator: the page again, as json (see pageStatement).
    const [again] = await readRows(f.health ? PAGE_JSON_BY_HEALTH : PAGE_JSON, values);
    totalCount = again ? rawNumber(again[0]) : 0;
    rows = fromJson(again?.[1]);
  }
  const n = Math.min(page.first, rows.length);
  const entries: ClusterPageEntry[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    const id = rawString(r[0]);
    const along: PageAlong = {
      summary: { clusterId: id, health: rawString(r[4]) as ClusterHealth, workerCount: rawNumber(r[5]), runningCount: rawNumber(r[6]) },
      manager: r[7] == null ? null : new PageManager(r, id),
      stats: pageStats(r, 16),
    };
    entries[i] = { cluster: new PageCluster(id, rawString(r[1]), rawString(r[2]), r[3], along), ...along };
  }
  return { entries, totalCount, hasNextPage: rows.length > page.first };
}

/**
 * What the page read along with this cluster, if it is one of a page's: its own fields answer
 * from it (services/loaders.ts readAlongWith), kept on the object rather than in a WeakMap (50
 * entries a page, and the ephemeron table's cost in every scavenge, bench:topology).
 */
export const alongWithPageCluster = (c: Cluster): PageAlong | undefined => (c instanceof PageCluster ? c.along : undefined);
