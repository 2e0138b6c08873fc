/**
 * Child process: one OC on a fresh database (startTestOc: a new PostgreSQL database next to
 * DATABASE_URL's, dropped on stop; else in-memory PGlite), on a free port.
 */
import { sql } from 'drizzle-orm';
import type { Config } from '../../src/config.js';
import { ADMIN_TOKEN, startTestOc } from '../../test/support/oc.js';
import { fatal, processUsage, serveRpc } from './child.js';

export interface OcReady {
  url: string;
  adminToken: string;
  driver: 'pg' | 'pglite';
  /** The bench database (PostgreSQL only): the parent drops it too, should this process die. */
  databaseUrl: string | null;
}

try {
  const oc = await startTestOc({
    logLevel: 'warn',
    // The data set stays as seeded while it is measured: no lease expires mid-run.
    managerLeaseMs: 86_400_000,
    // A bench's own settings for this OC (JSON of Config fields), e.g. {"eventLog": false}.
    ...(process.env.BENCH_OC_CONFIG ? (JSON.parse(process.env.BENCH_OC_CONFIG) as Partial<Config>) : {}),
  });
  const ready: OcReady = { url: oc.url, adminToken: ADMIN_TOKEN, driver: oc.database.driver, databaseUrl: oc.config.databaseUrl };
  serveRpc(
    ready,
    {
      queryCount: () => oc.database.queryCount,
      usage: () => processUsage(),
      /** After seeding: the statistics and visibility map autovacuum would have made by the time a real fleet is queried. */
      vacuumAnalyze: async () => {
        await oc.database.db.execute(sql`vacuum analyze`);
      },
      gc: () => {
        (globalThis as { gc?: () => void }).gc?.();
        return processUsage();
      },
    },
    () => oc.stop(),
  );
} catch (err) {
  fatal(err);
}
