import { sql } from 'drizzle-orm';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/db/client.js';
import { queryRows } from '../../src/db/query.js';

/** Which database the suite runs on: DATABASE_URL's PostgreSQL, or PGlite. */
export const TEST_DATABASE_URL = process.env.DATABASE_URL || null;

/**
 * A fresh, empty, migrated database for one test file: on PostgreSQL a new database next to
 * DATABASE_URL's (dropped by `drop`), on PGlite an in-memory one.
 */
export async function createTestDatabase(): Promise<{ url: string | null; open(): Promise<Database>; drop(): Promise<void> }> {
  if (!TEST_DATABASE_URL) {
    return { url: null, open: () => openDatabase({ url: null, dataDir: null }), drop: async () => {} };
  }
  const name = `oc_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(TEST_DATABASE_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  return {
    url,
    open: () => openDatabase({ url, dataDir: null, poolSize: 5 }),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL! });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** Rows of a raw SQL statement, on either driver (tests look under the API with it). */
export function sqlRows<T extends object = Record<string, unknown>>(database: Database, query: string): Promise<T[]> {
  return queryRows<T>(database.db, sql.raw(query));
}
