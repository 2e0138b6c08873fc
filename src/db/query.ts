/**
 * Raw SQL through drizzle with its result typed: the one place that reads what `db.execute`
 * returns (its shape differs by driver), so a repository states the row it selects, never `any`.
 */
import type { SQL } from 'drizzle-orm';
import type { Db } from './client.js';

/**
 * The rows of a raw select, typed as its select list says (column names as written, in
 * snake_case). Values are as the driver parsed them: node-postgres and PGlite differ for
 * timestamps (text or Date) and numerics, so a row type names both where they differ.
 */
export async function queryRows<Row extends object>(db: Db, query: SQL): Promise<Row[]> {
  const res: unknown = await db.execute(query);
  return (res as { rows: Row[] }).rows;
}

/** How many rows a raw insert, update or delete touched (node-postgres says rowCount, PGlite affectedRows). */
export async function affectedRows(db: Db, query: SQL): Promise<number> {
  const res = (await db.execute(query)) as { rowCount?: number | null; affectedRows?: number };
  return res.rowCount ?? res.affectedRows ?? 0;
}
