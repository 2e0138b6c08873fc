/**
 * The event log (tables event_log and event_log_head): appended in commit order, read by
 * position, pruned from the oldest end.
 *
 * Order: the append takes the row lock of event_log_head's one row (an upsert that adds the
 * number of events) and holds it to COMMIT. A second transaction's append waits for that lock,
 * then (READ COMMITTED re-reads the updated row) continues from the committed head. So positions
 * are dense, and a position becomes visible only after every smaller one: a reader never sees
 * 7 before 6, on one instance or many. The lock is taken by the transaction's last statement,
 * so it is held for the commit only.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Db, NamedStatement } from '../client.js';
import { runNamed } from '../named.js';
import { commitWith } from '../transaction.js';
import { rawString } from '../raw.js';
import { affectedRows, queryRows } from '../query.js';

export interface LogAppend {
  topic: string;
  clusterId: string | null;
  /** The bus payload; stored as its JSON. */
  payload: unknown;
}

export interface LogRow {
  position: bigint;
  topic: string;
  /** The payload's JSON text (the caller revives its dates). */
  payload: string;
}

/** Appends of up to this many events go as a named statement per count (a report's or a command's handful); more as one statement each. */
const NAMED_APPEND_MAX = 32;
const appendStatements = new Map<number, NamedStatement>();

/** The append of n events as a named statement: parameters $1 = n, then topic, cluster id and payload of each. */
function appendStatement(n: number): NamedStatement {
  let st = appendStatements.get(n);
  if (!st) {
    const rows = Array.from({ length: n }, (_, i) => `(${i + 1}::int, $${3 * i + 2}::text, $${3 * i + 3}::uuid, $${3 * i + 4}::json)`).join(', ');
    st = {
      name: `oc_log_append_${n}`,
      text: `with h as (
      insert into event_log_head (id, position) values (1, $1::bigint)
      on conflict (id) do update set position = event_log_head.position + excluded.position
      returning position
    ), i as (
      insert into event_log (position, topic, cluster_id, payload)
      select h.position - $1::bigint + v.ord, v.topic, v.cluster_id, v.payload
      from h, (values ${rows}) as v(ord, topic, cluster_id, payload)
    )
    select position::text as head from h`,
    };
    appendStatements.set(n, st);
  }
  return st;
}

/**
 * Appends events in order; returns the position of the first (the others follow it, one by one).
 * One statement: the head's upsert (the lock) and the rows, as a VALUES list (cheaper than
 * unpacking one JSON array in the database: about a third less time on PGlite). With `commit`,
 * the append is its transaction's last statement and COMMIT is sent with it (transaction.ts's
 * commitWith): the head's lock is then held for the statement and the commit only, and the
 * transaction takes one round trip less (up to NAMED_APPEND_MAX events; more commit as usual).
 */
export async function appendEvents(tx: Db, events: LogAppend[], opts: { commit?: boolean } = {}): Promise<bigint> {
  const n = events.length;
  if (n <= NAMED_APPEND_MAX) {
    const values: unknown[] = [n];
    for (const e of events) values.push(e.topic, e.clusterId, JSON.stringify(e.payload));
    const [row] = await (opts.commit ? commitWith : runNamed)(tx, appendStatement(n), values);
    if (!row) throw new Error('event log: the head was not returned');
    return BigInt(rawString(row[0])) - BigInt(n) + 1n;
  }
  const values = events.map((e, i) => sql`(${i + 1}::int, ${e.topic}::text, ${e.clusterId}::uuid, ${JSON.stringify(e.payload)}::json)`);
  const rows = await queryRows<{ head: string | bigint }>(
    tx,
    sql`with h as (
      insert into event_log_head (id, position) values (1, ${n}::bigint)
      on conflict (id) do update set position = event_log_head.position + excluded.position
      returning position
    ), i as (
      insert into event_log (position, topic, cluster_id, payload)
      select h.position - ${n}::bigint + v.ord, v.topic, v.cluster_id, v.payload
      from h, (values ${sql.join(values, sql`, `)}) as v(ord, topic, cluster_id, payload)
    )
    select position::text as head from h`,
  );
  const head = rows[0]?.head;
  if (head === undefined) throw new Error('event log: the head was not returned');
  return BigInt(head) - BigInt(n) + 1n;
}

export interface LogFilter {
  topics: readonly string[] | null;
  clusterId: string | null;
}

function where(after: bigint, upTo: bigint | null, f: LogFilter): SQL {
  const parts: SQL[] = [sql`position > ${after.toString()}::bigint`];
  if (upTo !== null) parts.push(sql`position <= ${upTo.toString()}::bigint`);
  if (f.clusterId !== null) parts.push(sql`cluster_id = ${f.clusterId}::uuid`);
  if (f.topics !== null) parts.push(sql`topic in (${sql.join(f.topics.map((t) => sql`${t}`), sql`, `)})`);
  return sql.join(parts, sql` and `);
}

/** Events after `after` (and up to `upTo` when given), oldest first, at most `limit`. */
export async function readEvents(db: Db, after: bigint, upTo: bigint | null, filter: LogFilter, limit: number): Promise<LogRow[]> {
  const rows = await queryRows<{ position: string; topic: string; payload: string }>(
    db,
    sql`select position::text as position, topic, payload::text as payload from event_log where ${where(after, upTo, filter)} order by event_log.position limit ${limit}`,
  );
  return rows.map((r) => ({ position: BigInt(r.position), topic: r.topic, payload: r.payload }));
}

/** How many retained events match. */
export async function countEvents(db: Db, filter: LogFilter): Promise<number> {
  const rows = await queryRows<{ n: string | number }>(db, sql`select count(*)::int as n from event_log where ${where(-1n, null, filter)}`);
  return Number(rows[0]?.n ?? 0);
}

/** The last position handed out (0 before the first event), and the oldest position still kept (null when none is). */
export async function logBounds(db: Db): Promise<{ head: bigint; oldest: bigint | null }> {
  const rows = await queryRows<{ head: string | null; oldest: string | null }>(
    db,
    sql`select (select position from event_log_head where id = 1)::text as head, (select min(position) from event_log)::text as oldest`,
  );
  const r = rows[0];
  return { head: BigInt(r?.head ?? 0), oldest: r?.oldest == null ? null : BigInt(r.oldest) };
}

/**
 * Deletes the events older than `hours` (by the database's clock), from the oldest end only:
 * the log stays one contiguous run of positions, so whether anything after P was pruned is one comparison.
 */
export async function pruneEvents(db: Db, hours: number): Promise<number> {
  return affectedRows(
    db,
    sql`delete from event_log where position < coalesce(
      (select position from event_log where at >= now() - make_interval(hours => ${hours}::int) order by position limit 1),
      (select position + 1 from event_log_head where id = 1),
      0)`,
  );
}
