/** The OC's process: `npm start` runs main() (configuration from the environment, signals, exit codes); startOc starts one inside another program (the lab). */
import { pathToFileURL } from 'node:url';
import { type Config, ConfigError, loadConfig } from './config.js';
import { DatabaseOpenError } from './db/client.js';
import { type App, startApp } from './server/app.js';

export interface OcOverrides {
  port?: number;
  host?: string;
  databaseUrl?: string | null;
  dataDir?: string;
  adminToken?: string;
  managerLeaseMs?: number;
  logLevel?: Config['logLevel'];
}

export interface OcHandle {
  url: string;
  port: number;
  /** An ADMIN token that works on this instance (OC_ADMIN_TOKEN, or the one given). */
  adminToken: string;
  app: App;
  stop(): Promise<void>;
}

/** Starts an OC in this process (the lab and tests use this); configuration from the environment, then overrides. */
export async function startOc(overrides: OcOverrides = {}): Promise<OcHandle> {
  const base = loadConfig();
  const adminToken = overrides.adminToken ?? base.adminToken ?? `oc_lab_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const config: Config = {
    ...base,
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
    adminToken,
  };
  const app = await startApp(config);
  return { url: app.url, port: app.port, adminToken, app, stop: () => app.stop() };
}

async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  let app: App;
  try {
    app = await startApp(config);
  } catch (e) {
    // Said in one line, without a stack: a missing database, a PGlite folder in use, a port taken.
    if (e instanceof DatabaseOpenError) {
      console.error(e.message);
      process.exit(1);
    }
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(`PORT: ${config.host}:${config.port} is already in use by another process`);
      process.exit(1);
    }
    throw e;
  }
  let firstSignalAt = 0;
  const shutdown = (signal: string) => {
    if (firstSignalAt > 0) {
      // Under `npm start` a terminal's Ctrl-C reaches the OC twice at once: the terminal signals
      // the whole process group and npm passes its own on. Such a repeat is not an operator
      // insisting; stopping at once would leave the database (PGlite's folder) unclosed.
      if (Date.now() - firstSignalAt < REPEATED_SIGNAL_MS) return;
      process.exit(1);
    }
    firstSignalAt = Date.now();
    app.logger.info('signal received', { signal });
    app.stop().then(
      () => {
        app.logger.info('stopped');
        process.exit(0);
      },
      (err) => {
        app.logger.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** A second signal sooner than this after the first is the same Ctrl-C (see main); later, it stops the OC at once. */
const REPEATED_SIGNAL_MS = 1000;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
