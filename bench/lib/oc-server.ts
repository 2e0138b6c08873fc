/**
 * Child process: one OC on a fresh database (startTestOc: a new PostgreSQL database next to
 * DATABASE_URL's, dropped on stop; else in-memory PGlite), on a free port. With
 * BENCH_OC_ATTACH (a postgres:// URL), another OC instance on that existing database instead
 * (it neither creates nor drops it): two instances on one PostgreSQL.
 */
import { sql } from 'drizzle-orm';
import { type Config, loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { startApp } from '../../src/server/app.js';
import { ADMIN_TOKEN, startTestOc } from '../../test/support/oc.js';
import { fatal, processUsage, serveRpc } from './child.js';

export interface OcReady {
  url: string;
  adminToken: string;
  driver: 'pg' | 'pglite';
  /** The bench database (PostgreSQL only): the parent drops it too, should this process die. */
  databaseUrl: string | null;
}

// The data set stays as seeded while it is measured: no lease expires mid-run.
const overrides = {
  logLevel: 'warn' as const,
  managerLeaseMs: 86_400_000,
  // A bench's own settings for this OC (JSON of Config fields), e.g. {"eventLog": false}.
  ...(process.env.BENCH_OC_CONFIG ? (JSON.parse(process.env.BENCH_OC_CONFIG) as Partial<Config>) : {}),
};

async function attach(url: string) {
  const config = { ...loadConfig({}), port: 0, host: '127.0.0.1', adminToken: ADMIN_TOKEN, databaseUrl: url, ...overrides };
  const database = await openDatabase({ url, dataDir: null, poolSize: 5 });
  const app = await startApp(config, { database });
  return {
    url: app.url,
    database,
    config,
    stop: async () => {
      await app.stop();
      await database.close();
    },
  };
}

try {
  const attachTo = process.env.BENCH_OC_ATTACH;
  const oc = attachTo ? await attach(attachTo) : await startTestOc(overrides);
  const ready: OcReady = { url: oc.url, adminToken: ADMIN_TOKEN, driver: oc.database.driver, databaseUrl: attachTo ? null : oc.config.databaseUrl };
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
