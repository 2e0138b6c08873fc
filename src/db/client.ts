/**
 * Opens the database (PGlite in-process, or a PostgreSQL pool), applies the migrations, and gives
 * the rest of the OC one surface over either: drizzle, named hot reads, LISTEN and NOTIFY.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgAsyncDatabase } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { CONNECTION_ERRNOS, DatabaseOpenError } from './errors.js';
import { reconnectingListener } from './listener.js';
import { rawTypes } from './named.js';
import { lockDataDir } from './pglite-lock.js';

export { DatabaseOpenError, isConnectionError } from './errors.js';

/** The drizzle database, whichever driver is behind it. */
export type Db = PgAsyncDatabase<any, any>;

/**
 * A read statement sent by name. On PostgreSQL each pooled connection parses it once, and after
 * a few calls keeps one generic plan when that is as good as planning per call (the hot topology
 * reads: planning was more than half of PostgreSQL's time per request).
 * The name must be unique per text (a different text under a known name is an error).
 */
export interface NamedStatement {
  name: string;
  text: string;
}

/**
 * Rows of a named statement as arrays of column values, in select order. What a value looks
 * like depends on the driver: on PostgreSQL the column's text as the server sent it (no type
 * parsing: the caller converts what it uses, see ./raw.ts), on PGlite the parsed value. Use
 * the converters of ./raw.ts, which accept both.
 */
export type ReadRows = (statement: NamedStatement, values: unknown[]) => Promise<unknown[][]>;

export interface Database {
  db: Db;
  /** SQL statements sent so far (tests assert bounded statement counts with it). */
  readonly queryCount: number;
  driver: 'pglite' | 'pg';
  /** Hot reads by named statement, rows as arrays (counted in queryCount like any statement). */
  readRows: ReadRows;
  /**
   * LISTEN on a channel; resolves once listening. Returns an unlisten function. On PostgreSQL the
   * LISTEN connection is re-opened (with backoff) whenever it is lost; `onRestored` is called once
   * it listens again, since whatever was notified in between was missed.
   */
  listen(channel: string, onPayload: (payload: string) => void, onRestored?: () => void): Promise<() => Promise<void>>;
  /** NOTIFY on a channel, at once (outside any transaction: send it after the commit it tells of). */
  /** NOTIFY: one payload, or several in one statement (one round trip and one commit: PostgreSQL takes its NOTIFY commit lock once). */
  notify(channel: string, payload: string | readonly string[]): Promise<void>;
  /** Is the database answering? (A trivial statement, bounded by `timeoutMs`.) */
  ping(timeoutMs: number): Promise<void>;
  /** Whether notifications reach this process now: false while the PostgreSQL LISTEN connection is being re-opened. */
  readonly listening: boolean;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle');

export interface DatabaseOptions {
  /** postgres:// URL; when null, PGlite is used. */
  url: string | null;
  /** PGlite data folder; null for in-memory. */
  dataDir: string | null;
  poolSize?: number;
  /** Where lost connections and reconnections are reported. */
  logger?: Logger;
  /** PGlite's shared_buffers in MB (default PGLITE_SHARED_BUFFERS_MB). */
  pgliteSharedBuffersMb?: number;
  /**
   * Where PGlite creates a new folder's cluster: 'child' (default, see initPgliteDir), or
   * 'in-process' as before issue 12 (bench/memory.ts measures both).
   */
  pgliteInitdb?: 'child' | 'in-process';
}

/**
 * PGlite's memory is one WebAssembly heap that grows and never shrinks: whatever PostgreSQL
 * touches once (shared buffers, a big sort, a vacuum) stays resident for the life of the
 * process. PostgreSQL's server defaults (shared_buffers 128 MB, maintenance_work_mem 64 MB,
 * temp_buffers 8 MB) size a shared server; an embedded database of a few thousand rows does not
 * need them. docs/scaling.md says where the memory goes.
 */
export const PGLITE_SHARED_BUFFERS_MB = 16;

/** The `-c` settings PGlite starts with (on top of its own start parameters), per shared_buffers. */
export function pgliteSettings(sharedBuffersMb = PGLITE_SHARED_BUFFERS_MB): string[] {
  return [
    `shared_buffers=${sharedBuffersMb}MB`,
    // The WAL buffers follow shared_buffers (1/32) by default; said explicitly for the record.
    `wal_buffers=${Math.max(64, Math.floor((sharedBuffersMb * 1024) / 32))}kB`,
    'temp_buffers=1MB',
    'maintenance_work_mem=16MB',
    'work_mem=4MB',
  ];
}

/**
 * Creates PGlite's cluster in `dataDir` in a throw-away process when it has none yet. PGlite's
 * initdb runs a second, whole PGlite instance (its own WebAssembly heap, about 430 MB more RSS
 * measured here) whose memory the process never gets back after it closes; in a child process
 * it goes away with the child. Only a new folder pays this (about 2 s more on its first start).
 */
async function initPgliteDir(dataDir: string, settings: string[]): Promise<void> {
  if (existsSync(join(dataDir, 'PG_VERSION'))) return;
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const script = `const { PGlite } = require(${JSON.stringify(entry)});
(async () => { const db = await PGlite.create(process.argv[1], { startParams: [...PGlite.defaultStartParams, ...JSON.parse(process.argv[2])] }); await db.close(); })()
  .catch((err) => { console.error(err && err.message ? err.message : String(err)); process.exit(1); });`;
  const args = JSON.stringify(settings.flatMap((s) => ['-c', s]));
  await new Promise<void>((done, fail) => {
    execFile(process.execPath, ['-e', script, dataDir, args], { timeout: 120_000 }, (err, _stdout, stderr) => {
      if (err) fail(new Error(`PGlite could not create its database in ${dataDir}: ${stderr.trim() || err.message}`));
      else done();
    });
  });
}

/** The one-line reason a connection to PostgreSQL could not be opened, or null for any other error. */
function openFailure(err: unknown, url: string): string | null {
  const u = new URL(url);
  const where = `${u.hostname}:${u.port || 5432}`;
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres';
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === '3D000') {
      return `DATABASE_URL: database "${database}" does not exist on ${where}; create it (e.g. createdb -h ${u.hostname} ${database}, or CREATE DATABASE "${database}") and start again`;
    }
    if (code === '28P01' || code === '28000') return `DATABASE_URL: PostgreSQL at ${where} refused the credentials of user "${decodeURIComponent(u.username)}" (${(e as Error).message})`;
    if (typeof code === 'string' && CONNECTION_ERRNOS.has(code)) return `DATABASE_URL: cannot reach PostgreSQL at ${where} (${code})`;
  }
  return null;
}


