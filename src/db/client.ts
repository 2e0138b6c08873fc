import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgAsyncDatabase } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';

/** The drizzle database, whichever driver is behind it. */
export type Db = PgAsyncDatabase<any, any>;
/** A transaction handle: the same query surface as Db. */
export type Tx = Db;

export type Notify = (channel: string, payload: string) => void;

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
  /** LISTEN on a channel; resolves once listening. Returns an unlisten function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle');

export interface DatabaseOptions {
  /** postgres:// URL; when null, PGlite is used. */
  url: string | null;
  /** PGlite data folder; null for in-memory. */
  dataDir: string | null;
  poolSize?: number;
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
  if (opts.url) {
    const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 10 });
    pool.on('error', () => {}); // idle client errors are surfaced on the next query
    const count = counter();
    const db = drizzlePg({ client: pool, logger: count.logger }) as unknown as Db;
    await migratePg(db as any, { migrationsFolder: MIGRATIONS_FOLDER });
    let listener: pg.Client | null = null;
    const handlers = new Map<string, Set<(p: string) => void>>();
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
      async listen(channel, onPayload) {
        if (!listener) {
          listener = new pg.Client({ connectionString: opts.url! });
          listener.on('error', () => {});
          await listener.connect();
          listener.on('notification', (n) => {
            for (const h of handlers.get(n.channel) ?? []) h(n.payload ?? '');
          });
        }
        let set = handlers.get(channel);
        if (!set) {
          set = new Set();
          handlers.set(channel, set);
          await listener.query(`LISTEN "${channel.replace(/"/g, '')}"`);
        }
        set.add(onPayload);
        return async () => {
          set.delete(onPayload);
        };
      },
      async close() {
        await listener?.end().catch(() => {});
        await pool.end();
      },
    };
  }
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  const client = opts.dataDir ? new PGlite(opts.dataDir) : new PGlite();
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
      const unlisten = await client.listen(channel, onPayload);
      return unlisten;
    },
    async close() {
      await client.close();
    },
  };
}
