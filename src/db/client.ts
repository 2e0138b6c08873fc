import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgAsyncDatabase } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import type { Logger } from '../logger.js';

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
}

/**
 * The database could not be opened, said in one line a person can act on (a missing database,
 * a refused connection, a PGlite folder in use by another OC).
 */
export class DatabaseOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseOpenError';
  }
}

/**
 * PostgreSQL error codes that mean the connection (not the statement) failed, or could not be
 * opened: terminated (admin, crash, idle-in-transaction timeout), refused (starting up, too many
 * connections, the database gone or its credentials refused).
 */
const CONNECTION_SQLSTATES = new Set(['57P01', '57P02', '57P03', '25P03', '53300', '3D000', '28000', '28P01']);
const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const CONNECTION_MESSAGES =
  /Connection terminated|not queryable|Client was closed|timeout exceeded when trying to connect|Connection closed|not currently accepting connections/i;

/**
 * Did this error (or one it wraps: drizzle wraps the driver's in `cause`) come from a lost or
 * refused database connection, rather than from the statement itself? Such a request is failed
 * as a whole (its transaction is gone with the connection) and may be retried.
 */
export function isConnectionError(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_SQLSTATES.has(code) || code.startsWith('08') || CONNECTION_ERRNOS.has(code))) return true;
    if (e instanceof Error && CONNECTION_MESSAGES.test(e.message)) return true;
  }
  return false;
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

/** pg: every column as its text (the converters of ./raw.ts parse what a caller uses). */
const asText = (value: string) => value;
const rawTypes = { getTypeParser: () => asText };

function counter() {
  const c = { n: 0, logger: { logQuery: () => void c.n++ } };
  return c;
}

/** Opens the database and applies every migration (the app and the tests both do this; never push). */
export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) return openPostgres(opts.url, opts);
  const lock = opts.dataDir ? lockDataDir(opts.dataDir) : null;
  try {
    return await openPglite(opts.dataDir, () => lock?.release());
  } catch (err) {
    lock?.release();
    throw err;
  }
}