/** NOTIFY through drizzle (pg_notify takes the channel and payload as parameters); several payloads in one statement. */
const notifier = (db: Db) => async (channel: string, payload: string | readonly string[]) => {
  const payloads = typeof payload === 'string' ? [payload] : payload;
  if (payloads.length === 0) return;
  await db.execute(sql`select ${sql.join(payloads.map((p) => sql`pg_notify(${channel}, ${p})`), sql`, `)}`);
};

function counter() {
  const c = { n: 0, logger: { logQuery: () => void c.n++ } };
  return c;
}

/**
 * The statements a connection is given in one turn of the event loop leave in one write: its
 * socket is corked at the first and uncorked once the turn's callbacks and promise reactions have
 * run (process.nextTick from within them). In pipeline mode node-postgres writes each statement as
 * it comes, one writev each; a transaction's BEGIN and first statement, its last statement and
 * COMMIT (transaction.ts), a report's lock and read, were separate writes: about six writes and
 * six reads per worker restarted in bench/rollout.ts's patch (strace). On this project's test
 * machine (2 cores, a VM) the OC's CPU per worker restarted went 3.8 → 3.3 ms with this; writev
 * was a quarter of a CPU profile of the OC, though mostly as the time its thread, having woken a
 * PostgreSQL backend, waited for a CPU (the profiler counts wall time).
 */
function corkPerTurn(client: pg.Client) {
  const stream = (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
  if (!stream || typeof stream.cork !== 'function') return;
  let corked = false;
  const uncork = () => {
    corked = false;
    stream.uncork();
  };
  const query = client.query;
  client.query = function (this: pg.Client, ...args: unknown[]) {
    if (!corked && !stream.destroyed) {
      corked = true;
      stream.cork();
      process.nextTick(uncork);
    }
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof client.query;
}

/** Opens the database and applies every migration (the app and the tests both do this; never push). */
export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) return openPostgres(opts.url, opts);
  const lock = opts.dataDir ? lockDataDir(opts.dataDir) : null;
  try {
    const settings = pgliteSettings(opts.pgliteSharedBuffersMb);
    if (opts.dataDir && opts.pgliteInitdb !== 'in-process') await initPgliteDir(opts.dataDir, settings);
    return await openPglite(opts.dataDir, settings, () => lock?.release());
  } catch (err) {
    lock?.release();
    throw err;
  }
}

