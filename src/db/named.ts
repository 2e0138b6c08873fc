/**
 * Named statements inside a transaction (or on the pool): the hot writes of manager reports.
 *
 * `Database.readRows` sends named statements on the pool; a report's statements must run on its
 * transaction's connection, which drizzle keeps in the transaction's session. On PostgreSQL a
 * named statement is parsed once per connection and, after a few calls, planned once (a report's
 * upserts and CTEs were parsed and planned on every call: most of PostgreSQL's time for a report,
 * measured with `npm run bench:ingest`); rows come back as arrays of the server's text, converted
 * by the caller with ./raw.ts (no drizzle query building, no pg type parsing). On PGlite the text
 * is sent as it is and the values come back parsed; the converters of ./raw.ts accept both.
 */
import pg from 'pg';
import type { Db, NamedStatement } from './client.js';

const asText = (value: string) => value;
/** pg: every column as its text (the converters of ./raw.ts parse what a caller uses). */
export const rawTypes = { getTypeParser: () => asText };

type PgQueryable = { query(config: pg.QueryConfig & { rowMode: 'array'; types: typeof rawTypes }): Promise<{ rows: unknown[][] }> };
type PgliteQueryable = { query(text: string, values: unknown[], options: { rowMode: 'array' }): Promise<{ rows: unknown[][] }> };

/** What drizzle keeps of a database or transaction: its driver client, and the logger that counts statements (Database.queryCount). */
interface DrizzleSession {
  client?: unknown;
  logger?: { logQuery(query: string, params: unknown[]): void };
}

const isPg = (client: unknown): client is PgQueryable => client instanceof pg.Pool || client instanceof pg.Client;

/**
 * Runs a named statement on `db` (a drizzle database, or the transaction a service was given);
 * returns its rows as arrays of column values in select order (see ./raw.ts for their types).
 */
export async function runNamed(db: Db, statement: NamedStatement, values: unknown[]): Promise<unknown[][]> {
  const session = (db as unknown as { session?: DrizzleSession }).session;
  const client = session?.client;
  if (!client) throw new Error('runNamed: no driver client behind this database');
  session.logger?.logQuery(statement.text, values);
  if (isPg(client)) return (await client.query({ name: statement.name, text: statement.text, values, rowMode: 'array', types: rawTypes })).rows;
  return (await (client as PgliteQueryable).query(statement.text, values, { rowMode: 'array' })).rows;
}