async function openPostgres(url: string, opts: DatabaseOptions): Promise<Database> {
  const logger = opts.logger;
  // keepAlive: a peer that vanished without a word (a failover) is noticed by TCP, not only at the next query.
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, keepAlive: true });
  // Every client gets its own 'error' listener for its whole life: pg-pool removes its listener from a
  // client while it is checked out, and a connection lost then (idle in a transaction: a failover, a
  // restart, idle_in_transaction_session_timeout) would be an unhandled 'error' event that ends the
  // process. The statement in flight, or the next one, fails instead; the request fails with it, and
  // the pool drops the client when it is released (it is no longer queryable).
  pool.on('connect', (client) => client.on('error', (err) => logger?.warn('database connection lost', { err })));
  pool.on('error', () => {}); // reported by the client's own listener above
  const count = counter();
  const db = drizzlePg({ client: pool, logger: count.logger }) as unknown as Db;
  try {
    await migratePg(db as any, { migrationsFolder: MIGRATIONS_FOLDER });
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

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5_000;

/**
 * The dedicated LISTEN connection (LISTEN needs one of its own, not a pooled one). When it is lost,
 * it is opened again with exponential backoff (100 ms doubling to 5 s, with jitter) and LISTENs on
 * every channel again; then each `onRestored` is called: whatever was notified meanwhile is lost.
 */
function reconnectingListener(url: string, logger: Logger | undefined) {
  const handlers = new Map<string, Set<(p: string) => void>>();
  const restored = new Set<() => void>();
  let client: pg.Client | null = null;
  let connecting: Promise<void> | null = null;
  let retry: NodeJS.Timeout | null = null;
  let attempt = 0;
  let closed = false;
  const quote = (channel: string) => `"${channel.replace(/"/g, '')}"`;

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString: url, keepAlive: true });
    c.on('error', (err) => logger?.warn('LISTEN connection lost', { err }));
    c.on('notification', (n) => {
      for (const h of handlers.get(n.channel) ?? []) h(n.payload ?? '');
    });
    c.once('end', () => {
      if (client !== c) return;
      client = null;
      if (closed) return;
      logger?.warn('LISTEN connection ended; reconnecting');
      scheduleReconnect();
    });
    try {
      await c.connect();
      for (const channel of handlers.keys()) await c.query(`LISTEN ${quote(channel)}`);
    } catch (err) {
      await c.end().catch(() => {});
      throw err;
    }
    if (closed) {
      await c.end().catch(() => {});
      return;
    }
    client = c;
  }

  function scheduleReconnect() {
    if (closed || retry) return;
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt++;
    retry = setTimeout(() => {
      retry = null;
      connecting = connect().finally(() => {
        connecting = null;
      });
      connecting.then(
        () => {
          if (closed || !client) return;
          logger?.info('LISTEN connection restored', { attempts: attempt });
          attempt = 0;
          for (const cb of restored) cb();
        },
        (err) => {
          logger?.warn('LISTEN reconnect failed; trying again', { err, attempt });
          scheduleReconnect();
        },
      );
    }, delay);
    retry.unref?.();
  }

  return {
    /** Listening now (nothing to listen for yet counts as listening). */
    get connected() {
      return client !== null || (handlers.size === 0 && !retry);
    },
    async listen(channel: string, onPayload: (payload: string) => void, onRestored?: () => void) {
      let set = handlers.get(channel);
      const fresh = !set;
      if (!set) handlers.set(channel, (set = new Set()));
      set.add(onPayload);
      if (onRestored) restored.add(onRestored);
      if (connecting) await connecting;
      else if (!client && !retry) await (connecting = connect().finally(() => (connecting = null)));
      else if (fresh && client) await client.query(`LISTEN ${quote(channel)}`);
      return async () => {
        set.delete(onPayload);
        if (onRestored) restored.delete(onRestored);
      };
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      retry = null;
      await connecting?.catch(() => {});
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}

const heldLocks = new Set<string>();

/**
 * One OC per PGlite folder: PGlite has no lock of its own, and two processes writing one folder
 * corrupt it. Like PostgreSQL's postmaster.pid: a file naming the process that holds the folder,
 * created atomically; a file left by a process that is gone (or by this very pid in an earlier
 * life, as in a restarted container) is taken over.
 */
function lockDataDir(dataDir: string): { release(): void } {
  mkdirSync(dataDir, { recursive: true });
  const path = resolve(dataDir, 'oc.lock');
  if (heldLocks.has(path)) throw new DatabaseOpenError(`OC_DATA_DIR ${dataDir} is already open in this process`);
  for (let tries = 0; ; tries++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() })}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 2) throw err;
      const holder = readLock(path);
      if (holder && holder.pid !== process.pid && holder.host === hostname() && alive(holder.pid)) {
        throw new DatabaseOpenError(
          `OC_DATA_DIR ${dataDir} is in use by another OC (pid ${holder.pid}, since ${holder.since}); stop it first, or give this one another OC_DATA_DIR (lock: ${path})`,
        );
      }
      if (holder && holder.host !== hostname()) {
        throw new DatabaseOpenError(
          `OC_DATA_DIR ${dataDir} is locked by an OC on host ${holder.host} (pid ${holder.pid}); if that OC is gone, delete ${path} and start again`,
        );
      }
      try {
        unlinkSync(path); // left behind by a process that is gone
      } catch {}
    }
  }
  heldLocks.add(path);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    heldLocks.delete(path);
    process.off('exit', release);
    try {
      if (readLock(path)?.pid === process.pid) unlinkSync(path);
    } catch {}
  };
  process.once('exit', release);
  return { release };
}

function readLock(path: string): { pid: number; host: string; since: string } | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8'));
    return typeof v?.pid === 'number' ? { pid: v.pid, host: String(v.host ?? ''), since: String(v.since ?? '?') } : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function openPglite(dataDir: string | null, unlock: () => void): Promise<Database> {
  const client = dataDir ? new PGlite(dataDir) : new PGlite();
  await client.waitReady;
  const count = counter();
  const db = drizzlePglite({ client, logger: count.logger }) as unknown as Db;
  await migratePglite(db as any, { migrationsFolder: MIGRATIONS_FOLDER });
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