async function openPostgres(url: string, opts: DatabaseOptions): Promise<Database> {
  const logger = opts.logger;
  // keepAlive: a peer that vanished without a word (a failover) is noticed by TCP, not only at the next query.
  // jit off for the OC's sessions: its statements are short OLTP, and PostgreSQL JIT-compiles any
  // whose estimate passes jit_above_cost. The system-wide stats (a lateral recount per cluster,
  // costed for every cluster though it runs for the stale ones only) took 1.3 s of compiling per
  // read at 2,000 clusters, for a 1.5 ms execution (bench:simulator --huge's `system` probe).
  // (pg lets the URL's own `options` win over the config's: they are moved out of it and kept.)
  const u = new URL(url);
  const options = [u.searchParams.get('options'), '-c jit=off'].filter(Boolean).join(' ');
  u.searchParams.delete('options');
  // pipeline: a statement is sent at once, without waiting for the answers before it (./transaction.ts uses that).
  const pool = new pg.Pool({ connectionString: u.toString(), max: opts.poolSize ?? 10, keepAlive: true, options, pipeline: true });
  // Every client gets its own 'error' listener for its whole life: pg-pool removes its listener from a
  // client while it is checked out, and a connection lost then (idle in a transaction: a failover, a
  // restart, idle_in_transaction_session_timeout) would be an unhandled 'error' event that ends the
  // process. The statement in flight, or the next one, fails instead; the request fails with it, and
  // the pool drops the client when it is released (it is no longer queryable).
  pool.on('connect', (client) => {
    client.on('error', (err) => logger?.warn('database connection lost', { err }));
    corkPerTurn(client);
  });
  pool.on('error', () => {}); // reported by the client's own listener above
  const count = counter();
  const pgDb = drizzlePg({ client: pool, logger: count.logger });
  const db: Db = pgDb;
  try {
    await migratePg(pgDb, { migrationsFolder: MIGRATIONS_FOLDER });
  } catch (err) {
    await pool.end().catch(() => {});
    const reason = openFailure(err, url);
    throw reason ? new DatabaseOpenError(reason) : err;
  }
  const listener = reconnectingListener(url, logger);
  return {
    db,
    driver: 'pg',
    get queryCount() {
      return count.n;
    },
    async readRows(statement, values) {
      count.n++;
      const res = await pool.query({ name: statement.name, text: statement.text, values, rowMode: 'array', types: rawTypes });
      return res.rows as unknown[][];
    },
    listen: listener.listen,
    notify: notifier(db),
    get listening() {
      return listener.connected;
    },
    async ping(timeoutMs) {
      await withTimeout(pool.query('select 1'), timeoutMs, 'the database did not answer');
    },
    async close() {
      await listener.close();
      await pool.end();
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function openPglite(dataDir: string | null, settings: string[], unlock: () => void): Promise<Database> {
  const startParams = [...PGlite.defaultStartParams, ...settings.flatMap((s) => ['-c', s])];
  const client = dataDir ? new PGlite(dataDir, { startParams }) : new PGlite({ startParams });
  await client.waitReady;
  const count = counter();
  const pgliteDb = drizzlePglite({ client, logger: count.logger });
  const db: Db = pgliteDb;
  await migratePglite(pgliteDb, { migrationsFolder: MIGRATIONS_FOLDER });
  return {
    db,
    driver: 'pglite',
    get queryCount() {
      return count.n;
    },
    async readRows(statement, values) {
      count.n++;
      const res = await client.query<unknown[]>(statement.text, values, { rowMode: 'array' });
      return res.rows;
    },
    async listen(channel, onPayload) {
      // In-process: nothing to lose, nothing to restore.
      const unlisten = await client.listen(channel, onPayload);
      return unlisten;
    },
    notify: notifier(db),
    async ping(timeoutMs) {
      await withTimeout(client.query('select 1'), timeoutMs, 'the database did not answer');
    },
    listening: true,
    async close() {
      try {
        if (!client.closed) await client.close();
      } finally {
        unlock();
      }
    },
  };
}
