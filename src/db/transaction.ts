/**
 * Transactions, and a commit sent with a transaction's last statement.
 *
 * On PostgreSQL the pool's connections run in node-postgres' pipeline mode (client.ts): a
 * statement goes on the wire at once, without waiting for the answers to those before it, and
 * PostgreSQL runs them in order. A transaction uses that twice:
 * - BEGIN goes out with the transaction's first statement (one round trip less per transaction);
 * - `commitWith` sends a transaction's last statement and COMMIT together. PostgreSQL commits as
 *   soon as the statement ends, so a lock the statement takes is held for the statement and the
 *   commit only. Sent one after the other, the lock would also be held while the answer travels
 *   back, waits for the OC's event loop to read it, and the OC sends COMMIT: under load, several
 *   milliseconds. The event log's head row is such a lock (every logged write takes it, to give
 *   positions in commit order): a membership report's statement takes it, and one OC's membership
 *   ingest was bound by how long it was held (docs/scaling.md §5; bench/ingest.ts).
 * On PGlite (one in-process connection, no round trips) drizzle's own transaction runs, and
 * `commitWith` is an ordinary statement, committed when the transaction ends.
 */
import type { SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Db, NamedStatement } from './client.js';
import { rawTypes, runNamed } from './named.js';

interface DrizzleSession {
  client?: unknown;
  logger?: { logQuery(query: string, params: unknown[]): void };
}

const sessionOf = (db: Db) => (db as unknown as { session?: DrizzleSession }).session;

/** The transactions this module runs, by their connection: whether COMMIT has been sent, and the statements `send` sent. */
interface OpenTransaction {
  committed: boolean;
  sent: Promise<unknown>[];
}
const open = new WeakMap<pg.ClientBase, OpenTransaction>();
/** A drizzle database over each pooled connection (made once per connection: connections live long). */
const onClient = new WeakMap<pg.ClientBase, Db>();

const pipelined = (client: unknown): client is pg.Client => client instanceof pg.Client && client.pipeline;

/**
 * Runs `fn` in one transaction on `db` (a drizzle database): committed when it resolves (unless
 * `commitWith` committed it already), rolled back when it throws.
 */
export async function transaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  const session = sessionOf(db);
  const pool = session?.client;
  if (!(pool instanceof pg.Pool) || pool.options.pipeline !== true) {
    return db.transaction((tx) => fn(tx as unknown as Db));
  }
  const client = await pool.connect();
  const logger = session?.logger;
  let tx = onClient.get(client);
  if (!tx) {
    tx = drizzle({ client, ...(logger ? { logger } : {}) }) as unknown as Db;
    onClient.set(client, tx);
  }
  const state: OpenTransaction = { committed: false, sent: [] };
  open.set(client, state);
  try {
    logger?.logQuery('begin', []);
    const begin = client.query('begin');
    // Its failure (a lost connection) fails the statements behind it too; it is awaited below.
    begin.catch(() => {});
    let result: T;
    try {
      result = await fn(tx);
      await begin;
      for (const p of state.sent) await p;
    } catch (err) {
      // A statement `send` sent failed first: what came after it failed for it (the transaction was aborted).
      let cause: unknown = err;
      for (const p of state.sent) {
        const failed = await p.then(
          () => null,
          (e: unknown) => ({ e }),
        );
        if (failed) {
          cause = failed.e;
          break;
        }
      }
      if (!state.committed) {
        logger?.logQuery('rollback', []);
        await client.query('rollback').catch(() => {});
      }
      throw cause;
    }
    if (!state.committed) {
      logger?.logQuery('commit', []);
      await client.query('commit');
    }
    return result;
  } finally {
    open.delete(client);
    client.release();
  }
}

/**
 * Runs a named statement as the last of `tx` (a transaction of `transaction`) and commits: on
 * PostgreSQL COMMIT is sent with it. Nothing may be written in `tx` after it (`committed` says so).
 * Its rows as runNamed's; it throws when the statement or the commit fails (nothing committed).
 */
export async function commitWith(tx: Db, statement: NamedStatement, values: unknown[]): Promise<unknown[][]> {
  const session = sessionOf(tx);
  const client = session?.client;
  const state = pipelined(client) ? open.get(client) : undefined;
  if (!state || state.committed) return runNamed(tx, statement, values);
  session!.logger?.logQuery(statement.text, values);
  session!.logger?.logQuery('commit', []);
  const rows = (client as pg.Client).query({ name: statement.name, text: statement.text, values, rowMode: 'array', types: rawTypes });
  const commit = (client as pg.Client).query('commit');
  state.committed = true;
  // A failed statement aborts the transaction: the COMMIT behind it then rolls back, and answers so.
  const [r, c] = await Promise.allSettled([rows, commit]);
  if (r.status === 'rejected') throw r.reason;
  if (c.status === 'rejected') throw c.reason;
  return r.value.rows as unknown[][];
}

/**
 * Sends a write in `tx` (a transaction of `transaction`) without waiting for its answer: on
 * PostgreSQL it goes on the wire now, in order with what the transaction sends after it (in the
 * same write when that is in the same turn: client.ts corks a connection per turn), and the
 * transaction fails with its error if it fails (checked before the transaction reports success).
 * So a transaction's writes, its event-log append and COMMIT (commitWith) leave together, where
 * each awaited write was a round trip. drizzle's own execute sends later, after promise hops, and
 * would fall behind statements sent directly (runNamed, commitWith): this sends the statement
 * drizzle would. Elsewhere (PGlite, outside such a transaction) the write runs and is awaited.
 */
export async function send(tx: Db, query: SQL): Promise<void> {
  const session = sessionOf(tx);
  const client = session?.client;
  const state = pipelined(client) ? open.get(client) : undefined;
  const dialect = (tx as unknown as { dialect?: { sqlToQuery(q: SQL): { sql: string; params: unknown[] } } }).dialect;
  if (!state || state.committed || !dialect) {
    await tx.execute(query);
    return;
  }
  const { sql: text, params } = dialect.sqlToQuery(query);
  session!.logger?.logQuery(text, params);
  const p = (client as pg.Client).query(text, params);
  p.catch(() => {}); // awaited by the transaction
  state.sent.push(p);
}

/** Whether `tx` was committed by commitWith (then nothing more may be written in it). */
export function committed(tx: Db): boolean {
  const client = sessionOf(tx)?.client;
  return pipelined(client) && open.get(client)?.committed === true;
}
