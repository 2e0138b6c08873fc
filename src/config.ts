import { isIP } from 'node:net';
import { z } from 'zod';

/** Configuration: environment variables with defaults, parsed once. A bad value stops start-up. */
export interface Config {
  port: number;
  host: string;
  databaseUrl: string | null;
  dataDir: string;
  adminToken: string | null;
  managerLeaseMs: number;
  logLevel: LogLevel;
  /** Width of a stats history bucket, and how long history is kept. */
  statsBucketSeconds: number;
  statsRetentionHours: number;
  /** How long the event log keeps events (positions older than this get EVENTS_EXPIRED). */
  eventRetentionHours: number;
  /** How long the audit log keeps its entries (older ones are pruned with the event log). */
  auditRetentionDays: number;
  /**
   * Whether events are appended to the event log (OC_EVENT_LOG, default on). Off is for
   * benchmarks only (bench/events.ts measures the log's cost against it): without the log there
   * are no positions, `after` cannot resume and `events` is empty.
   */
  eventLog: boolean;
  /**
   * Addresses (IPs or CIDR ranges) whose requests to /metrics need no token; empty means every
   * scrape needs one. Default: loopback.
   */
  metricsAllow: string[];
  /** PGlite's shared_buffers in MB (ignored on PostgreSQL); see docs/scaling.md for where PGlite's memory goes. */
  pgliteSharedBuffersMb: number;
  /** How many commands one instance's rollout driver advances at once (each holds a database connection meanwhile). */
  driverConcurrency: number;
  /**
   * Registrations one instance runs at once (each holds a database connection), and how many may
   * wait for a turn (at most 5 s); past that, registerManager answers OVERLOADED (services/admission.ts).
   */
  registrationConcurrency: number;
  registrationQueue: number;
  /**
   * reportStats calls one instance runs at once, and how many may wait for a turn (at most 2 s: a
   * sample is stale by the next interval); past that, reportStats answers OVERLOADED.
   */
  statsConcurrency: number;
  statsQueue: number;
}

export const DEFAULT_METRICS_ALLOW = ['127.0.0.0/8', '::1/128'];

/** An IP address, or a CIDR range (address/prefix), as written in OC_METRICS_ALLOW; null when it is neither. */
export function parseAddressRange(entry: string): { address: string; prefix: number; family: 4 | 6 } | null {
  const [address = '', prefixText, ...rest] = entry.split('/');
  const family = isIP(address);
  if (rest.length > 0 || (family !== 4 && family !== 6)) return null;
  const max = family === 4 ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: max, family };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return null;
  return { address, prefix: Number(prefixText), family };
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const intVar = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be between ${min} and ${max}`);

const schema = z.object({
  PORT: intVar('PORT', 0, 65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .refine((s) => /^postgres(ql)?:\/\//.test(s), 'DATABASE_URL must be a postgres:// or postgresql:// URL')
    .optional(),
  OC_DATA_DIR: z.string().min(1, 'OC_DATA_DIR must not be empty').default('./.oc-data'),
  OC_ADMIN_TOKEN: z.string().min(16, 'OC_ADMIN_TOKEN must be at least 16 characters').optional(),
  OC_MANAGER_LEASE_MS: intVar('OC_MANAGER_LEASE_MS', 100, 86_400_000).default(15000),
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  OC_STATS_BUCKET_SECONDS: intVar('OC_STATS_BUCKET_SECONDS', 1, 86_400).default(10),
  OC_STATS_RETENTION_HOURS: intVar('OC_STATS_RETENTION_HOURS', 1, 24 * 366).default(24),
  OC_PGLITE_SHARED_BUFFERS_MB: intVar('OC_PGLITE_SHARED_BUFFERS_MB', 1, 1024).default(16),
  OC_EVENT_RETENTION_HOURS: intVar('OC_EVENT_RETENTION_HOURS', 1, 24 * 366).default(168),
  OC_AUDIT_RETENTION_DAYS: intVar('OC_AUDIT_RETENTION_DAYS', 1, 36_600).default(90),
  OC_EVENT_LOG: z.enum(['on', 'off'], { message: 'OC_EVENT_LOG must be on or off' }).default('on'),
  OC_DRIVER_CONCURRENCY: intVar('OC_DRIVER_CONCURRENCY', 1, 64).default(4),
  OC_REGISTRATION_CONCURRENCY: intVar('OC_REGISTRATION_CONCURRENCY', 1, 64).default(4),
  OC_REGISTRATION_QUEUE: intVar('OC_REGISTRATION_QUEUE', 0, 100_000).default(200),
  OC_STATS_CONCURRENCY: intVar('OC_STATS_CONCURRENCY', 1, 64).default(6),
  OC_STATS_QUEUE: intVar('OC_STATS_QUEUE', 0, 100_000).default(500),
  OC_METRICS_ALLOW: z
    .string()
    .transform((s, ctx) => {
      const entries = s.split(/[\s,]+/).filter(Boolean);
      if (entries.length === 1 && entries[0] === 'none') return [];
      for (const e of entries) {
        if (!parseAddressRange(e)) ctx.addIssue({ code: 'custom', message: `OC_METRICS_ALLOW entry "${e}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1); "none" allows no address` });
      }
      return entries;
    })
    .optional(),
});

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, as in most shells' `FOO= cmd`.
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(clean);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0] ?? '')}: ${i.message}`));
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL ?? null,
    dataDir: e.OC_DATA_DIR,
    adminToken: e.OC_ADMIN_TOKEN ?? null,
    managerLeaseMs: e.OC_MANAGER_LEASE_MS,
    logLevel: e.LOG_LEVEL,
    statsBucketSeconds: e.OC_STATS_BUCKET_SECONDS,
    statsRetentionHours: e.OC_STATS_RETENTION_HOURS,
    eventRetentionHours: e.OC_EVENT_RETENTION_HOURS,
    auditRetentionDays: e.OC_AUDIT_RETENTION_DAYS,
    eventLog: e.OC_EVENT_LOG === 'on',
    metricsAllow: e.OC_METRICS_ALLOW ?? DEFAULT_METRICS_ALLOW,
    pgliteSharedBuffersMb: e.OC_PGLITE_SHARED_BUFFERS_MB,
    driverConcurrency: e.OC_DRIVER_CONCURRENCY,
    registrationConcurrency: e.OC_REGISTRATION_CONCURRENCY,
    registrationQueue: e.OC_REGISTRATION_QUEUE,
    statsConcurrency: e.OC_STATS_CONCURRENCY,
    statsQueue: e.OC_STATS_QUEUE,
  };
}
