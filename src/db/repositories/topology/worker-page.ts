/**
 * The packed worker page: a page of a cluster's workers written by PostgreSQL as ONE text value
 * and decoded lazily here. Hand-written for speed: it exists for `npm run bench:topology` (the
 * clusters page, 50 workers a cluster, and `cluster(name) { workers }`), where decoding every
 * column of every row through the driver was the biggest part of the read.
 */
import type { DeployedArtifact, Stats, Worker, WorkerState } from '../../../domain/types.js';
import { parseTimestamptz } from '../../raw.js';

export type WorkerPage = { workers: Worker[]; totalCount: number; hasNextPage: boolean };

const FIELD = '\x1f';
const RECORD = '\x1e';

/** Where each field of a packed worker sits (WORKER_PAGE_TEXT writes them in this order). */
const F = {
  id: 0,
  memberId: 1,
  host: 2,
  port: 3,
  state: 4,
  startedAt: 5,
  joinedAt: 6,
  stateChangedAt: 7,
  artifacts: 8,
  statsAt: 9,
  cpuPercent: 10,
  memoryMb: 11,
  requestsPerSec: 12,
  errorsPerSec: 13,
} as const;

/** The workers column of each field. */
const COLUMN: Record<keyof typeof F, string> = {
  id: 'id',
  memberId: 'member_id',
  host: 'host',
  port: 'port',
  state: 'state',
  startedAt: 'started_at',
  joinedAt: 'joined_at',
  stateChangedAt: 'state_changed_at',
  artifacts: 'artifacts',
  statsAt: 'stats_at',
  cpuPercent: 'cpu_percent',
  memoryMb: 'memory_mb',
  requestsPerSec: 'requests_per_sec',
  errorsPerSec: 'errors_per_sec',
};

const packedFields = (Object.keys(F) as (keyof typeof F)[])
  .sort((a, b) => F[a] - F[b])
  .map((k) => `x.${COLUMN[k]}`)
  .join(`, e'\\x1f', `);

/**
 * Up to `k.lim` workers of cluster `c` for key `k` (with `k.state` and `k.after_member`), in
 * memberId order, as ONE text value: a worker's fields (in the order of F) separated by U+001F,
 * workers by U+001E (read back by pageFromText).
 *
 * Why one value: the driver decodes every column of every row on its own, and for a page of 50
 * workers that decoding was the biggest part of the read; PostgreSQL also writes this text for
 * less than it takes to build JSON. The separators cannot occur inside a value: ids, states,
 * numbers and timestamps have fixed formats, artifacts are JSON (which escapes control
 * characters), and memberId and host are refused with control characters (services/validate.ts;
 * the workers table checks it too). NULL is written as an empty field (never a valid value of
 * a nullable field).
 */
export const WORKER_PAGE_TEXT = `(select string_agg(concat(${packedFields}), e'\\x1e' order by x.member_id)
    from (select * from workers x where x.cluster_id = c.id and (k.state is null or x.state = k.state)
          and (k.after_member is null or x.member_id > k.after_member) order by x.member_id limit k.lim) x)`;

const emptyOrNumber = (f: string | undefined) => (f ? Number(f) : null);

/** A worker's latest sample, from the same fields; its time decoded when first asked for (most reads ask for a figure or two). */
class PagedStats implements Stats {
  readonly cpuPercent: number;
  readonly memoryMb: number;
  readonly requestsPerSec: number;
  readonly errorsPerSec: number;
  readonly #at: string;
  #sampledAt: Date | undefined;
  constructor(f: string[]) {
    this.#at = f[F.statsAt]!;
    this.cpuPercent = emptyOrNumber(f[F.cpuPercent]) ?? 0;
    this.memoryMb = emptyOrNumber(f[F.memoryMb]) ?? 0;
    this.requestsPerSec = emptyOrNumber(f[F.requestsPerSec]) ?? 0;
    this.errorsPerSec = emptyOrNumber(f[F.errorsPerSec]) ?? 0;
  }
  get sampledAt(): Date {
    this.#sampledAt ??= parseTimestamptz(this.#at);
    return this.#sampledAt;
  }
  toJSON(): Stats {
    const { sampledAt, cpuPercent, memoryMb, requestsPerSec, errorsPerSec } = this;
    return { sampledAt, cpuPercent, memoryMb, requestsPerSec, errorsPerSec };
  }
}

/**
 * A worker of a page, decoded as it is read: its fields are kept as PostgreSQL wrote them, the
 * plain ones are set at once, and the dearer ones (timestamps, artifacts, stats) are made when
 * first asked for. A page query usually asks for a few fields of many workers (the bench's asks
 * for startedAt and one stat of 50): decoding everything up front was a tenth of its CPU time.
 * Those fields are getters: a copy made by spreading lacks them (`toJSON` gives a whole one).
 */
class PagedWorker implements Worker {
  readonly id: string;
  readonly clusterId: string;
  readonly memberId: string;
  readonly host: string;
  readonly port: number | null;
  readonly state: WorkerState;
  readonly #f: string[];
  #startedAt: Date | null | undefined;
  #joinedAt: Date | undefined;
  #stateChangedAt: Date | undefined;
  #artifacts: DeployedArtifact[] | undefined;
  #stats: Stats | null | undefined;

  constructor(f: string[], clusterId: string) {
    this.#f = f;
    this.id = f[F.id]!;
    this.clusterId = clusterId;
    this.memberId = f[F.memberId]!;
    this.host = f[F.host]!;
    this.port = emptyOrNumber(f[F.port]);
    this.state = f[F.state] as WorkerState;
  }
  get startedAt(): Date | null {
    if (this.#startedAt === undefined) {
      const at = this.#f[F.startedAt];
      this.#startedAt = at ? parseTimestamptz(at) : null;
    }
    return this.#startedAt;
  }
  get joinedAt(): Date {
    this.#joinedAt ??= parseTimestamptz(this.#f[F.joinedAt]!);
    return this.#joinedAt;
  }
  get stateChangedAt(): Date {
    this.#stateChangedAt ??= parseTimestamptz(this.#f[F.stateChangedAt]!);
    return this.#stateChangedAt;
  }
  get artifacts(): DeployedArtifact[] {
    this.#artifacts ??= JSON.parse(this.#f[F.artifacts]!) as DeployedArtifact[];
    return this.#artifacts;
  }
  get stats(): Stats | null {
    if (this.#stats === undefined) {
      const f = this.#f;
      this.#stats = f[F.statsAt] ? new PagedStats(f) : null;
    }
    return this.#stats;
  }
  toJSON(): Worker {
    const { id, clusterId, memberId, host, port, state, startedAt, joinedAt, stateChangedAt, artifacts, stats } = this;
    return { id, clusterId, memberId, host, port, state, startedAt, joinedAt, stateChangedAt, artifacts, stats }; // stats: JSON calls its own toJSON
  }
}

/** A page from WORKER_PAGE_TEXT (read with `first + 1` as the limit): its first `first` workers, and whether there are more. */
export function pageFromText(text: unknown, clusterId: string, totalCount: number, first: number): WorkerPage {
  const records = text ? (text as string).split(RECORD) : [];
  const n = Math.min(first, records.length);
  const workers: Worker[] = new Array(n);
  for (let i = 0; i < n; i++) workers[i] = new PagedWorker(records[i]!.split(FIELD), clusterId);
  return { workers, totalCount, hasNextPage: records.length > first };
}
