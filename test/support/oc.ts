import { loadConfig, type Config } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import type { Clock } from '../../src/domain/clock.js';
import type { Logger } from '../../src/logger.js';
import { type App, startApp } from '../../src/server/app.js';
import { createTestDatabase } from './db.js';
import { gqlOk } from './client.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestOc {
  app: App;
  url: string;
  database: Database;
  config: Config;
  /** Starts another OC instance on the same database (as after a restart, or a second instance). */
  restart(overrides?: Partial<Config>): Promise<TestOc>;
  stop(): Promise<void>;
}

/** An OC on a free port with a fresh database; `stop` removes everything. */
export async function startTestOc(overrides: Partial<Config> = {}, opts: { clock?: Clock; background?: boolean; logger?: Logger; consoleDir?: string } = {}): Promise<TestOc> {
  const testDb = await createTestDatabase();
  const database = await testDb.open();
  const base: Config = {
    ...loadConfig({}),
    port: 0,
    host: '127.0.0.1',
    adminToken: ADMIN_TOKEN,
    logLevel: (process.env.TEST_LOG_LEVEL as Config['logLevel']) ?? 'silent',
    databaseUrl: testDb.url,
    ...overrides,
  };
  const make = async (config: Config, db: Database): Promise<TestOc> => {
    const app = await startApp(config, { database: db, clock: opts.clock, background: opts.background, logger: opts.logger, consoleDir: opts.consoleDir });
    return {
      app,
      url: app.url,
      database: db,
      config,
      restart: async (o = {}) => make({ ...config, ...o }, db),
      stop: async () => {
        await app.stop();
      },
    };
  };
  const oc = await make(base, database);
  const stop = oc.stop;
  oc.stop = async () => {
    await stop();
    await database.close();
    await testDb.drop();
  };
  return oc;
}

/** Creates a token of a role through the API, as an admin would. */
export async function createToken(url: string, role: 'VIEWER' | 'OPERATOR' | 'ADMIN' | 'MANAGER', name = `${role.toLowerCase()}-${Math.random().toString(36).slice(2, 7)}`, clusterName?: string) {
  const d = await gqlOk(url, ADMIN_TOKEN, `mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { __typename ... on ApiTokenPayload { token apiToken { id } } ... on Error { message } } }`, {
    i: { name, role, clusterName },
  });
  if (d.createApiToken.__typename !== 'ApiTokenPayload') throw new Error(d.createApiToken.message);
  return { token: d.createApiToken.token as string, id: d.createApiToken.apiToken.id as string };
}

/** A logger that keeps what it is told (and says nothing), for tests that read the JSON log's lines. */
export function memoryLogger(): Logger & { lines: { level: string; msg: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const keeping = (bound: Record<string, unknown>): Logger => {
    const at = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, msg, fields: { ...bound, ...fields } });
    };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (fields) => keeping({ ...bound, ...fields }) };
  };
  return Object.assign(keeping({}), { lines });
}
